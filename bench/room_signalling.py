"""Session rooms: signalling relayed between the two parties, and a call's time to "connected".

Relay: R rooms at once, each with its patient and therapist on ``/ws/room/<token>/`` (the
project's consumer, through its channel layer: Redis with --redis-url). In each room the two
take turns sending an ICE candidate, one in flight, at most one every PACE_SECONDS (the consumer
lets each socket send 50 a second); latency is from just before the send to its arrival at the
other side. The baseline is the raw echo server's round trip with one client per room, measured
in the same run. Each room's patient is let in from the waiting room by its therapist first (a
call's signalling is not relayed before). Also printed: messages relayed per second and the
server's CPU per relayed message in the timed phase (every process serving the project), and
with --profile the top costs of the ws processes over its first PROFILE_SECONDS.

Connected: in headless Chromium with a fake camera and microphone, the patient opens the room,
then the therapist, who lets the patient in from the waiting room; the time from both having
heard that the patient was let in (the later of the two) to both peer connections being
"connected" (the later of the two), median of CALLS calls, each in a room of its own. The
baseline is the same two peer connections made in one page with the offer, answer and
candidates handed over directly, no server: what WebRTC itself takes here.
"""

import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect

from bench import processes
from bench.errors import BenchError
from bench.project_client import gather_all, project_data
from bench.report import format_table, percentile, ratio
from bench.servers import (
    Options,
    ProjectServer,
    echo_server,
    logged_errors,
    project_server,
    redis_commands,
    redis_cpu_seconds,
)
from bench.ws_roundtrip import (
    CONNECT_AT_ONCE,
    OPEN_TIMEOUT_SECONDS,
    PHASE_TIMEOUT_SECONDS,
    Result,
    Target,
    measure,
)
from tests.chromium import CHROMIUM, CHROMIUM_FLAGS

TITLE = "Session rooms (signalling relay; a call's time to connected)"

ROOMS, MESSAGES = 200, 20  # messages per room, taking turns
QUICK_ROOMS, QUICK_MESSAGES = 2, 4
WARM_UP_MESSAGES = 2
PACE_SECONDS = 0.04
PROFILE_SECONDS = 10  # with --profile: sampled from the start of the timed phase
CALLS, QUICK_CALLS = 10, 2
CALL_TIMEOUT_MS = 30_000
OPEN_ORDER_SEED = 16  # the therapists' sockets open in a shuffled order, the same each run

# In every page before its own scripts: when the room socket first says the other side joined,
# and that the patient was let in, and when the call first reports "connected" (epoch
# milliseconds, comparable across pages).
TIMING_SCRIPT = """
window.__timing = {};
const now = () => performance.timeOrigin + performance.now();
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", ({ data }) => {
      try {
        const message = JSON.parse(data);
        if (message.type === "peer" && message.state === "joined") window.__timing.joined ??= now();
        if (message.type === "admitted") window.__timing.admitted ??= now();
      } catch {}
    });
  }
};
new MutationObserver(() => {
  if (document.body?.dataset.callState === "connected") window.__timing.connected ??= now();
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-call-state"] });
"""

