"""Message delivery: patients post over HTTP while their therapists hold the conversation open.

N pairs at once. Each patient posts messages one after another through the conversation's send
view (``POST /messages/<pk>/send/``, as the page's form does without htmx: a 302 on success);
each therapist has the conversation open on ``/ws/conversations/<pk>/`` and receives a
``message.new`` event per message. Each pair has one message in flight: the patient posts the
next once the 302 and the event of the last have both come, as each echo client has one ping.
Latency: from just before the POST is sent to the event's arrival. The baseline is the raw echo
server's round trip with as many clients as pairs, measured in the same run. Both servers run in
processes of their own; the clients share this one.
"""

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect

from bench.errors import BenchError
from bench.project_client import HttpConnection, gather_all, project_data
from bench.report import format_table, percentile, ratio
from bench.servers import (
    Options,
    ProjectServer,
    Server,
    echo_server,
    logged_errors,
    project_command,
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

TITLE = "Message delivery (HTTP send -> the other side's WebSocket)"

# (pairs, messages each patient sends one after another)
LEVELS = ((10, 40), (100, 8), (250, 4))
QUICK_LEVELS = ((2, 3),)
WARM_UP_MESSAGES = 1  # per pair, not timed: first page, first queries, code paths
BODY = "Bench message {n}: this week was hard, can we talk about sleep on Thursday?"


@dataclass(frozen=True)
class Pair:
    """A patient and their therapist in an open conversation, both logged in."""

    conversation: int
    patient: int  # user id: the ``by`` of the events
    patient_session: str
    therapist_session: str


@dataclass
class Delivery:
    pairs: int
    latencies_ns: list[int] = field(default_factory=list)  # POST sent -> event received
    posts_ns: list[int] = field(default_factory=list)  # POST sent -> 302 received
    wall_ns: int = 0
    confirmed: int = 0  # answered 302 and delivered, warm-up included: rows the database must hold

    @property
    def count(self) -> int:
        return len(self.latencies_ns)

    @property
    def per_second(self) -> float:
        return self.count / (self.wall_ns / 1e9)

    def ms(self, samples: list[int], percent: float) -> float:
        return percentile(sorted(samples), percent) / 1e6


@dataclass(frozen=True)
class Level:
    pairs: int
    messages: int
    raw: Result | None = None
    delivery: Delivery | None = None
    in_database: str = ""  # the persisted-count check, in words
    failure: str = ""


class _Page(HttpConnection):
    """A patient's open conversation page: its connection, cookies and CSRF token."""

    def __init__(self, project: ProjectServer, pair: Pair):
        super().__init__(project, {project.session_cookie.split("=", 1)[0]: pair.patient_session})
        self.pair = pair

    @property
    def path(self) -> str:
        return f"/messages/{self.pair.conversation}/"

    async def open(self) -> None:
        status, _, _ = await self.request("GET", self.path)
        if status != 200:
            raise BenchError(f"GET {self.path} answered HTTP {status}{_hint(status)}")
        if "csrftoken" not in self.cookies:
            raise BenchError(f"GET {self.path} set no csrftoken cookie")

    async def send(self, n: int) -> int:
        """Post message ``n``; when its 302 arrived."""
        token = self.cookies["csrftoken"]
        form = {"body": BODY.format(n=n), "client_id": str(uuid.uuid4())}
        status, _, body = await self.request(
            "POST",
            f"{self.path}send/",
            fields={**form, "csrfmiddlewaretoken": token},
            headers={"X-CSRFToken": token},
        )
        if status != 302:
            raise BenchError(
                f"POST {self.path}send/ answered HTTP {status}{_hint(status)}{_errors(body)}"
            )
        return time.perf_counter_ns()


def _hint(status: int) -> str:
    return {
        302: " (a redirect: to the log-in page if the session was not accepted, to two-factor "
        "set-up for a therapist without it)",
        403: " (the CSRF check refused the form)",
        404: " (the conversation is not this user's)",
        422: " (the message was refused)",
    }.get(status, "")


def _errors(page: bytes) -> str:
    """The form errors a refused post shows, as text."""
    found = re.findall(rb'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.DOTALL)
    text = " ".join(re.sub(rb"<[^>]+>|\s+", b" ", item).decode().strip() for item in found)
    return f": {text}" if text else ""


async def _open(
    project: ProjectServer,
    pairs: Sequence[Pair],
    pages: dict[int, _Page],
    sockets: dict[int, ClientConnection],
) -> None:
    """Each patient's page (for its CSRF token) and each therapist's socket, joined when the
    socket has answered a ping (the consumer handles its messages in order: connect first)."""
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)  # past daphne's listen backlog: only retries
    session_cookie_name = project.session_cookie.split("=", 1)[0]

    async def page(pair: Pair) -> None:
        async with gate:
            pages[pair.conversation] = opened = _Page(project, pair)
            await opened.open()

    async def socket(pair: Pair) -> None:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{project.port}/ws/conversations/{pair.conversation}/",
                additional_headers={
                    "Cookie": f"{session_cookie_name}={pair.therapist_session}",
                    "Origin": project.origin,
                },
                compression=None,
                ping_interval=None,
                proxy=None,
                open_timeout=OPEN_TIMEOUT_SECONDS,
            )
            sockets[pair.conversation] = ws
            async with asyncio.timeout(OPEN_TIMEOUT_SECONDS):
                await ws.send('{"type": "ping", "id": 0}')
                reply = await ws.recv()
            if json.loads(reply) != {"type": "pong", "id": 0}:
                raise BenchError(f"the first ping was answered with {reply[:200]!r}")

    await gather_all("opening the patients' pages", [page(pair) for pair in pairs])
    await gather_all("opening the therapists' sockets", [socket(pair) for pair in pairs])


