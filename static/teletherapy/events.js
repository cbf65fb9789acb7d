// Live sockets: one reconnecting WebSocket helper, and the user's own events on top of it.

const PING_EVERY_MS = 25000;
const SOON_MS = 1000;
// Not logged in, not allowed, not yours: retrying would not help.
const REFUSED = new Set([4401, 4403, 4404]);

// Open a JSON socket on ``path`` that pings to stay alive and reconnects with a growing,
// jittered delay, unless closed with one of ``refused``. ``onMessage(data)`` receives each
// parsed message; ``onState(state, code)`` connecting, open, closed or refused (with the close
// code); ``onReopen()`` runs when it is open again after a loss (to fetch what was missed).
// A close code in ``soon`` is tried again every second, without growing the delay (what it
// waits for ends by itself). Returns ``send(data)`` (false when not open) and ``close(code)``
// (for good: no reconnection).
export function openSocket(
  path,
  { onMessage, onState = () => {}, onReopen = () => {}, refused = REFUSED, soon = new Set() },
) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let attempt = 0;
  let pingTimer = null;
  let socket = null;
  let ended = false;

  function send(data) {
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(data));
    return true;
  }

  function open() {
    if (ended) return;
    const opened = new WebSocket(`${scheme}://${location.host}${path}`);
    socket = opened;
    onState("connecting");
    opened.addEventListener("open", () => {
      if (attempt > 0) onReopen();
      attempt = 0;
      onState("open");
      pingTimer = setInterval(() => send({ type: "ping" }), PING_EVERY_MS);
    });
    opened.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data && typeof data === "object") onMessage(data);
    });
    opened.addEventListener("close", (closed) => {
      clearInterval(pingTimer);
      if (ended) return;
      if (refused.has(closed.code)) {
        onState("refused", closed.code);
        return;
      }
      onState("closed", closed.code);
      if (soon.has(closed.code)) {
        setTimeout(open, SOON_MS);
        return;
      }
      attempt += 1;
      const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
      setTimeout(open, delay);
    });
  }

  open();
  return {
    send,
    close(code = 1000) {
      ended = true;
      socket?.close(code);
    },
  };
}

// The user's live events. Each event is re-dispatched on document as "app:<kind>" so page
// modules can react; the connection state is kept on <body data-events-state>.
export function connectEvents(path) {
  openSocket(path, {
    onMessage(event) {
      if (typeof event.kind === "string") {
        document.dispatchEvent(new CustomEvent(`app:${event.kind}`, { detail: event }));
      }
    },
    onState(state) {
      document.body.dataset.eventsState = state;
    },
  });
}
