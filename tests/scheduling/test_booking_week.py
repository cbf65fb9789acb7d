"""Which week the booking page shows: the first one with a free time, never one already over; a
week without free time says when the next one is, and nothing offers to book what is not there.
And the dashboard's sessions: today, then the next 7 days, whatever day today is."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from scheduling import selectors
from scheduling.models import RoomState
from scheduling.selectors.booking import booking_week
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AvailabilitySettingsFactory, TimeOffFactory, session_of
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Sunday 10 March 2030, 20:00 in Paris: this week's last free time (Wednesday) is over.
SUNDAY_EVENING = datetime(2030, 3, 10, 19, 0, tzinfo=UTC)
NEXT_MONDAY = date(2030, 3, 11)


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def patient(patient):
    patient.time_zone = "Europe/Paris"
    patient.save(update_fields=["time_zone"])
    return patient


@pytest.fixture
def therapist(paris_therapist):
    """Mondays and Wednesdays, 09:00-12:00 in Paris."""
    return paris_therapist


def week_of(therapist, now, day=None):
    return booking_week(therapist=therapist.therapist_profile, zone=PARIS, now=now, day=day)


def book_page(patient, **query):
    with time_machine.travel(SUNDAY_EVENING, tick=False):
        return client_for(patient).get(reverse("book_session"), query)


def test_on_a_sunday_evening_the_page_opens_on_next_week(match, patient, therapist):
    week = week_of(therapist, SUNDAY_EVENING)

    assert week.start.date() == NEXT_MONDAY
    assert week.days[0][0] == NEXT_MONDAY  # Monday, 09:00 is 13 hours away: past the notice
    assert week.next_free is None
    page = book_page(patient)
    assert "Week of 11 March to 17 March 2030" in page.text
    assert "Book this session" in page.text


def test_this_week_when_it_still_has_a_free_time(match, therapist):
    monday_morning = datetime(2030, 3, 4, 7, 0, tzinfo=UTC)  # 08:00 in Paris

    week = week_of(therapist, monday_morning)

    assert week.start.date() == date(2030, 3, 4)
    assert week.is_first
    assert week.previous_monday is None


def test_a_week_without_free_time_says_when_the_next_one_is(match, patient, therapist):
    TimeOffFactory(
        therapist=therapist.therapist_profile,
        first_day=date(2030, 3, 11),
        last_day=date(2030, 3, 17),
    )

    week = week_of(therapist, SUNDAY_EVENING, day=NEXT_MONDAY)

    assert week.days == []
    assert week.next_free == paris(18, 9)
    page = book_page(patient, week="2030-03-11")
    assert "No free time this week. The next free time is on Monday 18 March, 09:00." in page.text
    assert "?week=2030-03-18" in page.text
    assert "Book this session" not in page.text
    assert 'name="modality"' not in page.text


def test_without_any_free_time_nothing_is_offered(patient, other_therapist):
    MatchFactory(patient=patient, therapist=other_therapist.therapist_profile)  # no hours

    page = book_page(patient)

    assert "No free time to book at the moment." in page.text
    assert "Book this session" not in page.text
    assert 'type="radio"' not in page.text


def test_a_week_already_over_is_never_shown(match, therapist):
    week = week_of(therapist, SUNDAY_EVENING, day=date(2030, 2, 4))

    assert week.start.date() == date(2030, 3, 4)  # this week, where "today" is
    assert week.days == []  # its free times are past
    assert week.next_free == paris(11, 9)
    assert week.previous_monday is None


def test_the_first_free_time_follows_the_horizon(match, therapist):
    AvailabilitySettingsFactory(therapist=therapist.therapist_profile, horizon_weeks=1)
    TimeOffFactory(
        therapist=therapist.therapist_profile,
        first_day=date(2030, 3, 11),
        last_day=date(2030, 3, 31),
    )

    week = week_of(therapist, SUNDAY_EVENING)

    assert week.days == []
    assert week.next_free is None  # beyond the horizon: not bookable, not announced


# --- The dashboard's sessions -------------------------------------------------------------------


def test_on_a_sunday_monday_morning_is_in_the_next_days(patient, therapist):
    profile = therapist.therapist_profile
    tonight = session_of(patient, profile, paris(10, 21))
    monday = session_of(patient, profile, paris(11, 9))
    sunday_after = session_of(patient, profile, paris(17, 9))
    session_of(patient, profile, paris(18, 9))  # the 8th day: not yet

    sessions = selectors.therapist_week_sessions(therapist=profile, now=SUNDAY_EVENING, zone=PARIS)

    assert sessions["today"] == [tonight]
    assert sessions["next_days"] == [monday, sunday_after]


def test_the_listed_sessions_carry_their_room_state(patient, therapist):
    profile = therapist.therapist_profile
    soon = session_of(patient, profile, paris(10, 20, 5))  # its room opened at 19:55
    later = session_of(patient, profile, paris(11, 9))

    sessions = selectors.therapist_week_sessions(therapist=profile, now=SUNDAY_EVENING, zone=PARIS)
    upcoming = selectors.next_session_for_patient(patient=patient, now=SUNDAY_EVENING)

    assert sessions["today"][0].room_state == RoomState.OPEN
    assert sessions["next_days"][0].room_state == RoomState.LATER
    assert upcoming == soon
    assert upcoming.room_state == RoomState.OPEN
    assert later.room_state_at(paris(11, 8, 50)) == RoomState.OPEN
    assert later.room_state_at(paris(11, 10, 20)) == RoomState.OVER
