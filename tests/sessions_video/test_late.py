""" "I'll be 5 minutes late": the dashboard's buttons for a session whose room is open, by its
therapist only; anything else is refused with a reason and writes nothing."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import TherapistProfile
from sessions_video import services
from sessions_video.models import Room
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.sessions_video import DURING, STARTS_AT, a_room
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def say_late(user, room, minutes="5", **extra):
    address = reverse("session_late", kwargs={"pk": room.appointment_id})
    return client_for(user).post(address, {"minutes": minutes}, **extra)


def lateness(room):
    kept = Room.objects.get(pk=room.pk)
    return kept.late_minutes, kept.late_said_at


def test_the_therapist_says_they_will_be_late():
    _patient, therapist, room = a_room(admitted=False)

    answer = say_late(therapist, room, "10")

    assert answer.status_code == 302
    assert answer["Location"] == reverse("home")
    assert lateness(room) == (10, DURING)
    assert [str(m) for m in get_messages(answer.wsgi_request)] == ["Your patient is told."]
    # From the dashboard's buttons (htmx): no content, the sessions follow.
    assert say_late(therapist, room, "5", **HTMX).status_code == 204
    assert lateness(room) == (5, DURING)


@pytest.mark.parametrize("minutes", ["7", "", "five", "-5", "5.0", "1" * 30])
def test_a_delay_not_offered_is_refused_with_the_reason(minutes):
    _patient, therapist, room = a_room(admitted=False)

    answer = say_late(therapist, room, minutes, **HTMX)

    assert answer.status_code == 400
    assert answer.text == "Choose one of the delays offered."
    assert lateness(room) == (None, None)


def test_without_htmx_a_refusal_goes_back_to_the_dashboard_saying_why():
    _patient, therapist, room = a_room(admitted=False)

    answer = say_late(therapist, room, "7")

    assert answer.status_code == 302
    assert [str(m) for m in get_messages(answer.wsgi_request)] == [
        "Choose one of the delays offered."
    ]
    assert lateness(room) == (None, None)


def test_not_before_the_room_opens_nor_once_the_patient_is_let_in(clock):
    _patient, therapist, room = a_room(admitted=False)
    clock.move_to(STARTS_AT - timedelta(hours=1))
    refused = say_late(therapist, room, **HTMX)
    assert (refused.status_code, refused.text) == (400, "The room of this session is not open.")

    clock.move_to(DURING)
    services.room_admit(room=room, user=therapist, now=DURING)
    refused = say_late(therapist, room, **HTMX)
    assert (refused.status_code, refused.text) == (400, "The session has started already.")
    assert lateness(room) == (None, None)


@pytest.mark.parametrize("who", ["its patient", "another therapist", "a stranger", "staff"])
def test_anyone_but_its_therapist_gets_404(who):
    patient, _therapist, room = a_room(admitted=False)
    user = {
        "its patient": lambda: patient,
        "another therapist": TherapistFactory,
        "a stranger": PatientFactory,
        "staff": StaffFactory,
    }[who]()

    assert say_late(user, room).status_code == 404
    assert lateness(room) == (None, None)


def test_a_therapist_no_longer_approved_gets_404():
    _patient, therapist, room = a_room(admitted=False)
    TherapistProfile.objects.filter(pk=therapist.pk).update(
        vetting_status=TherapistProfile.VettingStatus.SUSPENDED
    )

    assert say_late(therapist, room).status_code == 404


def test_only_a_post():
    _patient, therapist, room = a_room(admitted=False)
    address = reverse("session_late", kwargs={"pk": room.appointment_id})

    assert client_for(therapist).get(address).status_code == 405


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(minutes=st.text(max_size=20) | st.integers().map(str))
def test_no_delay_gives_a_500(minutes):
    _patient, therapist, room = a_room(admitted=False)

    answer = say_late(therapist, room, minutes.replace("\x00", ""), **HTMX)

    assert answer.status_code in (204, 400)
