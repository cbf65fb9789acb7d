// A worksheet saved as the patient types (matching.views.worksheets.worksheet_save).
//
// Each change waits 800 ms of quiet, then goes to the server with every answer not yet saved.
// Until the server says it kept them, they are also kept in this tab (sessionStorage, keyed by
// the assignment), so that a reload or a lost connection loses nothing: the page puts them back
// and sends them again. Not localStorage: on a shared computer, a patient's words must not
// outlive the tab they were typed in. A network or server failure retries, sooner when
// the browser says it is online again. The status line beside the Save button (aria-live)
// says where things stand. "Mark as done" waits for the last answers to be saved.

const form = document.getElementById("worksheet-form");
const doneForm = document.getElementById("worksheet-done-form");
const status = document.getElementById("save-status");

if (form && status) {
  const words = form.dataset;
  const storageKey = `worksheet:${words.assignment}`;
  const csrf = form.querySelector("input[name='csrfmiddlewaretoken']")?.value ?? "";
  const QUIET_MS = 800;
  const RETRY_MAX_MS = 30000;
  let pending = load();
  let quietTimer = null;
  let retryTimer = null;
  let retryDelay = 0;
  let inFlight = null;

  function load() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(storageKey) ?? "{}");
      return stored && typeof stored === "object" ? stored : {};
    } catch {
      return {};
    }
  }

  function store() {
    try {
      if (Object.keys(pending).length) sessionStorage.setItem(storageKey, JSON.stringify(pending));
      else sessionStorage.removeItem(storageKey);
    } catch {
      // Storage full or refused: the answers still go to the server from the page.
    }
  }

  function say(state) {
    status.dataset.state = state;
    status.textContent = words[state] ?? "";
  }

  function showError(name, message) {
    const field = form.elements.namedItem(name);
    const box = document.getElementById(`id_${name}_error`);
    if (box) box.textContent = message ?? "";
    if (field instanceof HTMLElement) {
      field.classList.toggle("is-invalid", Boolean(message));
      if (message) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    }
  }

  function later(delay) {
    clearTimeout(quietTimer);
    quietTimer = setTimeout(send, delay);
  }

  function retry() {
    say("retrying");
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, RETRY_MAX_MS);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(send, retryDelay);
  }

  async function post(batch) {
    try {
      return await fetch(words.saveUrl, {
        method: "POST",
        body: new URLSearchParams(batch),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      return null; // offline, or the server is unreachable
    }
  }

  async function sendOnce() {
    const batch = { ...pending };
    if (!Object.keys(batch).length) return;
    say("saving");
    const response = await post(batch);
    if (!response || response.status >= 500 || response.status === 429) {
      retry();
      return;
    }
    if (response.status !== 200 && response.status !== 422) {
      say("stale"); // logged out, or an expired page: kept here until the page is reloaded
      return;
    }
    const answer = await response.json().catch(() => ({}));
    const errors = answer.errors ?? {};
    retryDelay = 0;
    for (const [name, value] of Object.entries(batch)) {
      if (response.status === 200) {
        showError(name, null);
        if (pending[name] === value) delete pending[name]; // changed since: sent again
      } else if (name in errors) {
        showError(name, errors[name]);
        if (pending[name] === value) delete pending[name]; // refused: saying why is enough
      }
    }
    store();
    if (response.status === 422) {
      say("refused");
      if ("__all__" in errors) {
        status.textContent = errors.__all__;
        return;
      }
    } else if (!Object.keys(pending).length) {
      say("saved");
    }
    if (Object.keys(pending).length) later(response.status === 422 ? 0 : QUIET_MS);
  }

  // One request at a time: a change made meanwhile waits for the next one.
  function send() {
    clearTimeout(quietTimer);
    clearTimeout(retryTimer);
    if (inFlight) return inFlight.then(() => send());
    inFlight = sendOnce().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  form.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.name?.startsWith("a-")) return;
    pending[field.name] = field.value;
    store();
    later(QUIET_MS);
  });

  window.addEventListener("online", () => {
    if (Object.keys(pending).length) send();
  });

  // What this tab kept and the server never confirmed is newer than the page: put it back. What
  // was typed before this module ran (a slow phone shows the fields first) is newer still.
  for (const [name, value] of Object.entries(pending)) {
    const field = form.elements.namedItem(name);
    if (!field || !("value" in field)) delete pending[name];
    else if (field.value === field.defaultValue) field.value = value;
  }
  for (const field of form.elements) {
    if (field.name?.startsWith("a-") && "defaultValue" in field && field.value !== field.defaultValue) {
      pending[field.name] = field.value;
    }
  }
  store();
  if (Object.keys(pending).length) send();

  if (doneForm) {
    doneForm.addEventListener("submit", async (event) => {
      if (!Object.keys(pending).length && !inFlight) return;
      event.preventDefault();
      const submitter = event.submitter;
      await send();
      if (inFlight) await inFlight;
      if (Object.keys(pending).length) return; // not saved yet: the status line says so
      doneForm.requestSubmit(submitter ?? undefined);
    });
  }
}
