// Voice messages in a thread: the recorder (tap to record, a timer, Stop and send, Cancel; it
// stops and sends by itself at the limit), the upload with its progress, and the player telling
// the server when the recipient first plays one. The status line (role="status") says what the
// recorder is doing, for a screen reader as for everyone; its words come from the page
// (translated). Where the browser cannot record, the recorder stays hidden; where the
// microphone is blocked or missing, the status says so and writing works as before.

// What Chromium records (WebM) first, then Firefox's Ogg; the server checks the bytes anyway.
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg"];
// Speech at 32 kbit/s: five minutes is about 1.2 MB (the server's limit is larger).
const BITS_PER_SECOND = 32000;
// The status line repeats the time this often while recording (the timer shows every second;
// a screen reader reading every second would drown everything else).
const SAY_TIME_EVERY_SECONDS = 15;

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

export function minutesSeconds(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// The recorder of this page, if it has one; ``onSent(html)`` adds the sent message to the list.
export function setUpRecorder(onSent) {
  const root = document.getElementById("voice-recorder");
  const type = TYPES.find((t) => window.MediaRecorder?.isTypeSupported?.(t));
  if (!root || !type || !navigator.mediaDevices?.getUserMedia) return;
  const words = root.dataset;
  const [start, timer, send, cancel, progress, status] = [
    "start",
    "timer",
    "send",
    "cancel",
    "progress",
    "status",
  ].map((name) => root.querySelector(`[data-voice-${name}]`));
  const maxSeconds = Number(words.maxSeconds) || 300;
  let recorder = null;
  let stream = null;
  let chunks = [];
  let startedAt = 0;
  let ticking = null;
  let limit = null;
  let spokenAt = 0;

  const say = (text) => {
    status.textContent = text;
  };
  const show = (state) => {
    root.dataset.state = state;
    start.hidden = state !== "idle";
    timer.hidden = state !== "recording";
    send.hidden = state !== "recording";
    cancel.hidden = state !== "recording";
    progress.hidden = state !== "uploading";
  };

  const release = () => {
    clearInterval(ticking);
    clearTimeout(limit);
    for (const track of stream?.getTracks() || []) track.stop();
    stream = null;
  };

  const tick = () => {
    const seconds = (performance.now() - startedAt) / 1000;
    timer.textContent = minutesSeconds(seconds);
    const whole = Math.floor(seconds);
    if (whole - spokenAt >= SAY_TIME_EVERY_SECONDS) {
      spokenAt = whole;
      say(`${words.recording} ${minutesSeconds(seconds)}`);
    }
  };

  const upload = (blob) => {
    show("uploading");
    progress.value = 0;
    say(words.uploading);
    const body = new FormData();
    body.append("voice", blob, type.startsWith("audio/ogg") ? "voice.ogg" : "voice.webm");
    body.append("client_id", crypto.randomUUID());
    const request = new XMLHttpRequest();
    request.open("POST", words.sendUrl);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => {
      show("idle");
      if (request.status === 200) {
        progress.value = 100;
        progress.hidden = false; // full, until the next recording
        onSent(request.responseText);
        say(words.sent);
      } else {
        const template = document.createElement("template");
        template.innerHTML = request.responseText;
        const reasons = [...template.content.querySelectorAll(".voice-refused")];
        say(reasons.map((p) => p.textContent.trim()).join(" ") || words.failed);
      }
      start.focus();
    });
    request.addEventListener("error", () => {
      show("idle");
      say(words.failed);
      start.focus();
    });
    request.send(body);
  };

  const stop = (keep) => {
    if (!recorder) return;
    const stopping = recorder;
    recorder = null;
    stopping.addEventListener("stop", () => {
      release();
      const blob = new Blob(chunks, { type: stopping.mimeType || type });
      chunks = [];
      if (keep) {
        upload(blob);
      } else {
        show("idle");
        say(words.cancelled);
        start.focus();
      }
    });
    stopping.stop();
  };

  start.addEventListener("click", async () => {
    if (recorder) return;
    start.disabled = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      start.disabled = false;
      const missing = error?.name === "NotFoundError" || error?.name === "OverconstrainedError";
      say(missing ? words.noMicrophone : words.blocked);
      return;
    }
    start.disabled = false;
    chunks = [];
    recorder = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND });
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) chunks.push(event.data);
    });
    recorder.start(1000);
    startedAt = performance.now();
    spokenAt = 0;
    timer.textContent = "0:00";
    show("recording");
    say(`${words.recording} 0:00`);
    ticking = setInterval(tick, 250);
    limit = setTimeout(() => {
      say(words.limit);
      stop(true);
    }, maxSeconds * 1000);
    send.focus();
  });
  send.addEventListener("click", () => stop(true));
  cancel.addEventListener("click", () => stop(false));
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && recorder) stop(false);
  });
  show("idle");
  root.hidden = false;
}

// The recipient's first play of a voice message: told once (its sender then sees "Played").
export function setUpPlayedReceipts() {
  document.addEventListener(
    "play",
    (event) => {
      const audio = event.target;
      if (!(audio instanceof HTMLAudioElement) || !audio.dataset.playedUrl) return;
      const url = audio.dataset.playedUrl;
      delete audio.dataset.playedUrl;
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      }).catch(() => {
        audio.dataset.playedUrl = url; // offline: the next play tells it
      });
    },
    true, // "play" does not bubble
  );
}
