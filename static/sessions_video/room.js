// The session room: one socket (the server allows one per participant) shared by the call
// (call.js, video or phone) and the live chat (chat.js). Texts come from the page (data-text-*).
import { openSocket } from "../teletherapy/events.js";
import { startCall } from "./call.js";
import { startChat } from "./chat.js";

const STAYS_OPEN_MS = 1000; // a socket refused is closed at once; one this old was accepted
// Not a party, room closed, flooding: retrying would not help. 4409 (this user is already in
// the room) is retried every second: after a reload, the previous page's socket may not have
// left yet; in a second tab, the first one may close.
const REFUSED = new Set([4401, 4403, 4404, 4410, 4429]);
const PROBLEMS = {
  4401: "textNotYours",
  4403: "textNotYours",
  4404: "textNotYours",
  4409: "textAlreadyHere",
  4410: "textClosed",
  4429: "textTooMany",
};

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
        soon: new Set([4409]),
        onMessage: (message) => parts.forEach((part) => part.onMessage(message)),
        onState(state, code) {
          if (state === "open") clearing = setTimeout(() => problem(""), STAYS_OPEN_MS);
          else if (PROBLEMS[code]) problem(texts[PROBLEMS[code]]);
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
  if (call) parts.push(startCall(call, handle));
  const chat = document.getElementById("chat");
  if (chat) parts.push(startChat(chat, handle));
  if (!call) handle.connect();
}

const root = document.getElementById("room");
if (root) room(root);
