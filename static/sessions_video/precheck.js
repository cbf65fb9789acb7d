// The check before joining a call: camera preview, microphone level, a test sound on the
// chosen speaker, and whether this network can reach the other side (directly, or through the
// platform's TURN relay), with a plain verdict. Nothing leaves the browser but the connection
// check's requests to the configured STUN/TURN servers. Texts come from the page (data-text-*).
import { routeSound } from "./devices.js";

const GATHER_MS = 6000; // a relay that has not answered by then is taken as unreachable
const LEVEL_EVERY_MS = 100;
const HEARD_LEVEL = 0.05;
const TEST_SOUND_SECONDS = 1.5;

const BLOCKED = new Set(["NotAllowedError", "SecurityError"]);
const GONE = new Set(["OverconstrainedError", "NotFoundError"]);
// This tab joined this room: a reload (or a page restored after a network change) goes straight
// back into the call. Kept for the tab's life only; a hang-up forgets it.
const JOINED_KEY = `room.joined.${location.pathname}`;

function joinedBefore() {
  try {
    return sessionStorage.getItem(JOINED_KEY) === "yes";
  } catch {
    return false;
  }
}

function rememberJoined(joined) {
  try {
    if (joined) sessionStorage.setItem(JOINED_KEY, "yes");
    else sessionStorage.removeItem(JOINED_KEY);
  } catch {
    // storage refused: the check is shown again after a reload
  }
}

export function forgetJoined() {
  rememberJoined(false);
}

function problemOf(error) {
  return BLOCKED.has(error?.name) ? "blocked" : "missing";
}

// What the ICE candidates this browser can gather say about its network.
export async function connectionCheck(configuration) {
  const urls = (configuration.iceServers || []).flatMap((server) => [].concat(server.urls || []));
  const hasTurn = urls.some((url) => /^turns?:/i.test(url));
  const hasStun = urls.some((url) => /^stun:/i.test(url));
  const relayOnly = configuration.iceTransportPolicy === "relay";
  const types = new Set();
  const pc = new RTCPeerConnection(configuration);
  try {
    pc.createDataChannel("check");
    const gathered = new Promise((resolve) => {
      pc.addEventListener("icecandidate", ({ candidate }) => {
        if (!candidate) resolve();
        else if (candidate.type) types.add(candidate.type);
      });
      setTimeout(resolve, GATHER_MS);
    });
    await pc.setLocalDescription();
    await gathered;
  } finally {
    pc.close();
  }
  if (types.has("relay")) {
    if (relayOnly) return "relay-policy";
    return hasStun && !types.has("srflx") ? "relay-fallback" : "direct";
  }
  if (types.size === 0 || relayOnly) return "blocked";
  if (hasTurn) return "uncertain";
  if (hasStun && !types.has("srflx")) return "blocked";
  return "direct";
}

const CONNECTION_TEXT = {
  direct: "textConnectionDirect",
  "relay-policy": "textConnectionRelayPolicy",
  "relay-fallback": "textConnectionRelayFallback",
  uncertain: "textConnectionUncertain",
  blocked: "textConnectionBlocked",
};

