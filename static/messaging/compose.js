// Enter sends the message; Shift+Enter starts a new line (enter-sends.js). Without this
// script, the button sends.
import "../teletherapy/enter-sends.js";
import { openSocket } from "../teletherapy/events.js";
import { setUpPlayedReceipts, setUpRecorder } from "./voice.js";

// Live: this page's own socket hears when the other side writes or reads. The page then fetches
// only what changed through the same permission-checked page (?after=<id>: the messages after
// that one), never the whole list, nor the form being typed. Events carry ids, never content.
// After a lost connection the list is fetched again whole. Without a socket the page works as
// it is, on reload. A sent message comes back alone from the send (added at the end by htmx).
const thread = document.getElementById("thread");

function messageId(item) {
  return Number(item.id.replace("message-", ""));
}

// Fetched messages in their place: one already shown (fetched again, now seen) is replaced,
// a new one goes before any later one (a message just sent may already be at the end).
function merge(items) {
  const list = document.getElementById("message-list");
  if (!list) return;
  for (const item of items) {
    if (!item.id?.startsWith("message-")) continue;
    const shown = document.getElementById(item.id);
    if (shown) {
      shown.replaceWith(item);
    } else {
      const later = [...list.querySelectorAll(".message[id]")].find(
        (node) => messageId(node) > messageId(item),
      );
      list.insertBefore(item, later || null);
    }
    window.htmx?.process(item); // a voice message's "Delete"
  }
  settle(list);
}

// Each message once (the later copy is the fresher), and no "no messages yet" beside one.
function settle(list) {
  const seen = new Map();
  for (const item of [...list.querySelectorAll(".message[id]")]) {
    const first = seen.get(item.id);
    if (first) first.replaceWith(item);
    seen.set(item.id, item);
  }
  if (list.querySelector(".message")) document.getElementById("messages-empty")?.remove();
}

if (thread?.dataset.socketPath) {
  const { refreshUrl, socketPath } = thread.dataset;
  let queue = Promise.resolve();

  // One fetch at a time, in the order the events came.
  const fetchAfter = (after) => {
    queue = queue
      .then(async () => {
        const response = await fetch(`${refreshUrl}?after=${after}`, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        merge([...template.content.children]);
      })
      .catch(() => {}); // offline: the reconnection fetches the list again
  };

  // The whole list again, in the same queue. A message sent while it was on its way (a retry
  // just after the server came back) is already at the end and newer than the list fetched:
  // it stays.
  const refreshAll = () => {
    queue = queue
      .then(async () => {
        const response = await fetch(refreshUrl, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const fresh = template.content.getElementById("message-list");
        const list = document.getElementById("message-list");
        if (!fresh || !list) return;
        const newest = Math.max(0, ...[...fresh.querySelectorAll(".message[id]")].map(messageId));
        const sentSince = [...list.querySelectorAll(".message[id]")].filter(
          (item) => messageId(item) > newest,
        );
        list.replaceWith(fresh);
        window.htmx.process(fresh); // its "Load earlier messages" link
        merge(sentSince);
      })
      .catch(() => {});
  };

  openSocket(socketPath, {
    onMessage(event) {
      if (event.kind === "message.new" && Number.isInteger(event.message)) {
        if (!document.getElementById(`message-${event.message}`)) fetchAfter(event.message - 1);
      } else if (event.kind === "message.played" && Number.isInteger(event.message)) {
        // My voice message was played: it comes back marked "Played".
        fetchAfter(event.message - 1);
      } else if (event.kind === "message.deleted" && Number.isInteger(event.message)) {
        document.getElementById(`message-${event.message}`)?.remove();
      } else if (event.kind === "message.read") {
        // From the first of mine not yet seen: those come back with their "Seen at".
        const unseen = document.querySelector("#message-list .message-mine:not([data-seen])");
        if (unseen) fetchAfter(messageId(unseen) - 1);
      }
    },
    onState(state) {
      document.body.dataset.conversationSocket = state;
    },
    onReopen: refreshAll, // whatever happened while disconnected
  });

  // A sent message comes back from the send, added at the end of the list: once only, even
  // if a live fetch brought it first. The form is then emptied for the next one (its new key
  // came with the answer).
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target?.id !== "message-list") return;
    settle(event.detail.target);
    const form = event.detail.requestConfig?.elt?.closest?.("#message-form");
    if (!form || event.detail.xhr?.status !== 200) return;
    for (const field of form.querySelectorAll("textarea, input[type=file]")) field.value = "";
  });
}

// Voice messages: the recorder's sent message joins the list as a sent message does.
setUpRecorder((html) => {
  const template = document.createElement("template");
  template.innerHTML = html;
  merge([...template.content.children]);
});
setUpPlayedReceipts();
