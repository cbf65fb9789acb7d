// Enter sends the message; Shift+Enter starts a new line. Without this script, the button sends.
import { openSocket } from "../teletherapy/events.js";

document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement) || !field.matches("[data-enter-sends]")) return;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  if (field.value.trim()) field.form.requestSubmit();
});

// Live: this page's own socket hears when the other side writes or reads; the list of messages
// (never the form being typed) is then fetched again through the same permission-checked page.
// Events carry ids, never content. Without a socket the page works as it is, on reload.
const thread = document.getElementById("thread");
if (thread?.dataset.socketPath) {
  const { refreshUrl, socketPath } = thread.dataset;
  const refresh = () =>
    window.htmx.ajax("GET", refreshUrl, { target: "#message-list", swap: "outerHTML" });
  openSocket(socketPath, {
    onMessage(event) {
      if (event.kind === "message.new" || event.kind === "message.read") refresh();
    },
    onState(state) {
      document.body.dataset.conversationSocket = state;
    },
    onReopen: refresh, // whatever happened while disconnected
  });
}
