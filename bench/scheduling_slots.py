"""Free booking slots: ``scheduling.slots`` over synthetic calendars.

No database: the calendars are built in memory (seeded, so every run measures the same data), as
the scheduling selectors will build them from the models. Each baseline, measured in the same
run, walks the same candidate wall times with no rules, busy sessions or time off: for each local
day, each window open that weekday (a plain set lookup), each start every session + buffer
minutes, put in the therapist's zone and converted to UTC. That is the cost of touching every
candidate once; the ratio is what rules, the daylight-saving checks, busy sessions and time off
add to it.
"""

import random
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import recurrence

from bench.report import format_table
from bench.servers import Options
from scheduling.slots import Calendar, Window, free_slots, next_free_slot

TITLE = "Scheduling: free slots and the next free slot"

# Monday 2 March 2026, 08:00 UTC: the four weeks ahead hold the March clock changes of New York
# (8 March) and Europe (29 March).
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
WEEKS = 4
THERAPISTS = 1_000
QUICK_THERAPISTS = 100
RUNS = {"one": 51, "many": 7, "age": 51}  # timed runs per measure; the median is reported
QUICK_RUNS = 3
WARM_UP_RUNS = 2
TARGET_ONE_MS = 20.0
TARGET_MANY_MS = 2_000.0
SEED = 6

DAYS = (recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR)
WEEKEND = (recurrence.SA, recurrence.SU)
ZONES = (
    "Europe/Paris",
    "Europe/Paris",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/London",
    "Europe/Lisbon",
    "America/New_York",
    "America/Montreal",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
)
OLD_DTSTART = datetime(2012, 1, 2)  # a Monday, fourteen years before NOW
NEW_DTSTART = datetime(2026, 2, 23)  # the Monday a week before NOW


@dataclass(frozen=True)
class PlainWindow:
    """A window as the baseline walks it: weekdays as a set, one week in ``interval`` counted
    from the Monday ``anchor``."""

    weekdays: frozenset[int]
    start: wall_time
    end: wall_time
    interval: int = 1
    anchor: date = date(2012, 1, 2)


@dataclass(frozen=True)
class Therapist:
    calendar: Calendar
    plain: tuple[PlainWindow, ...]


def _rule(days, *, dtstart: datetime | None = None, interval: int = 1) -> recurrence.Recurrence:
    return recurrence.Recurrence(
        dtstart=dtstart,
        rrules=[recurrence.Rule(recurrence.WEEKLY, byday=list(days), interval=interval)],
    )


def _pair(days, start: str, end: str, **rule) -> tuple[Window, PlainWindow]:
    begins, ends = wall_time.fromisoformat(start), wall_time.fromisoformat(end)
    plain = PlainWindow(
        frozenset(day.number for day in days),
        begins,
        ends,
        rule.get("interval", 1),
        (rule.get("dtstart") or OLD_DTSTART).date(),
    )
    return Window(_rule(days, **rule), begins, ends), plain


def one_therapist() -> Therapist:
    """A realistic week: five weekdays with a morning and an afternoon window each (hours that
    differ by day), a dozen sessions booked over four weeks, three days of time off."""
    hours = (
        ("09:00", "12:00", "14:00", "18:00"),
        ("08:30", "12:30", "13:30", "17:30"),
        ("10:00", "13:00", "15:00", "20:00"),
        ("09:00", "12:00", "14:00", "18:00"),
        ("08:00", "12:00", "13:00", "16:00"),
    )
    pairs = []
    for day, (morning, noon, afternoon, evening) in zip(DAYS, hours, strict=True):
        pairs.append(_pair((day,), morning, noon, dtstart=datetime(2023, 9, 4)))
        pairs.append(_pair((day,), afternoon, evening, dtstart=datetime(2023, 9, 4)))
    calendar = Calendar(
        time_zone="Europe/Paris",
        windows=tuple(window for window, _ in pairs),
        time_off=((date(2026, 3, 18), date(2026, 3, 20)),),
    )
    free = free_slots(calendar, now=NOW, start=NOW, end=NOW + timedelta(weeks=WEEKS))
    session = timedelta(minutes=calendar.session_minutes)
    booked = tuple((slot, slot + session) for slot in random.Random(SEED).sample(free, 12))
    return Therapist(
        Calendar(
            time_zone=calendar.time_zone,
            windows=calendar.windows,
            time_off=calendar.time_off,
            busy=tuple(sorted(booked)),
        ),
        tuple(plain for _, plain in pairs),
    )


