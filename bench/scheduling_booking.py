"""Booking: ``scheduling.services.appointment_book`` on distinct free slots, and a slot raced for.

1. Throughput: patients book distinct free slots of their therapist, one after another or from
   several threads at once, in two shapes: each patient with a therapist of their own, and all
   the patients with one therapist (every booking then locks the same therapist row: the
   realistic contention point). The baseline, measured in the same run on the same rows, is a
   bare ``Appointment.objects.create`` of each: the ratio is the service's cost (locks, checks,
   the calendar, the savepoint, the notice queued on commit) over an insert.
2. The race: K patients of the same therapist book the same slot at the same moment (one thread
   and one database connection each, released together by a barrier), on a new slot each round.
   Exactly one may win; the others should get ``SlotTaken``. Anything else is printed.

The measuring runs in the project's environment, in a process of its own (``python -m
bench.scheduling_booking measure TAG``), on a temporary SQLite database migrated for the run or
on the --database-url database (already migrated), where everything it made is deleted
afterwards. It prints its results as JSON for this process, which never imports Django.
"""

import json
import math
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bench.errors import BenchError
from bench.report import format_table, percentile
from bench.servers import Options, _project_env, _python, database_ready, redact

TITLE = "Scheduling: booking throughput on distinct slots, and the contended-slot race"

PEOPLE = 8  # therapists of the first shape, patients of the second
BOOKINGS = 160  # per measure
THREADS = (1, 8)
RACERS = (8, 24)
ROUNDS = 15  # races per number of racers, each on a new slot
PASSES = 2  # of each throughput measure, taken in turn; the fastest is reported
QUICK = {
    "people": 2,
    "bookings": 8,
    "threads": (1, 2),
    "passes": 1,
    "racers": (8,),
    "rounds": 2,
}
WARM_UP_BOOKINGS = 4  # per shape, before anything is timed (then deleted)
BARRIER_TIMEOUT_SECONDS = 60
SESSION_MINUTES = 50  # the defaults of AvailabilitySettings: no settings row is made
TIME_ZONE = "Europe/Paris"


# --- In the project's environment (python -m bench.scheduling_booking) -------------------------


def _prefix(tag: str) -> str:
    return f"bench-{tag}-book-"


def _signed_up(role: str, email: str, nickname: str = ""):
    """A user as the sign-up form makes one (no password: hashing is not what is measured)."""
    from accounts.models import User
    from accounts.services import user_register

    user = User(email=email)
    user.set_unusable_password()
    return user_register(
        user=user, role=role, language="en", time_zone=TIME_ZONE, nickname=nickname
    )


def _therapist(email: str):
    """An approved therapist offering video sessions, every day 08:00-20:00 in their zone."""
    from datetime import time

    import recurrence

    from accounts.models import TherapistProfile, User
    from scheduling.models import AvailabilityWindow

    profile = _signed_up(User.Role.THERAPIST, email).therapist_profile
    profile.display_name = "Bench therapist"
    profile.modalities = ["video"]
    # Set directly: the vetting workflow's documents are not what is measured.
    profile.vetting_status = TherapistProfile.VettingStatus.APPROVED
    profile.save(update_fields=["display_name", "modalities", "vetting_status"])
    every_day = [
        recurrence.MO,
        recurrence.TU,
        recurrence.WE,
        recurrence.TH,
        recurrence.FR,
        recurrence.SA,
        recurrence.SU,
    ]
    AvailabilityWindow.objects.create(
        therapist=profile,
        rule=recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.WEEKLY, byday=every_day)]),
        start_time=time(8),
        end_time=time(20),
    )
    return profile


def _patients_of(profile, emails: list[str]) -> list:
    """A patient per email, each in an active match with ``profile``: (patient, match)."""
    from accounts.models import User
    from matching.models import Match

    made = []
    for email in emails:
        patient = _signed_up(User.Role.PATIENT, email, nickname="Bench")
        made.append((patient, Match.objects.create(patient=patient, therapist=profile)))
    return made


