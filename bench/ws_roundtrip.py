"""WebSocket round trip: the project's ``/ws/events/`` under daphne against a raw echo server.

Each client sends a ping and awaits its pong, again and again. The project's socket was
authorised when it opened and asks the database nothing per message (revocations close it);
what is measured is the frame's reading, pacing and answer through Channels and Redis. The
socket's pace limit (SOCKET_RATE_*, far above a page's ping every 25 s) is lifted for the
served project: the bench pings as fast as it can. Both servers run in
processes of their own; the clients share this one, so its own cost is in both columns.
"""

import asyncio
import json
import os
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.errors import BenchError
from bench.report import format_table, percentile, ratio
from bench.servers import Options, ProjectServer, Server, echo_server, project_server

TITLE = "WebSocket round trip (ping -> pong)"

# (clients, round trips each client makes one after another)
LEVELS = ((1, 3000), (200, 60))
QUICK_LEVELS = ((1, 50), (200, 3))
WARM_UP_ROUND_TRIPS = 5  # per connection, not counted: first queries, caches, code paths
QUICK_WARM_UP_ROUND_TRIPS = 1
# Handshakes in flight at once: past daphne's small listen backlog they only wait for retries.
CONNECT_AT_ONCE = 25
OPEN_TIMEOUT_SECONDS = 30
PHASE_TIMEOUT_SECONDS = 120  # one deadline per phase, not per message: timers cost time too
CLOSE_CODES = {
    4415: "unsupported data",
    4413: "message too big",
    4400: "invalid frame",
    4429: "too many messages: the socket's pace limit was not lifted",
    4500: "a handler failed: see its log",
    1011: "the server failed: see its log",
    4401: "not authenticated: the session cookie was not accepted",
    4403: "forbidden: the user must set up two-factor authentication first",
    4404: "not found: the user may not read what the socket was opened for",
}


@dataclass(frozen=True)
class Target:
    server: str  # "raw" or "project"
    url: str
    headers: dict[str, str]
    process: Server


@dataclass(frozen=True)
class Result:
    clients: int
    round_trips_ns: list[int]  # sorted
    wall_ns: int

    @property
    def count(self) -> int:
        return len(self.round_trips_ns)

    @property
    def p50_ms(self) -> float:
        return percentile(self.round_trips_ns, 50) / 1e6

    @property
    def p99_ms(self) -> float:
        return percentile(self.round_trips_ns, 99) / 1e6

    @property
    def per_second(self) -> float:
        return self.count / (self.wall_ns / 1e9)


def describe(error: BaseException) -> str:
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        hint = " (is the Origin in ALLOWED_HOSTS?)" if status == 403 else ""
        return f"the handshake was refused with HTTP {status}{hint}"
    if isinstance(error, ConnectionClosed):
        if error.rcvd is None:
            return "the connection dropped without a close frame"
        code = error.rcvd.code
        return f"the server closed the socket with code {code} ({CLOSE_CODES.get(code, 'closed')})"
    if isinstance(error, TimeoutError):
        return (
            f"timed out (no handshake within {OPEN_TIMEOUT_SECONDS}s "
            f"or not all answers within {PHASE_TIMEOUT_SECONDS}s)"
        )
    if isinstance(error, OSError):
        return f"could not connect: {error}"
    if isinstance(error, BenchError):
        return str(error)
    return repr(error)


