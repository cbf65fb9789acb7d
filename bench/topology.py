"""Production's topology (deploy/serve.py) through nginx: messages persisted and delivered with
1 and 2 web workers and 1 and 2 ws processes, a ws process killed mid-run, idle sockets' memory.

Each pair as the pages do it: the patient posts with htmx (``POST /messages/<pk>/send/``: the
message comes back alone, its id in it); the therapist's page holds
``/ws/conversations/<pk>/`` and, at each ``message.new``, fetches that message alone
(``GET /messages/<pk>/?after=<id - 1>``, which marks it read), as ``compose.js`` does. A message
is delivered when that fetch has brought it. One message in flight per pair. Sockets are spread
over the ws processes by nginx (least connections); every event crosses processes (posted in a
web worker, published through Redis, delivered by whichever daphne holds the socket).

Baselines in the same run: the raw echo server's round trip with one client per pair, and the
same exchange against one daphne serving everything (``make run``'s process, on the same
PostgreSQL and Redis). CPU per message: user + system time of every server process (nginx,
gunicorn's workers, daphne; read from /proc) over the timed messages, and apart, PostgreSQL's
backends of the benchmark's database. A ws process killed: the pages reconnect (nginx sends
them to another), fetch what they missed, and every message is checked persisted and delivered,
none delivered twice.
"""

import asyncio
import json
import os
import random
import re
import signal
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench import processes
from bench.errors import BenchError
from bench.messaging_delivery import BODY, Pair, _messages_in_database, _pairs
from bench.project_client import HttpConnection, gather_all
from bench.report import format_table, percentile, ratio
from bench.servers import (
    Options,
    ProjectServer,
    echo_server,
    logged_errors,
    project_server,
)
from bench.ws_roundtrip import (
    CONNECT_AT_ONCE,
    OPEN_TIMEOUT_SECONDS,
    PHASE_TIMEOUT_SECONDS,
    Result,
    Target,
    measure,
)

TITLE = "Production topology through nginx (persisted and delivered; 1 -> 2 processes; a kill)"

PAIRS, MESSAGES = 250, 6
QUICK_PAIRS, QUICK_MESSAGES = 3, 2
# (web workers, ws processes); then make serve's default here: two web workers per CPU, one ws
# process per CPU
CONFIGS = ((1, 1), (2, 1), (1, 2), (2, 2))
KILL_CONFIG, KILL_PAIRS, KILL_MESSAGES = (2, 2), 100, 16
QUICK_KILL_PAIRS, QUICK_KILL_MESSAGES = 4, 6
IDLE_SOCKETS, QUICK_IDLE_SOCKETS = 1000, 20
WARM_UP_MESSAGES = 1
POST_ATTEMPTS = 3  # a page retries a failed send with the same idempotency key
RECONNECT_WITHIN_SECONDS = 30
LOST_AFTER_SECONDS = 120  # posted and still not delivered after this: lost
_MESSAGE_ID = re.compile(rb'<li id="message-(\d+)"')


@dataclass
class Run:
    """One configuration's measurement."""

    name: str
    pairs: int
    delivered_ns: list[int] = field(default_factory=list)  # POST sent -> fetched
    events_ns: list[int] = field(default_factory=list)  # POST sent -> event received
    posts_ns: list[int] = field(default_factory=list)  # POST sent -> answered
    wall_ns: int = 0
    confirmed: int = 0  # posted and delivered, warm-up included
    in_database: str = ""
    twice: int = 0  # a message.new for a message already announced
    lost: int = 0  # posted, never delivered
    reconnections: int = 0
    caught_up: int = 0  # delivered by the fetch after a reconnection, not by an event
    retried_posts: int = 0
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    sockets: str = ""  # per ws process
    killed: str = ""
    failure: str = ""
    profile: str = ""

    @property
    def count(self) -> int:
        return len(self.delivered_ns)

    @property
    def per_second(self) -> float:
        return self.count / (self.wall_ns / 1e9) if self.wall_ns else 0.0

    def ms(self, samples: list[int], percent: float) -> float:
        return percentile(sorted(samples), percent) / 1e6 if samples else 0.0


