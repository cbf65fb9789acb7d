// The room's live chat. A line is shown as sent once the server has kept it (in the pair's
// conversation, as the session's transcript) and sent it back; until then it is "sending" and
// is sent again when the socket reconnects (its id makes that one line). Enter sends,
// Shift+Enter starts a new line (enter-sends.js). Texts come from the page (data-text-*).
import "../teletherapy/enter-sends.js";

const TYPING_EVERY_MS = 3000; // at most one "typing" signal per this long
const TYPING_SHOWN_MS = 5000; // how long the other side's "typing" shows after their last one
const REFUSALS = { "too-fast": "textRefusedTooFast", closed: "textRefusedClosed" };

// ``room`` (room.js): ``send(message)``. Returns what room.js calls: ``onMessage(message)``,
// ``onSocket(state)``, ``onEnd()``.
export function startChat(root, room) {
  const texts = root.dataset;
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const field = document.getElementById("chat-text");
  const typingLine = document.getElementById("chat-typing");
  const errorLine = document.getElementById("chat-error");
  const presenceLine = document.getElementById("chat-presence");
  const clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: texts.timeZone,
  });
  const pending = new Map(); // id → text, said but not yet kept
  let socketOpen = false;
  let socketEverOpen = false; // until then the room is being reached: not "lost"
  let lastTypingSent = 0;
  let typingTimer = null;
  let peerPresence = null;
  let peerEverHere = false;
  let ended = false;

  function lineFor(id) {
    return [...log.children].find((item) => item.dataset.id === id);
  }

  function show({ id, text, at, mine }) {
    const item = lineFor(id) || document.createElement("li");
    item.className = `chat-line ${mine ? "chat-mine" : "chat-theirs"}`;
    item.dataset.id = id;
    const who = document.createElement("span");
    who.className = "fw-semibold me-2";
    who.textContent = mine ? texts.textYou : texts.textOther;
    const when = document.createElement("span");
    when.className = "small text-body-secondary";
    if (at) {
      const time = document.createElement("time");
      time.dateTime = at;
      time.textContent = clock.format(new Date(at));
      when.append(time);
    } else {
      when.textContent = texts.textSending;
      item.classList.add("chat-pending");
    }
    const body = document.createElement("div");
    body.className = "chat-text";
    body.textContent = text;
    item.replaceChildren(who, when, body);
    if (!item.parentNode) log.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    typingLine.textContent = on ? texts.textTyping : "";
    if (on) typingTimer = setTimeout(() => showTyping(false), TYPING_SHOWN_MS);
  }

  function showPresence() {
    if (!presenceLine) return;
    let key = peerEverHere ? "textLeft" : "textWaiting";
    if (!socketOpen) key = socketEverOpen ? "textReconnecting" : "textConnecting";
    else if (peerPresence !== null) key = "textHere";
    presenceLine.textContent = texts[key];
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function say(id, text) {
    pending.set(id, text);
    show({ id, text, mine: true });
    room.send({ type: "chat", id, text });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    if (!text || ended) return;
    showError("");
    say(crypto.randomUUID(), text);
    field.value = "";
    lastTypingSent = 0;
  });

  field.addEventListener("input", () => {
    const now = Date.now();
    if (field.value.trim() && now - lastTypingSent > TYPING_EVERY_MS) {
      if (room.send({ type: "typing" })) lastTypingSent = now;
    }
  });

  function onMessage(message) {
    if (message.type === "chat") {
      pending.delete(message.id);
      show(message);
      if (!message.mine) showTyping(false);
    } else if (message.type === "chat-refused") {
      const text = pending.get(message.id);
      pending.delete(message.id);
      lineFor(message.id)?.remove();
      if (text && !field.value.trim()) field.value = text;
      showError(texts[REFUSALS[message.reason] || "textRefusedInvalid"]);
    } else if (message.type === "typing") {
      showTyping(true);
    } else if (message.type === "peer" && message.state === "joined") {
      peerPresence = message.presence;
      peerEverHere = true;
    } else if (message.type === "peer" && message.state === "left") {
      if (message.presence === peerPresence) peerPresence = null;
      showTyping(false);
    } else if (message.type === "hangup") {
      showTyping(false);
    }
    showPresence();
  }

  function onSocket(state) {
    socketOpen = state === "open";
    socketEverOpen ||= socketOpen;
    if (state === "open") {
      for (const [id, text] of pending) room.send({ type: "chat", id, text });
    } else {
      peerPresence = null;
      showTyping(false);
    }
    if (state === "refused") onEnd();
    showPresence();
  }

  function onEnd() {
    ended = true;
    field.disabled = true;
    form.querySelector("button").disabled = true;
    showTyping(false);
    if (presenceLine) presenceLine.textContent = "";
  }

  showPresence();
  return { onMessage, onSocket, onEnd };
}
