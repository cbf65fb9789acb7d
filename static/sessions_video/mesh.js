// The call of a couples session: three people (the therapist, the patient and their partner),
// each connected to the two others by a peer connection of its own (a mesh). Negotiated over
// the room socket (room.js) with "perfect negotiation" per pair: the server numbers each socket
// (a participant id), the offer, answer and candidates of a pair are addressed to one of them
// ("to"), and the server says who sent what ("from"). The later arrival of a pair is its polite
// side. The therapist lets the patient and the partner in from the waiting room, each or both
// at once; before that, no peer connection is made with them. Every text shown comes from the
// page (data-text-*, the names of the three in "call-names"), so it is translated there.
import { devicePickers, routeSound, swapDeviceTrack } from "./devices.js";
import { forgetJoined, precheck } from "./precheck.js";
import {
  STATS_EVERY_MS,
  STUCK_AFTER_MS,
  linkQuality,
  scaleSent,
  videoScaler,
} from "./quality.js";


export function startMesh(root, room) {
  const { modality, role } = root.dataset;
  const texts = root.dataset;
  const wantsVideo = modality === "video";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const rtcConfiguration = read("call-rtc-configuration");
  const names = read("call-names");
  const lateTexts = read("call-late-texts");
  const local = document.getElementById("call-local");
  const statusLine = document.getElementById("call-status");
  const screenLine = document.getElementById("call-screen");
  const lowQualityLine = document.getElementById("call-low-quality");
  const lateLine = document.getElementById("call-late");
  const waitingNote = document.getElementById("call-waiting-note");
  const patientMayShare = document.getElementById("call-patient-may-share");
  const admitButtons = [...root.querySelectorAll("[data-admit]")];
  const buttons = Object.fromEntries(
    [...root.querySelectorAll("[data-call-action]")].map((b) => [b.dataset.callAction, b]),
  );
  const pickers = devicePickers(document.getElementById("devices"));
  const send = room.send;

  let stream = null;
  let me = null; // this socket's participant id, as the server numbered it
  let socketOpen = false;
  let socketEverOpen = false; // until then the room is being reached: not "lost"
  let finished = false;
  let muted = false;
  let cameraOff = false;
  let screenTrack = null;
  let audioOnly = false;
  let admittedRoles = new Set(["therapist"]); // who is in the call (out of the waiting room)
  let videoScale = 1; // how much the video sent is scaled down
  const scaler = videoScaler();
  const qualityLine = document.getElementById("call-quality");
  const peers = new Map(); // participant id -> { id, role, pc, ... }
  const everHere = new Set(); // the roles seen in the room since this page opened

  const inCall = (who) => admittedRoles.has(who);
  const named = (text, who) => (text || "").replace("%(name)s", names[who] || "");
  const tile = (who) => root.querySelector(`[data-tile-role="${who}"]`);
  const remoteOf = (who) => tile(who)?.querySelector("[data-remote]");
  const peerOf = (who) => [...peers.values()].find((peer) => peer.role === who);
  const polite = (peer) => me !== null && me > peer.id; // the later socket of the two

  function setText(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
  }

  // -- what the page says -------------------------------------------------------------------

  function refresh() {
    const waiting = !inCall(role) && !finished;
    root.dataset.waiting = waiting ? "yes" : "no";
    if (waitingNote) waitingNote.hidden = !waiting;
    if (lateLine && !waiting) lateLine.hidden = true;
    for (const line of root.querySelectorAll("[data-presence-role]")) {
      const who = line.dataset.presenceRole;
      let key = everHere.has(who) ? "textPeerLeft" : "textPeerAway";
      if (peerOf(who)) key = inCall(who) ? "textPeerHere" : "textPeerWaiting";
      setText(line, finished ? "" : named(texts[key], who));
    }
    let connected = 0;
    let expected = 0;
    for (const who of Object.keys(names)) {
      const state = tile(who)?.querySelector("[data-tile-state]");
      const peer = peerOf(who);
      if (peer?.pc) expected += 1;
      if (peer?.pc?.connectionState === "connected") connected += 1;
      let text = "";
      if (peer?.pc) {
        text =
          peer.pc.connectionState === "connected" ? texts.textPeerConnected : texts.textPeerConnecting;
      }
      setText(state, text);
    }
    // For tests and the benchmark: how many of the others this page is connected with.
    document.body.dataset.peersConnected = String(connected);
    let callState = expected ? "connecting" : "new";
    if (finished) callState = "closed";
    else if (expected && connected === expected) callState = "connected";
    document.body.dataset.callState = callState;
    for (const button of admitButtons) {
      const waitingHere = (who) => Boolean(peerOf(who)) && !inCall(who);
      const who = button.dataset.admit;
      const shown = who === "all" ? waitingHere("patient") && waitingHere("partner") : waitingHere(who);
      button.hidden = !shown || !socketOpen || finished;
    }
    if (finished) return setText(statusLine, "");
    if (!socketOpen) {
      return setText(statusLine, socketEverOpen ? texts.textReconnecting : texts.textConnecting);
    }
    if (waiting) {
      const key = peerOf("therapist") ? "textWaitingRoomHere" : "textWaitingRoomAlone";
      return setText(statusLine, texts[key]);
    }
    setText(statusLine, expected ? texts.textInCall : texts.textWaitingOthers);
  }

  function showLate(minutes) {
    if (!lateLine || !lateTexts[minutes]) return;
    lateLine.textContent = lateTexts[minutes];
    lateLine.hidden = false;
  }

  function showScreen(text) {
    screenLine.textContent = text;
    screenLine.hidden = !text;
  }

  // -- one peer connection per other participant -------------------------------------------

  function senderOf(pc, kind) {
    // By its transceiver: a muted sender has no track to tell its kind.
    return pc?.getTransceivers().find((t) => t.receiver.track.kind === kind)?.sender;
  }

  function senders(kind) {
    return [...peers.values()].map((peer) => senderOf(peer.pc, kind)).filter(Boolean);
  }

  function addTracks(peer) {
    peer.tracksAdded = true;
    for (const track of stream?.getTracks() || []) {
      const sender = peer.pc.addTrack(track, stream);
      if (track.kind === "audio" && muted) sender.replaceTrack(null);
      if (track.kind === "video" && screenTrack) sender.replaceTrack(screenTrack);
      if (track.kind === "video" && audioOnly) sender.replaceTrack(null);
    }
  }

  function openPeer(peer) {
    closePeer(peer);
    const pc = new RTCPeerConnection(rtcConfiguration);
    Object.assign(peer, {
      pc,
      makingOffer: false,
      ignoreOffer: false,
      settingRemoteAnswer: false,
      tracksAdded: false,
      lastInbound: null,
    });
    const current = () => peer.pc === pc;
    pc.addEventListener("track", ({ streams: [remoteStream], track }) => {
      const element = remoteOf(peer.role);
      if (!current() || !element) return;
      element.srcObject = remoteStream || new MediaStream([track]);
      element.play().catch(() => {});
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (current() && candidate) {
        send({ type: "candidate", to: peer.id, candidate: candidate.toJSON() });
      }
    });
    pc.addEventListener("negotiationneeded", async () => {
      if (!current()) return;
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        if (current()) send({ type: "offer", to: peer.id, sdp: pc.localDescription.sdp });
      } catch (error) {
        console.warn("call: could not make an offer", error);
      } finally {
        peer.makingOffer = false;
      }
    });
    pc.addEventListener("iceconnectionstatechange", () => {
      if (current() && pc.iceConnectionState === "failed") pc.restartIce();
    });
    pc.addEventListener("connectionstatechange", () => {
      if (current()) refresh();
    });
    // The impolite side offers first; the polite side adds its tracks when answering.
    if (!polite(peer)) {
      addTracks(peer);
      peer.watchdog = setInterval(() => {
        if (pc.connectionState !== "connected" && pc.signalingState === "stable") pc.restartIce();
      }, STUCK_AFTER_MS);
    }
    refresh();
  }

  function closePeer(peer) {
    clearInterval(peer.watchdog);
    if (!peer.pc) return;
    peer.pc.close();
    peer.pc = null;
    const element = remoteOf(peer.role);
    if (element) element.srcObject = null;
  }

  function forget(peer) {
    closePeer(peer);
    peers.delete(peer.id);
  }

  function maybeConnect(peer) {
    if (!finished && inCall(role) && inCall(peer.role) && !peer.pc) openPeer(peer);
  }

  async function handleSignal(peer, message) {
    if (message.type === "offer" || message.type === "answer") {
      if (!peer.pc) openPeer(peer);
      const pc = peer.pc;
      const description = { type: message.type, sdp: message.sdp };
      const readyForOffer =
        !peer.makingOffer && (pc.signalingState === "stable" || peer.settingRemoteAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      peer.ignoreOffer = !polite(peer) && collision;
      if (peer.ignoreOffer) return;
      peer.settingRemoteAnswer = description.type === "answer";
      await pc.setRemoteDescription(description);
      peer.settingRemoteAnswer = false;
      if (description.type === "offer") {
        if (!peer.tracksAdded) addTracks(peer); // into the offer's transceivers
        await pc.setLocalDescription();
        send({ type: "answer", to: peer.id, sdp: pc.localDescription.sdp });
      }
    } else if (message.type === "candidate") {
      if (!peer.pc || !message.candidate) return;
      try {
        await peer.pc.addIceCandidate(message.candidate);
      } catch (error) {
        if (!peer.ignoreOffer) console.warn("call: could not add a candidate", error);
      }
    }
  }

  function onMessage(message) {
    const from = peers.get(message.from);
    if (message.type === "admission") {
      me = message.you;
      admittedRoles = new Set(message.roles || ["therapist"]);
      for (const button of admitButtons) button.disabled = false;
      if (!inCall(role) && message.late) showLate(message.late);
    } else if (message.type === "admitted") {
      for (const who of message.roles || []) admittedRoles.add(who);
      for (const button of admitButtons) button.disabled = false;
      for (const peer of peers.values()) maybeConnect(peer);
    } else if (message.type === "peer" && message.state === "joined") {
      // A new connection of someone (a first one, or after a reload): a new peer connection.
      const older = peerOf(message.role);
      if (older && older.id !== message.presence) forget(older);
      if (!peers.has(message.presence)) {
        peers.set(message.presence, { id: message.presence, role: message.role, pc: null });
      }
      everHere.add(message.role);
      const peer = peers.get(message.presence);
      maybeConnect(peer);
      if (screenTrack) send({ type: "screen", sharing: true });
      if (audioOnly) send({ type: "media", video: false, lowered: false });
    } else if (message.type === "peer" && message.state === "left") {
      const peer = peers.get(message.presence);
      if (peer) forget(peer);
      if (peer && !screenTrack && screenLine.dataset.from === String(peer.id)) showScreen("");
    } else if (message.type === "hangup") {
      if (from) closePeer(from);
    } else if (message.type === "late") {
      if (!inCall(role)) showLate(message.minutes);
    } else if (message.type === "screen" && from) {
      if (!screenTrack) {
        showScreen(message.sharing ? named(texts.textTheyShareNamed, from.role) : "");
        screenLine.dataset.from = String(from.id);
      }
    } else if (message.type === "media" && from) {
      onMedia(message, from);
    } else if (message.type === "screen-policy") {
      const share = buttons["share-screen"];
      if (share && role === "patient") {
        share.hidden = !message.patientMayShare;
        if (!message.patientMayShare) stopSharing();
      }
    } else if (["offer", "answer", "candidate"].includes(message.type) && from) {
      from.incoming = (from.incoming || Promise.resolve())
        .then(() => handleSignal(from, message))
        .catch((error) => console.warn("call: signalling failed", error));
    }
    refresh();
  }

  function onSocket(state) {
    socketOpen = state === "open";
    socketEverOpen ||= socketOpen;
    if (state === "closed") {
      // The others hear that we left and close their ends: start afresh when back.
      for (const peer of [...peers.values()]) forget(peer);
    } else if (state === "refused") {
      stop();
    }
    refresh();
  }

  // -- controls: each person's own, applied to every peer connection ------------------------

  function stop() {
    finished = true;
    screenTrack?.stop();
    screenTrack = null;
    showScreen("");
    lowQualityLine.hidden = true;
    for (const peer of [...peers.values()]) forget(peer);
    for (const track of stream?.getTracks() || []) track.stop();
    for (const button of [...Object.values(buttons), ...admitButtons]) button.disabled = true;
    refresh();
  }

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
    for (const sender of senders("audio")) sender.replaceTrack(muted ? null : track);
  });

  buttons["camera-off"]?.addEventListener("click", () => {
    cameraOff = !cameraOff;
    showPressed(buttons["camera-off"], cameraOff);
    for (const track of stream?.getVideoTracks() || []) track.enabled = !cameraOff;
  });

  // A shared screen replaces the camera on every peer connection (no renegotiation).
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
    screenTrack.addEventListener("ended", stopSharing);
    await Promise.all(senders("video").map((sender) => sender.replaceTrack(screenTrack)));
    if (local) local.srcObject = new MediaStream([screenTrack]);
    showPressed(buttons["share-screen"], true);
    showScreen(texts.textYouShare);
    send({ type: "screen", sharing: true });
  }

  async function stopSharing() {
    const track = screenTrack;
    if (!track) return;
    screenTrack = null;
    track.stop();
    const camera = audioOnly ? null : stream?.getVideoTracks()[0] || null;
    await Promise.all(senders("video").map((sender) => sender.replaceTrack(camera)));
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

  // Audio only: everybody stops sending video, the sound goes on alone (as in a call of two).
  async function setAudioOnly(on, { tell }) {
    audioOnly = on;
    const camera = stream?.getVideoTracks()[0] || null;
    await Promise.all(
      senders("video").map((sender) => sender.replaceTrack(on ? null : screenTrack || camera)),
    );
    lowQualityLine.textContent = on ? texts.textAudioOnly : "";
    lowQualityLine.hidden = !on;
    if (buttons["audio-only"]) buttons["audio-only"].hidden = on;
    if (buttons["video-back"]) buttons["video-back"].hidden = !on;
    if (tell) send({ type: "media", video: !on, lowered: false });
  }

  buttons["audio-only"]?.addEventListener("click", () => setAudioOnly(true, { tell: true }));
  buttons["video-back"]?.addEventListener("click", () => setAudioOnly(false, { tell: true }));

  function onMedia(message, from) {
    if (!wantsVideo) return;
    if (message.video === audioOnly) setAudioOnly(!message.video, { tell: false });
    else if (!audioOnly) {
      lowQualityLine.textContent = message.lowered
        ? named(texts.textTheirVideoLoweredNamed, from.role)
        : "";
      lowQualityLine.hidden = !message.lowered;
    }
  }

  // -- quality: the worst link of this side's peer connections (quality.js); on a poor link the
  // video sent to every other person is lowered (it is this side's link), then audio only is
  // suggested.

  const RANK = { Good: 0, Fair: 1, Poor: 2 };

  async function peerQuality(peer) {
    const { quality, inbound } = await linkQuality(peer.pc, peer.lastInbound);
    peer.lastInbound = inbound;
    return quality;
  }

  async function measure() {
    const connected = [...peers.values()].filter((p) => p.pc?.connectionState === "connected");
    if (!connected.length) return;
    const readings = await Promise.all(connected.map(peerQuality));
    const quality = readings.reduce((worst, q) => (RANK[q] > RANK[worst] ? q : worst), "Good");
    if (qualityLine) {
      qualityLine.dataset.quality = quality.toLowerCase();
      qualityLine.textContent = texts[`textQuality${quality}`];
    }
    const next = scaler(quality, videoScale, wantsVideo && !audioOnly);
    if (next === "audio-only") lowQualityLine.textContent = texts.textVideoLowered;
    else if (next !== videoScale) await scaleVideo(next);
  }

  async function scaleVideo(scale) {
    for (const sender of senders("video")) {
      if ((await scaleSent(sender, scale)) === "failed") return;
    }
    videoScale = scale;
    lowQualityLine.textContent = scale > 1 ? texts.textVideoLowered : "";
    lowQualityLine.hidden = scale === 1;
    send({ type: "media", video: true, lowered: scale > 1 });
  }

  setInterval(() => measure().catch(() => {}), STATS_EVERY_MS);

  // -- another camera, microphone or speaker, during the call --------------------------------

  async function switchDevice(kind, deviceId) {
    if (kind === "audiooutput") {
      for (const element of root.querySelectorAll("[data-remote]")) routeSound(element, deviceId);
      return;
    }
    const swapped = await swapDeviceTrack(stream, kind, deviceId);
    if (!swapped) {
      pickers.undo(kind);
      room.problem(texts.textDeviceFailed);
      return;
    }
    stream = swapped.stream;
    const { track, media } = swapped;
    track.enabled = media === "audio" ? !muted : !cameraOff;
    const sends = media === "audio" ? !muted : !screenTrack && !audioOnly;
    for (const peer of peers.values()) {
      const sender = senderOf(peer.pc, media);
      if (sender && sends) await sender.replaceTrack(track);
      else if (!sender && peer.pc && peer.tracksAdded) peer.pc.addTrack(track, stream);
    }
    if (local && !screenTrack) local.srcObject = stream;
    pickers.using(stream);
    for (const button of Object.values(buttons)) button.disabled = false;
  }

  for (const button of admitButtons) {
    button.addEventListener("click", () => {
      if (send({ type: "admit", who: button.dataset.admit })) button.disabled = true;
    });
  }

  buttons["hang-up"]?.addEventListener("click", () => {
    forgetJoined();
    send({ type: "hangup" });
    room.leave();
  });

  // -- start --------------------------------------------------------------------------------

  async function start() {
    document.body.dataset.callState = "new";
    stream = await precheck({
      section: document.getElementById("precheck"),
      pickers,
      wantsVideo,
      rtcConfiguration,
    });
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
    for (const element of root.querySelectorAll("[data-remote]")) {
      routeSound(element, pickers.speaker());
    }
    pickers.onChange(switchDevice);
    room.connect(); // media first: a peer connection opened before would offer nothing
  }

  start();
  return {
    onMessage,
    onSocket,
    onEnd() {
      stop();
      setText(statusLine, texts.textYouLeft);
    },
  };
}
