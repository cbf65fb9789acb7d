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

// The navigation's unread count follows new messages and reads on any page.
document.addEventListener("app:messages.unread", () => {
  const badge = document.getElementById("unread-badge");
  if (badge) window.htmx.ajax("GET", badge.dataset.refreshUrl, { target: badge, swap: "outerHTML" });
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