class Page(HttpConnection):
    """The patient's page: it posts as htmx does and reads the message id in the answer."""

    def __init__(self, project: ProjectServer, pair: Pair, cookie_name: str):
        super().__init__(project, {cookie_name: pair.patient_session})
        self.pair = pair

    @property
    def path(self) -> str:
        return f"/messages/{self.pair.conversation}/"

    async def open(self) -> None:
        response = await self.request("GET", self.path)
        if response.status != 200 or "csrftoken" not in self.cookies:
            raise BenchError(f"GET {self.path} answered HTTP {response.status}")

    async def send(self, n: int, run: Run) -> int:
        """Post message ``n``; its id. Retried (same key) when the server failed to answer."""
        token = self.cookies["csrftoken"]
        form = {"body": BODY.format(n=n), "client_id": str(uuid.uuid4())}
        for attempt in range(POST_ATTEMPTS):
            try:
                response = await self.request(
                    "POST",
                    f"{self.path}send/",
                    fields={**form, "csrfmiddlewaretoken": token},
                    headers={"X-CSRFToken": token, "HX-Request": "true"},
                )
            except (OSError, EOFError, BenchError):
                await self.close()
                response = None
            if response is not None and response.status == 200:
                found = _MESSAGE_ID.search(response.body)
                if not found:
                    raise BenchError(f"POST {self.path}send/ answered without the message")
                return int(found.group(1))
            if response is not None and response.status < 500:
                raise BenchError(f"POST {self.path}send/ answered HTTP {response.status}")
            run.retried_posts += 1
            await asyncio.sleep(0.2 * (attempt + 1))
        raise BenchError(f"POST {self.path}send/ failed {POST_ATTEMPTS} times")