def _free(profile, now, count: int) -> list:
    from datetime import timedelta

    from scheduling.selectors import free_slots_between

    found = free_slots_between(therapist=profile, now=now, start=now, end=now + timedelta(weeks=52))
    if len(found) < count:
        raise SystemExit(f"therapist {profile.pk} has {len(found)} free slots, {count} needed")
    return found[:count]


def _jobs(pairs: list, per_pair_slots: list[list], bookings: int) -> list[tuple]:
    """Booking ``j`` goes to pair ``j % len(pairs)``, on that pair's next slot: with as many
    threads as pairs, each thread books for one patient."""
    return [
        (*pairs[j % len(pairs)], per_pair_slots[j % len(pairs)][j // len(pairs)])
        for j in range(bookings)
    ]


def _setup(tag: str, plan: dict, now) -> dict:
    from django.db import transaction

    prefix = _prefix(tag)
    people, bookings = plan["people"], plan["bookings"]
    per_pair = math.ceil(bookings / people)
    with transaction.atomic():
        # Shape 1: each patient with a therapist of their own.
        own = []
        for n in range(people):
            profile = _therapist(f"{prefix}own-therapist-{n}@example.invalid")
            [pair] = _patients_of(profile, [f"{prefix}own-patient-{n}@example.invalid"])
            own.append((profile, *pair))
        # Shape 2: all the patients with one therapist.
        shared = _therapist(f"{prefix}shared-therapist@example.invalid")
        shared_pairs = _patients_of(
            shared, [f"{prefix}shared-patient-{n}@example.invalid" for n in range(people)]
        )
        # The race: as many patients of one therapist as the most racers.
        racing = _therapist(f"{prefix}race-therapist@example.invalid")
        racers = _patients_of(
            racing,
            [f"{prefix}race-patient-{n}@example.invalid" for n in range(max(plan["racers"]))],
        )
    shared_slots = _free(shared, now, bookings)
    return {
        "own": _jobs(
            [(patient, match) for _, patient, match in own],
            [_free(profile, now, per_pair) for profile, _, _ in own],
            bookings,
        ),
        "shared": _jobs(
            shared_pairs,
            [shared_slots[n::people] for n in range(people)],
            bookings,
        ),
        "racing": racing,
        "racers": racers,
        "race_slots": _free(racing, now, 1 + plan["rounds"] * len(plan["racers"])),
    }


def _book(job: tuple, now) -> None:
    from scheduling.services import appointment_book

    patient, _, starts_at = job
    appointment_book(patient=patient, starts_at=starts_at, modality="video", now=now)


def _create(job: tuple, now) -> None:
    """The baseline: the row the service would write, inserted as it is."""
    from datetime import timedelta

    from scheduling.models import Appointment

    patient, match, starts_at = job
    Appointment.objects.create(
        match=match,
        therapist_id=match.therapist_id,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=SESSION_MINUTES),
        modality="video",
        created_at=now,
    )


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:160]


