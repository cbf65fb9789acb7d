"""No input to a scheduling form or query gives a 500, and a refused one writes nothing
(issue 15, "Six inputs give a 500"): booking, moving and cancelling a session, the therapist's
session settings, weekly hours and time off, session notes and addenda, the calendar feed's
page and its address, ``?week=`` on every week page. Property tests (Hypothesis) with the
values of tests/inputs.py, and the instances that were 500s, each checked for its message."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.models import Appointment
from tests.factories.scheduling import SessionNoteFactory, session_of
from tests.helpers import client_for
from tests.inputs import EDGE_DAYS, EDGE_INSTANTS, answers_without_error, field_values, form_data

pytestmark = pytest.mark.django_db

# Sunday 10 March 2030 in the evening: Monday's 09:00 in Paris is bookable.
NOW = datetime(2030, 3, 10, 19, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Ids past the database's range: a few examples say it (the converter is the same for all).
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HTMX = {"HX-Request": "true"}
MODALITIES = ["video", "phone", "chat"]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def therapist(paris_therapist):
    return paris_therapist


@pytest.fixture
def session(match, patient, therapist):
    """A session next Wednesday at 10:00 in Paris, with its note."""
    booked = session_of(patient, therapist.therapist_profile, datetime(2030, 3, 13, 9, tzinfo=UTC))
    SessionNoteFactory(appointment=booked)
    return booked


# --- The instances that were 500s -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0001-01-01T00:00:00+01:00", "Choose one of the times shown."),
        ("9999-12-31T23:00:00+00:00", "Sessions are booked at most 26 weeks ahead"),
        ("9999-12-31T23:59:59-23:59", "Choose one of the times shown."),
        ("0001-01-01T00:00:00+00:00", "This time has passed"),
        ("2030-03-11T09:00:00", "Choose one of the times shown."),
    ],
)
def test_a_start_at_the_edges_of_time_is_a_form_error(match, patient, value, words):
    before = Appointment.objects.count()

    response = client_for(patient).post(
        reverse("book_session"), {"starts_at": value, "modality": "video"}
    )

    assert response.status_code == 422
    assert words in response.text
    assert Appointment.objects.count() == before


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00+00:00"])
def test_moving_to_the_edges_of_time_is_a_form_error(session, patient, value):
    response = client_for(patient).post(
        reverse("session_move", kwargs={"pk": session.pk}), {"starts_at": value}
    )

    assert response.status_code == 422
    session.refresh_from_db()
    assert session.starts_at == datetime(2030, 3, 13, 9, tzinfo=UTC)


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "²⁰³⁰-03-11"])
def test_the_move_page_answers_404_to_a_week_out_of_range(session, patient, week):
    url = reverse("session_move", kwargs={"pk": session.pk})

    assert client_for(patient).get(url, {"week": week}).status_code == 404


def test_a_good_start_still_books(match, patient):
    response = client_for(patient).post(
        reverse("book_session"), {"starts_at": "2030-03-11T09:00:00+01:00", "modality": "video"}
    )

    assert response.status_code == 302
    assert Appointment.objects.get().starts_at == datetime(2030, 3, 11, 8, tzinfo=UTC)


# --- Any input ----------------------------------------------------------------------------------


@FUZZ
@given(data=form_data({"starts_at": EDGE_INSTANTS, "modality": MODALITIES}))
def test_no_booking_input_gives_a_500(match, patient, data):
    answers_without_error(client_for(patient), "post", reverse("book_session"), data)


@FUZZ
@given(week=field_values(EDGE_DAYS), data=form_data({"starts_at": EDGE_INSTANTS}))
def test_no_move_input_gives_a_500(session, patient, week, data):
    client = client_for(patient)
    url = reverse("session_move", kwargs={"pk": session.pk})
    answers_without_error(client, "get", url, {"week": week})
    answers_without_error(client, "post", url, data)


@FUZZ
@given(data=form_data({"reason": None}))
def test_no_cancel_reason_gives_a_500(session, therapist, data):
    url = reverse("session_cancel", kwargs={"pk": session.pk})
    response = answers_without_error(client_for(therapist), "post", url, data)
    if response.status_code == 302:  # cancelled: the next example cancels it again
        Appointment.objects.filter(pk=session.pk).update(status="booked", cancelled_at=None)


@FUZZ
@given(
    data=form_data(
        {
            "session_minutes": ["30", "45", "50", "60"],
            "buffer_minutes": ["0", "5", "10", "30"],
            "notice_hours": ["0", "24", "168", "169"],
            "horizon_weeks": ["1", "26", "27"],
        }
    ),
    htmx=st.booleans(),
)
def test_no_session_settings_give_a_500(therapist, data, htmx):
    url = reverse("practice_availability_settings")
    answers_without_error(client_for(therapist), "post", url, data, headers=HTMX if htmx else None)


@FUZZ
@given(
    data=form_data(
        {"weekdays": ["0", "1", "6", "7"], "start": ["09:00", "13:35"], "end": ["12:00"]},
        multiple=("weekdays",),
    ),
    htmx=st.booleans(),
)
def test_no_weekly_hours_give_a_500(therapist, data, htmx):
    url = reverse("practice_window_add")
    answers_without_error(client_for(therapist), "post", url, data, headers=HTMX if htmx else None)


@FUZZ
@given(data=form_data({"first_day": EDGE_DAYS, "last_day": EDGE_DAYS}), htmx=st.booleans())
def test_no_time_off_gives_a_500(therapist, data, htmx):
    url = reverse("practice_time_off_add")
    answers_without_error(client_for(therapist), "post", url, data, headers=HTMX if htmx else None)


@FUZZ
@given(
    data=form_data({"body": None, "version": ["0", "1", "2"]}),
    addendum=form_data({"addendum-body": None}),
    htmx=st.booleans(),
)
def test_no_note_or_addendum_gives_a_500(session, therapist, data, addendum, htmx):
    client, headers = client_for(therapist), HTMX if htmx else None
    pk = session.pk
    answers_without_error(
        client, "post", reverse("session_note_save", kwargs={"pk": pk}), data, headers=headers
    )
    url = reverse("session_note_addendum_add", kwargs={"pk": pk})
    answers_without_error(client, "post", url, addendum, headers=headers)


@FUZZ
@given(data=form_data({"action": ["renew", "revoke"]}))
def test_no_calendar_feed_action_gives_a_500(patient, data):
    answers_without_error(client_for(patient), "post", reverse("calendar_settings"), data)


@FUZZ
@given(token=st.text(min_size=1, max_size=80).filter(lambda t: "/" not in t))
def test_no_feed_address_gives_a_500(client, token):
    url = reverse("calendar_feed", kwargs={"token": "x"}).replace("x.ics", "")
    response = answers_without_error(client, "get", f"{url}{quote(token, safe='')}.ics")
    assert response.status_code in (400, 404)


@FUZZ
@given(week=field_values(EDGE_DAYS))
def test_no_week_gives_a_500_on_any_week_page(match, patient, therapist, week):
    answers_without_error(client_for(patient), "get", reverse("book_session"), {"week": week})
    url = reverse("practice_calendar")
    answers_without_error(client_for(therapist), "get", url, {"week": week})


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_session_ids_past_the_database_range_are_not_found(patient, therapist, pk):
    for client, name in (
        (client_for(patient), "session_detail"),
        (client_for(patient), "appointment_ics"),
        (client_for(therapist), "session_notes"),
    ):
        response = answers_without_error(client, "get", reverse(name, kwargs={"pk": pk}))
        assert response.status_code == 404


@pytest.fixture
def without_the_nul_guard(settings):
    """The app without core.middleware.RejectNulMiddleware: the parsers' own refusal."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RejectNulMiddleware")]


def test_the_parsers_refuse_nul_themselves(without_the_nul_guard, session, patient, therapist):
    client = client_for(patient)
    booked = client.post(reverse("book_session"), {"starts_at": "\x00", "modality": "video"})
    week = client.get(reverse("book_session"), {"week": "2030-03-11\x00"})
    cancelled = client_for(therapist).post(
        reverse("session_cancel", kwargs={"pk": session.pk}), {"reason": "ill\x00"}
    )

    assert booked.status_code == 422
    assert week.status_code == 404
    assert cancelled.status_code == 422
    assert "Null characters are not allowed." in cancelled.text
