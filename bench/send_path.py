"""What one message costs the application's CPU: the patient's POST and the therapist's fetch.

In its own process (``python -m bench.send_path measure ...``, with the project's environment
and production's settings, ``DEBUG=false``, so that the bench itself never imports Django),
through Django's whole request path (every middleware, CSRF checked, the view, the template)
with the test client: no network, no server, no proxy, so what is measured is what the
application does for a message, in the process that does it. Each *message* is what the
pages do: the patient posts with htmx (the answer is the message alone), the therapist's page
fetches it (``?after=<id - 1>``, which marks it read); each publishes its events (on Redis with
``--redis-url``, through the process's one publishing loop, whose CPU counts too). The
baseline, interleaved with it over ``ROUNDS`` rounds: the same two people each asking a
trivial view (``/favicon.ico``, a redirect behind the same middleware, with their cookie), the
floor of two requests through this stack.

*CPU ms*: the process's user + system time (``time.process_time``, every thread) per message
or per pair of trivial requests. The issue's target is 6 ms of server CPU per message.
``--profile`` prints the functions of the project that cost the most CPU (cProfile).
"""

import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from bench import instructions
from bench.report import format_table, percentile, ratio
from bench.servers import Options, _project_env, _python, database_ready, redact

TITLE = "Send path: one message's CPU in the application (POST + the reader's fetch)"

PAIRS = 4
MESSAGES = 1_200
QUICK_MESSAGES = 40
ROUNDS = 12
WARM_UP = 20
MODES = ("message", "two trivial requests")
PROFILE_TOP = 25
# --instructions: each mode's units counted under callgrind in two runs of these many units
# (after the warm-up); the difference divided by theirs is one unit's, start-up left out.
INSTRUCTION_UNITS = (10, 40)
QUICK_INSTRUCTION_UNITS = (2, 6)


