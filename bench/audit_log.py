"""The access log's cost: a therapist's thread page with and without logging the read.

In its own process (``python -m bench.audit_log measure ...``, with the project's environment,
so that the bench itself never imports Django), through Django's whole request path (every
middleware, the view, the template) with the test client: no network, no server, so what is
measured is what the application does for the page. One approved therapist with an
authenticator app, their patient, and the patient's conversation of MESSAGES messages (the
page shows the latest 50); the page is asked, one request after another, in these modes,
interleaved in rounds so that whatever else the machine does falls on all of them alike:

- *no log*: the selector's call to ``audit.services.access_record`` replaced by nothing: the
  page as it was before the access log (the baseline);
- *repeat*: logged, a read merged into the visit the same session logged a moment ago (a
  reload, a live refresh): one query;
- *new visit*: logged, an entry appended every time (``AUDIT_REPEAT_MINUTES=0``): the repeats
  query, the chain's lock, its head, the insert, in a transaction of their own;
- *new visit, long log*: the same, the patient's chain already LONG_LOG entries long.

The ratio column is each mode against *no log*, measured in the same run. On PostgreSQL
(``--database-url``) it leaves its people, their conversations and the access log behind (nothing
deletes an access log entry): give it a database of its own.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from bench.report import format_table, percentile, ratio
from bench.servers import Options, _project_env, _python, database_ready, redact

TITLE = "Access log: the thread page with and without logging the read"

MESSAGES = (10, 2_000)
QUICK_MESSAGES = (10, 60)
REQUESTS = 300  # per mode and size, timed
QUICK_REQUESTS = 8
ROUNDS = 10  # the requests of each mode are spread over this many rounds, modes interleaved
WARM_UP = 5  # per mode and size, not timed
LONG_LOG = 10_000
QUICK_LONG_LOG = 100
MODES = ("no log", "repeat", "new visit", "new visit, long log")


# --- The measuring process ---------------------------------------------------------------------


def _pair(tag: str, messages: int):
    """A therapist and their patient with a conversation of ``messages`` messages (through the
    app's own code, the messages in bulk as ``bench.project_user`` makes them)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from bench.project_user import _practice_messages, _signed_up, _therapist_signed_up
    from matching.models import Match
    from messaging.models import Message
    from messaging.services import conversation_open

    with transaction.atomic():
        patient = _signed_up(
            User.Role.PATIENT, f"bench-{tag}-patient@example.invalid", nickname="Bench"
        )
        therapist = _therapist_signed_up(f"bench-{tag}-therapist@example.invalid", "Bench")
        match = Match.objects.create(patient=patient, therapist=therapist.therapist_profile)
        conversation = conversation_open(match_id=match.pk)
        Message.objects.bulk_create(
            _practice_messages([conversation], messages, therapist.pk, timezone.now()),
            batch_size=1000,
        )
    return therapist, patient, conversation


def _long_log(patient_id: int, reader_id: int, count: int) -> None:
    """``count`` entries appended to the patient's chain at once, linked as the service links
    them (the chain stays valid)."""
    from datetime import timedelta

    from django.utils import timezone

    from audit.chain import GENESIS, link_hash
    from audit.models import AccessEntry
    from audit.services import _chain_heads

    seq, prev = _chain_heads([patient_id]).get(patient_id, (0, GENESIS))
    start = timezone.now() - timedelta(days=365)
    entries = []
    for n in range(count):
        seq += 1
        fields: dict[str, Any] = {
            "patient_id": patient_id,
            "seq": seq,
            "accessor_id": reader_id,
            "role": AccessEntry.Role.THERAPIST,
            "kind": AccessEntry.Kind.THREAD,
            "record_id": None,
            "session_digest": "",
            "at": start + timedelta(minutes=n),
            "prev_hash": prev,
        }
        prev = link_hash(**fields)
        entries.append(AccessEntry(**fields, hash=prev))
    AccessEntry.objects.bulk_create(entries, batch_size=2000)


def measure(sizes: list[int], requests: int, long_log: int) -> list[dict]:
    from contextlib import ExitStack
    from secrets import token_hex
    from unittest import mock

    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    results = []
    for size in sizes:
        tag = f"audit-{token_hex(4)}"
        # The long log is another patient's (and conversation's) of the same size, so that the
        # other modes keep a short one.
        pairs = {"short": _pair(f"{tag}-short", size), "long": _pair(f"{tag}-long", size)}
        therapist, patient, _conversation = pairs["long"]
        _long_log(patient.pk, therapist.pk, long_log)
        targets = {}
        for mode in MODES:
            therapist, _patient, conversation = pairs["long" if "long" in mode else "short"]
            client = Client(HTTP_HOST="localhost")
            client.force_login(therapist)
            targets[mode] = (client, reverse("conversation", kwargs={"pk": conversation.pk}))

        def ask(mode: str, targets: dict = targets) -> int:
            with ExitStack() as stack:
                if mode == "no log":
                    stack.enter_context(mock.patch("messaging.selectors.access_record"))
                elif mode.startswith("new visit"):
                    stack.enter_context(override_settings(AUDIT_REPEAT_MINUTES=0))
                client, url = targets[mode]
                started = time.perf_counter_ns()
                response = client.get(url)
                elapsed = time.perf_counter_ns() - started
            if response.status_code != 200:
                where = response.get("Location", "")
                sys.exit(f"GET {url} in mode {mode!r} answered {response.status_code} {where}")
            return elapsed

        latencies: dict[str, list[int]] = {mode: [] for mode in MODES}
        queries: dict[str, int] = {}
        for mode in MODES:
            for _ in range(WARM_UP):
                ask(mode)
            with CaptureQueriesContext(connection) as captured:
                ask(mode)
            queries[mode] = len(captured)
        for round_ in range(ROUNDS):
            share = requests // ROUNDS + (1 if round_ < requests % ROUNDS else 0)
            for mode in MODES:
                latencies[mode] += [ask(mode) for _ in range(share)]
        for mode in MODES:
            timed = sorted(latencies[mode])
            results.append(
                {
                    "messages": size,
                    "mode": mode,
                    "requests": len(timed),
                    "p50_ms": percentile(timed, 50) / 1e6,
                    "p99_ms": percentile(timed, 99) / 1e6,
                    "per_second": 1e9 / statistics.fmean(timed),
                    "queries": queries[mode],
                }
            )
    return results


# --- The table ---------------------------------------------------------------------------------


def _report(results: list[dict], options: Options, long_log: int, machine: str) -> str:
    cells = []
    baseline: dict = {}
    for row in results:
        if row["mode"] == "no log":
            baseline = row
        versus = ""
        if row is not baseline:
            versus = (
                f"p50 {ratio(row['p50_ms'], baseline['p50_ms'])}  "
                f"rate {ratio(row['per_second'], baseline['per_second'])}  "
                f"queries {row['queries'] - baseline['queries']:+d}"
            )
        mode = row["mode"].replace("long log", f"log of {long_log:,}")
        cells.append(
            [
                f"{row['messages']:,}",
                mode,
                str(row["requests"]),
                str(row["queries"]),
                f"{row['p50_ms']:.2f}",
                f"{row['p99_ms']:.2f}",
                f"{row['per_second']:.0f}",
                versus,
            ]
        )
    header = ["messages", "mode", "requests", "queries", "p50 ms", "p99 ms", "pages/s", "vs no log"]
    database = redact(options.database_url) if options.database_url else "temporary SQLite"
    lines = [
        f"{TITLE}    database: {database}",
        "the therapist's GET /messages/<pk>/ through Django's whole request path in one process "
        "(test client: no network); modes interleaved over "
        f"{ROUNDS} rounds; a page shows the latest 50 messages",
        machine,
    ]
    if options.quick:
        lines.append("--quick: few requests, a smoke check only")
    table = format_table(header, cells, right={0, 2, 3, 4, 5, 6})
    return "\n".join([*lines, "", table])


def run(options: Options) -> str:
    sizes = QUICK_MESSAGES if options.quick else MESSAGES
    requests = QUICK_REQUESTS if options.quick else REQUESTS
    long_log = QUICK_LONG_LOG if options.quick else LONG_LOG
    machine = (
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(what else runs on it shows in the numbers)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = _project_env(options, var_dir)
        database_ready(options, env)
        output = _python(
            "-m",
            "bench.audit_log",
            "measure",
            json.dumps({"sizes": list(sizes), "requests": requests, "long_log": long_log}),
            env=env,
            what="Measuring the thread page",
        )
    results = json.loads(output.splitlines()[-1])
    return _report(results, options, long_log, machine)


if __name__ == "__main__":
    import django

    django.setup()
    match sys.argv[1:]:
        case ["measure", arguments]:
            given = json.loads(arguments)
            print(json.dumps(measure(given["sizes"], given["requests"], given["long_log"])))
        case _:
            sys.exit("usage: python -m bench.audit_log measure JSON")
