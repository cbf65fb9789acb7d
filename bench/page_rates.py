"""Page rates: the pages of a working day against a trivial view of the same app, same server.

One approved therapist's practice, made by ``bench.project_user practice``: PATIENTS patients,
APPOINTMENTS appointments (past and to come, booked and cancelled), MESSAGES messages over the
conversations (both ways, some unread) and a few check-ins (PHQ-9 and GAD-7) per patient.
Measured, each with its user's session cookie: the therapist's dashboard (``/home/``), its
caseload and one row of it as a live event fetches them again (``/home/caseload/``, after a
new patient; ``/home/caseload/<patient>/``, after a message or a read), the thread page of
their busiest conversation (``/messages/<pk>/``) and the home of that conversation's patient
(``/home/``). The baseline is ``/favicon.ico`` with the same user's
cookie: a view that only redirects, behind the same middleware (session, user, language and
time zone, the two-factor check), so that a ratio is what the page itself costs.

C clients at once, each a keep-alive connection making its requests one after another, after a
warm-up. Only status codes are checked, never the HTML: the pages are growing.

``--instructions`` also counts each page's CPU instructions in one process under callgrind
(``bench.instructions``): production's settings (``DEBUG=false``), Django's whole request path
through the test client, no server; each page against its user's trivial view. A count the
machine's load does not blur, where the rates above move with it.
"""

import asyncio
import json
import os
import sys
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from bench import instructions
from bench.errors import BenchError
from bench.project_client import HttpConnection, project_data
from bench.report import format_table, percentile, ratio
from bench.servers import Options, ProjectServer, logged_errors, production_env, project_server
from bench.ws_roundtrip import PHASE_TIMEOUT_SECONDS

TITLE = "Page rates (dashboard, its caseload and a row, thread, patient home vs a trivial view)"

# (patients, appointments, messages) of the one therapist
SIZES = (60, 300, 10_000)
QUICK_SIZES = (3, 12, 60)
# (clients, requests each client makes one after another)
LEVELS = ((1, 300), (8, 50))
QUICK_LEVELS = ((1, 5), (2, 3))
WARM_UP_REQUESTS = 5  # per client, not timed: connection, first queries, templates
QUICK_WARM_UP_REQUESTS = 1
TRIVIAL = "/favicon.ico"
TRIVIAL_STATUS = 301  # a permanent redirect to the static file
# --instructions: each page's requests counted in two runs of these many (after the warm-up)
INSTRUCTION_UNITS = (3, 9)
QUICK_INSTRUCTION_UNITS = (1, 3)
# ... and a trivial view's in batches of this many: a start-up's few million instructions that
# differ from run to run (a collection of the garbage collector, for one) would otherwise be a
# third of a trivial request's count (the first runs: 1.5 and 2.1 M for the same view).
TRIVIAL_BATCH = 10


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    user: str  # whose session cookie: "therapist" or "patient"
    status: int  # every answer must have it

    @property
    def trivial(self) -> bool:
        return self.path == TRIVIAL


@dataclass(frozen=True)
class Sample:
    latencies_ns: list[int]  # sorted: request written -> whole answer read
    wall_ns: int
    size: int  # bytes of the last answer's body

    @property
    def per_second(self) -> float:
        return len(self.latencies_ns) / (self.wall_ns / 1e9)

    def ms(self, percent: float) -> float:
        return percentile(self.latencies_ns, percent) / 1e6


@dataclass(frozen=True)
class Row:
    clients: int
    page: Page
    sample: Sample | None
    failure: str = ""


def _pages(practice: dict) -> list[Page]:
    """Each user's trivial view first, then their pages: a ratio compares neighbours in time."""
    conversation, patient = practice["conversation"], practice["patient"]
    return [
        Page("trivial view", TRIVIAL, "therapist", TRIVIAL_STATUS),
        Page("dashboard", "/home/", "therapist", 200),
        Page("caseload, fetched again", "/home/caseload/", "therapist", 200),
        Page("a caseload row, fetched again", f"/home/caseload/{patient}/", "therapist", 200),
        Page("thread page", f"/messages/{conversation}/", "therapist", 200),
        Page("trivial view", TRIVIAL, "patient", TRIVIAL_STATUS),
        Page("patient home", "/home/", "patient", 200),
    ]


