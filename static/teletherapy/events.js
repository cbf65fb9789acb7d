// The user's live events over one WebSocket. Each event is re-dispatched on document as
// "app:<kind>" so page modules can react; the connection state is kept on
// <body data-events-state> (connecting, open, closed, refused).

const PING_EVERY_MS = 25000;
const REFUSED = new Set([4401, 4403]); // not logged in, or not allowed: do not retry

export function connectEvents(path) {
  let attempt = 0;
  let pingTimer = null;

  function setState(state) {
    document.body.dataset.eventsState = state;
  }

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${path}`);
    setState("connecting");

    socket.addEventListener("open", () => {
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
      if (event && typeof event.kind === "string") {
        document.dispatchEvent(new CustomEvent(`app:${event.kind}`, { detail: event }));
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