async def _next_message(ws: ClientConnection, pair: Pair, after: int) -> tuple[int, int]:
    """When the next ``message.new`` arrived, and its message id (later than ``after``)."""
    while True:
        text = await ws.recv()
        arrived = time.perf_counter_ns()
        event = json.loads(text)
        if event.get("kind") != "message.new":
            continue  # read receipts, should any come: not what is measured
        if (
            event.get("conversation") != pair.conversation
            or event.get("by") != pair.patient
            or not event.get("message", 0) > after
        ):
            raise BenchError(f"conversation {pair.conversation}: unexpected event {text!r}")
        return arrived, event["message"]


async def _converse(
    page: _Page, ws: ClientConnection, count: int, delivery: Delivery, *, timed: bool
) -> None:
    """The patient posts ``count`` messages, each once the therapist's socket has had the one
    before: one message in flight per pair, as each echo client has one ping. (Posting on at
    the pace of the 302s alone would measure a queue that grows with ``count``.)"""
    last_message = 0
    async with asyncio.timeout(PHASE_TIMEOUT_SECONDS):
        for n in range(count):
            started = time.perf_counter_ns()
            try:
                # The event may come before the 302: listen while posting.
                async with asyncio.TaskGroup() as group:
                    posted = group.create_task(page.send(n))
                    event = group.create_task(_next_message(ws, page.pair, last_message))
            except ExceptionGroup as errors:
                raise errors.exceptions[0] from None
            arrived, last_message = event.result()
            delivery.confirmed += 1
            if timed:
                delivery.latencies_ns.append(arrived - started)
                delivery.posts_ns.append(posted.result() - started)


async def _deliver(project: ProjectServer, pairs: Sequence[Pair], messages: int) -> Delivery:
    delivery = Delivery(pairs=len(pairs))
    pages: dict[int, _Page] = {}
    sockets: dict[int, ClientConnection] = {}
    try:
        await _open(project, pairs, pages, sockets)

        async def run(count: int, *, timed: bool) -> None:
            await gather_all(
                "sending" if timed else "warming up",
                [
                    _converse(
                        pages[pair.conversation],
                        sockets[pair.conversation],
                        count,
                        delivery,
                        timed=timed,
                    )
                    for pair in pairs
                ],
            )

        await run(WARM_UP_MESSAGES, timed=False)
        started = time.perf_counter_ns()
        await run(messages, timed=True)
        delivery.wall_ns = time.perf_counter_ns() - started
    finally:
        await asyncio.gather(
            *(page.close() for page in pages.values()),
            *(ws.close() for ws in sockets.values()),
            return_exceptions=True,
        )
    return delivery


@contextmanager
def _pairs(
    project: ProjectServer, count: int, options: Options
) -> Iterator[tuple[str, list[Pair]]]:
    """``count`` pairs made in the served database, deleted afterwards (``project_data``)."""
    with project_data(
        project, options, "pairs", count, what=f"Creating {count} patient-therapist pairs"
    ) as (tag, made):
        yield tag, [Pair(**pair) for pair in made]