// Resolves with the camera and microphone stream (null if neither could be used) when the
// person presses "Join the session". ``pickers`` (devices.js) are shared with the call.
export function precheck({ section, pickers, wantsVideo, rtcConfiguration }) {
  const texts = section.dataset;
  const preview = document.getElementById("precheck-preview");
  const meter = document.getElementById("precheck-level");
  const verdictLine = document.getElementById("precheck-verdict");
  const rows = Object.fromEntries(
    [...section.querySelectorAll("[data-check]")].map((row) => [row.dataset.check, row]),
  );
  const sound = document.getElementById("precheck-sound");
  const soundStatus = document.getElementById("precheck-sound-status");
  const state = {};
  let stream = null;
  let listening = null; // the AudioContext of the level meter
  let levelTimer = null;
  let joined = false;

  function show(check, value, key) {
    state[check] = value;
    const row = rows[check];
    if (!row) return;
    row.dataset.state = value;
    row.textContent = texts[key];
  }

  function verdict() {
    const media = [state.camera, state.microphone];
    let key = "textReady";
    let value = "ready";
    if (Object.values(state).includes("checking")) return;
    if (media.includes("blocked")) [key, value] = ["textBlockedHelp", "blocked"];
    else if (state.microphone === "missing") [key, value] = ["textMissingHelp", "missing"];
    else if (["uncertain", "blocked"].includes(state.connection)) {
      [key, value] = ["textNetworkHelp", "network"];
    }
    section.dataset.verdict = value;
    verdictLine.textContent = texts[key];
  }

  function stopListening() {
    clearInterval(levelTimer);
    listening?.close().catch(() => {});
    listening = null;
    meter.value = 0;
  }

  function stopMedia() {
    stopListening();
    for (const track of stream?.getTracks() || []) track.stop();
    stream = null;
  }

  function listen() {
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    listening = new AudioContext();
    listening.resume().catch(() => {});
    const analyser = listening.createAnalyser();
    analyser.fftSize = 1024;
    listening.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    levelTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meter.value = level;
      if (level >= HEARD_LEVEL && state.microphone === "ok") {
        show("microphone", "heard", "textMicrophoneHeard");
      }
    }, LEVEL_EVERY_MS);
  }

  async function openMedia() {
    stopMedia();
    if (wantsVideo) show("camera", "checking", "textChecking");
    show("microphone", "checking", "textChecking");
    let constraints = pickers.constraints(wantsVideo);
    try {
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
      } catch (error) {
        if (!GONE.has(error?.name)) throw error;
        // A device chosen before is not there any more: the browser's default ones.
        constraints = { audio: true, video: wantsVideo };
        stream = await navigator.mediaDevices.getUserMedia(constraints);
      }
      if (wantsVideo) show("camera", "ok", "textCameraOk");
      show("microphone", "ok", "textMicrophoneOk");
    } catch (error) {
      console.warn("room: camera and microphone", error);
      const problem = problemOf(error);
      if (wantsVideo) {
        show("camera", problem, problem === "blocked" ? "textCameraBlocked" : "textCameraMissing");
        try {
          stream = await navigator.mediaDevices.getUserMedia({ audio: constraints.audio });
          show("microphone", "ok", "textMicrophoneOk");
        } catch (audioError) {
          const audioProblem = problemOf(audioError);
          show("microphone", audioProblem, `textMicrophone${audioProblem === "blocked" ? "Blocked" : "Missing"}`);
        }
      } else {
        show("microphone", problem, `textMicrophone${problem === "blocked" ? "Blocked" : "Missing"}`);
      }
    }
    if (!joined) {
      // (pressed meanwhile: the call takes the stream, without the check's preview and meter)
      if (preview) preview.srcObject = stream;
      listen();
    }
    await pickers.refresh().catch(() => {});
    pickers.using(stream);
    verdict();
  }

  let opening = Promise.resolve();
  function reopen() {
    opening = opening.then(openMedia);
    return opening;
  }

  async function checkConnection() {
    show("connection", "checking", "textChecking");
    let found = "blocked";
    try {
      found = await connectionCheck(rtcConfiguration);
    } catch (error) {
      console.warn("room: connection check", error);
    }
    show("connection", found, CONNECTION_TEXT[found]);
    verdict();
  }

  document.getElementById("precheck-sound-test").addEventListener("click", async () => {
    const context = new AudioContext();
    const tone = context.createOscillator();
    const volume = context.createGain();
    const out = context.createMediaStreamDestination();
    tone.frequency.value = 440;
    volume.gain.value = 0.2;
    tone.connect(volume).connect(out);
    sound.srcObject = out.stream;
    await routeSound(sound, pickers.speaker());
    tone.addEventListener("ended", () => {
      sound.srcObject = null;
      context.close().catch(() => {});
    });
    tone.start();
    tone.stop(context.currentTime + TEST_SOUND_SECONDS);
    soundStatus.textContent = texts.textSoundPlaying;
    await sound.play().catch(() => {});
  });

  pickers.onChange((kind) => {
    if (kind !== "audiooutput") reopen();
  });

  return new Promise((resolve) => {
    function join() {
      joined = true;
      rememberJoined(true);
      stopListening();
      if (preview) preview.srcObject = null;
      section.hidden = true;
      resolve(opening.then(() => stream));
    }
    if (joinedBefore()) {
      reopen();
      join();
      return;
    }
    document.getElementById("precheck-join").addEventListener("click", join, { once: true });
    reopen();
    checkConnection();
  });
}