# Two peer connections in one page, negotiated directly: the baseline call.
LOOPBACK_SCRIPT = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const started = performance.now();
  const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
  a.onicecandidate = ({ candidate }) => candidate && b.addIceCandidate(candidate);
  b.onicecandidate = ({ candidate }) => candidate && a.addIceCandidate(candidate);
  const connected = (pc) => new Promise((done) => {
    pc.onconnectionstatechange = () => pc.connectionState === "connected" && done();
  });
  const both = Promise.all([connected(a), connected(b)]);
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  await both;
  const elapsed = performance.now() - started;
  for (const pc of [a, b]) pc.close();
  for (const track of stream.getTracks()) track.stop();
  return elapsed;
}"""


@dataclass
class Relay:
    rooms: int
    latencies_ns: list[int] = field(default_factory=list)
    wall_ns: int = 0  # the timed phase
    server_cpu_s: float = 0.0  # of every process serving the project, in the timed phase
    # What Redis ran in the timed phase, by command (on Redis only): scripts, and all commands
    redis_commands: dict[str, int] | None = None
    redis_cpu_s: float = 0.0  # Redis's own CPU time in the timed phase
    profile: str = ""  # with --profile: the top costs of the ws processes in the timed phase

    def ms(self, percent: float) -> float:
        return percentile(sorted(self.latencies_ns), percent) / 1e6


@dataclass
class Calls:
    project_ms: list[float] = field(default_factory=list)
    loopback_ms: list[float] = field(default_factory=list)
    failure: str = ""


def _candidate(n: int) -> dict:
    line = f"candidate:{n} 1 udp 2122260223 192.0.2.1 {1024 + n} typ host"
    candidate = {"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
    return {"type": "candidate", "candidate": candidate}


async def _expect(ws: ClientConnection, kind: str, what: str, **fields) -> None:
    message = json.loads(await ws.recv())
    if message.get("type") != kind or any(message.get(k) != v for k, v in fields.items()):
        raise BenchError(f"expected {what}, got {message}")


async def _let_in(patient: ClientConnection, therapist: ClientConnection) -> None:
    """Each told whether they are in the call (the patient waits), then of the other's
    arrival; then the therapist lets the patient in, and both are told."""
    await _expect(patient, "admission", "the waiting room", admitted=False)
    await _expect(patient, "peer", "the therapist's arrival", state="joined")
    await _expect(therapist, "admission", "the therapist's admission")
    await _expect(therapist, "peer", "the patient's presence", state="joined")
    await therapist.send(json.dumps({"type": "admit"}))
    for ws in (patient, therapist):
        await _expect(ws, "admitted", "the patient let in")


async def _open_rooms(
    project: ProjectServer, pairs: Sequence[dict], sockets: list[tuple[ClientConnection, ...]]
) -> None:
    """Each room's patient, then its therapist; ready once each has heard of the other and
    the therapist has let the patient in from the waiting room."""
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    cookie = project.session_cookie.split("=", 1)[0]

    async def one(pair: dict, session: str) -> ClientConnection:
        async with gate:
            return await connect(
                f"ws://127.0.0.1:{project.port}/ws/room/{pair['token']}/",
                additional_headers={"Cookie": f"{cookie}={session}", "Origin": project.origin},
                compression=None,
                ping_interval=None,
                proxy=None,
                open_timeout=OPEN_TIMEOUT_SECONDS,
            )

    patients = await gather_all(
        "opening the patients' sockets", [one(pair, pair["patient_session"]) for pair in pairs]
    )
    sockets.extend((ws,) for ws in patients)  # closed on the way out, whatever happens next
    # In an order of their own, as two people's pages open at unrelated moments: opened in the
    # patients' order, nginx's least_conn put both sockets of every room in one ws process,
    # where a relay never crosses to the other (the cheapest case, not production's).
    order = random.Random(OPEN_ORDER_SEED).sample(range(len(pairs)), len(pairs))
    opened = await gather_all(
        "opening the therapists' sockets",
        [one(pairs[n], pairs[n]["therapist_session"]) for n in order],
    )
    therapists = dict(zip(order, opened, strict=True))
    sockets[:] = [(patient, therapists[n]) for n, patient in enumerate(patients)]
    async with asyncio.timeout(OPEN_TIMEOUT_SECONDS):
        await gather_all("letting the patients in", [_let_in(p, t) for p, t in sockets])


async def _converse(
    patient: ClientConnection, therapist: ClientConnection, count: int, samples: list[int] | None
) -> None:
    async with asyncio.timeout(PHASE_TIMEOUT_SECONDS):
        for n in range(count):
            sender, receiver = (patient, therapist) if n % 2 == 0 else (therapist, patient)
            message = _candidate(n)
            started = time.perf_counter_ns()
            await sender.send(json.dumps(message))
            arrived = json.loads(await receiver.recv())
            elapsed = time.perf_counter_ns() - started
            if arrived != message:
                raise BenchError(f"relayed {message}, the other side got {arrived}")
            if samples is not None:
                samples.append(elapsed)
            await asyncio.sleep(max(0.0, PACE_SECONDS - elapsed / 1e9))


async def _relay(
    project: ProjectServer,
    pairs: Sequence[dict],
    messages: int,
    *,
    profile: bool = False,
    redis_url: str = "",
) -> Relay:
    relay = Relay(rooms=len(pairs))
    sockets: list[tuple[ClientConnection, ...]] = []
    try:
        await _open_rooms(project, pairs, sockets)
        await gather_all(
            "warming up", [_converse(p, t, WARM_UP_MESSAGES, None) for p, t in sockets]
        )
        profiler = None
        if profile:
            ws = [proc.pid for proc in processes.tree(project.pid) if proc.role == "ws"]
            profiler = processes.profile(ws, seconds=PROFILE_SECONDS)
        commands_before = redis_commands(redis_url) if redis_url else None
        redis_cpu_before = redis_cpu_seconds(redis_url) if redis_url else 0.0
        cpu_before = processes.cpu_by_pid(project.pid)
        started = time.perf_counter_ns()
        await gather_all(
            "relaying", [_converse(p, t, messages, relay.latencies_ns) for p, t in sockets]
        )
        relay.wall_ns = time.perf_counter_ns() - started
        relay.server_cpu_s = processes.cpu_spent(cpu_before, processes.cpu_by_pid(project.pid))
        if commands_before is not None:
            relay.redis_cpu_s = redis_cpu_seconds(redis_url) - redis_cpu_before
            after = redis_commands(redis_url)
            relay.redis_commands = {
                name: calls - commands_before.get(name, 0) for name, calls in after.items()
            }
        if profiler is not None:
            relay.profile = profiler.top_costs()
    finally:
        await asyncio.gather(
            *(ws.close() for pair in sockets for ws in pair), return_exceptions=True
        )
    return relay


def _calls(project: ProjectServer, pairs: Sequence[dict]) -> Calls:
    calls = Calls()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        calls.failure = "not measured: Playwright is not installed (make test installs it)"
        return calls
    if not os.access(CHROMIUM, os.X_OK):
        calls.failure = f"not measured: no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        return calls
    cookie = project.session_cookie.split("=", 1)[0]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                for pair in pairs:
                    calls.project_ms.append(_call(browser, project, cookie, pair))
                page = browser.new_page()
                # A blank page of a loopback origin (a secure context, for the camera), made up
                # by Playwright: the project's pages refuse the camera outside session rooms.
                page.route(
                    "http://127.0.0.1/loopback",
                    lambda route: route.fulfill(
                        body="<!doctype html><title>loopback</title>", content_type="text/html"
                    ),
                )
                page.goto("http://127.0.0.1/loopback")
                for _pair in pairs:
                    calls.loopback_ms.append(page.evaluate(LOOPBACK_SCRIPT))
            finally:
                browser.close()
    except (Error, BenchError) as error:
        calls.failure = f"not measured: {str(error).splitlines()[0]}"
    return calls


def _call(browser, project: ProjectServer, cookie: str, pair: dict) -> float:
    """One call in the pair's room: milliseconds from both told the patient was let in to
    both connected."""
    from playwright.sync_api import Error  # installed: checked by the caller

    pages = []
    problems: list[str] = []
    try:
        for session in (pair["patient_session"], pair["therapist_session"]):
            context = browser.new_context()
            context.add_cookies([{"name": cookie, "value": session, "url": project.origin}])
            context.add_init_script(TIMING_SCRIPT)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{project.origin}/room/{pair['token']}/")
            # Past the check before joining, as soon as it is there (not timed: it runs
            # before the socket opens, and "joined" is when both sockets are in).
            page.get_by_role("button", name="Join the session").click()
            pages.append(page)
        # The patient waits until the therapist lets them in: the call starts then.
        pages[1].locator("#call-admit").click(timeout=CALL_TIMEOUT_MS)
        for page in pages:
            try:
                page.wait_for_function(
                    "() => window.__timing.connected", timeout=CALL_TIMEOUT_MS, polling=100
                )
            except Error as error:
                states = [p.evaluate("() => document.body.dataset.callState") for p in pages]
                raise BenchError(
                    f"no call connected at {[p.url for p in pages]} (states {states}; "
                    f"the pages said {problems[:3]})"
                ) from error
        timings = [page.evaluate("() => window.__timing") for page in pages]
    finally:
        for page in pages:
            with suppress(Exception):
                page.context.close()
    if not all("admitted" in timing for timing in timings):
        raise BenchError("a page never heard that the patient was let in")
    admitted = max(timing["admitted"] for timing in timings)
    return max(timing["connected"] for timing in timings) - admitted


def _report(
    project: ProjectServer,
    relay: Relay | None,
    echo: Result | None,
    calls: Calls,
    *,
    failure: str,
    machine: str,
    errors: str,
    quick: bool,
) -> str:
    lines = [
        f"{TITLE}    database: {project.database}    channel layer: {project.channel_layer}",
        f"relay: ICE candidates between the two sockets of each room, taking turns, one in "
        f"flight, at most one per {PACE_SECONDS * 1000:.0f} ms per room (DEBUG={project.debug})",
        "echo: raw websockets echo round trip, one client per room, as many round trips each",
        machine,
    ]
    if quick:
        lines.append("--quick: too few messages to compare, a smoke check only")
    header = ["rooms", "messages", "p50 ms", "p99 ms", "echo p50 ms", "echo p99 ms", "relay / echo"]
    if relay is None or echo is None:
        rows = [[str(QUICK_ROOMS if quick else ROOMS), "-", "-", "-", "-", "-", failure]]
    else:
        p50, p99 = relay.ms(50), relay.ms(99)
        rows = [
            [
                str(relay.rooms),
                str(len(relay.latencies_ns)),
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{echo.p50_ms:.2f}",
                f"{echo.p99_ms:.2f}",
                f"p50 {ratio(p50, echo.p50_ms)}  p99 {ratio(p99, echo.p99_ms)}",
            ]
        ]
    relay_table = format_table(header, rows, right={0, 1, 2, 3, 4, 5})
    if relay is not None and echo is not None and relay.wall_ns and relay.latencies_ns:
        count = len(relay.latencies_ns)
        relay_table += (
            f"\nrelayed {count / (relay.wall_ns / 1e9):,.0f} messages/s; server CPU "
            f"{relay.server_cpu_s * 1000 / count:.2f} ms per relayed message ({project.words})"
        )
        if relay.redis_commands is not None:
            scripts = sum(relay.redis_commands.get(name, 0) for name in ("evalsha", "eval"))
            every = sum(relay.redis_commands.values())
            relay_table += (
                f"\nRedis per relayed message: {scripts / count:.2f} scripts run, "
                f"{every / count:.2f} commands (those of the scripts included), "
                f"{relay.redis_cpu_s * 1e6 / count:.0f} µs of Redis's CPU"
            )
        if relay.profile:
            relay_table += f"\n{relay.profile}"
    call_lines = [
        "",
        "connected: headless Chromium, fake camera and microphone; from both having heard the "
        "patient was let in to both peer connections connected; loopback: two peer connections in "
        "one page, negotiated directly (no server)",
    ]
    if calls.failure:
        call_lines.append(calls.failure)
    else:
        project_ms, loopback_ms = calls.project_ms, calls.loopback_ms
        median, loopback = statistics.median(project_ms), statistics.median(loopback_ms)
        call_lines.append(
            format_table(
                ["calls", "median ms", "min ms", "max ms", "loopback median ms", "room / loopback"],
                [
                    [
                        str(len(project_ms)),
                        f"{median:.0f}",
                        f"{min(project_ms):.0f}",
                        f"{max(project_ms):.0f}",
                        f"{loopback:.0f}",
                        ratio(median, loopback),
                    ]
                ],
                right={0, 1, 2, 3, 4},
            )
        )
    return "\n".join([*lines, "", relay_table, errors, *call_lines])


def run(options: Options) -> str:
    rooms, messages = (QUICK_ROOMS, QUICK_MESSAGES) if options.quick else (ROOMS, MESSAGES)
    calls_wanted = QUICK_CALLS if options.quick else CALLS
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(daphne is one process: its Python runs on one CPU at a time)"
    )
    relay = echo = None
    failure = ""
    with echo_server() as raw, project_server(options) as project:
        count = rooms + calls_wanted
        what = f"Creating {count} pairs, each with an open session room"
        with project_data(project, options, "rooms", count, what=what) as (_tag, pairs):
            url, origin = f"ws://127.0.0.1:{raw.port}/", f"http://127.0.0.1:{raw.port}"
            echo = asyncio.run(
                measure(Target("raw", url, {"Origin": origin}, raw), rooms, messages, 1)
            )
            try:
                relay = asyncio.run(
                    _relay(
                        project,
                        pairs[:rooms],
                        messages,
                        profile=options.profile,
                        redis_url=options.redis_url,
                    )
                )
            except BenchError as error:
                failure = f"not measured: {error}"
                print(f"{failure}\nits log:\n{project.log_tail() or '(empty)'}")
            calls = _calls(project, pairs[rooms:])
        errors = logged_errors(project)
    return _report(
        project,
        relay,
        echo,
        calls,
        failure=failure,
        machine=machine,
        errors=errors,
        quick=options.quick,
    )