def many_therapists(count: int, seed: int = SEED) -> list[Therapist]:
    """``count`` therapists in varied zones and rules: new, years old, every other week; one in
    five fully booked for the first 3 to 20 days, one in fifty up to the horizon, some away."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        pairs = []
        for _ in range(rng.randint(1, 5)):
            days = rng.sample(DAYS, rng.randint(1, 5)) + (
                [rng.choice(WEEKEND)] if rng.random() < 0.1 else []
            )
            start_hour = rng.randint(7, 17)
            length = rng.choice((2, 3, 4, 5))
            kind = rng.random()
            rule: dict[str, Any]
            if kind < 0.5:
                rule = {}
            elif kind < 0.85:
                rule = {"dtstart": OLD_DTSTART + timedelta(weeks=rng.randint(0, 500))}
            else:
                rule = {
                    "dtstart": OLD_DTSTART + timedelta(weeks=rng.randint(0, 700)),
                    "interval": 2,
                }
            pairs.append(
                _pair(
                    days,
                    f"{start_hour:02d}:{rng.choice(('00', '30'))}",
                    f"{min(start_hour + length, 23):02d}:00",
                    **rule,
                )
            )
        calendar = Calendar(
            time_zone=rng.choice(ZONES),
            windows=tuple(window for window, _ in pairs),
            session_minutes=rng.choice((30, 45, 50, 50, 50, 60)),
            buffer_minutes=rng.choice((0, 10, 10, 15)),
            notice=timedelta(hours=rng.choice((4, 12, 12, 24, 48))),
            horizon=timedelta(weeks=rng.choice((4, 6, 6, 8))),
            time_off=(
                ((NOW.date(), NOW.date() + timedelta(days=rng.randint(1, 10))),)
                if rng.random() < 0.1
                else ()
            ),
        )
        booked_days = 0
        if rng.random() < 0.02:
            booked_days = 100  # past any horizon: no free slot at all
        elif rng.random() < 0.2:
            booked_days = rng.randint(3, 20)
        if booked_days:
            session = timedelta(minutes=calendar.session_minutes)
            until = NOW + min(timedelta(days=booked_days), calendar.horizon)
            busy = tuple(
                (slot, slot + session)
                for slot in free_slots(
                    calendar, now=NOW, start=NOW, end=until + timedelta(minutes=1)
                )
            )
            calendar = Calendar(**{**_fields(calendar), "busy": busy})
        made.append(Therapist(calendar, tuple(plain for _, plain in pairs)))
    return made


def _fields(calendar: Calendar) -> dict:
    return {name: getattr(calendar, name) for name in Calendar.__dataclass_fields__}


def plain_walk(therapist: Therapist, first: datetime, last: datetime) -> Iterator[datetime]:
    """The baseline: every candidate start in ``[first, last]``, in the therapist's zone turned
    to UTC, from plain weekday sets; no rule, busy session, time off nor daylight-saving check."""
    calendar = therapist.calendar
    zone = ZoneInfo(calendar.time_zone)
    step = timedelta(minutes=calendar.session_minutes + calendar.buffer_minutes)
    session = timedelta(minutes=calendar.session_minutes)
    day = first.astimezone(zone).date()
    last_day = last.astimezone(zone).date()
    while day <= last_day:
        weekday = day.weekday()
        for plain in therapist.plain:
            if weekday not in plain.weekdays:
                continue
            if plain.interval > 1 and (day - plain.anchor).days // 7 % plain.interval:
                continue
            wall = datetime.combine(day, plain.start)
            end = datetime.combine(day, plain.end)
            while wall + session <= end:
                slot = wall.replace(tzinfo=zone).astimezone(UTC)
                if first <= slot <= last:
                    yield slot
                wall += step
        day += timedelta(days=1)


def _first_at_or_after(walk: Iterator[datetime], found: datetime | None) -> int:
    """How many candidates the walk touches until it reaches ``found`` (all, if None)."""
    touched = 0
    for slot in walk:
        touched += 1
        if found is not None and slot >= found:
            break
    return touched


def _median_ms(work: Callable[[], object], runs: int, warm_up: int) -> float:
    for _ in range(warm_up):
        work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        work()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1e6


def _interleaved_medians_ms(
    works: Mapping[Any, Callable[[], object]], runs: int, warm_up: int
) -> dict[object, float]:
    """Median of each work, their runs taken in turn so that none has the warmer machine."""
    for _ in range(warm_up):
        for work in works.values():
            work()
    samples: dict[object, list[int]] = {key: [] for key in works}
    for _ in range(runs):
        for key, work in works.items():
            started = time.perf_counter_ns()
            work()
            samples[key].append(time.perf_counter_ns() - started)
    return {key: statistics.median(values) / 1e6 for key, values in samples.items()}


def _ratio(measured: float, baseline: float) -> str:
    return f"x{measured / baseline:.3g}" if baseline else "x?"


def _verdict(measured: float, target: float) -> str:
    return "under" if measured < target else "OVER"


def run(options: Options) -> str:
    warm_up = 1 if options.quick else WARM_UP_RUNS

    def runs(measure: str) -> int:
        return QUICK_RUNS if options.quick else RUNS[measure]

    rows = []
    end = NOW + timedelta(weeks=WEEKS)

    # 1. Four weeks of one therapist.
    one = one_therapist()
    found = free_slots(one.calendar, now=NOW, start=NOW, end=end)
    candidates = sum(1 for _ in plain_walk(one, NOW, end))
    baseline = _median_ms(lambda: list(plain_walk(one, NOW, end)), runs("one"), warm_up)
    measured = _median_ms(
        lambda: free_slots(one.calendar, now=NOW, start=NOW, end=end), runs("one"), warm_up
    )
    rows.append(
        [
            f"free_slots, 1 therapist, {WEEKS} weeks",
            f"{candidates:,}",
            f"{len(found):,}",
            str(runs("one")),
            f"{baseline:.3f}",
            f"{measured:.3f}",
            _ratio(measured, baseline),
        ]
    )
    target_lines = [
        f"target: {WEEKS} weeks of one therapist in < {TARGET_ONE_MS:.0f} ms: {measured:.2f} ms, "
        f"{_verdict(measured, TARGET_ONE_MS)} the target (informational)"
    ]

    # 2. The next free slot of each of many therapists.
    count = QUICK_THERAPISTS if options.quick else THERAPISTS
    therapists = many_therapists(count)
    answers = [next_free_slot(t.calendar, now=NOW) for t in therapists]
    bounds = [(NOW + t.calendar.notice, NOW + t.calendar.horizon) for t in therapists]
    touched = sum(
        _first_at_or_after(plain_walk(t, first, last), answer)
        for t, (first, last), answer in zip(therapists, bounds, answers, strict=True)
    )

    def walk_all() -> None:
        for t, (first, last), answer in zip(therapists, bounds, answers, strict=True):
            _first_at_or_after(plain_walk(t, first, last), answer)

    baseline = _median_ms(walk_all, runs("many"), warm_up)
    measured = _median_ms(
        lambda: [next_free_slot(t.calendar, now=NOW) for t in therapists], runs("many"), warm_up
    )
    rows.append(
        [
            f"next_free_slot, {count:,} therapists",
            f"{touched:,}",
            f"{sum(answer is not None for answer in answers):,}",
            str(runs("many")),
            f"{baseline:.3f}",
            f"{measured:.3f}",
            _ratio(measured, baseline),
        ]
    )
    if count == THERAPISTS:
        target_lines.append(
            f"target: the next free slot of {THERAPISTS:,} therapists in < "
            f"{TARGET_MANY_MS / 1000:.0f} s: {measured:.0f} ms, "
            f"{_verdict(measured, TARGET_MANY_MS)} the target (informational)"
        )

    # 3. A rule started years ago against one started last week: same slots, same cost.
    days = (recurrence.MO, recurrence.TU, recurrence.TH)
    after, before = datetime(2026, 3, 2), datetime(2026, 3, 30)
    works, results = {}, {}
    for label, dtstart in (("2012", OLD_DTSTART), ("last week", NEW_DTSTART)):
        window, _ = _pair(days, "09:00", "17:00", dtstart=dtstart)
        calendar = Calendar(time_zone="Europe/Paris", windows=(window,))
        results[label] = free_slots(calendar, now=NOW, start=NOW, end=end)
        works[label, "engine"] = partial(free_slots, calendar, now=NOW, start=NOW, end=end)
        # What the engine avoids: expanding from the rule's own dtstart.
        works[label, "raw"] = partial(window.rule.between, after, before, dtstart=dtstart, inc=True)
    costs = _interleaved_medians_ms(works, runs("age"), warm_up)
    age_rows = [
        [
            f"rule from {label}",
            str(runs("age")),
            f"{costs[label, 'engine']:.3f}",
            f"{costs[label, 'raw']:.3f}",
        ]
        for label in ("2012", "last week")
    ]
    age_rows.append(
        [
            "old / new",
            "",
            *(_ratio(costs["2012", kind], costs["last week", kind]) for kind in ("engine", "raw")),
        ]
    )
    same = "the same" if results["2012"] == results["last week"] else "DIFFERENT"

    header = ["measure", "candidates", "found", "runs", "baseline ms", "slots ms", "slots / base"]
    lines = [
        f"{TITLE}    pure Python, no database; seeded synthetic calendars, now = "
        f"{NOW:%Y-%m-%d %H:%M} UTC",
        "baseline: the same candidate wall times walked from plain weekday sets and converted "
        "to UTC, without rules, busy sessions, time off or DST checks",
        "candidates: starts the baseline touches (for next_free_slot: up to each answer); "
        "found: free slots (for next_free_slot: therapists with one)",
        f"median of the timed runs, after {warm_up} warm-up run(s) each",
    ]
    if options.quick:
        lines.append(
            f"--quick: {QUICK_THERAPISTS} therapists and a few runs only: a smoke check, "
            "not numbers"
        )
    table = format_table(header, rows, right={1, 2, 3, 4, 5, 6})
    age_table = format_table(
        ["dtstart of a MO,TU,TH 09:00-17:00 rule", "runs", "free_slots ms", "rule.between ms"],
        age_rows,
        right={1, 2, 3},
    )
    age_note = (
        f"free_slots: {WEEKS} weeks; rule.between: django-recurrence expanding the same four "
        "weeks from the rule's own dtstart (what free_slots avoids); runs taken in turn; "
        f"free slots from both rules: {same}"
    )
    return "\n".join([*lines, "", table, "", age_note, age_table, "", *target_lines])