def count_units(tag: str, practice: dict, number: int, count: int) -> None:
    """The warm-up and ``count`` units of page ``number`` of ``_pages``, as its user, in this
    process through Django's test client: what ``--instructions`` runs under callgrind. A unit
    is a request, or ``TRIVIAL_BATCH`` of the trivial view."""
    from django.test import Client

    from accounts.models import User
    from bench.project_user import practice_email

    page = _pages(practice)[number]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=practice_email(tag, page.user)))
    for _ in range((WARM_UP_REQUESTS + count) * (TRIVIAL_BATCH if page.trivial else 1)):
        status = client.get(page.path).status_code
        if status != page.status:
            sys.exit(f"GET {page.path} as the {page.user}: HTTP {status}, not {page.status}")


def _instructions(project: ProjectServer, tag: str, practice: dict, quick: bool) -> str:
    """Each page's instructions per request beside its user's trivial view's (see the module)."""
    env = production_env(project.env)
    pages = _pages(practice)
    ids = {"conversation": practice["conversation"], "patient": practice["patient"]}
    works = {
        f"{number}": {"tag": tag, "practice": ids, "number": number} for number in range(len(pages))
    }
    counts = QUICK_INSTRUCTION_UNITS if quick else INSTRUCTION_UNITS
    counted = instructions.per_unit(env, "bench.page_rates", works, counts)
    cells, trivial = [], 0.0
    for number, page in enumerate(pages):
        each = counted[f"{number}"] / (TRIVIAL_BATCH if page.trivial else 1)
        trivial = each if page.trivial else trivial
        vs = "" if page.trivial else f"x{each / trivial:.1f} ({trivial / each:.3f} the rate)"
        cells.append([page.user, f"{page.name} {page.path}", f"{each / 1e6:.2f}", vs])
    header = ["user", "page", "M instructions / request", "vs the trivial view"]
    return (
        f"\n\nInstructions per request, in one process (DEBUG=false, the test client; "
        f"{instructions.words(counts)}; a trivial view's unit is {TRIVIAL_BATCH} requests)"
        f"\n{format_table(header, cells, right={2})}"
    )


def _hint(response_status: int, location: str) -> str:
    if response_status in (301, 302):
        # Log-in when the session was not accepted, two-factor set-up for a therapist without it.
        return f" (a redirect to {location or '?'})"
    return {403: " (forbidden)", 404: " (not this user's)", 500: " (the server failed)"}.get(
        response_status, ""
    )


async def _together(coroutines: Sequence[Coroutine]) -> list[Any]:
    """Every coroutine's result; the first failure stops the others and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except ExceptionGroup as errors:
        raise errors.exceptions[0] from None
    return [task.result() for task in tasks]


async def _requests(
    connection: HttpConnection, page: Page, count: int, samples: list[int] | None
) -> int:
    """``count`` GETs of the page, one after another; the last body's size."""
    size = 0
    for _ in range(count):
        started = time.perf_counter_ns()
        response = await connection.request("GET", page.path)
        elapsed = time.perf_counter_ns() - started
        if response.status != page.status:
            location = response.headers.get("location", "")
            raise BenchError(
                f"GET {page.path} as the {page.user} answered HTTP {response.status}"
                f"{_hint(response.status, location)}, not {page.status}"
            )
        if samples is not None:
            samples.append(elapsed)
        size = len(response.body)
    return size


async def _measure(
    project: ProjectServer, page: Page, session: str, clients: int, requests: int, warm_up: int
) -> Sample:
    cookie_name = project.session_cookie.split("=", 1)[0]
    connections = [HttpConnection(project, {cookie_name: session}) for _ in range(clients)]
    samples: list[int] = []
    try:
        async with asyncio.timeout(PHASE_TIMEOUT_SECONDS):
            await _together([_requests(c, page, warm_up, None) for c in connections])
            started = time.perf_counter_ns()
            sizes = await _together([_requests(c, page, requests, samples) for c in connections])
            wall_ns = time.perf_counter_ns() - started
    finally:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    return Sample(latencies_ns=sorted(samples), wall_ns=wall_ns, size=sizes[-1])


def _failure(error: Exception) -> str:
    if isinstance(error, BenchError):
        return str(error)
    if isinstance(error, TimeoutError):
        return f"not all answers within {PHASE_TIMEOUT_SECONDS}s"
    if isinstance(error, EOFError):
        return "the server closed the connection in the middle of an answer"
    return f"{type(error).__name__}: {error}"


