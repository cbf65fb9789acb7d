"""``scheduling.slots``: weekly windows expanded in the therapist's wall time, daylight-saving
changes in four zones, notice, horizon, buffer, time off, session lengths, the next free slot,
old rules and input validation.

Pure functions over prepared data: no database. 2026 dates: Monday 5 January starts a week; the
clocks change on 8 March and 1 November in New York, 29 March and 25 October in Paris, 5 April
and 4 October in Sydney, never in Tokyo.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurrence

from scheduling.slots import Calendar, Window, free_slots, next_free_slot

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS = (recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(*days: recurrence.Weekday, dtstart=None, **rule) -> recurrence.Recurrence:
    return recurrence.Recurrence(
        dtstart=dtstart, rrules=[recurrence.Rule(recurrence.WEEKLY, byday=list(days), **rule)]
    )


def window(rule: recurrence.Recurrence, start: str = "09:00", end: str = "12:00") -> Window:
    return Window(rule=rule, start=time.fromisoformat(start), end=time.fromisoformat(end))


def calendar(*windows: Window, time_zone: str = "Europe/Paris", **changes) -> Calendar:
    """Weekdays 09:00-12:00 in Paris unless told otherwise; no notice, so ``now`` only bounds
    the horizon."""
    return Calendar(
        time_zone=time_zone,
        windows=windows or (window(weekly(*WEEKDAYS)),),
        **({"notice": timedelta(0)} | changes),
    )


def slots(cal: Calendar, start: datetime, end: datetime, *, now: datetime | None = None):
    return free_slots(cal, now=now or start - timedelta(days=1), start=start, end=end)


def monday_5_january(*hours: int) -> list[datetime]:
    """Paris is UTC+1 in January: 09:00 local is 08:00 UTC."""
    return [utc(2026, 1, 5, hour) for hour in hours]


# Weekly expansion -------------------------------------------------------------------------


def test_a_weekly_rule_gives_its_days_at_the_window_times():
    cal = calendar(window(weekly(recurrence.MO, recurrence.WE)))

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 19))

    assert found == [
        utc(day.year, day.month, day.day, hour)
        for day in (date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 12), date(2026, 1, 14))
        for hour in (8, 9, 10)
    ]
    assert all(slot.tzinfo is UTC for slot in found)


def test_windows_of_a_day_merge_in_order_without_repeating_a_slot():
    monday = weekly(recurrence.MO)
    cal = calendar(
        window(monday, "14:00", "16:00"),
        window(monday, "09:00", "12:00"),
        window(monday, "10:30", "12:00"),  # overlaps the morning: its slots overlap too
        window(monday, "09:00", "12:00"),  # the same window twice
    )

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 6))

    assert found == [
        utc(2026, 1, 5, 8),
        utc(2026, 1, 5, 9),
        utc(2026, 1, 5, 9, 30),
        utc(2026, 1, 5, 10),
        utc(2026, 1, 5, 13),
        utc(2026, 1, 5, 14),
    ]


def test_the_queried_range_includes_its_start_and_excludes_its_end():
    found = slots(calendar(), utc(2026, 1, 5, 9), utc(2026, 1, 6, 8))

    assert found == [utc(2026, 1, 5, 9), utc(2026, 1, 5, 10)]


# Daylight-saving changes ------------------------------------------------------------------

# A 09:00-12:00 window on the Friday before and the Monday after each change: slots stay at
# 09:00, 10:00 and 11:00 local, at other UTC instants, and move for a patient elsewhere.
DST_WEEKS = [
    pytest.param(
        "Europe/Paris",
        date(2026, 3, 27),
        date(2026, 3, 30),
        [utc(2026, 3, 27, h) for h in (8, 9, 10)] + [utc(2026, 3, 30, h) for h in (7, 8, 9)],
        NEW_YORK,  # already on summer time since 8 March
        [datetime(2026, 3, 27, h) for h in (4, 5, 6)]
        + [datetime(2026, 3, 30, h) for h in (3, 4, 5)],
        id="paris-spring",
    ),
    pytest.param(
        "Europe/Paris",
        date(2026, 10, 23),
        date(2026, 10, 26),
        [utc(2026, 10, 23, h) for h in (7, 8, 9)] + [utc(2026, 10, 26, h) for h in (8, 9, 10)],
        NEW_YORK,  # still on summer time until 1 November
        [datetime(2026, 10, 23, h) for h in (3, 4, 5)]
        + [datetime(2026, 10, 26, h) for h in (4, 5, 6)],
        id="paris-autumn",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 3, 6),
        date(2026, 3, 9),
        [utc(2026, 3, 6, h) for h in (14, 15, 16)] + [utc(2026, 3, 9, h) for h in (13, 14, 15)],
        PARIS,  # still on winter time until 29 March
        [datetime(2026, 3, 6, h) for h in (15, 16, 17)]
        + [datetime(2026, 3, 9, h) for h in (14, 15, 16)],
        id="new-york-spring",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 10, 30),
        date(2026, 11, 2),
        [utc(2026, 10, 30, h) for h in (13, 14, 15)] + [utc(2026, 11, 2, h) for h in (14, 15, 16)],
        PARIS,  # on winter time since 25 October
        [datetime(2026, 10, 30, h) for h in (14, 15, 16)]
        + [datetime(2026, 11, 2, h) for h in (15, 16, 17)],
        id="new-york-autumn",
    ),
    pytest.param(
        "Australia/Sydney",
        date(2026, 4, 3),
        date(2026, 4, 6),
        [
            *(utc(2026, 4, 2, 22), utc(2026, 4, 2, 23), utc(2026, 4, 3, 0)),
            *(utc(2026, 4, 5, 23), utc(2026, 4, 6, 0), utc(2026, 4, 6, 1)),
        ],
        PARIS,  # summer time since 29 March
        [datetime(2026, 4, 3, h) for h in (0, 1, 2)] + [datetime(2026, 4, 6, h) for h in (1, 2, 3)],
        id="sydney-april",
    ),
    pytest.param(
        "Australia/Sydney",
        date(2026, 10, 2),
        date(2026, 10, 5),
        [
            *(utc(2026, 10, 1, 23), utc(2026, 10, 2, 0), utc(2026, 10, 2, 1)),
            *(utc(2026, 10, 4, 22), utc(2026, 10, 4, 23), utc(2026, 10, 5, 0)),
        ],
        PARIS,  # summer time until 25 October
        [datetime(2026, 10, 2, h) for h in (1, 2, 3)]
        + [datetime(2026, 10, 5, h) for h in (0, 1, 2)],
        id="sydney-october",
    ),
    pytest.param(
        "Asia/Tokyo",
        date(2026, 3, 27),
        date(2026, 3, 30),
        [utc(2026, 3, 27, h) for h in (0, 1, 2)] + [utc(2026, 3, 30, h) for h in (0, 1, 2)],
        PARIS,  # the patient's clocks change, not the therapist's
        [datetime(2026, 3, 27, h) for h in (1, 2, 3)]
        + [datetime(2026, 3, 30, h) for h in (2, 3, 4)],
        id="tokyo-control",
    ),
]


@pytest.mark.parametrize(
    ("time_zone", "friday", "monday", "expected", "patient_zone", "patient_sees"), DST_WEEKS
)
def test_a_morning_window_stays_at_nine_local_across_a_clock_change(
    time_zone, friday, monday, expected, patient_zone, patient_sees
):
    zone = ZoneInfo(time_zone)
    cal = calendar(window(weekly(recurrence.FR, recurrence.MO)), time_zone=time_zone)
    start = datetime.combine(friday, time.min, tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=1), time.min, tzinfo=zone)

    found = slots(cal, start, end)

    assert found == expected
    assert [slot.astimezone(zone).replace(tzinfo=None) for slot in found] == [
        datetime.combine(day, time(hour)) for day in (friday, monday) for hour in (9, 10, 11)
    ]
    assert [slot.astimezone(patient_zone).replace(tzinfo=None) for slot in found] == patient_sees


@pytest.mark.parametrize(
    ("time_zone", "sunday", "window_start", "window_end", "expected"),
    [
        # 02:00-03:00 does not exist: no 02:00 slot; 03:00 is summer time.
        pytest.param(
            "Europe/Paris",
            date(2026, 3, 29),
            "01:00",
            "04:00",
            [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)],
            id="paris-gap",
        ),
        # 02:00-03:00 happens twice: 02:00 is the first one (fold=0, summer time).
        pytest.param(
            "Europe/Paris",
            date(2026, 10, 25),
            "01:00",
            "04:00",
            [utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)],
            id="paris-fold",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 3, 8),
            "00:30",
            "03:30",
            [utc(2026, 3, 8, 5, 30), utc(2026, 3, 8, 6, 30)],
            id="new-york-gap",
        ),
        # 01:00-02:00 happens twice: 01:30 is the first one, daylight time.
        pytest.param(
            "America/New_York",
            date(2026, 11, 1),
            "00:30",
            "03:30",
            [utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30)],
            id="new-york-fold",
        ),
        pytest.param(
            "Australia/Sydney",
            date(2026, 10, 4),
            "01:00",
            "04:00",
            [utc(2026, 10, 3, 15), utc(2026, 10, 3, 16)],
            id="sydney-gap",
        ),
        # 02:00-03:00 happens twice: 02:00 is the first one, daylight time (+11).
        pytest.param(
            "Australia/Sydney",
            date(2026, 4, 5),
            "01:00",
            "04:00",
            [utc(2026, 4, 4, 14), utc(2026, 4, 4, 15), utc(2026, 4, 4, 17)],
            id="sydney-fold",
        ),
    ],
)
def test_on_the_night_of_the_change(time_zone, sunday, window_start, window_end, expected):
    zone = ZoneInfo(time_zone)
    cal = calendar(
        window(weekly(recurrence.SU), window_start, window_end),
        time_zone=time_zone,
        session_minutes=60,
        buffer_minutes=0,
    )
    start = datetime.combine(sunday, time.min, tzinfo=zone)

    found = slots(cal, start, start + timedelta(days=1))

    assert found == expected


# Notice and horizon -----------------------------------------------------------------------


def test_no_slot_starts_within_the_notice():
    cal = calendar(notice=timedelta(hours=12))
    now = utc(2026, 1, 5, 21)  # Monday 22:00 in Paris: Tuesday 10:00 is the first allowed

    found = free_slots(cal, now=now, start=utc(2026, 1, 5), end=utc(2026, 1, 7))

    assert found == [utc(2026, 1, 6, 9), utc(2026, 1, 6, 10)]


def test_the_notice_is_real_time_even_across_a_clock_change():
    cal = calendar(window(weekly(recurrence.SU)), notice=timedelta(hours=12))
    # Saturday 22:00 winter time; 12 hours later it is 11:00 summer time, not 10:00.
    now = datetime(2026, 3, 28, 22, tzinfo=PARIS)

    found = free_slots(cal, now=now, start=now, end=now + timedelta(days=2))

    assert found == [utc(2026, 3, 29, 9)]


def test_no_slot_starts_after_the_horizon_but_one_at_its_very_end_does():
    cal = calendar(window(weekly(recurrence.MO)), horizon=timedelta(days=7))
    now = utc(2026, 1, 5, 8)  # the horizon ends at Monday 12 January 09:00 in Paris

    found = free_slots(cal, now=now, start=now, end=utc(2026, 1, 31))

    assert found == [*monday_5_january(8, 9, 10), utc(2026, 1, 12, 8)]


# Busy sessions and buffer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("busy", "expected"),
    [
        pytest.param((utc(2026, 1, 5, 9), utc(2026, 1, 5, 9, 50)), (8, 10), id="exactly-a-slot"),
        # The 11:00 slot would start 5 minutes before the buffer ends.
        pytest.param((utc(2026, 1, 5, 9, 5), utc(2026, 1, 5, 9, 55)), (8,), id="ends-late"),
        pytest.param((utc(2026, 1, 5, 8, 55), utc(2026, 1, 5, 9, 45)), (10,), id="starts-early"),
        pytest.param(
            (utc(2026, 1, 5, 11), utc(2026, 1, 5, 11, 50)), (8, 9, 10), id="after-the-buffer"
        ),
        pytest.param((utc(2026, 1, 5, 10, 55), utc(2026, 1, 5, 11, 45)), (8, 9), id="in-buffer"),
        pytest.param(
            (
                datetime(2026, 1, 5, 4, tzinfo=NEW_YORK),
                datetime(2026, 1, 5, 4, 50, tzinfo=NEW_YORK),
            ),
            (8, 10),
            id="given-in-another-zone",
        ),
        pytest.param((utc(2026, 1, 4, 9), utc(2026, 1, 4, 9, 50)), (8, 9, 10), id="another-day"),
    ],
)
def test_a_busy_session_blocks_the_slots_within_its_buffer(busy, expected):
    cal = calendar(window(weekly(recurrence.MO)), busy=(busy,))

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 6))

    assert found == monday_5_january(*expected)


def test_without_a_buffer_slots_may_touch_a_busy_session():
    cal = calendar(
        window(weekly(recurrence.MO)),
        session_minutes=60,
        buffer_minutes=0,
        busy=((utc(2026, 1, 5, 9), utc(2026, 1, 5, 10)),),
    )

    assert slots(cal, utc(2026, 1, 5), utc(2026, 1, 6)) == monday_5_january(8, 10)


def test_overlapping_busy_sessions_block_their_union():
    cal = calendar(
        window(weekly(recurrence.MO), "09:00", "18:00"),
        busy=(
            (utc(2026, 1, 5, 11), utc(2026, 1, 5, 11, 50)),
            (utc(2026, 1, 5, 9), utc(2026, 1, 5, 12)),  # a long one, listed second
            (utc(2026, 1, 5, 13), utc(2026, 1, 5, 13, 50)),
        ),
    )

    assert slots(cal, utc(2026, 1, 5), utc(2026, 1, 6)) == monday_5_january(8, 14, 15, 16)


# Time off ---------------------------------------------------------------------------------


def test_time_off_covers_whole_local_days_both_ends_included():
    # Sydney is UTC+11 in January: a morning slot starts on the previous day in UTC.
    cal = calendar(
        time_zone="Australia/Sydney",
        time_off=((date(2026, 1, 6), date(2026, 1, 7)), (date(2026, 1, 9), date(2026, 1, 9))),
    )
    start = datetime(2026, 1, 5, tzinfo=SYDNEY)

    found = slots(cal, start, start + timedelta(days=7))

    assert found == [
        utc(2026, 1, 4, 22),
        utc(2026, 1, 4, 23),
        utc(2026, 1, 5, 0),
        utc(2026, 1, 7, 22),  # Thursday 8 January, 09:00 in Sydney
        utc(2026, 1, 7, 23),
        utc(2026, 1, 8, 0),
    ]


# Window and session lengths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "session_minutes", "expected"),
    [
        pytest.param("09:45", 50, [], id="too-short"),
        pytest.param("09:45", 45, [(8, 0)], id="just-long-enough"),
        pytest.param("10:50", 50, [(8, 0), (9, 0)], id="two-end-to-end"),
        pytest.param("10:49", 50, [(8, 0)], id="one-minute-short-of-two"),
    ],
)
def test_a_slot_must_fit_wholly_inside_the_window(end, session_minutes, expected):
    cal = calendar(window(weekly(recurrence.MO), "09:00", end), session_minutes=session_minutes)

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 6))

    assert found == [utc(2026, 1, 5, hour, minute) for hour, minute in expected]


@pytest.mark.parametrize(
    ("session_minutes", "local_starts"),
    [
        (30, ["09:00", "09:40", "10:20", "11:00", "11:40", "12:20"]),
        (45, ["09:00", "09:55", "10:50", "11:45"]),
        (50, ["09:00", "10:00", "11:00", "12:00"]),
        (60, ["09:00", "10:10", "11:20"]),
    ],
)
def test_slots_follow_each_other_every_session_plus_buffer(session_minutes, local_starts):
    cal = calendar(window(weekly(recurrence.MO), "09:00", "13:00"), session_minutes=session_minutes)

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 6))

    assert found == [
        datetime.combine(date(2026, 1, 5), time.fromisoformat(start), tzinfo=PARIS).astimezone(UTC)
        for start in local_starts
    ]
    assert found[0] == utc(2026, 1, 5, 8)


# Next free slot ---------------------------------------------------------------------------


def _all_slots_booked(cal: Calendar, start: datetime, end: datetime) -> tuple:
    minutes = timedelta(minutes=cal.session_minutes)
    return tuple((slot, slot + minutes) for slot in slots(cal, start, end))


def test_next_free_slot_is_the_first_after_the_notice_and_the_busy_sessions():
    cal = calendar(notice=timedelta(hours=12), busy=((utc(2026, 1, 6, 8), utc(2026, 1, 6, 8, 50)),))

    # Monday 07:00 in Paris: Monday's slots are within the notice, Tuesday 09:00 is booked.
    assert next_free_slot(cal, now=utc(2026, 1, 5, 6)) == utc(2026, 1, 6, 9)


def test_next_free_slot_skips_days_fully_booked():
    cal = calendar()
    busy = _all_slots_booked(cal, utc(2026, 1, 5), utc(2026, 1, 10))

    found = next_free_slot(calendar(busy=busy), now=utc(2026, 1, 5))

    assert found == utc(2026, 1, 12, 8)


def test_next_free_slot_is_none_when_fully_booked_up_to_the_horizon():
    horizon = timedelta(weeks=2)
    busy = _all_slots_booked(calendar(), utc(2026, 1, 5), utc(2026, 1, 20))

    assert next_free_slot(calendar(busy=busy, horizon=horizon), now=utc(2026, 1, 5)) is None
    # Nine hours more reach Monday 19 January, 10:00 in Paris: 09:00 is booked, 10:00 free.
    longer = calendar(busy=busy[:-2], horizon=horizon + timedelta(hours=9))
    assert next_free_slot(longer, now=utc(2026, 1, 5)) == utc(2026, 1, 19, 9)


@pytest.mark.parametrize(
    "cal",
    [
        pytest.param(
            calendar(window(weekly(recurrence.MO, dtstart=datetime(2026, 3, 2)))), id="later"
        ),
        pytest.param(
            calendar(window(weekly(recurrence.MO, until=datetime(2025, 12, 29)))), id="over"
        ),
        pytest.param(
            calendar(window(weekly(recurrence.SA)), notice=timedelta(days=50)), id="notice"
        ),
        pytest.param(Calendar(time_zone="Europe/Paris", windows=()), id="no-windows"),
    ],
)
def test_next_free_slot_is_none_when_nothing_is_open_within_the_horizon(cal):
    assert next_free_slot(cal, now=utc(2026, 1, 5)) is None


def test_next_free_slot_at_the_very_start_and_end_of_what_is_allowed():
    mondays = window(weekly(recurrence.MO))
    now = utc(2026, 1, 5, 10, 1)  # Monday's last slot, 11:00 in Paris, has just begun
    exact = timedelta(days=6, hours=21, minutes=59)  # up to Monday 12 January, 09:00 in Paris

    assert next_free_slot(calendar(mondays), now=utc(2026, 1, 5, 10)) == utc(2026, 1, 5, 10)
    assert next_free_slot(calendar(mondays, horizon=exact), now=now) == utc(2026, 1, 12, 8)
    shorter = exact - timedelta(minutes=1)
    assert next_free_slot(calendar(mondays, horizon=shorter), now=now) is None


# Rules: age, phase and limits -------------------------------------------------------------


@pytest.mark.parametrize(
    "dtstart",
    [
        None,
        datetime(2012, 1, 2),  # naive: already local
        datetime(2012, 1, 2, tzinfo=PARIS),
        datetime(2025, 12, 29),
    ],
)
def test_an_old_rule_gives_the_same_slots_as_a_new_one(dtstart):
    cal = calendar(window(weekly(recurrence.MO, recurrence.WE, dtstart=dtstart)))

    found = slots(cal, utc(2026, 1, 5), utc(2026, 1, 12))

    assert found == [*monday_5_january(8, 9, 10), *[utc(2026, 1, 7, h) for h in (8, 9, 10)]]


@pytest.mark.parametrize(
    "dtstart",
    [datetime(2012, 1, 2), datetime(2012, 1, 2, tzinfo=PARIS), datetime(2025, 12, 29, 8)],
)
def test_every_other_week_keeps_the_phase_of_its_dtstart(dtstart):
    # Mondays 2 January 2012 and 29 December 2025 are a whole number of fortnights apart.
    cal = calendar(window(weekly(recurrence.MO, dtstart=dtstart, interval=2), "09:00", "10:00"))

    found = slots(cal, utc(2026, 1, 1), utc(2026, 2, 10), now=utc(2026, 1, 1))

    assert found == [utc(2026, 1, 12, 8), utc(2026, 1, 26, 8), utc(2026, 2, 9, 8)]


def test_an_aware_dtstart_counts_by_the_day_it_is_in_the_therapists_zone():
    # 23:30 UTC on Sunday is already Monday in Paris: this rule starts on Monday 12 January.
    rule = weekly(recurrence.MO, dtstart=utc(2026, 1, 11, 23, 30))
    cal = calendar(window(rule, "09:00", "10:00"))

    assert slots(cal, utc(2026, 1, 1), utc(2026, 1, 13)) == [utc(2026, 1, 12, 8)]


def test_until_count_and_exdates_count_by_local_day():
    mondays = window(weekly(recurrence.MO, until=datetime(2026, 1, 19)), "09:00", "10:00")
    counted = window(weekly(recurrence.WE, dtstart=datetime(2026, 1, 7), count=2), "14:00", "15:00")
    friday = recurrence.Recurrence(
        rrules=[recurrence.Rule(recurrence.WEEKLY, byday=[recurrence.FR])],
        exdates=[utc(2026, 1, 15, 23)],  # Friday 16 January at midnight in Paris
        rdates=[datetime(2026, 1, 17, 10)],  # and one Saturday
    )
    cal = calendar(mondays, counted, window(friday, "18:00", "19:00"))

    found = slots(cal, utc(2026, 1, 5), utc(2026, 2, 1), now=utc(2026, 1, 5))

    assert found == [
        utc(2026, 1, 5, 8),
        utc(2026, 1, 7, 13),
        utc(2026, 1, 9, 17),
        utc(2026, 1, 12, 8),
        utc(2026, 1, 14, 13),
        utc(2026, 1, 17, 17),
        utc(2026, 1, 19, 8),
        utc(2026, 1, 23, 17),
        utc(2026, 1, 30, 17),
    ]


def test_a_daily_rule_with_an_exception_rule():
    rule = recurrence.Recurrence(
        rrules=[recurrence.Rule(recurrence.DAILY)],
        exrules=[recurrence.Rule(recurrence.WEEKLY, byday=[recurrence.SA, recurrence.SU])],
    )
    cal = calendar(window(rule, "09:00", "10:00"))

    found = slots(cal, utc(2026, 1, 8), utc(2026, 1, 13))

    assert found == [utc(2026, 1, 8, 8), utc(2026, 1, 9, 8), utc(2026, 1, 12, 8)]


# Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: window(weekly(recurrence.MO), "12:00", "12:00"), id="empty-window"),
        pytest.param(lambda: window(weekly(recurrence.MO), "12:00", "09:00"), id="reversed"),
        pytest.param(lambda: calendar(time_zone="Europe/Atlantis"), id="unknown-zone"),
        pytest.param(lambda: calendar(time_zone="../etc/passwd"), id="bad-zone"),
        pytest.param(lambda: calendar(session_minutes=40), id="session-40"),
        pytest.param(lambda: calendar(session_minutes=90), id="session-90"),
        pytest.param(lambda: calendar(buffer_minutes=-5), id="negative-buffer"),
        pytest.param(
            lambda: calendar(time_off=((date(2026, 1, 9), date(2026, 1, 8)),)), id="time-off"
        ),
        pytest.param(
            lambda: calendar(busy=((datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10)),)),
            id="naive-busy",
        ),
        pytest.param(
            lambda: calendar(busy=((utc(2026, 1, 5, 10), utc(2026, 1, 5, 9)),)), id="busy-reversed"
        ),
        pytest.param(
            lambda: window(recurrence.Recurrence(rrules=[recurrence.Rule(recurrence.MONTHLY)])),
            id="monthly",
        ),
        pytest.param(lambda: window(weekly(recurrence.MO, interval=2)), id="interval-no-dtstart"),
        pytest.param(lambda: window(weekly(recurrence.MO, count=3)), id="count-no-dtstart"),
        pytest.param(lambda: window(weekly()), id="no-days-no-dtstart"),
    ],
)
def test_invalid_calendars_are_refused(make):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make()


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        pytest.param(utc(2026, 1, 1), utc(2026, 1, 6), utc(2026, 1, 6), id="empty"),
        pytest.param(utc(2026, 1, 1), utc(2026, 1, 6), utc(2026, 1, 5), id="reversed"),
        pytest.param(datetime(2026, 1, 1), utc(2026, 1, 5), utc(2026, 1, 6), id="naive-now"),
        pytest.param(utc(2026, 1, 1), datetime(2026, 1, 5), utc(2026, 1, 6), id="naive-start"),
    ],
)
def test_invalid_queries_are_refused(now, start, end):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        free_slots(calendar(), now=now, start=start, end=end)


def test_next_free_slot_refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware"):
        next_free_slot(calendar(), now=datetime(2026, 1, 5))
