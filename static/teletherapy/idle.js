// Idle log-out, the page's side. The server decides (accounts.middleware.IdleLogoutMiddleware
// logs an idle session out and closes its sockets); this module only warns a little before,
// offers to stay, and keeps a person who is typing or clicking here logged in.
//
// - A person's own activity on the page (keys, clicks, touches, the wheel) tells the server at
//   most every minute, so that someone writing a long message is not logged out.
// - Shortly before the end (data-warning seconds), the page asks the server how long is left
//   (another tab may have been used meanwhile): if the end is near, a dialog says so, with
//   "Stay logged in" focused and a countdown; Escape stays too.
// - At the end the page asks once more: the server then logs the session out, which closes the
//   page's socket (logged out), and events.js reloads the page, showing the login page. Without a
//   live socket, this module reloads it.

const dialog = document.getElementById("idle-warning");
const ACTIVITY = ["keydown", "pointerdown", "touchstart", "wheel", "input"];
const FALLBACK_RELOAD_MS = 5000;

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function clock(seconds) {
  const whole = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

if (dialog && typeof dialog.showModal === "function") {
  const { statusUrl, stayUrl } = dialog.dataset;
  const timeout = Number(dialog.dataset.timeout) || 1800;
  const warning = Math.min(Number(dialog.dataset.warning) || 60, timeout / 2);
  const keepAliveEvery = Math.min(60, timeout / 4) * 1000;
  const text = document.getElementById("idle-warning-text");
  const words = text.textContent.trim();
  const countdown = dialog.querySelector("[data-idle-countdown]");
  let deadline = Date.now() + timeout * 1000; // this page's load was activity
  let lastTold = Date.now();
  let timer = null;
  let ticking = null;
  let returnFocus = null;
  let ended = false;

  const schedule = (at) => {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, at - Date.now()));
  };

  const tick = () => {
    countdown.textContent = `${countdown.dataset.text} ${clock((deadline - Date.now()) / 1000)}`;
  };

  const show = () => {
    if (dialog.open) return;
    returnFocus = document.activeElement;
    text.textContent = "";
    dialog.showModal();
    // Filled once open, so that screen readers announce it (aria-live).
    requestAnimationFrame(() => {
      text.textContent = words;
    });
    tick();
    ticking = setInterval(tick, 1000);
  };

  const hide = () => {
    clearInterval(ticking);
    if (!dialog.open) return;
    dialog.close();
    if (returnFocus?.isConnected) returnFocus.focus();
  };

  const signedOut = () => {
    ended = true;
    clearTimeout(timer);
    hide();
    // The socket's close (logged out) reloads the page (events.js); without one, reload here.
    const wait = document.body.dataset.eventsState === "open" ? FALLBACK_RELOAD_MS : 0;
    setTimeout(() => location.reload(), wait);
  };

  const follow = (state) => {
    if (!state.signed_in) return signedOut();
    deadline = Date.now() + state.remaining * 1000;
    if (state.remaining > warning + 1) {
      hide();
      return schedule(deadline - warning * 1000);
    }
    show();
    return schedule(deadline + 500); // then the server says it is over
  };

  async function check() {
    if (ended) return;
    try {
      const response = await fetch(statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      follow(await response.json());
    } catch {
      schedule(Date.now() + 10000); // offline: ask again soon; the server decides anyway
    }
  }

  async function stay() {
    if (ended) return;
    lastTold = Date.now();
    try {
      const response = await fetch(stayUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
        cache: "no-store",
      });
      follow(await response.json());
    } catch {
      // Offline: the dialog stays; the next check says where things are.
    }
  }

  dialog.querySelector("[data-idle-stay]").addEventListener("click", stay);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: the person is here
    stay();
  });
  for (const kind of ACTIVITY) {
    addEventListener(
      kind,
      (event) => {
        if (dialog.open && dialog.contains(event.target)) return; // its buttons speak for themselves
        if (dialog.open || Date.now() - lastTold >= keepAliveEvery) stay();
      },
      { capture: true, passive: true },
    );
  }
  // A tab coming back to the front may have slept past its timers: ask where things are.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !ended) check();
  });
  schedule(deadline - warning * 1000);
}
