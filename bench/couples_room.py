"""Couples sessions: a three-party room's time to connected beside a two-party room's, in the
same run, as a ratio.

In headless Chromium with a fake camera and microphone, each person of a room opens it in a
browser context of their own (the patient, then the therapist; in a couples room the partner
last), their guests already let in from the waiting room. A page is "joined" once its room
socket has told it of every other person (one in a room of two, two in a couples room) and
"connected" once its call is connected with all of them: a room of two's peer connection
(``data-call-state``, call.js), or both peer connections of the mesh (``data-peers-connected``
= 2, mesh.js). A room's time is from the last page joined to the last page connected; the
median of ROOMS rooms of each kind. A couples room negotiates three peer connections (each
page two) where a room of two negotiates one: the ratio says what the mesh costs.
"""

import os
import statistics
from contextlib import suppress
from dataclasses import dataclass, field

from bench.errors import BenchError
from bench.project_client import project_data
from bench.report import format_table, ratio
from bench.servers import Options, ProjectServer, logged_errors, project_server
from tests.chromium import CHROMIUM, CHROMIUM_FLAGS

TITLE = "Couples sessions (a three-party room's time to connected beside a two-party room's)"

ROOMS, QUICK_ROOMS = 8, 2
CALL_TIMEOUT_MS = 30_000

# In every page before its own scripts: when the room socket has told it of ``others`` people,
# and when its call is connected with all of them (epoch milliseconds, comparable across
# pages).
TIMING_SCRIPT = """
((others) => {
  window.__timing = {};
  const now = () => performance.timeOrigin + performance.now();
  const seen = new Set();
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", ({ data }) => {
        try {
          const message = JSON.parse(data);
          if (message.type === "peer" && message.state === "joined") {
            seen.add(message.presence);
            if (seen.size >= others) window.__timing.joined ??= now();
          }
        } catch {}
      });
    }
  };
  const connected = () => others === 1
    ? document.body?.dataset.callState === "connected"
    : document.body?.dataset.peersConnected === String(others);
  new MutationObserver(() => {
    if (connected()) window.__timing.connected ??= now();
  }).observe(document, {
    attributes: true,
    subtree: true,
    attributeFilter: ["data-call-state", "data-peers-connected"],
  });
})(%d)
"""


@dataclass
class Rooms:
    two_ms: list[float] = field(default_factory=list)
    three_ms: list[float] = field(default_factory=list)
    failure: str = ""


def _room(browser, project: ProjectServer, cookie: str, room: dict) -> float:
    """One room's time from its last page joined to its last page connected (milliseconds)."""
    from playwright.sync_api import Error  # installed: checked by the caller

    sessions = [room["patient_session"], room["therapist_session"]]
    if room.get("couples"):
        sessions.append(room["partner_session"])
    others = len(sessions) - 1
    pages = []
    problems: list[str] = []
    try:
        for session in sessions:
            context = browser.new_context()
            context.add_cookies([{"name": cookie, "value": session, "url": project.origin}])
            context.add_init_script(TIMING_SCRIPT % others)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{project.origin}/room/{room['token']}/")
            page.get_by_role("button", name="Join the session").click()
            pages.append(page)
        for page in pages:
            try:
                page.wait_for_function(
                    "() => window.__timing.connected", timeout=CALL_TIMEOUT_MS, polling=100
                )
            except Error as error:
                raise BenchError(
                    f"no call connected in a room of {len(pages)} (the pages said {problems[:3]})"
                ) from error
        timings = [page.evaluate("() => window.__timing") for page in pages]
    finally:
        for page in pages:
            with suppress(Exception):
                page.context.close()
    if not all("joined" in timing for timing in timings):
        raise BenchError("a page never heard that the others joined")
    joined = max(timing["joined"] for timing in timings)
    return max(timing["connected"] for timing in timings) - joined


def _measure(project: ProjectServer, made: list[dict]) -> Rooms:
    rooms = Rooms()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        rooms.failure = "not measured: Playwright is not installed (make test installs it)"
        return rooms
    if not os.access(CHROMIUM, os.X_OK):
        rooms.failure = f"not measured: no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        return rooms
    cookie = project.session_cookie.split("=", 1)[0]
    two = [room for room in made if not room.get("couples")]
    three = [room for room in made if room.get("couples")]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                # In turns, so that both kinds see the same machine (load, warm caches).
                for pair, couples in zip(two, three, strict=True):
                    rooms.two_ms.append(_room(browser, project, cookie, pair))
                    rooms.three_ms.append(_room(browser, project, cookie, couples))
            finally:
                browser.close()
    except (Error, BenchError) as error:
        rooms.failure = f"not measured: {str(error).splitlines()[0]}"
    return rooms


def _report(project: ProjectServer, rooms: Rooms, *, machine: str, errors: str, quick: bool) -> str:
    lines = [
        f"{TITLE}    database: {project.database}    channel layer: {project.channel_layer}",
        "headless Chromium, fake camera and microphone, guests already let in; from the last "
        "page told of every other person to the last page connected with all of them",
        machine,
    ]
    if quick:
        lines.append("--quick: too few rooms to compare, a smoke check only")
    if rooms.failure:
        return "\n".join([*lines, rooms.failure, errors])
    rows = []
    for name, times, connections in (
        ("two-party (1 peer connection)", rooms.two_ms, 1),
        ("three-party (3 peer connections)", rooms.three_ms, 3),
    ):
        rows.append(
            [
                name,
                str(len(times)),
                str(connections),
                f"{statistics.median(times):.0f}",
                f"{min(times):.0f}",
                f"{max(times):.0f}",
            ]
        )
    two, three = statistics.median(rooms.two_ms), statistics.median(rooms.three_ms)
    table = format_table(
        ["room", "rooms", "peer connections", "median ms", "min ms", "max ms"],
        rows,
        right={1, 2, 3, 4, 5},
    )
    return "\n".join(
        [*lines, "", table, f"three-party / two-party (median): {ratio(three, two)}", errors]
    )


def run(options: Options) -> str:
    count = QUICK_ROOMS if options.quick else ROOMS
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(Chromium runs every page of a room, and the server, on this machine)"
    )
    with project_server(options) as project:
        what = f"Creating {count} rooms of two and {count} couples rooms, open"
        with project_data(project, options, "couples-rooms", count, what=what) as (_tag, made):
            rooms = _measure(project, made)
        errors = logged_errors(project)
    return _report(project, rooms, machine=machine, errors=errors, quick=options.quick)