def _measure_all(
    project: ProjectServer,
    practice: dict,
    levels: Sequence[tuple[int, int]],
    warm_up: int,
) -> list[Row]:
    sessions = {"therapist": practice["therapist_session"], "patient": practice["patient_session"]}
    rows = []
    for clients, requests in levels:
        for page in _pages(practice):
            try:
                sample = asyncio.run(
                    _measure(project, page, sessions[page.user], clients, requests, warm_up)
                )
            except (BenchError, OSError, EOFError, TimeoutError, ValueError) as error:
                rows.append(Row(clients, page, None, _failure(error)))
                continue
            rows.append(Row(clients, page, sample))
    return rows


def _ratios(sample: Sample, trivial: Sample | None) -> str:
    if trivial is None:
        return "(trivial view not measured)"
    return (
        f"rate {ratio(sample.per_second, trivial.per_second)}  "
        f"p50 {ratio(sample.ms(50), trivial.ms(50))}  p99 {ratio(sample.ms(99), trivial.ms(99))}"
    )


def _report(
    project: ProjectServer,
    practice: dict,
    rows: list[Row],
    *,
    warm_up: int,
    machine: str,
    errors: str,
    quick: bool,
) -> str:
    cells, failures = [], []
    trivial: Sample | None = None
    for row in rows:
        page, sample = row.page, row.sample
        first = [str(row.clients), page.user, f"{page.name} {page.path}"]
        if sample is None:
            failures.append(f"{page.name} as the {page.user}, C={row.clients}: {row.failure}")
            cells.append([*first, "-", "-", "-", "-", "-", "not measured: see below"])
        else:
            cells.append(
                [
                    *first,
                    str(len(sample.latencies_ns)),
                    f"{sample.size / 1000:.1f}",
                    f"{sample.ms(50):.1f}",
                    f"{sample.ms(99):.1f}",
                    f"{sample.per_second:.0f}",
                    "" if page.trivial else _ratios(sample, trivial),
                ]
            )
        if page.trivial:
            trivial = sample
    header = [
        "clients",
        "user",
        "page",
        "requests",
        "kB",
        "p50 ms",
        "p99 ms",
        "requests/s",
        "page / trivial view",
    ]
    lines = [
        f"{TITLE}    database: {project.database}    channel layer: {project.channel_layer}",
        f"project: {project.words} (DEBUG={project.debug}); one approved therapist with "
        f"{practice['patients']} patients, {practice['appointments']} appointments, "
        f"{practice['messages']:,} messages ({practice['conversation_messages']:,} in the "
        f"busiest conversation, the thread measured), {practice['screening_results']} "
        "screening results",
        f"trivial view: GET {TRIVIAL}, a redirect ({TRIVIAL_STATUS}) through the same middleware "
        "with the same user's cookie: session, user, language and time zone, two-factor check; "
        "each page is compared with its user's trivial view, measured just before it",
        f"clients: one asyncio process, one keep-alive connection each, {warm_up} warm-up "
        "request(s) each, not timed; latency: request written -> whole answer read; "
        "every answer's status checked, never its HTML",
        machine,
    ]
    if quick:
        lines.append("--quick: a small practice and few requests, a smoke check only")
    table = format_table(header, cells, right={0, 3, 4, 5, 6, 7})
    parts = ["\n".join(lines), "", table, errors]
    if failures:
        log = project.log_tail() or "(empty)"
        parts += ["", "Not measured:", *failures, f"daphne's log, last lines:\n{log}"]
    return "\n".join(parts)


def run(options: Options) -> str:
    patients, appointments, messages = QUICK_SIZES if options.quick else SIZES
    levels = QUICK_LEVELS if options.quick else LEVELS
    warm_up = QUICK_WARM_UP_REQUESTS if options.quick else WARM_UP_REQUESTS
    # Server, database, Redis and clients share these CPUs: what else runs shows in the numbers.
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(what else runs on it shows in the numbers)"
    )
    with project_server(options) as project:
        with project_data(
            project,
            options,
            "practice",
            patients,
            appointments,
            messages,
            what=f"Making a practice of {patients} patients",
        ) as (tag, practice):
            rows = _measure_all(project, practice, levels, warm_up)
            counted = ""
            if options.instructions:
                counted = _instructions(project, tag, practice, options.quick)
        errors = logged_errors(project)  # after the practice's deletion: late errors are in
        report = _report(
            project,
            practice,
            rows,
            warm_up=warm_up,
            machine=machine,
            errors=errors,
            quick=options.quick,
        )
        return report + counted


if __name__ == "__main__":
    import django

    django.setup()
    match sys.argv[1:]:
        case ["units", arguments]:
            given = json.loads(arguments)
            count_units(given["tag"], given["practice"], given["number"], given["count"])
        case _:
            sys.exit("usage: python -m bench.page_rates units JSON")
