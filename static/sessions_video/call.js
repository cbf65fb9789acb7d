// The live session's call: one RTCPeerConnection per meeting of the two parties, negotiated
// over the room socket (room.js) with "perfect negotiation" (the patient is the polite side).
// Media goes browser to browser (or through the platform's TURN); the server only relays
// signalling. Every text shown comes from the page (data-text-*), so it is translated there.
// Before joining, the check of precheck.js; camera, microphone and speaker can be changed
// before and during the call (devices.js); a screen can be shared in place of the camera.
import { devicePickers, routeSound, swapDeviceTrack } from "./devices.js";
import { forgetJoined, precheck } from "./precheck.js";
import {
  STATS_EVERY_MS,
  STUCK_AFTER_MS,
  linkQuality,
  scaleSent,
  videoScaler,
} from "./quality.js";


// ``room`` (room.js): ``send(message)``, ``connect()`` the room socket (once the camera and
// microphone are on), ``leave()`` (hang up: the socket closes for good), ``problem(text)``.
// Returns what room.js calls: ``onMessage(message)``, ``onSocket(state)``, ``onEnd()``.
export function startCall(root, room) {
  const { modality, role } = root.dataset;
  const texts = root.dataset;
  const polite = role === "patient";
  const wantsVideo = modality === "video";
  // ICE servers (TURN credentials of this user) and transport policy, from settings.
  const rtcConfiguration = JSON.parse(
    document.getElementById("call-rtc-configuration").textContent,
  );
  const remote = document.getElementById("call-remote");
  const local = document.getElementById("call-local");
  const statusLine = document.getElementById("call-status");
  const qualityLine = document.getElementById("call-quality");
  const buttons = Object.fromEntries(
    [...root.querySelectorAll("[data-call-action]")].map((b) => [b.dataset.callAction, b]),
  );
  const screenLine = document.getElementById("call-screen");
  const patientMayShare = document.getElementById("call-patient-may-share");
  const pickers = devicePickers(document.getElementById("devices"));
  // The waiting room: the patient waits until the therapist lets them in (the server relays
  // no call signalling before); a therapist running late says so, the patient sees it live.
  const admitButton = document.getElementById("call-admit");
  const lateLine = document.getElementById("call-late");
  const waitingNote = document.getElementById("call-waiting-note");
  const lateTexts = JSON.parse(document.getElementById("call-late-texts").textContent);

  let stream = null;
  let socketOpen = false;
  let socketEverOpen = false; // until then the room is being reached: not "lost"
  let pc = null;
  let finished = false;
  let muted = false;
  let cameraOff = false;
  let peerPresence = null; // the other side's current connection to the room, if any
  let peerEverHere = false;
  let makingOffer = false;
  let ignoreOffer = false;
  let settingRemoteAnswer = false;
  let incoming = Promise.resolve(); // signalling messages are handled one at a time, in order
  let watchdog = null;
  let tracksAdded = false;
  let lastInbound = null;
  let screenTrack = null; // the shared screen, sent in place of the camera while shared
  let admitted = root.dataset.admitted === "yes"; // as the page was made; the socket says
  let videoScale = 1; // how much the video sent is scaled down
  let audioOnly = false; // both sides send no video, to keep the call going on a poor link
  let scaler = videoScaler();
  const lowQualityLine = document.getElementById("call-low-quality");
  const audioOnlyOffer = document.getElementById("call-audio-only-offer");

  function setCallState(state) {
    document.body.dataset.callState = state;
  }

  function showStatus(key) {
    const text = texts[key];
    if (statusLine.textContent !== text) statusLine.textContent = text;
  }

  function showWaitingRoom() {
    const waiting = !admitted && !finished;
    root.dataset.waiting = waiting ? "yes" : "no"; // site.css: no empty video frame meanwhile
    if (admitButton) admitButton.hidden = !waiting || peerPresence === null || !socketOpen;
    if (waitingNote) waitingNote.hidden = !waiting;
    if (lateLine && !waiting) lateLine.hidden = true;
  }

  function showLate(minutes) {
    if (!lateLine || !lateTexts[minutes]) return;
    lateLine.textContent = lateTexts[minutes];
    lateLine.hidden = false;
  }

  function refreshStatus() {
    showWaitingRoom();
    if (finished) return;
    if (!socketOpen) return showStatus(socketEverOpen ? "textReconnecting" : "textConnecting");
    if (!admitted && role === "therapist") {
      return showStatus(peerPresence === null ? "textWaiting" : "textPatientWaiting");
    }
    if (!admitted) {
      return showStatus(peerPresence === null ? "textWaitingRoomAlone" : "textWaitingRoomHere");
    }
    if (peerPresence === null) return showStatus(peerEverHere ? "textLeft" : "textWaiting");
    const state = pc?.connectionState;
    if (state === "connected") return showStatus("textConnected");
    if (state === "disconnected" || state === "failed") return showStatus("textReconnecting");
    showStatus("textConnecting");
  }

  const send = room.send;

  function senderOf(kind) {
    // By its transceiver: a muted sender has no track to tell its kind.
    return pc?.getTransceivers().find((t) => t.receiver.track.kind === kind)?.sender;
  }

  function showScreen(text) {
    screenLine.textContent = text;
    screenLine.hidden = !text;
  }

  // -- the peer connection ------------------------------------------------------------------

  function openPeerConnection() {
    closePeerConnection();
    makingOffer = ignoreOffer = settingRemoteAnswer = false;
    lastInbound = null;
    videoScale = 1; // a new connection's video starts whole
    scaler = videoScaler();
    if (!audioOnly) lowQualityLine.hidden = true;
    const connection = new RTCPeerConnection(rtcConfiguration);
    pc = connection;
    const current = () => pc === connection;

    connection.addEventListener("track", ({ streams: [remoteStream], track }) => {
      if (!current()) return;
      remote.srcObject = remoteStream || new MediaStream([track]);
      remote.play().catch(() => {});
    });
    connection.addEventListener("icecandidate", ({ candidate }) => {
      if (current() && candidate) send({ type: "candidate", candidate: candidate.toJSON() });
    });
    connection.addEventListener("negotiationneeded", async () => {
      if (!current()) return;
      try {
        makingOffer = true;
        await connection.setLocalDescription();
        if (current()) send({ type: "offer", sdp: connection.localDescription.sdp });
      } catch (error) {
        console.warn("call: could not make an offer", error);
      } finally {
        makingOffer = false;
      }
    });
    connection.addEventListener("iceconnectionstatechange", () => {
      if (current() && connection.iceConnectionState === "failed") connection.restartIce();
    });
    connection.addEventListener("connectionstatechange", () => {
      if (!current()) return;
      setCallState(connection.connectionState);
      refreshStatus();
    });

    // The impolite side offers first; the polite side adds its tracks when answering that offer.
    // Two first offers crossing (rolled back on the polite side) left it, at times, with no ICE
    // candidates at all.
    tracksAdded = false;
    if (!polite) {
      addTracks(connection);
      watchdog = setInterval(() => {
        if (connection.connectionState !== "connected" && connection.signalingState === "stable") {
          connection.restartIce();
        }
      }, STUCK_AFTER_MS);
    }
    setCallState(connection.connectionState);
    refreshStatus();
  }

  function addTracks(connection) {
    tracksAdded = true;
    for (const track of stream?.getTracks() || []) {
      const sender = connection.addTrack(track, stream);
      if (track.kind === "audio" && muted) sender.replaceTrack(null);
      if (track.kind === "video" && screenTrack) sender.replaceTrack(screenTrack);
      if (track.kind === "video" && audioOnly) sender.replaceTrack(null);
    }
  }

  function closePeerConnection() {
    clearInterval(watchdog);
    if (!pc) return;
    pc.close();
    pc = null;
    remote.srcObject = null;
    qualityLine.textContent = "";
    if (!screenTrack) showScreen("");
    setCallState("closed");
  }

  async function handleSignal(message) {
    if (message.type === "offer" || message.type === "answer") {
      if (!pc) openPeerConnection();
      const description = { type: message.type, sdp: message.sdp };
      const readyForOffer =
        !makingOffer && (pc.signalingState === "stable" || settingRemoteAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      ignoreOffer = !polite && collision;
      if (ignoreOffer) return;
      settingRemoteAnswer = description.type === "answer";
      await pc.setRemoteDescription(description);
      settingRemoteAnswer = false;
      if (description.type === "offer") {
        if (!tracksAdded) addTracks(pc); // into the offer's transceivers: no new negotiation
        await pc.setLocalDescription();
        send({ type: "answer", sdp: pc.localDescription.sdp });
      }
    } else if (message.type === "candidate") {
      if (!pc || !message.candidate) return;
      try {
        await pc.addIceCandidate(message.candidate);
      } catch (error) {
        if (!ignoreOffer) console.warn("call: could not add a candidate", error);
      }
    }
  }

  function onMessage(message) {
    if (message.type === "peer" && message.state === "joined") {
      // A new connection of the other side (a first one, or after a reload): it starts with
      // a new peer connection, so this side does too; negotiation sorts out who offers.
      if (message.presence !== peerPresence || (!pc && admitted)) {
        peerPresence = message.presence;
        peerEverHere = true;
        if (admitted) openPeerConnection();
        if (screenTrack) send({ type: "screen", sharing: true });
        if (audioOnly) send({ type: "media", video: false, lowered: false });
      }
    } else if (message.type === "admission" || message.type === "admitted") {
      admitted = message.type === "admitted" || message.admitted === true;
      if (admitButton) admitButton.disabled = false; // a new socket: letting in can be asked again
      if (!admitted && message.late) showLate(message.late);
      if (admitted && peerPresence !== null && !pc) openPeerConnection();
    } else if (message.type === "media") {
      onMedia(message);
    } else if (message.type === "late") {
      if (!admitted) showLate(message.minutes);
    } else if (message.type === "peer" && message.state === "left") {
      // News of an earlier connection leaving may arrive after its successor joined.
      if (message.presence === peerPresence) {
        peerPresence = null;
        closePeerConnection();
      }
    } else if (message.type === "hangup") {
      peerPresence = null;
      closePeerConnection();
    } else if (message.type === "screen") {
      if (!screenTrack) showScreen(message.sharing ? texts.textTheyShare : "");
    } else if (message.type === "screen-policy") {
      const share = buttons["share-screen"];
      if (share && role === "patient") {
        share.hidden = !message.patientMayShare;
        if (!message.patientMayShare) stopSharing();
      }
    } else if (["offer", "answer", "candidate"].includes(message.type)) {
      incoming = incoming
        .then(() => handleSignal(message))
        .catch((error) => console.warn("call: signalling failed", error));
    }
    refreshStatus();
  }

  function onSocket(state) {
    socketOpen = state === "open";
    socketEverOpen ||= socketOpen;
    if (state === "closed") {
      // The other side hears that we left and closes its end: start afresh when back.
      peerPresence = null;
      closePeerConnection();
    } else if (state === "refused") {
      stop();
    }
    refreshStatus();
  }

  // -- controls -----------------------------------------------------------------------------

  function stop() {
    finished = true;
    lowQualityLine.hidden = true;
    if (audioOnlyOffer) audioOnlyOffer.hidden = true;
    screenTrack?.stop();
    screenTrack = null;
    showScreen("");
    closePeerConnection();
    for (const track of stream?.getTracks() || []) track.stop();
    for (const button of Object.values(buttons)) button.disabled = true;
    statusLine.textContent = "";
  }

  // A toggle's words say its state ("Mute" / "Muted"), as aria-pressed does for screen readers.
  function showPressed(button, pressed) {
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? button.dataset.textPressed : button.dataset.textUnpressed;
    button.classList.toggle("active", pressed);
  }

  buttons.mute?.addEventListener("click", () => {
    muted = !muted;
    showPressed(buttons.mute, muted);
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !muted;
    // Send nothing at all while muted, not encoded silence.
    senderOf("audio")?.replaceTrack(muted ? null : track);
  });

  buttons["camera-off"]?.addEventListener("click", () => {
    cameraOff = !cameraOff;
    showPressed(buttons["camera-off"], cameraOff);
    for (const track of stream?.getVideoTracks() || []) track.enabled = !cameraOff;
  });

  // -- screen sharing: the screen replaces the camera on the same sender (no renegotiation) --

  async function shareScreen() {
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      console.warn("call: no screen to share", error);
      room.problem(texts.textShareFailed);
      return;
    }
    screenTrack = display.getVideoTracks()[0];
    // The browser's own "Stop sharing" ends the track.
    screenTrack.addEventListener("ended", stopSharing);
    await senderOf("video")?.replaceTrack(screenTrack);
    if (local) local.srcObject = new MediaStream([screenTrack]); // what the other side sees
    showPressed(buttons["share-screen"], true);
    showScreen(texts.textYouShare);
    send({ type: "screen", sharing: true });
  }

  async function stopSharing() {
    const track = screenTrack;
    if (!track) return;
    screenTrack = null;
    track.stop();
    await senderOf("video")?.replaceTrack(stream?.getVideoTracks()[0] || null);
    if (local) local.srcObject = stream;
    showPressed(buttons["share-screen"], false);
    showScreen("");
    send({ type: "screen", sharing: false });
  }

  buttons["share-screen"]?.addEventListener("click", () =>
    screenTrack ? stopSharing() : shareScreen(),
  );

  patientMayShare?.addEventListener("change", () => {
    send({ type: "screen-policy", patientMayShare: patientMayShare.checked });
  });

  // -- another camera, microphone or speaker, during the call --------------------------------

  async function switchDevice(kind, deviceId) {
    if (kind === "audiooutput") return routeSound(remote, deviceId);
    const swapped = await swapDeviceTrack(stream, kind, deviceId);
    if (!swapped) {
      pickers.undo(kind);
      room.problem(texts.textDeviceFailed);
      return;
    }
    stream = swapped.stream;
    const { track, media } = swapped;
    const sender = senderOf(media);
    if (media === "audio") track.enabled = !muted;
    else track.enabled = !cameraOff;
    const sends = media === "audio" ? !muted : !screenTrack;
    if (sender && sends) await sender.replaceTrack(track);
    else if (!sender && pc && tracksAdded) pc.addTrack(track, stream); // none before: negotiated
    if (local && !screenTrack) local.srcObject = stream;
    pickers.using(stream);
    for (const button of Object.values(buttons)) button.disabled = false;
  }

  admitButton?.addEventListener("click", () => {
    if (send({ type: "admit" })) admitButton.disabled = true;
  });

  buttons["hang-up"]?.addEventListener("click", () => {
    forgetJoined();
    send({ type: "hangup" });
    room.leave();
  });

  // -- quality ------------------------------------------------------------------------------

  async function measure() {
    if (!pc || pc.connectionState !== "connected") return;
    const { quality, inbound } = await linkQuality(pc, lastInbound);
    lastInbound = inbound;
    qualityLine.dataset.quality = quality.toLowerCase();
    qualityLine.textContent = texts[`textQuality${quality}`];
    // A poor link: lower the video, then offer audio only.
    const next = scaler(quality, videoScale, wantsVideo && !audioOnly);
    if (next === "audio-only") audioOnlyOffer.hidden = false;
    else if (next !== videoScale) scaleVideo(next);
  }

  async function scaleVideo(scale) {
    const sender = senderOf("video");
    if (!sender || (await scaleSent(sender, scale)) !== "done") return;
    videoScale = scale;
    lowQualityLine.textContent = scale > 1 ? texts.textVideoLowered : "";
    lowQualityLine.hidden = scale === 1;
    send({ type: "media", video: true, lowered: scale > 1 });
  }

  // Both sides stop (or start again) sending video: the sound goes on alone.
  async function setAudioOnly(on, { tell }) {
    audioOnly = on;
    audioOnlyOffer.hidden = true;
    const camera = stream?.getVideoTracks()[0] || null;
    await senderOf("video")?.replaceTrack(on ? null : screenTrack || camera);
    lowQualityLine.textContent = on ? texts.textAudioOnly : "";
    lowQualityLine.hidden = !on;
    buttons["audio-only"].hidden = on;
    buttons["video-back"].hidden = !on;
    if (tell) send({ type: "media", video: !on, lowered: false });
  }

  buttons["audio-only"]?.addEventListener("click", () => setAudioOnly(true, { tell: true }));
  buttons["video-back"]?.addEventListener("click", () => {
    setAudioOnly(false, { tell: true });
    if (videoScale > 1) scaleVideo(1);
  });

  function onMedia(message) {
    if (!wantsVideo) return;
    if (message.video === audioOnly) setAudioOnly(!message.video, { tell: false });
    else if (!audioOnly) {
      lowQualityLine.textContent = message.lowered ? texts.textTheirVideoLowered : "";
      lowQualityLine.hidden = !message.lowered;
    }
  }

  setInterval(() => measure().catch(() => {}), STATS_EVERY_MS);

  // -- start --------------------------------------------------------------------------------

  async function start() {
    setCallState("new");
    stream = await precheck({
      section: document.getElementById("precheck"),
      pickers,
      wantsVideo,
      rtcConfiguration,
    });
    // The pickers go on being usable in the call, under its controls.
    const live = document.getElementById("call-live");
    live.append(document.getElementById("devices"));
    live.hidden = false;
    if (stream) {
      if (local) local.srcObject = stream;
      for (const button of Object.values(buttons)) button.disabled = false;
    } else {
      room.problem(texts.textNoMedia);
      if (buttons["hang-up"]) buttons["hang-up"].disabled = false;
    }
    routeSound(remote, pickers.speaker());
    pickers.onChange(switchDevice);
    // Media first: a peer connection opened before would offer nothing to send.
    room.connect();
  }

  start();
  return {
    onMessage,
    onSocket,
    onEnd() {
      stop();
      setCallState("closed");
      showStatus("textYouLeft");
    },
  };
}
