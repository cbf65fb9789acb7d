// Behaviour shared by every page. No inline scripts anywhere (Content-Security-Policy).
import { connectEvents } from "./events.js";

const TIME_ZONE_COOKIE = "tz";

function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

function rememberTimeZone(zone) {
  // Lets the server show times in this zone before anyone logs in.
  if (!zone || document.cookie.split("; ").some((c) => c.startsWith(`${TIME_ZONE_COOKIE}=`))) {
    return;
  }
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${TIME_ZONE_COOKIE}=${encodeURIComponent(zone)}; path=/; max-age=31536000; SameSite=Lax${secure}`;
}

function fillDetectedTimeZones(root, zone) {
  // Sign-up forms carry the browser's zone; the profile offers it in one click.
  for (const input of root.querySelectorAll("input[data-detect-time-zone]")) {
    if (!input.value) input.value = zone;
  }
  for (const button of root.querySelectorAll("[data-use-browser-time-zone]")) {
    const select = document.getElementById(button.dataset.useBrowserTimeZone);
    if (!select || !zone || ![...select.options].some((o) => o.value === zone)) continue;
    button.hidden = false;
    button.querySelector("[data-zone-name]").textContent = zone.replaceAll("_", " ");
    button.addEventListener("click", () => {
      select.value = zone;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
}

const zone = browserTimeZone();
rememberTimeZone(zone);
fillDetectedTimeZones(document, zone);
document.body.addEventListener("htmx:afterSwap", (event) => fillDetectedTimeZones(event.target, zone));

// Parts of a page that follow live events: an element with data-refresh-url and
// data-refresh-on="<event kinds>" is fetched again (the whole element) REFRESH_AFTER_MS after
// the first of them, once for all that came meanwhile: the navigation's unread count
// (base.html) hears a new message and, a moment later, that the open thread read it, and asks
// once. The wait never grows: events that keep coming are answered every REFRESH_AFTER_MS.
// A kind may name one field of the event: "conversation.activity:patient=34" is that kind
// about patient 34 only (a row of the dashboard's caseload). "htmx.changed" is this page's
// own: any htmx request that changed something (a POST answered with success), such as an
// offer accepted in place.
const REFRESH_AFTER_MS = 300;
const refreshing = new Map();

function follows(element, kind, detail) {
  return element.dataset.refreshOn.split(" ").some((wanted) => {
    const [wantedKind, about] = wanted.split(":");
    if (wantedKind !== kind) return false;
    if (!about) return true;
    const [field, value] = about.split("=");
    return String(detail?.[field]) === value;
  });
}

function refreshFollowers(kind, detail) {
  for (const element of document.querySelectorAll("[data-refresh-on][data-refresh-url]")) {
    if (!element.id || !follows(element, kind, detail)) continue;
    const id = element.id;
    if (refreshing.has(id)) continue; // its planned fetch will show this one too
    refreshing.set(
      id,
      setTimeout(() => {
        refreshing.delete(id);
        const current = document.getElementById(id);
        if (!current) return;
        window.htmx.ajax("GET", current.dataset.refreshUrl, { target: current, swap: "outerHTML" });
      }, REFRESH_AFTER_MS),
    );
  }
}

// The kinds followed: those of the page, and of what a refresh brings (the caseload's first
// row comes with the first patient).
const followed = new Set();

function follow(root) {
  for (const element of root.querySelectorAll("[data-refresh-on]")) {
    for (const wanted of element.dataset.refreshOn.split(" ")) {
      const kind = wanted.split(":")[0];
      if (followed.has(kind)) continue;
      followed.add(kind);
      document.addEventListener(`app:${kind}`, (event) => refreshFollowers(kind, event.detail));
    }
  }
}

follow(document);
document.body.addEventListener("htmx:afterSwap", () => follow(document));
document.body.addEventListener("htmx:afterRequest", (event) => {
  const verb = event.detail.requestConfig?.verb;
  if (event.detail.successful && verb && verb !== "get") refreshFollowers("htmx.changed");
});

// A session reminder (sent with the reminder email): show the page's notice.
document.addEventListener("app:session.reminder", () => {
  const notice = document.getElementById("session-reminder");
  if (notice) notice.hidden = false;
});

if (document.body.dataset.eventsUrl) {
  connectEvents(document.body.dataset.eventsUrl);
}

// Deadlines (an offer's time to answer) count down while the page stays open. The server
// wrote the first value and the words: data-text-hours / -minutes / -soon, printf-style.
const COUNTDOWN_EVERY_MS = 30000;

function countDown() {
  for (const element of document.querySelectorAll("[data-deadline]")) {
    const minutes = Math.floor((Number(element.dataset.deadline) * 1000 - Date.now()) / 60000);
    const hours = Math.floor(minutes / 60);
    const rest = String(minutes % 60).padStart(2, "0");
    let text = element.dataset.textSoon;
    if (hours > 0) text = element.dataset.textHours.replace("%(hours)d", hours).replace("%(minutes)02d", rest);
    else if (minutes >= 1) text = element.dataset.textMinutes.replace("%(minutes)d", minutes);
    if (element.textContent !== text) element.textContent = text;
  }
}

if (document.querySelector("[data-deadline]")) setInterval(countDown, COUNTDOWN_EVERY_MS);

// --- A send that fails says so, in place ------------------------------------------------------
// A message, a booking, a note, a form of any kind: when the network, the server or the
// database fails, the form says so beside itself (role="alert"), keeps everything typed and
// chosen, and offers to try again. A retry sends the same form again: the message form's
// client id goes with it, so a message sent twice arrives once. The words are the page's own
// (base.html, #send-failure-words, in the reader's language).
//
// htmx forms: htmx swaps nothing on an error (base.html's responseHandling: 2xx and 422 only)
// and only fires events, handled here once for every page. Plain forms holding something a
// person typed or chose: before the browser leaves the page, a HEAD request to /ping/ checks
// that the application answers, so that a server or a network that is down leaves the page
// and what was typed as they were (the browser would otherwise show its own error page). A
// server error after that is templates/500.html. Forms of buttons alone (log out, language)
// lose nothing: they are sent at once.
const FAILURE_WORDS = document.getElementById("send-failure-words")?.dataset ?? {};
const RETRYABLE = new Set(["offline", "server", "timeout", "tooMany"]);
const PROBE_TIMEOUT_MS = 15000;
const lastSubmitter = new WeakMap();
const probing = new WeakSet();
const probed = new WeakSet();

function failureKind(status) {
  if (!status) return "offline";
  if (status === 413) return "tooLarge";
  if (status === 429) return "tooMany";
  if (status >= 500) return "server";
  return "stale"; // 403 (an expired page's token), 404, 409...: reloading is the way on
}

function holderOf(element) {
  return element?.closest?.("form") ?? element;
}

// A form holds its box at its end; a button or a link outside a form has it just after it.
function existingBox(holder) {
  const candidates =
    holder instanceof HTMLFormElement ? [...holder.children] : [holder.nextElementSibling];
  return candidates.find((element) => element?.classList.contains("send-failure"));
}

function failureBox(holder) {
  let box = existingBox(holder);
  if (box) return box;
  box = document.createElement("div");
  box.className = "send-failure alert alert-warning mt-3 mb-0";
  box.setAttribute("role", "alert");
  box.hidden = true;
  const text = document.createElement("p");
  text.className = "send-failure-text mb-2";
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "btn btn-sm btn-primary send-failure-retry";
  retry.textContent = FAILURE_WORDS.retry ?? "Try again";
  retry.addEventListener("click", () => sendAgain(holder));
  box.append(text, retry);
  if (holder instanceof HTMLFormElement) holder.append(box);
  else holder.after(box);
  return box;
}

function showFailure(holder, kind) {
  if (!holder) return;
  const box = failureBox(holder);
  const text = box.querySelector(".send-failure-text");
  let words = FAILURE_WORDS[kind] ?? FAILURE_WORDS.server ?? "";
  if (RETRYABLE.has(kind) && holder.querySelector?.("input[name='client_id']")) {
    words += ` ${FAILURE_WORDS.once ?? ""}`;
  }
  box.querySelector(".send-failure-retry").hidden = !RETRYABLE.has(kind);
  box.hidden = false;
  // Emptied first, so that the same words after a second failure are announced again.
  text.textContent = "";
  requestAnimationFrame(() => {
    text.textContent = words.trim();
  });
  box.scrollIntoView({ block: "nearest" });
}

function hideFailure(holder) {
  const box = holder && existingBox(holder);
  if (box) box.hidden = true;
}

function sendAgain(holder) {
  hideFailure(holder);
  if (!(holder instanceof HTMLFormElement)) {
    holder.click?.();
    return;
  }
  const submitter = lastSubmitter.get(holder);
  holder.requestSubmit(submitter?.isConnected && submitter.form === holder ? submitter : undefined);
}

document.addEventListener(
  "submit",
  (event) => lastSubmitter.set(event.target, event.submitter ?? null),
  true,
);

// Requests a person made (a form, a button, a link such as "load earlier messages"), not the
// page's own refreshes in the background, which the next live event repeats anyway.
function madeByPerson(detail) {
  const verb = detail.requestConfig?.verb;
  return (verb && verb !== "get") || Boolean(detail.requestConfig?.triggeringEvent);
}

function onHtmxFailure(kind) {
  return (event) => {
    const { detail } = event;
    if (!madeByPerson(detail)) return;
    const holder = holderOf(detail.requestConfig?.elt ?? detail.elt);
    showFailure(holder, kind ?? failureKind(detail.xhr?.status));
  };
}

document.body.addEventListener("htmx:responseError", onHtmxFailure());
document.body.addEventListener("htmx:sendError", onHtmxFailure("offline"));
document.body.addEventListener("htmx:timeout", onHtmxFailure("timeout"));
document.body.addEventListener("htmx:beforeRequest", (event) => {
  const { detail } = event;
  if (madeByPerson(detail)) hideFailure(holderOf(detail.requestConfig?.elt ?? detail.elt));
});

const HTMX_VERBS = ["hx-post", "hx-get", "hx-put", "hx-patch", "hx-delete"];

const TYPED =
  "textarea, select, input:not([type=hidden], [type=submit], [type=button], [type=reset], [type=image])";

function holdsTyping(form) {
  return [...form.elements].some((field) => field.matches(TYPED));
}

function sentByHtmx(form) {
  return HTMX_VERBS.some((name) => form.hasAttribute(name) || form.hasAttribute(`data-${name}`));
}

async function serverAnswers() {
  const url = FAILURE_WORDS.pingUrl ?? "/ping/";
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "HEAD",
      cache: "no-store",
      credentials: "same-origin",
      redirect: "manual",
      signal: controller.signal,
    });
    // Any answer of the application (204, a redirect to set up two-factor authentication...)
    // says it is up; 5xx is the server, or the proxy in front saying it is down.
    return response.type === "opaqueredirect" || response.status < 500 ? null : "server";
  } catch {
    return controller.signal.aborted ? "timeout" : "offline";
  } finally {
    clearTimeout(timer);
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
  if (form.method !== "post" || form.target || sentByHtmx(form) || !holdsTyping(form)) return;
  if (probed.has(form)) {
    probed.delete(form); // checked a moment ago: the browser sends it now
    return;
  }
  event.preventDefault();
  if (probing.has(form)) return; // a second click while checking
  probing.add(form);
  const submitter = event.submitter;
  const problem = await serverAnswers();
  probing.delete(form);
  if (problem) {
    showFailure(form, problem);
    return;
  }
  hideFailure(form);
  probed.add(form);
  form.requestSubmit(submitter?.isConnected && submitter.form === form ? submitter : undefined);
});