class Reader:
    """The therapist's open conversation page: its socket, reconnecting as events.js does, and
    its fetches of what is new, as compose.js does."""

    def __init__(self, project: ProjectServer, pair: Pair, cookie_name: str, run: Run):
        self.project, self.pair, self.run = project, pair, run
        self.cookie = f"{cookie_name}={pair.therapist_session}"
        self.http = HttpConnection(project, {cookie_name: pair.therapist_session})
        self.ws: ClientConnection | None = None
        self.announced: set[int] = set()
        self.delivered: dict[int, int] = {}  # message id -> when fetched (perf ns)
        self.event_at: dict[int, int] = {}
        self.waiters: dict[int, asyncio.Future] = {}
        self.task: asyncio.Task | None = None

    async def open(self) -> None:
        self.ws = await connect(
            f"ws://127.0.0.1:{self.project.port}/ws/conversations/{self.pair.conversation}/",
            additional_headers={"Cookie": self.cookie, "Origin": self.project.origin},
            compression=None,
            ping_interval=None,
            proxy=None,
            open_timeout=OPEN_TIMEOUT_SECONDS,
        )
        async with asyncio.timeout(OPEN_TIMEOUT_SECONDS):
            await self.ws.send('{"type": "ping", "id": 0}')
            while json.loads(await self.ws.recv()).get("type") != "pong":
                pass

    def start(self) -> None:
        self.task = asyncio.create_task(self._listen())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.ws is not None:
            with suppress(Exception):
                await self.ws.close()
        await self.http.close()

    async def wait(self, message_id: int) -> int:
        """When the message was delivered (fetched by the page)."""
        if message_id in self.delivered:
            return self.delivered[message_id]
        future = self.waiters.setdefault(message_id, asyncio.get_running_loop().create_future())
        return await future

    async def _listen(self) -> None:
        while True:
            assert self.ws is not None
            try:
                async for text in self.ws:
                    await self._event(json.loads(text))
            except ConnectionClosed:
                pass
            await self._reconnect()

    async def _event(self, event: dict) -> None:
        if event.get("kind") != "message.new":
            return
        message_id = event.get("message")
        if not isinstance(message_id, int):
            raise BenchError(f"message.new without a message id: {event!r}")
        if message_id in self.announced:
            self.run.twice += 1
        self.announced.add(message_id)
        self.event_at.setdefault(message_id, time.perf_counter_ns())
        if message_id not in self.delivered:
            await self._fetch(message_id - 1)

    async def _fetch(self, after: int) -> list[int]:
        path = f"/messages/{self.pair.conversation}/?after={after}"
        response = await self.http.request("GET", path, headers={"HX-Request": "true"})
        if response.status != 200:
            raise BenchError(f"GET {path} answered HTTP {response.status}")
        fetched_at = time.perf_counter_ns()
        ids = [int(found) for found in _MESSAGE_ID.findall(response.body)]
        for message_id in ids:
            if message_id not in self.delivered:
                self.delivered[message_id] = fetched_at
                waiter = self.waiters.pop(message_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(fetched_at)
        return ids

    async def _reconnect(self) -> None:
        """As events.js does: again after a short, jittered delay; then what was missed."""
        self.run.reconnections += 1
        deadline = time.monotonic() + RECONNECT_WITHIN_SECONDS
        while True:
            await asyncio.sleep(0.2 + random.random() * 0.5)
            try:
                await self.open()
                break
            except (OSError, InvalidStatus, ConnectionClosed, TimeoutError):
                if time.monotonic() > deadline:
                    raise BenchError("a page could not reconnect its socket") from None
        before = set(self.delivered)
        ids = await self._fetch(max(self.delivered, default=0))
        self.run.caught_up += len(set(ids) - before)


async def _converse(page: Page, reader: Reader, count: int, run: Run, *, timed: bool) -> None:
    async with asyncio.timeout(PHASE_TIMEOUT_SECONDS + LOST_AFTER_SECONDS):
        for n in range(count):
            started = time.perf_counter_ns()
            message_id = await page.send(n, run)
            posted = time.perf_counter_ns()
            try:
                delivered = await asyncio.wait_for(reader.wait(message_id), LOST_AFTER_SECONDS)
            except TimeoutError:
                run.lost += 1
                continue
            run.confirmed += 1
            if timed:
                run.delivered_ns.append(delivered - started)
                run.posts_ns.append(posted - started)
                if message_id in reader.event_at:
                    run.events_ns.append(reader.event_at[message_id] - started)


async def _open(
    project: ProjectServer, pairs: Sequence[Pair], run: Run
) -> tuple[list[Page], list[Reader]]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    cookie_name = project.session_cookie.split("=", 1)[0]
    pages = [Page(project, pair, cookie_name) for pair in pairs]
    readers = [Reader(project, pair, cookie_name, run) for pair in pairs]

    async def one(page: Page, reader: Reader) -> None:
        async with gate:
            await page.open()
            await reader.open()

    await gather_all("opening the pages", [one(p, r) for p, r in zip(pages, readers, strict=True)])
    for reader in readers:
        reader.start()
    return pages, readers


def _ws_processes(project: ProjectServer) -> list[processes.Proc]:
    return [proc for proc in processes.tree(project.pid) if proc.name == "daphne"]


def _sockets_per_process(project: ProjectServer) -> tuple[str, list[tuple[int, int]]]:
    counted = []
    for proc in _ws_processes(project):
        ports = processes.listening_ports(proc.pid)
        counted.append((proc.pid, sum(processes.established(proc.pid, p) for p in ports)))
    return "/".join(str(count) for _, count in counted), counted


async def _deliver(
    project: ProjectServer,
    pairs: Sequence[Pair],
    messages: int,
    run: Run,
    options: Options,
    *,
    kill: bool = False,
) -> None:
    pages, readers = await _open(project, pairs, run)
    database = processes.database_name(options.database_url)
    try:

        async def phase(count: int, *, timed: bool) -> None:
            await gather_all(
                "sending" if timed else "warming up",
                [
                    _converse(page, reader, count, run, timed=timed)
                    for page, reader in zip(pages, readers, strict=True)
                ],
            )

        await phase(WARM_UP_MESSAGES, timed=False)
        run.sockets, counted = _sockets_per_process(project)
        app_before = processes.cpu_by_pid(project.pid)
        db_before = processes.postgres_backends(database)
        profiler = None
        if options.profile and not kill:
            pids = [proc.pid for proc in processes.tree(project.pid) if proc.role in ("web", "ws")]
            profiler = processes.profile(pids, seconds=10)
        killer = None
        if kill and counted:
            victim = max(counted, key=lambda item: item[1])
            killer = asyncio.create_task(_kill_midway(run, victim, pairs, messages))
        started = time.perf_counter_ns()
        await phase(messages, timed=True)
        run.wall_ns = time.perf_counter_ns() - started
        if killer is not None:
            await killer
        run.app_cpu_s = processes.cpu_spent(app_before, processes.cpu_by_pid(project.pid))
        run.db_cpu_s = processes.cpu_spent(db_before, processes.postgres_backends(database))
        if profiler is not None:
            run.profile = profiler.top_costs()
        await asyncio.sleep(0.5)  # an event announced twice late still counts
    finally:
        await asyncio.gather(
            *(page.close() for page in pages),
            *(reader.close() for reader in readers),
            return_exceptions=True,
        )


async def _kill_midway(
    run: Run, victim: tuple[int, int], pairs: Sequence[Pair], messages: int
) -> None:
    """SIGKILL the ws process holding the most sockets once half the messages are through."""
    half = len(pairs) * (WARM_UP_MESSAGES + messages // 2)
    while run.confirmed < half:
        await asyncio.sleep(0.05)
    pid, sockets = victim
    os.kill(pid, signal.SIGKILL)
    run.killed = f"daphne {pid} (holding {sockets} sockets) killed after {run.confirmed} messages"


def _measure(
    options: Options,
    config: tuple[int, int] | None,
    pairs: list[Pair],
    messages: int,
    *,
    name: str,
    kill: bool = False,
) -> Run:
    run = Run(name=name, pairs=len(pairs))
    served = replace(options, topology=config)
    try:
        with project_server(served) as project:
            before = _messages_in_database(project, _TAG[0])
            asyncio.run(_deliver(project, pairs, messages, run, served, kill=kill))
            stored = _messages_in_database(project, _TAG[0]) - before
            posted = run.confirmed + run.lost
            run.in_database = "all" if stored == posted else f"{stored} of {posted}"
            errors = logged_errors(project)
            if "no errors" not in errors:
                run.failure = errors
    except BenchError as error:
        run.failure = f"not measured: {error}"
    return run


_TAG: list[str] = [""]  # the pairs' tag, for counting their messages


async def _idle_rss(project: ProjectServer, count: int) -> tuple[float, float]:
    """(MiB of the ws processes per 1,000 idle /ws/events/ sockets, sockets opened)."""
    before = sum(proc.rss_bytes for proc in _ws_processes(project))
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    cookie = project.session_cookie

    async def one() -> ClientConnection:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{project.port}/ws/events/",
                additional_headers={"Cookie": cookie, "Origin": project.origin},
                compression=None,
                ping_interval=None,
                proxy=None,
                open_timeout=OPEN_TIMEOUT_SECONDS,
            )
            await ws.send('{"type": "ping", "id": 1}')
            await ws.recv()
            return ws

    sockets = await gather_all("opening idle sockets", [one() for _ in range(count)])
    await asyncio.sleep(1)
    after = sum(proc.rss_bytes for proc in _ws_processes(project))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return (after - before) / 2**20 * 1000 / count, count


def run(options: Options) -> str:
    if not (options.database_url and options.redis_url):
        raise BenchError(
            "production's topology runs on PostgreSQL and Redis: give --database-url and "
            "--redis-url (or --use-env)"
        )
    options = replace(options, production=True)  # one daphne too, to compare like with like
    quick = options.quick
    pair_count, messages = (QUICK_PAIRS, QUICK_MESSAGES) if quick else (PAIRS, MESSAGES)
    kill_pairs, kill_messages = (
        (QUICK_KILL_PAIRS, QUICK_KILL_MESSAGES) if quick else (KILL_PAIRS, KILL_MESSAGES)
    )
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(shared: other work on it shows in the numbers)"
    )
    runs: list[Run] = []
    with echo_server() as raw, project_server(replace(options, topology=None)) as anchor:
        url, origin = f"ws://127.0.0.1:{raw.port}/", f"http://127.0.0.1:{raw.port}"
        echo = asyncio.run(
            measure(Target("raw", url, {"Origin": origin}, raw), pair_count, messages, 1)
        )
        with _pairs(anchor, max(pair_count, kill_pairs), options) as (tag, pairs):
            _TAG[0] = tag
            runs.append(_measure(options, None, pairs[:pair_count], messages, name="one daphne"))
            cpus = os.cpu_count() or 1
            configs = [*CONFIGS, *([(2 * cpus, cpus)] if (2 * cpus, cpus) not in CONFIGS else [])]
            for web, ws in configs:
                runs.append(
                    _measure(
                        options, (web, ws), pairs[:pair_count], messages, name=f"{web} web, {ws} ws"
                    )
                )
            runs.append(
                _measure(
                    options,
                    KILL_CONFIG,
                    pairs[:kill_pairs],
                    kill_messages,
                    name=f"{KILL_CONFIG[0]} web, {KILL_CONFIG[1]} ws, a ws killed",
                    kill=True,
                )
            )
        with project_server(replace(options, topology=(1, 1))) as single:
            idle = asyncio.run(_idle_rss(single, QUICK_IDLE_SOCKETS if quick else IDLE_SOCKETS))
    return _report(runs, echo, idle, machine=machine, options=options)


