// The live session's call: one RTCPeerConnection per meeting of the two parties, negotiated
// over the room socket with "perfect negotiation" (the patient is the polite side). Media goes
// browser to browser (or through the platform's TURN); the server only relays signalling.
// Every text shown comes from the page (data-text-*), so it is translated there.
const PING_EVERY_MS = 25000;
const STATS_EVERY_MS = 3000;
const REFUSED = { 4401: "4404", 4403: "4404", 4404: "4404", 4409: "4409", 4410: "4410", 4429: "4429" };

function call(root) {
  const { socketPath, modality, role } = root.dataset;
  const texts = root.dataset;
  const polite = role === "patient";
  const wantsVideo = modality === "video";
  const iceServers = JSON.parse(document.getElementById("call-ice-servers").textContent);
  const remote = document.getElementById("call-remote");
  const local = document.getElementById("call-local");
  const statusLine = document.getElementById("call-status");
  const qualityLine = document.getElementById("call-quality");
  const problem = document.getElementById("call-problem");
  const buttons = Object.fromEntries(
    [...root.querySelectorAll("[data-call-action]")].map((b) => [b.dataset.callAction, b]),
  );
  const constraints = { audio: true, video: wantsVideo };

  let stream = null;
  let socket = null;
  let pc = null;
  let generation = 0;
  let attempt = 0;
  let finished = false;
  let muted = false;
  let cameraOff = false;
  let peerHere = false;
  let peerEverHere = false;
  let makingOffer = false;
  let ignoreOffer = false;
  let settingRemoteAnswer = false;
  let incoming = Promise.resolve(); // signalling messages are handled one at a time, in order
  let lastInbound = null;

  const debug = { constraints };
  Object.defineProperties(debug, {
    pc: { get: () => pc },
    stream: { get: () => stream },
    generation: { get: () => generation },
  });
  window.__call = debug;

  function setCallState(state) {
    document.body.dataset.callState = state;
  }

  function showStatus(key) {
    const text = texts[key];
    if (statusLine.textContent !== text) statusLine.textContent = text;
  }

  function showProblem(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  function refreshStatus() {
    if (finished) return;
    if (!socket || socket.readyState !== WebSocket.OPEN) return showStatus("textReconnecting");
    if (!peerHere) return showStatus(peerEverHere ? "textLeft" : "textWaiting");
    const state = pc?.connectionState;
    if (state === "connected") return showStatus("textConnected");
    if (state === "disconnected" || state === "failed") return showStatus("textReconnecting");
    showStatus("textConnecting");
  }

  function send(message) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function audioSender() {
    // By its transceiver: a muted sender has no track to tell its kind.
    return pc?.getTransceivers().find((t) => t.receiver.track.kind === "audio")?.sender;
  }

  // -- the peer connection ------------------------------------------------------------------

  function openPeerConnection() {
    closePeerConnection();
    generation += 1;
    makingOffer = ignoreOffer = settingRemoteAnswer = false;
    lastInbound = null;
    const connection = new RTCPeerConnection({ iceServers });
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

    for (const track of stream?.getTracks() || []) {
      const sender = connection.addTrack(track, stream);
      if (track.kind === "audio" && muted) sender.replaceTrack(null);
    }
    setCallState(connection.connectionState);
    refreshStatus();
  }

  function closePeerConnection() {
    if (!pc) return;
    pc.close();
    pc = null;
    remote.srcObject = null;
    qualityLine.textContent = "";
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
      peerHere = peerEverHere = true;
      if (!pc) openPeerConnection(); // both sides do; negotiation sorts out who offers
    } else if (message.type === "peer" && message.state === "left") {
      peerHere = false;
      closePeerConnection();
    } else if (message.type === "hangup") {
      peerHere = false;
      closePeerConnection();
    } else if (["offer", "answer", "candidate"].includes(message.type)) {
      incoming = incoming
        .then(() => handleSignal(message))
        .catch((error) => console.warn("call: signalling failed", error));
    }
    refreshStatus();
  }

  // -- the room socket ----------------------------------------------------------------------

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const opened = new WebSocket(`${scheme}://${location.host}${socketPath}`);
    socket = opened;
    let pingTimer = null;
    refreshStatus();
    opened.addEventListener("open", () => {
      attempt = 0;
      pingTimer = setInterval(() => send({ type: "ping" }), PING_EVERY_MS);
      refreshStatus();
    });
    opened.addEventListener("message", ({ data }) => {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (message && typeof message === "object") onMessage(message);
    });
    opened.addEventListener("close", ({ code }) => {
      clearInterval(pingTimer);
      if (finished || socket !== opened) return;
      // The other side hears that we left and closes its end: start afresh when back.
      peerHere = false;
      closePeerConnection();
      if (REFUSED[code]) {
        stop();
        showProblem(texts[`textClosed${REFUSED[code]}`]);
        return;
      }
      refreshStatus();
      attempt += 1;
      const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    });
  }

  // -- controls -----------------------------------------------------------------------------

  function stop() {
    finished = true;
    closePeerConnection();
    for (const track of stream?.getTracks() || []) track.stop();
    for (const button of Object.values(buttons)) button.disabled = true;
    statusLine.textContent = "";
  }

  buttons.mute?.addEventListener("click", () => {
    muted = !muted;
    buttons.mute.setAttribute("aria-pressed", String(muted));
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !muted;
    // Send nothing at all while muted, not encoded silence.
    audioSender()?.replaceTrack(muted ? null : track);
  });

  buttons["camera-off"]?.addEventListener("click", () => {
    cameraOff = !cameraOff;
    buttons["camera-off"].setAttribute("aria-pressed", String(cameraOff));
    for (const track of stream?.getVideoTracks() || []) track.enabled = !cameraOff;
  });

  buttons["hang-up"]?.addEventListener("click", () => {
    send({ type: "hangup" });
    stop();
    socket?.close(1000);
    setCallState("closed");
    showStatus("textYouLeft");
  });

  // -- quality ------------------------------------------------------------------------------

  async function measure() {
    if (!pc || pc.connectionState !== "connected") return;
    const stats = await pc.getStats();
    let rtt = null;
    let lost = 0;
    let received = 0;
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
        rtt = report.currentRoundTripTime ?? rtt;
      }
      if (report.type === "inbound-rtp") {
        lost += report.packetsLost || 0;
        received += report.packetsReceived || 0;
      }
    });
    const previous = lastInbound;
    lastInbound = { lost, received };
    let loss = 0;
    if (previous) {
      const sent = lost - previous.lost + (received - previous.received);
      loss = sent > 0 ? (lost - previous.lost) / sent : 0;
    }
    let quality = "Poor";
    if ((rtt === null || rtt < 0.15) && loss < 0.02) quality = "Good";
    else if ((rtt === null || rtt < 0.4) && loss < 0.08) quality = "Fair";
    qualityLine.dataset.quality = quality.toLowerCase();
    qualityLine.textContent = texts[`textQuality${quality}`];
  }

  setInterval(() => measure().catch(() => {}), STATS_EVERY_MS);

  // -- start --------------------------------------------------------------------------------

  async function start() {
    setCallState("new");
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
      if (local) local.srcObject = stream;
      for (const button of Object.values(buttons)) button.disabled = false;
    } catch (error) {
      console.warn("call: no microphone or camera", error);
      showProblem(texts.textNoMedia);
      if (buttons["hang-up"]) buttons["hang-up"].disabled = false;
    }
    connect();
  }

  start();
}

const root = document.getElementById("call");
if (root) call(root);
