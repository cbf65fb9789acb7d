// Live sockets: one reconnecting WebSocket helper, and the user's own events on top of it.

const PING_EVERY_MS = 25000;
const SOON_MS = 1000;
const BACK_OFF_MS = 60000; // after "too many messages"
const SETTLED_MS = 5000; // a socket open this long was working: what it retried is forgotten

// The close codes of core/realtime.py, by name, as the page carries them (base.html).
export const CLOSE = Object.freeze(
  JSON.parse(document.getElementById("close-codes")?.textContent || "{}"),
);
// Not allowed, not yours: retrying would not help.
const REFUSED = new Set([CLOSE.forbidden, CLOSE.notFound]);
// The server could not read what this page sent: a bug of the page, tried again once.
const BAD_FRAME = new Set([CLOSE.invalidFrame, CLOSE.messageTooBig, CLOSE.unsupportedData]);

// A page being left (a link followed, a form sent) does not reload itself when its sockets
// close. Still here a few seconds later (a download), it was not left.
let leaving = false;
addEventListener("beforeunload", () => {
  leaving = true;
  setTimeout(() => {
    leaving = false;
  }, SETTLED_MS);
});

// Logged out (elsewhere, or idle): the page reloads, so that a page behind the login shows
// the login page (which brings the user back here), and any other shows them logged out.
function reloadUnlessLeaving() {
  if (!leaving) location.reload();
}

// Open a JSON socket on ``path`` that pings to stay alive and reconnects with a growing,
// jittered delay. What a close code asks (``CLOSE``):
// - in ``refused`` (by default: not allowed, not yours): stop;
// - in ``soon``: try again every second, without growing the delay (what it waits for ends
//   by itself);
// - unauthenticated: try once more a second later (a password change gave this browser's
//   session a new key), and if refused again, ``onLoggedOut()`` (by default, reload the page);
// - a frame the server could not read: try once more, then stop;
// - too many messages: back off for a minute;
// - anything else (the network, a deploy, a server error): reconnect with the growing delay.
// ``onMessage(data)`` receives each parsed message; ``onState(state, code)`` connecting, open,
// closed or refused (with the close code); ``onReopen()`` runs when it is open again after a
// loss (to fetch what was missed). Returns ``send(data)`` (false when not open) and
// ``close(code)`` (for good: no reconnection).
export function openSocket(
  path,
  {
    onMessage,
    onState = () => {},
    onReopen = () => {},
    onLoggedOut = reloadUnlessLeaving,
    refused = REFUSED,
    soon = new Set(),
  },
) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let attempt = 0;
  let pingTimer = null;
  let socket = null;
  let ended = false;
  let openedAt = 0;
  let retried = null; // the close code tried once more, until a socket settles
  let lost = false; // a socket was open and closed: what it missed is fetched on reopening

  function send(data) {
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(data));
    return true;
  }

  function stop(code) {
    ended = true;
    onState("refused", code);
  }

  function onClose(code) {
    lost = true;
    if (Date.now() - openedAt > SETTLED_MS) retried = null;
    if (refused.has(code)) return stop(code);
    onState("closed", code);
    if (soon.has(code)) return setTimeout(open, SOON_MS);
    if (code === CLOSE.unauthenticated || BAD_FRAME.has(code)) {
      if (retried === code) {
        stop(code);
        return code === CLOSE.unauthenticated ? onLoggedOut() : undefined;
      }
      retried = code;
      return setTimeout(open, SOON_MS);
    }
    attempt += 1;
    const growing = Math.min(30000, 1000 * 2 ** attempt);
    const wait = code === CLOSE.tooManyMessages ? BACK_OFF_MS : growing;
    setTimeout(open, wait * (0.5 + Math.random() / 2));
  }

  function open() {
    if (ended) return;
    const opened = new WebSocket(`${scheme}://${location.host}${path}`);
    socket = opened;
    onState("connecting");
    opened.addEventListener("open", () => {
      if (lost) onReopen();
      lost = false;
      attempt = 0;
      openedAt = Date.now();
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
      if (!ended) onClose(closed.code);
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