def _report(
    runs: list[Run], echo: Result, idle: tuple[float, float], *, machine: str, options: Options
) -> str:
    by_name = {item.name: item for item in runs}
    one_daphne = by_name.get("one daphne")
    single = by_name.get("1 web, 1 ws")
    header = [
        "served by",
        "pairs",
        "messages",
        "delivered/s",
        "p50 ms",
        "p99 ms",
        "event p50",
        "POST p50",
        "in database",
        "lost",  # not delivered LOST_AFTER_SECONDS after it was posted
        "twice",
        "CPU ms/msg",
        "PG ms/msg",
        "sockets/ws",
        "rate vs 1 daphne",
        "vs 1 web 1 ws",
    ]
    rows, notes = [], []
    for item in runs:
        if item.failure and not item.count:
            rows.append([item.name, str(item.pairs), "-", *["-"] * 13])
            notes.append(f"{item.name}: {item.failure}")
            continue
        if item.failure:
            notes.append(f"{item.name}: {item.failure}")
        count = max(item.count, 1)
        rows.append(
            [
                item.name,
                str(item.pairs),
                str(item.count),
                f"{item.per_second:.0f}",
                f"{item.ms(item.delivered_ns, 50):.0f}",
                f"{item.ms(item.delivered_ns, 99):.0f}",
                f"{item.ms(item.events_ns, 50):.0f}",
                f"{item.ms(item.posts_ns, 50):.0f}",
                item.in_database,
                str(item.lost),
                str(item.twice),
                f"{item.app_cpu_s * 1000 / count:.1f}",
                f"{item.db_cpu_s * 1000 / count:.1f}",
                item.sockets or "-",
                ratio(item.per_second, one_daphne.per_second) if one_daphne else "-",
                ratio(item.per_second, single.per_second) if single else "-",
            ]
        )
        if item.killed:
            notes.append(
                f"{item.name}: {item.killed}; {item.reconnections} reconnections, "
                f"{item.caught_up} messages delivered by the fetch after reconnecting, "
                f"{item.retried_posts} posts retried"
            )
        if item.profile:
            notes.append(f"{item.name}:\n{item.profile}")
    lines = [
        f"{TITLE}    database: {options.database_url.rsplit('@', 1)[-1]}    channel layer: redis",
        "each pair: the patient posts with htmx (the message comes back alone), the therapist's "
        "page hears message.new on its socket and fetches that message (?after=); delivered = "
        "fetched; latency from just before the POST; one message in flight per pair",
        "CPU ms/msg: user+system time of every server process (nginx, web, ws; /proc) over the "
        "timed messages; PG: PostgreSQL's backends of the benchmark's database",
        f"baseline: raw websockets echo, {echo.clients} clients: p50 {echo.p50_ms:.2f} ms, "
        f"p99 {echo.p99_ms:.2f} ms, {echo.per_second:.0f} round trips/s",
        f"idle sockets: {idle[0]:.1f} MiB of ws process memory (RSS) per 1,000 open "
        f"/ws/events/ sockets ({idle[1]:.0f} opened through nginx, one ws process)",
        f"HTTP processes: {options.web_server}",
        machine,
    ]
    if options.quick:
        lines.append("--quick: a smoke check only, not numbers")
    right = set(range(1, 14)) - {8}
    table = format_table(header, rows, right=right)
    return "\n".join([*lines, "", table, *notes])
