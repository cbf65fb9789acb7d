// The session room: one socket (the server allows one per participant) shared by the call
// (call.js, video or phone; mesh.js for a couples session's three) and the live chat
// (chat.js). Texts come from the page (data-text-*).
import { CLOSE, openSocket } from "../teletherapy/events.js";
import { startCall } from "./call.js";
import { startChat } from "./chat.js";
import { startMesh } from "./mesh.js";

const STAYS_OPEN_MS = 1000; // a socket refused is closed at once; one this old was accepted
// Not a party, or the room closed: retrying would not help. "Already in the room" is retried
// every second: after a reload, the previous page's socket may not have left yet; in a second
// tab, the first one may close. A log-out reloads the page (to the login page, then back
// here), flooding backs off a minute, a frame the server could not read is tried again once
// (events.js).
const REFUSED = new Set([CLOSE.forbidden, CLOSE.notFound, CLOSE.roomNotOpen]);
const PROBLEMS = new Map([
  [CLOSE.forbidden, "textNotYours"],
  [CLOSE.notFound, "textNotYours"],
  [CLOSE.roomFull, "textAlreadyHere"],
  [CLOSE.roomNotOpen, "textClosed"],
  [CLOSE.tooManyMessages, "textTooMany"],
  [CLOSE.invalidFrame, "textBroken"],
  [CLOSE.messageTooBig, "textBroken"],
  [CLOSE.unsupportedData, "textBroken"],
]);

function room(root) {
  const texts = root.dataset;
  const problemLine = document.getElementById("room-problem");
  const parts = [];
  let socket = null;
  let left = false;
  let clearing = null;

  function problem(text) {
    clearTimeout(clearing);
    if (problemLine.textContent !== text) problemLine.textContent = text; // announced once
    problemLine.hidden = !text;
  }

  const handle = {
    send: (message) => socket?.send(message) ?? false,
    connect() {
      if (socket || left) return;
      socket = openSocket(texts.socketPath, {
        refused: REFUSED,
        soon: new Set([CLOSE.roomFull]),
        onMessage: (message) => parts.forEach((part) => part.onMessage(message)),
        onState(state, code) {
          if (state === "open") clearing = setTimeout(() => problem(""), STAYS_OPEN_MS);
          else if (PROBLEMS.has(code)) problem(texts[PROBLEMS.get(code)]);
          parts.forEach((part) => part.onSocket(state));
        },
      });
    },
    leave() {
      left = true;
      socket?.close(1000);
      parts.forEach((part) => part.onEnd());
    },
    problem,
  };

  const call = document.getElementById("call");
  // A couples session's call holds three: a mesh of peer connections (mesh.js).
  if (call) parts.push((call.dataset.mesh === "yes" ? startMesh : startCall)(call, handle));
  const chat = document.getElementById("chat");
  if (chat) parts.push(startChat(chat, handle));
  if (!call) handle.connect();
}

const root = document.getElementById("room");
if (root) room(root);