def _messages_in_database(project: ProjectServer, tag: str) -> int:
    printed = project_command(
        project, "-m", "bench.project_user", "pairs-messages", tag, what="Counting the messages"
    )
    return int(printed.split()[-1])


def _measure_levels(
    project: ProjectServer,
    raw: Server,
    levels: Sequence[tuple[int, int]],
    options: Options,
) -> list[Level]:
    done: list[Level] = []
    with _pairs(project, max(pairs for pairs, _ in levels), options) as (tag, pairs):
        persisted = 0
        for count, messages in levels:
            if done and done[-1].failure:
                skipped = f"not tried: {done[-1].pairs} pairs failed"
                done.append(Level(count, messages, failure=skipped))
                continue
            url, origin = f"ws://127.0.0.1:{raw.port}/", f"http://127.0.0.1:{raw.port}"
            target = Target("raw", url, {"Origin": origin}, raw)
            echo = asyncio.run(measure(target, count, messages, WARM_UP_MESSAGES))
            try:
                delivery = asyncio.run(_deliver(project, pairs[:count], messages))
            except BenchError as error:
                # A 500 or a close code only says the server failed; its log says how.
                failure = f"not measured: {error}\nits log:\n{project.log_tail() or '(empty)'}"
                done.append(Level(count, messages, echo, failure=failure))
                continue
            now = _messages_in_database(project, tag)
            stored, persisted = now - persisted, now
            check = "all" if stored == delivery.confirmed else f"{stored} of {delivery.confirmed}"
            done.append(Level(count, messages, echo, delivery, check))
    return done


def _report(
    project: ProjectServer, levels: list[Level], *, machine: str, errors: str, quick: bool
) -> str:
    rows, failures = [], []
    for level in levels:
        cells = [str(level.pairs), str(level.pairs * level.messages)]
        delivery, raw = level.delivery, level.raw
        if delivery is None or raw is None:
            reason, *details = level.failure.splitlines()
            if details:
                failures.append(f"{level.pairs} pairs: {level.failure}")
            rows.append([*cells, "-", "-", "-", "-", "-", "-", "-", reason])
            continue
        p50, p99 = delivery.ms(delivery.latencies_ns, 50), delivery.ms(delivery.latencies_ns, 99)
        rows.append(
            [
                *cells,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{delivery.ms(delivery.posts_ns, 50):.1f}",
                f"{delivery.per_second:.0f}",
                level.in_database,
                f"{raw.p50_ms:.2f}",
                f"{raw.p99_ms:.2f}",
                f"p50 {ratio(p50, raw.p50_ms)}  p99 {ratio(p99, raw.p99_ms)}",
            ]
        )
    header = [
        "pairs",
        "messages",
        "p50 ms",
        "p99 ms",
        "POST p50 ms",
        "persisted/s",
        "in database",
        "echo p50 ms",
        "echo p99 ms",
        "delivery / echo",
    ]
    lines = [
        f"{TITLE}    database: {project.database}    channel layer: {project.channel_layer}",
        f"project: {project.words}, POST /messages/<pk>/send/ -> message.new on "
        f"/ws/conversations/<pk>/ (DEBUG={project.debug})",
        "latency: just before the POST -> the event at the therapist's socket; POST: -> its 302",
        "persisted/s: timed messages / wall time; in database: Message rows added vs messages "
        f"posted and delivered ({WARM_UP_MESSAGES} warm-up message per pair included)",
        "each pair has one message in flight: the next POST once the last one's 302 and event came",
        "echo: raw websockets echo round trip, one client per pair, as many round trips each",
        machine,
    ]
    if quick:
        lines.append("--quick: too few messages to compare, a smoke check only")
    table = format_table(header, rows, right={0, 1, 2, 3, 4, 5, 7, 8})
    return "\n".join([*lines, "", table, errors, *(f"\n{failure}" for failure in failures)])


def run(options: Options) -> str:
    levels = QUICK_LEVELS if options.quick else LEVELS
    # Server, database, Redis and clients share these CPUs: what else runs shows in the numbers.
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(what else runs on it shows in the numbers)"
    )
    with echo_server() as raw, project_server(options) as project:
        measured = _measure_levels(project, raw, levels, options)
        errors = logged_errors(project)  # after the pairs' deletion: late errors are in
    return _report(project, measured, machine=machine, errors=errors, quick=options.quick)