def _threaded(jobs: list[tuple], threads: int, work, now) -> dict:
    """``jobs`` split among ``threads`` (thread ``t`` takes ``jobs[t::threads]``, one after
    another), each thread on its own connection, all started by a barrier."""
    import threading
    import time
    from collections import Counter

    from django.db import connection

    connection.close()  # the main thread's: not held while the threads work (a pool slot)
    barrier = threading.Barrier(threads, timeout=BARRIER_TIMEOUT_SECONDS)
    latencies: list[int] = []
    errors: Counter = Counter()
    starts: list[int] = []
    ends: list[int] = []
    lock = threading.Lock()

    def worker(mine: list[tuple]) -> None:
        done: list[int] = []
        failed: Counter = Counter()
        started: int | None
        ended: int | None
        try:
            barrier.wait()
            started = time.perf_counter_ns()
            for job in mine:
                before = time.perf_counter_ns()
                try:
                    work(job, now)
                except Exception as error:
                    failed[_error(error)] += 1
                done.append(time.perf_counter_ns() - before)
            ended = time.perf_counter_ns()
        except threading.BrokenBarrierError as error:
            failed[_error(error)] += 1
            started = ended = None
        finally:
            connection.close()
        with lock:
            latencies.extend(done)
            errors.update(failed)
            if started is not None and ended is not None:
                starts.append(started)
                ends.append(ended)

    running = [threading.Thread(target=worker, args=(jobs[t::threads],)) for t in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    latencies.sort()
    return {
        "wall_ns": max(ends) - min(starts) if starts else 0,
        "p50_ms": percentile(latencies, 50) / 1e6 if latencies else 0.0,
        "p99_ms": percentile(latencies, 99) / 1e6 if latencies else 0.0,
        "max_ms": latencies[-1] / 1e6 if latencies else 0.0,
        "errors": dict(errors),
    }


def _booked_rows(tag: str) -> int:
    from scheduling.models import Appointment

    return Appointment.objects.filter(
        patient__email__startswith=_prefix(tag), status=Appointment.Status.BOOKED
    ).count()


def _delete_appointments(tag: str) -> None:
    from scheduling.models import Appointment

    Appointment.objects.filter(patient__email__startswith=_prefix(tag)).delete()


def _throughput(tag: str, made: dict, plan: dict, now) -> list[dict]:
    """Each shape and number of threads: the fastest of the passes, for create and for book."""
    from collections import Counter

    rows = []
    for shape in ("own", "shared"):
        jobs = made[shape]
        # Warm-up: first queries, code paths, the broker's folder; not timed, then deleted.
        for work in (_create, _book):
            _delete_appointments(tag)
            _threaded(jobs[:WARM_UP_BOOKINGS], 1, work, now)
        _delete_appointments(tag)
        for threads in plan["threads"]:
            row = {"shape": shape, "threads": threads, "bookings": len(jobs)}
            errors: dict[str, Counter] = {"create": Counter(), "book": Counter()}
            # Passes in turn, create then book: neither has the quieter machine throughout.
            for _ in range(plan["passes"]):
                for name, work in (("create", _create), ("book", _book)):
                    measured = _threaded(jobs, threads, work, now)
                    measured["in_database"] = _booked_rows(tag)
                    _delete_appointments(tag)
                    errors[name].update(measured["errors"])
                    if measured["in_database"] != len(jobs):
                        errors[name][f"{measured['in_database']} booked rows afterwards"] += 1
                    if name not in row or measured["wall_ns"] < row[name]["wall_ns"]:
                        row[name] = measured
            for name, counted in errors.items():
                row[name]["errors"] = dict(counted)  # of every pass, not only the one kept
            rows.append(row)
    return rows


def _race_round(racers: list, starts_at, now) -> list[tuple[str, int]]:
    """Every racer books ``starts_at`` at once; what each got and how long it took."""
    import threading
    import time

    from django.db import connection

    from scheduling.services import SlotTaken, appointment_book

    connection.close()
    barrier = threading.Barrier(len(racers), timeout=BARRIER_TIMEOUT_SECONDS)
    outcomes: list = [None] * len(racers)

    def attempt(n: int, patient) -> None:
        took = 0
        try:
            barrier.wait()
            before = time.perf_counter_ns()
            try:
                appointment_book(patient=patient, starts_at=starts_at, modality="video", now=now)
                outcome = "booked"
            except SlotTaken as error:
                # Raised from the database's refusal (PostgreSQL's exclusion constraint) or by
                # the check under the therapist's lock.
                outcome = "taken by constraint" if error.__cause__ is not None else "taken"
            except Exception as error:
                outcome = _error(error)
            took = time.perf_counter_ns() - before
        except threading.BrokenBarrierError as error:
            outcome = _error(error)
        finally:
            connection.close()
        outcomes[n] = (outcome, took)

    running = [
        threading.Thread(target=attempt, args=(n, patient)) for n, (patient, _) in enumerate(racers)
    ]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes


def _races(made: dict, plan: dict, now) -> list[dict]:
    from collections import Counter

    from scheduling.models import Appointment

    slots = iter(made["race_slots"])
    # Warm-up: one booking of the race therapist, alone, then deleted.
    patient, _ = made["racers"][0]
    warm = next(slots)
    _threaded([(patient, None, warm)], 1, _book, now)
    Appointment.objects.filter(therapist=made["racing"], starts_at=warm).delete()
    rows = []
    for count in plan["racers"]:
        counts: Counter = Counter()
        latencies: list[int] = []
        exactly_one, in_database = 0, 0
        rounds = plan["rounds"]
        for _ in range(rounds):
            starts_at = next(slots)
            outcomes = _race_round(made["racers"][:count], starts_at, now)
            rows_now = Appointment.objects.filter(
                therapist=made["racing"], starts_at=starts_at, status=Appointment.Status.BOOKED
            ).count()
            in_database += rows_now
            booked = sum(outcome == "booked" for outcome, _ in outcomes)
            exactly_one += booked == 1 and rows_now == 1
            counts.update(outcome for outcome, _ in outcomes)
            latencies.extend(took for _, took in outcomes)
        latencies.sort()
        rows.append(
            {
                "racers": count,
                "rounds": rounds,
                "booked": counts.pop("booked", 0),
                "in_database": in_database,
                "exactly_one": exactly_one,
                "taken": counts.pop("taken", 0),
                "taken_by_constraint": counts.pop("taken by constraint", 0),
                "errors": dict(counts),
                "p50_ms": percentile(latencies, 50) / 1e6,
                "max_ms": latencies[-1] / 1e6,
            }
        )
    return rows


def _statements(work, job, now) -> dict[str, int]:
    """What one call sends to the database: every statement, and those reading or writing rows
    (the rest: BEGIN, SAVEPOINT, RELEASE, COMMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work(job, now)
    sent = [query["sql"].lstrip().split(None, 1)[0].upper() for query in captured]
    rows = sum(verb in {"SELECT", "INSERT", "UPDATE", "DELETE"} for verb in sent)
    return {"all": len(sent), "rows": rows}


def _database_notes() -> str:
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    options = database.get("OPTIONS", {})
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
        return (
            f"SQLite transaction_mode={options.get('transaction_mode', 'DEFERRED')}, "
            f"busy timeout {options.get('timeout', 5)} s, journal_mode={journal}"
        )
    pool = options.get("pool")
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        version = connection.connection.info.server_version
        where = f"PostgreSQL {version // 10000}.{version % 10000}"
        if pool:
            return (
                f"{where}, connection pool of this process: max_size {pool.get('max_size')}, "
                f"timeout {pool.get('timeout')} s"
            )
        return f"{where}, no connection pool"
    return connection.vendor


def measure(tag: str, plan: dict) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from scheduling.models import Appointment

    now = timezone.now().replace(microsecond=0)
    made = _setup(tag, plan, now)
    job = made["own"][0]
    queries = {"create": _statements(_create, job, now)}
    Appointment.objects.filter(patient=job[0]).delete()
    queries["book"] = _statements(_book, job, now)
    Appointment.objects.filter(patient=job[0]).delete()
    return {
        "database": _database_notes(),
        "debug": settings.DEBUG,
        "broker": settings.CELERY_BROKER_URL.split(":", 1)[0],
        "gil": getattr(sys, "_is_gil_enabled", lambda: True)(),
        "queries": queries,
        "throughput": _throughput(tag, made, plan, now),
        "races": _races(made, plan, now),
    }


def delete(tag: str) -> None:
    """Everything ``measure`` made; on a Redis broker, the notice tasks it queued."""
    from django.conf import settings
    from django.db import transaction

    from accounts.models import User
    from matching.models import Match
    from scheduling.models import Appointment

    users = User.objects.filter(email__startswith=_prefix(tag))
    with transaction.atomic():
        # Appointments protect their match, therapist and patient; matches their therapist.
        Appointment.objects.filter(patient__in=users).delete()
        Match.objects.filter(patient__in=users).delete()
        users.delete()  # and their profiles, windows
    if settings.CELERY_BROKER_URL.startswith("redis"):
        # Queued under the bench's own key prefix, which no worker reads.
        from teletherapy.celery import app

        app.control.purge()


# --- In the bench's process ---------------------------------------------------------------------


@contextmanager
def _project_database(options: Options) -> Iterator[tuple[dict[str, str], str]]:
    """The project's environment on a temporary SQLite database migrated now, or on the
    --database-url database, checked to be migrated; and its name for the header. No server:
    the services are called in the project's own process."""
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = _project_env(options, var_dir)
        database_ready(options, env)
        yield env, redact(options.database_url) if options.database_url else "sqlite (temporary)"


def _plan(options: Options) -> dict:
    if options.quick:
        return QUICK
    return {
        "people": PEOPLE,
        "bookings": BOOKINGS,
        "threads": THREADS,
        "passes": PASSES,
        "racers": RACERS,
        "rounds": ROUNDS,
    }


def _per_second(measured: dict, bookings: int) -> float:
    return bookings / (measured["wall_ns"] / 1e9) if measured["wall_ns"] else 0.0


def _errors_cell(counted: dict) -> str:
    return str(sum(counted.values())) if counted else "0"


def _report(database: str, plan: dict, results: dict, machine: str, *, quick: bool) -> str:
    people = plan["people"]
    shapes = {
        "own": f"{people} therapists x 1 patient",
        "shared": f"1 therapist x {people} patients",
    }
    rows, error_lines = [], []
    alone_ms = 0.0
    for row in results["throughput"]:
        create, book = row["create"], row["book"]
        bookings = row["bookings"]
        if row["shape"] == "shared" and row["threads"] == 1:
            alone_ms = book["p50_ms"]
        rows.append(
            [
                shapes[row["shape"]],
                str(row["threads"]),
                str(bookings),
                f"{create['in_database']}/{book['in_database']}",
                f"{_per_second(create, bookings):.0f}",
                f"{_per_second(book, bookings):.0f}",
                f"x{book['wall_ns'] / create['wall_ns']:.3g}" if create["wall_ns"] else "x?",
                f"{create['p50_ms']:.2f}",
                f"{book['p50_ms']:.2f}",
                f"{book['p99_ms']:.2f}",
                f"{book['max_ms']:.0f}",
                f"{_errors_cell(create['errors'])}/{_errors_cell(book['errors'])}",
            ]
        )
        for name in ("create", "book"):
            for message, count in row[name]["errors"].items():
                error_lines.append(
                    f"  {shapes[row['shape']]}, {row['threads']} threads, {name}: "
                    f"{count} x {message}"
                )
    throughput = format_table(
        [
            "distinct free slots",
            "threads",
            "bookings",
            "in DB c/b",
            "create/s",
            "book/s",
            "book / create",
            "create p50 ms",
            "book p50 ms",
            "book p99 ms",
            "book max ms",
            "errors c/b",
        ],
        rows,
        right={1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
    )
    race_rows = []
    for race in results["races"]:
        race_rows.append(
            [
                str(race["racers"]),
                str(race["rounds"]),
                f"{race['booked']} ({race['in_database']} in DB)",
                f"{race['exactly_one']}/{race['rounds']}",
                str(race["taken"]),
                str(race["taken_by_constraint"]),
                _errors_cell(race["errors"]),
                f"{race['p50_ms']:.1f}",
                f"{race['max_ms']:.1f}",
                f"x{race['p50_ms'] / alone_ms:.3g}" if alone_ms else "x?",
            ]
        )
        for message, count in race["errors"].items():
            error_lines.append(f"  race of {race['racers']}: {count} x {message}")
    races = format_table(
        [
            "racers",
            "rounds",
            "booked",
            "exactly 1 won",
            "SlotTaken",
            "of which by constraint",
            "other errors",
            "attempt p50 ms",
            "attempt max ms",
            "p50 / alone",
        ],
        race_rows,
        right={0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
    )
    book, create = results["queries"]["book"], results["queries"]["create"]
    lines = [
        f"{TITLE}    database: {database}    DEBUG={results['debug']}",
        results["database"],
        f"book: appointment_book(), {book['all']} statements per booking ({book['rows']} "
        "reading or writing rows, the rest BEGIN, SAVEPOINT ..., COMMIT), and the notice task "
        f"queued on commit to the {results['broker']} broker (no worker reads it)",
        f"create, the baseline: Appointment.objects.create() of the same rows, {create['all']} "
        "statement(s) each; every measure starts with no appointment booked",
        "book / create: wall time of the bookings over that of the inserts; p50, p99, max: of "
        "each call; in DB: booked rows afterwards",
        f"the fastest of {plan['passes']} pass(es) each, create and book in turn; errors: of "
        "every pass",
        "threads: each its own connection, started together; thread t books jobs t, "
        "t + threads, ... : with as many threads as patients, one patient per thread",
        f"{machine}; the threads share one Python process"
        + (": their Python runs one at a time (GIL)" if results["gil"] else " (free-threaded)"),
    ]
    if quick:
        lines.append("--quick: a few bookings and races only: a smoke check, not numbers")
    race_note = [
        "The race: each round, every racer (a patient of the same therapist, own thread and "
        "connection) books the same free slot at once; a new slot each round",
        "booked: appointment_book() returned; exactly 1 won: rounds with one winner and one "
        "booked row at that time in the database",
        "SlotTaken by constraint: raised from the database's refusal (an exclusion constraint) "
        "rather than by the check under the therapist's lock; attempt: barrier -> return",
        "p50 / alone: the attempts' p50 over one booking's p50 with no contention (1 therapist "
        "x N patients, 1 thread, above)",
    ]
    parts = ["\n".join(lines), throughput, "\n".join([*race_note, races])]
    if error_lines:
        parts.append("errors:\n" + "\n".join(error_lines))
    return "\n\n".join(parts)


def run(options: Options) -> str:
    plan = _plan(options)
    machine = f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    tag = secrets.token_hex(4)
    with _project_database(options) as (env, database):
        try:
            printed = _python(
                "-m",
                "bench.scheduling_booking",
                "measure",
                tag,
                env=env,
                stdin=json.dumps(plan),
                what="Measuring the bookings",
            )
        finally:
            # A temporary database and broker folder go away with their folder; someone
            # else's database and Redis keep only what was there.
            if options.database_url or options.redis_url:
                try:
                    _python(
                        "-m",
                        "bench.scheduling_booking",
                        "delete",
                        tag,
                        env=env,
                        what=f"Deleting the benchmark's users and bookings ({_prefix(tag)}*)",
                    )
                except BenchError as error:  # not to hide why the benchmark itself stopped
                    print(error, file=sys.stderr)
    try:
        results = json.loads(printed.splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise BenchError(f"the measuring process printed no results: {printed[-500:]!r}") from error
    return _report(database, plan, results, machine, quick=options.quick)


if __name__ == "__main__":
    import django

    django.setup()
    match sys.argv[1:]:
        case ["measure", tag]:
            print(json.dumps(measure(tag, json.load(sys.stdin))))
        case ["delete", tag]:
            delete(tag)
        case _:
            sys.exit(
                "usage: python -m bench.scheduling_booking measure TAG < PLAN_JSON | delete TAG"
            )
