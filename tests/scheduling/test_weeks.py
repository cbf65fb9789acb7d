"""``?week=``, parsed once for the week pages (the patient's booking page, the therapist's
calendar): any day of a week as YYYY-MM-DD, within bounds that keep the week before and after
it in range. Whatever is typed, the pages answer 200 or 404, never 500."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import weeks
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import MatchFactory
from tests.helpers import client_for

EDGES = ["9999-12-31", "9999-12-18", "0001-01-01", "1900-01-07", "2030-02-30", "2030-13-01"]
WEIRD = [
    "",
    "2030-3-4",
    " 2030-03-04",
    "2030-03-04 ",
    "²⁰³⁰-⁰³-⁰⁴",
    "２０３０-０３-０４",
    "20300304",
]
# NUL may be refused before the view (400) or by it (404): never a 500.
NUL = "2030-03-04\x00"


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (None, None),
        ("2030-03-06", date(2030, 3, 6)),
        ("1900-01-08", weeks.FIRST_DAY),
        ("9999-12-17", weeks.LAST_DAY),
    ],
)
def test_a_day_of_the_week_or_none(value, day):
    assert weeks.parse_week(value) == day


@pytest.mark.parametrize("value", [*EDGES, *WEIRD, NUL])
def test_anything_else_is_a_bad_week(value):
    with pytest.raises(weeks.BadWeek):
        weeks.parse_week(value)


@given(st.text())
def test_no_text_raises_anything_but_bad_week(value):
    try:
        day = weeks.parse_week(value)
    except weeks.BadWeek:
        return
    assert day is not None
    assert weeks.FIRST_DAY <= day <= weeks.LAST_DAY


@given(st.dates(min_value=weeks.FIRST_DAY, max_value=weeks.LAST_DAY))
def test_every_day_in_bounds_is_a_week_with_neighbours(day):
    assert weeks.parse_week(day.isoformat()) == day
    monday = weeks.monday_of(day)
    for zone in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
        for week in (monday - timedelta(weeks=1), monday, monday + timedelta(weeks=1)):
            start, end = weeks.week_bounds(week, zone)
            assert start.weekday() == 0
            assert end.weekday() == 0


# --- The pages ---------------------------------------------------------------------------------


@pytest.fixture
def patient_client(db):
    patient = PatientFactory()
    MatchFactory(patient=patient, therapist=TherapistFactory().therapist_profile)
    return client_for(patient)


@pytest.mark.parametrize("value", EDGES + WEIRD)
def test_the_booking_page_answers_404_to_a_bad_week(patient_client, value):
    assert patient_client.get(reverse("book_session"), {"week": value}).status_code == 404


@pytest.mark.parametrize("value", EDGES + WEIRD)
def test_the_calendar_answers_404_to_a_bad_week(therapist_client, value):
    assert therapist_client.get(reverse("practice_calendar"), {"week": value}).status_code == 404


def test_nul_is_refused(patient_client, therapist_client):
    assert patient_client.get(reverse("book_session"), {"week": NUL}).status_code in (400, 404)
    assert therapist_client.get(reverse("practice_calendar"), {"week": NUL}).status_code in (
        400,
        404,
    )


@pytest.mark.parametrize("value", ["1900-01-08", "9999-12-17"])
def test_the_pages_show_the_farthest_weeks(patient_client, therapist_client, value):
    assert patient_client.get(reverse("book_session"), {"week": value}).status_code == 200
    assert therapist_client.get(reverse("practice_calendar"), {"week": value}).status_code == 200


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.text(), st.dates().map(date.isoformat)))
def test_no_week_makes_a_page_fail(patient_client, therapist_client, value):
    for client, page in ((patient_client, "book_session"), (therapist_client, "practice_calendar")):
        assert client.get(reverse(page), {"week": value}).status_code in (200, 400, 404)