async def _close(connections: Sequence[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


async def _all(target: Target, what: str, coroutines: Sequence[Coroutine]) -> list[Any]:
    """Every coroutine's result; if any failed, a BenchError naming the first failure."""
    outcomes = await asyncio.gather(*coroutines, return_exceptions=True)
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    for failure in failures:
        if not isinstance(failure, Exception):  # Ctrl-C, cancellation: not a measurement
            raise failure
    if failures:
        await _close([outcome for outcome in outcomes if isinstance(outcome, ClientConnection)])
        raise BenchError(
            f"{target.server} ({target.url}): {what} failed for {len(failures)} of "
            f"{len(outcomes)} clients; first: {describe(failures[0])}"
        )
    return outcomes


async def _open(target: Target, clients: int) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def one() -> ClientConnection:
        async with gate:
            return await connect(
                target.url,
                additional_headers=target.headers,
                compression=None,  # daphne does not compress; keep the raw side equal
                ping_interval=None,
                proxy=None,  # loopback only, whatever the environment says
                open_timeout=OPEN_TIMEOUT_SECONDS,
            )

    return await _all(target, "connecting", [one() for _ in range(clients)])


async def _exchange(ws: ClientConnection, count: int, samples: list[int] | None) -> None:
    async with asyncio.timeout(PHASE_TIMEOUT_SECONDS):
        for n in range(count):
            ping = f'{{"type": "ping", "id": {n}}}'
            started = time.perf_counter_ns()
            await ws.send(ping)
            reply = await ws.recv()
            elapsed = time.perf_counter_ns() - started
            if json.loads(reply) != {"type": "pong", "id": n}:
                raise BenchError(f"ping {n} was answered with {reply[:200]!r}")
            if samples is not None:
                samples.append(elapsed)


async def measure(target: Target, clients: int, round_trips: int, warm_up: int) -> Result:
    """``clients`` sockets at once, each making ``round_trips`` timed round trips one after
    another, after ``warm_up`` untimed ones."""
    connections = await _open(target, clients)
    try:
        await _all(target, "warming up", [_exchange(ws, warm_up, None) for ws in connections])
        samples: list[int] = []
        started = time.perf_counter_ns()
        await _all(target, "measuring", [_exchange(ws, round_trips, samples) for ws in connections])
        wall_ns = time.perf_counter_ns() - started
    finally:
        await _close(connections)
    return Result(clients=clients, round_trips_ns=sorted(samples), wall_ns=wall_ns)


async def _measure_all(
    targets: Sequence[Target], levels: Sequence[tuple[int, int]], warm_up: int
) -> dict[tuple[int, str], Result]:
    results = {}
    for clients, round_trips in levels:
        for target in targets:
            try:
                results[clients, target.server] = await measure(
                    target, clients, round_trips, warm_up
                )
            except BenchError as error:
                # A close code such as 1011 only says the server failed; its log says how.
                log = target.process.log_tail() or "(empty)"
                raise BenchError(f"{error}\nlast lines of its log:\n{log}") from None
    return results


def _report(
    project: ProjectServer,
    levels: Sequence[tuple[int, int]],
    warm_up: int,
    results: dict[tuple[int, str], Result],
    *,
    quick: bool,
) -> str:
    rows = []
    for clients, _ in levels:
        raw, served = results[clients, "raw"], results[clients, "project"]
        for server, result in (("raw", raw), ("project", served)):
            ratios = ""
            if server == "project":
                ratios = (
                    f"p50 {ratio(served.p50_ms, raw.p50_ms)}  "
                    f"p99 {ratio(served.p99_ms, raw.p99_ms)}  "
                    f"rate {ratio(served.per_second, raw.per_second)}"
                )
            rows.append(
                [
                    str(clients),
                    server,
                    str(result.count),
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    f"{result.per_second:.0f}",
                    ratios,
                ]
            )
    header = [
        "clients",
        "server",
        "round trips",
        "p50 ms",
        "p99 ms",
        "round trips/s",
        "project / raw",
    ]
    lines = [
        f"{TITLE}    database: {project.database}    channel layer: {project.channel_layer}",
        f"project: daphne teletherapy.asgi:application /ws/events/ (DEBUG={project.debug})",
        f"raw: websockets {websockets.__version__} echo server"
        f"    clients: one asyncio process, {warm_up} warm-up round trip(s) each, not counted",
    ]
    if quick:
        lines.append("--quick: too few round trips to compare, a smoke check only")
    return "\n".join([*lines, "", format_table(header, rows, right={0, 2, 3, 4, 5})])


# The served project's socket pace, lifted (read from the environment by its settings).
UNPACED = {"SOCKET_RATE_BURST": "1000000000", "SOCKET_RATE_PER_SECOND": "1000000000"}


@contextmanager
def _unpaced() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in UNPACED}
    os.environ.update(UNPACED)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(options: Options) -> str:
    levels = QUICK_LEVELS if options.quick else LEVELS
    warm_up = QUICK_WARM_UP_ROUND_TRIPS if options.quick else WARM_UP_ROUND_TRIPS
    with _unpaced(), echo_server() as raw, project_server(options) as project:
        targets = [
            Target(
                "raw",
                f"ws://127.0.0.1:{raw.port}/",
                {"Origin": f"http://127.0.0.1:{raw.port}"},
                raw,
            ),
            Target(
                "project",
                f"ws://127.0.0.1:{project.port}/ws/events/",
                {"Cookie": project.session_cookie, "Origin": project.origin},
                project,
            ),
        ]
        results = asyncio.run(_measure_all(targets, levels, warm_up))
    return _report(project, levels, warm_up, results, quick=options.quick)
