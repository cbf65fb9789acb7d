// Enter sends the message; Shift+Enter starts a new line. Without this script, the button sends.
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
const PING_EVERY_MS = 25000;
const REFUSED = new Set([4401, 4403, 4404]); // logged out, not allowed, not yours: no retry

function refreshMessages(refreshUrl) {
  window.htmx.ajax("GET", refreshUrl, { target: "#message-list", swap: "outerHTML" });
}

function setState(state) {
  document.body.dataset.conversationSocket = state; // connecting, open, closed, refused
}

function listen({ refreshUrl, socketPath }) {
  let attempt = 0;
  let pingTimer = null;
  const scheme = location.protocol === "https:" ? "wss" : "ws";

  function open() {
    const socket = new WebSocket(`${scheme}://${location.host}${socketPath}`);
    setState("connecting");
    socket.addEventListener("open", () => {
      if (attempt > 0) refreshMessages(refreshUrl); // whatever happened while disconnected
      attempt = 0;
      setState("open");
      pingTimer = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), PING_EVERY_MS);
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event && (event.kind === "message.new" || event.kind === "message.read")) {
        refreshMessages(refreshUrl);
      }
    });
    socket.addEventListener("close", (closed) => {
      clearInterval(pingTimer);
      if (REFUSED.has(closed.code)) {
        setState("refused");
        return;
      }
      setState("closed");
      attempt += 1;
      const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
      setTimeout(open, delay);
    });
  }

  open();
}

const thread = document.getElementById("thread");
if (thread?.dataset.socketPath) listen({ ...thread.dataset });