def _units(tag: str) -> tuple[dict, Callable[[], None]]:
    """The two units of work on ``PAIRS`` new pairs: ``message(n)`` and ``trivial(n)``, by
    mode; and what deletes the pairs again."""
    import uuid

    from django.conf import settings
    from django.test import Client

    from bench.project_user import pairs_create, pairs_delete

    message_id = re.compile(r'<li id="message-(\d+)"')
    cookie = settings.SESSION_COOKIE_NAME
    people: list[tuple[str, Client, Client]] = []
    pairs = pairs_create(tag, PAIRS)
    for pair in pairs:
        path = f"/messages/{pair['conversation']}/"
        sides = []
        for session in (pair["patient_session"], pair["therapist_session"]):
            client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
            client.cookies[cookie] = str(session)
            if client.get(path).status_code != 200:  # the page open, its CSRF cookie set
                sys.exit(f"GET {path} did not answer 200")
            sides.append(client)
        people.append((path, sides[0], sides[1]))

    def message(n: int) -> None:
        path, patient, therapist = people[n % len(people)]
        token = patient.cookies["csrftoken"].value
        sent = patient.post(
            f"{path}send/",
            {"body": f"Bench message {n}", "client_id": str(uuid.uuid4())},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        found = message_id.search(sent.content.decode())
        if sent.status_code != 200 or not found:
            sys.exit(f"POST {path}send/ answered {sent.status_code} without the message")
        new = int(found.group(1))
        fetched = therapist.get(path, {"after": new - 1}, headers={"HX-Request": "true"})
        if fetched.status_code != 200 or f'id="message-{new}"' not in fetched.content.decode():
            sys.exit(f"GET {path}?after= answered {fetched.status_code} without the message")

    def trivial(n: int) -> None:
        _path, patient, therapist = people[n % len(people)]
        for client in (patient, therapist):
            if client.get("/favicon.ico").status_code != 301:
                sys.exit("GET /favicon.ico did not answer its redirect")

    sessions = [
        str(pair[side]) for pair in pairs for side in ("patient_session", "therapist_session")
    ]
    return {"message": message, "two trivial requests": trivial}, partial(
        pairs_delete, tag, sessions
    )


def count_units(mode: str, count: int) -> None:
    """``WARM_UP`` + ``count`` units of ``mode`` and nothing else: what ``--instructions``
    runs under callgrind, twice with two counts, so that the difference is the units' alone."""
    import uuid

    units, delete = _units(f"instr-{uuid.uuid4().hex[:6]}")
    for n in range(WARM_UP + count):
        units[mode](n)
    delete()


def measure(count: int, profile: bool) -> dict:
    import cProfile
    import io
    import pstats
    import uuid

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    units, delete = _units(f"send-{uuid.uuid4().hex[:6]}")
    message = units["message"]
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    wall: dict[str, list[int]] = {mode: [] for mode in MODES}
    queries: dict[str, int] = {}
    for mode in MODES:
        for n in range(WARM_UP):
            units[mode](n)
        with CaptureQueriesContext(connection) as captured:
            units[mode](0)
        queries[mode] = len(captured)
    n = 0
    for round_ in range(ROUNDS):
        share = count // ROUNDS + (1 if round_ < count % ROUNDS else 0)
        for mode in MODES:
            started_cpu = time.process_time()
            for _ in range(share):
                started = time.perf_counter_ns()
                units[mode](n)
                wall[mode].append(time.perf_counter_ns() - started)
                n += 1
            cpu[mode].append((time.process_time() - started_cpu) / share * 1000)
    results = {
        mode: {
            "units": len(wall[mode]),
            "cpu_ms": statistics.median(cpu[mode]),
            "cpu_ms_range": [min(cpu[mode]), max(cpu[mode])],
            "p50_ms": percentile(sorted(wall[mode]), 50) / 1e6,
            "queries": queries[mode],
        }
        for mode in MODES
    }
    top = ""
    if profile:
        profiler = cProfile.Profile(time.process_time)

        def messages() -> None:
            for k in range(max(count // 4, 10)):
                message(k)

        profiler.runcall(messages)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        root = os.getcwd() + os.sep
        stats.print_stats(rf"^{re.escape(root)}(?!\.venv)", PROFILE_TOP)
        top = out.getvalue().replace(root, "")
    delete()
    return {"results": results, "debug": settings.DEBUG, "profile": top}


def _report(measured: dict, options: Options, machine: str) -> str:
    results = measured["results"]
    base = results["two trivial requests"]
    cells = []
    for mode in MODES:
        row = results[mode]
        low, high = row["cpu_ms_range"]
        versus = "" if row is base else f"CPU x{row['cpu_ms'] / base['cpu_ms']:.2f}"
        if row is not base:
            versus += f"  p50 {ratio(row['p50_ms'], base['p50_ms'])}"
        cells.append(
            [
                mode,
                str(row["units"]),
                str(row["queries"]),
                f"{row['cpu_ms']:.2f}",
                f"{low:.2f}-{high:.2f}",
                f"{row['p50_ms']:.2f}",
                versus,
            ]
        )
    header = ["each", "timed", "queries", "CPU ms", "CPU ms by round", "p50 ms", "vs baseline"]
    database = redact(options.database_url) if options.database_url else "temporary SQLite"
    layer = f"redis {redact(options.redis_url)}" if options.redis_url else "in-memory"
    lines = [
        f"{TITLE}    database: {database}    channel layer: {layer}",
        f"{PAIRS} patient-therapist pairs; Django's whole request path in one process (test "
        f"client, CSRF checked; DEBUG={measured['debug']}); modes interleaved over {ROUNDS} "
        "rounds; CPU: the process's user + system time, median of the rounds; target 6 ms",
        machine,
    ]
    if options.quick:
        lines.append("--quick: a smoke check only, not numbers")
    table = format_table(header, cells, right={1, 2, 3, 5})
    text = "\n".join([*lines, "", table])
    if measured["profile"]:
        text += "\n\nThe project's costliest functions (cProfile, CPU time, cumulative):\n"
        text += measured["profile"]
    return text


def _instructions_report(counted: dict[str, float], counts: tuple[int, int]) -> str:
    base = counted["two trivial requests"]
    cells = [
        [
            mode,
            f"{counted[mode] / 1e6:.2f}",
            "" if mode == MODES[-1] else f"x{counted[mode] / base:.2f}",
        ]
        for mode in MODES
    ]
    return (
        f"\n\nInstructions ({instructions.words(counts)})"
        f"\n{format_table(['each', 'M instructions', 'vs baseline'], cells, right={1})}"
    )


def run(options: Options) -> str:
    count = QUICK_MESSAGES if options.quick else MESSAGES
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(what else runs on it shows in the numbers)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = _project_env(replace(options, production=True), var_dir)
        database_ready(options, env)
        output = _python(
            "-m",
            "bench.send_path",
            "measure",
            json.dumps({"count": count, "profile": options.profile}),
            env=env,
            what="Measuring the send path",
        )
        text = _report(json.loads(output.splitlines()[-1]), options, machine)
        if options.instructions:
            counts = QUICK_INSTRUCTION_UNITS if options.quick else INSTRUCTION_UNITS
            works = {mode: {"mode": mode} for mode in MODES}
            counted = instructions.per_unit(env, "bench.send_path", works, counts)
            text += _instructions_report(counted, counts)
    return text


if __name__ == "__main__":
    import django

    django.setup()
    match sys.argv[1:]:
        case ["measure", arguments]:
            given = json.loads(arguments)
            print(json.dumps(measure(given["count"], given["profile"])))
        case ["units", arguments]:
            given = json.loads(arguments)
            count_units(given["mode"], given["count"])
        case _:
            sys.exit("usage: python -m bench.send_path measure|units JSON")
