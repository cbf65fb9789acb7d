"""The room page: its two parties only, and only from shortly before the session until
shortly after it; its address is a token, never the appointment's id."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TherapistProfile
from scheduling.models import Appointment
from sessions_video import selectors, services
from sessions_video.ice import turn_user_id
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.sessions_video import DURING, ENDS_AT, STARTS_AT, a_room
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def room_page(user, room, at=DURING):
    with time_machine.travel(at, tick=False):
        return client_for(user).get(reverse("session_room", kwargs={"token": room.token}))


def test_the_patient_sees_the_room_with_the_therapists_name():
    patient, _therapist, room = a_room(modality="phone")

    page = room_page(patient, room)

    assert page.status_code == 200
    assert "Ana Ruiz" in page.text
    assert "Phone" in page.text
    assert f'data-socket-path="/ws/room/{room.token}/"' in page.text
    assert "<title>Session" in page.text
    assert "Leave" in page.text
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


def test_the_therapist_sees_the_patients_nickname_only():
    patient, therapist, room = a_room()

    page = room_page(therapist, room)

    assert page.status_code == 200
    assert "Robin" in page.text
    assert patient.email not in page.text
    assert "Video" in page.text


def test_before_its_window_the_room_says_when_it_opens_in_the_viewers_zone():
    patient, _therapist, room = a_room()

    page = room_page(patient, room, at=STARTS_AT - timedelta(minutes=11))

    assert page.status_code == 200
    # 09:00 UTC is 10:00 in Paris; the room opens 10 minutes earlier.
    assert "This room opens at 09:50 (Europe/Paris), 10 minutes before your session." in page.text
    assert "data-socket-path" not in page.text


def test_the_room_is_open_from_ten_minutes_before_until_thirty_after():
    _patient, _therapist, room = a_room()
    appointment = room.appointment

    assert not appointment.room_is_open(STARTS_AT - timedelta(minutes=10, seconds=1))
    assert appointment.room_is_open(STARTS_AT - timedelta(minutes=10))
    assert appointment.room_is_open(ENDS_AT + timedelta(minutes=29, seconds=59))
    assert not appointment.room_is_open(ENDS_AT + timedelta(minutes=30))


def test_after_its_window_the_session_has_ended():
    _patient, therapist, room = a_room()

    page = room_page(therapist, room, at=ENDS_AT + timedelta(minutes=31))

    assert page.status_code == 200
    assert "This session has ended." in page.text
    assert "data-socket-path" not in page.text


@pytest.mark.parametrize(
    "outsider",
    ["another patient of the therapist", "another therapist", "a stranger", "staff"],
)
def test_anyone_else_gets_404(outsider):
    _patient, therapist, room = a_room()
    if outsider == "another patient of the therapist":  # with a session of their own
        user, _, _ = a_room(therapist=therapist, starts_at=ENDS_AT + timedelta(hours=1))
    elif outsider == "another therapist":
        user = TherapistFactory()
    elif outsider == "a stranger":
        user = PatientFactory()
    else:
        user = StaffFactory()

    assert room_page(user, room).status_code == 404


@pytest.mark.parametrize(
    "status", [TherapistProfile.VettingStatus.SUSPENDED, TherapistProfile.VettingStatus.REJECTED]
)
def test_a_therapist_no_longer_approved_gets_404(status):
    _patient, therapist, room = a_room()
    TherapistProfile.objects.filter(pk=therapist.pk).update(vetting_status=status)

    assert room_page(therapist, room).status_code == 404


def test_a_cancelled_session_has_no_room():
    patient, therapist, room = a_room()
    Appointment.objects.filter(pk=room.appointment_id).update(
        status=Appointment.Status.CANCELLED, cancelled_at=timezone.now()
    )

    assert room_page(patient, room).status_code == 404
    assert room_page(therapist, room).status_code == 404


def test_an_unknown_token_is_404_and_anonymous_visitors_are_sent_to_log_in():
    patient, _therapist, room = a_room()
    with time_machine.travel(DURING, tick=False):
        unknown = client_for(patient).get(reverse("session_room", kwargs={"token": "x" * 32}))
        anonymous = Client().get(reverse("session_room", kwargs={"token": room.token}))

    assert unknown.status_code == 404
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]


def test_the_token_is_unguessable_and_never_the_appointments_id():
    _patient, _therapist, room = a_room()
    _patient2, _therapist2, other = a_room()

    assert len(room.token) >= 32
    assert room.token != other.token
    # Random, not derived: not an id, not the appointment's calendar uid (a short id may well
    # appear by chance among 43 random characters, so "not in" would be a coin toss).
    assert room.token not in {str(room.appointment_id), str(room.appointment.uid), str(room.pk)}
    assert str(room.appointment.uid) not in room.token
    assert reverse("session_room", kwargs={"token": room.token}) == f"/room/{room.token}/"


def test_a_room_is_made_once_per_appointment():
    _patient, _therapist, room = a_room()

    assert services.room_for(appointment=room.appointment) == room


def test_the_join_link_leads_to_the_room_for_its_parties_only():
    patient, _therapist, room = a_room()
    enter = reverse("session_room_enter", kwargs={"pk": room.appointment_id})

    answer = client_for(patient).get(enter)

    assert answer.status_code == 302
    assert answer["Location"] == reverse("session_room", kwargs={"token": room.token})
    assert client_for(PatientFactory()).get(enter).status_code == 404


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (STARTS_AT - timedelta(minutes=11), False),  # not open yet: it says when it opens
        (STARTS_AT - timedelta(minutes=10), True),
        (DURING, True),
        (ENDS_AT + timedelta(minutes=29), True),
        (ENDS_AT + timedelta(minutes=30), False),  # the room has closed
    ],
)
def test_the_session_page_offers_the_room_while_it_is_open(moment, shown):
    patient, _therapist, room = a_room()
    enter = reverse("session_room_enter", kwargs={"pk": room.appointment_id})
    with time_machine.travel(moment, tick=False):
        page = client_for(patient).get(
            reverse("session_detail", kwargs={"pk": room.appointment_id})
        )
    assert (enter in page.text) is shown
    assert ("The room opens at 09:50" in page.text) is (moment < STARTS_AT - timedelta(minutes=10))


def test_the_room_selector_answers_none_to_anyone_else():
    patient, therapist, room = a_room()
    outsider = PatientFactory()

    assert selectors.room_get_for_user(user=patient, token=room.token) == room
    assert selectors.room_get_for_user(user=therapist, token=room.token) == room
    assert selectors.room_get_for_user(user=outsider, token=room.token) is None
    assert selectors.room_get_for_user(user=patient, token="not-a-token") is None


def test_the_call_gets_its_ice_servers_and_transport_policy_from_settings(settings):
    settings.ICE_STUN_URLS = []
    settings.ICE_TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.TURN_SHARED_SECRET = "coturn-shared-secret"
    settings.ICE_TRANSPORT_POLICY = "relay"
    patient, _therapist, room = a_room()

    page = room_page(patient, room)

    data = re.search(
        r'<script id="call-rtc-configuration" type="application/json">(.*?)</script>', page.text
    )
    assert data is not None
    configuration = json.loads(data.group(1))
    assert configuration["iceTransportPolicy"] == "relay"
    [server] = configuration["iceServers"]
    assert server["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    assert server["username"].endswith(f":{turn_user_id(patient)}")


def test_a_video_room_offers_the_check_before_joining_and_the_device_pickers():
    patient, _therapist, room = a_room(modality="video")

    page = room_page(patient, room)

    assert 'id="precheck"' in page.text
    assert "Join the session" in page.text
    for picker in ("device-camera", "device-microphone", "device-speaker"):
        assert f'id="{picker}"' in page.text
    assert 'id="precheck-preview"' in page.text


def test_a_phone_room_checks_no_camera_and_a_chat_room_checks_nothing():
    patient, _therapist, phone = a_room(modality="phone")
    page = room_page(patient, phone)
    assert 'id="precheck"' in page.text
    assert 'id="device-camera"' not in page.text
    assert 'data-check="camera"' not in page.text

    other, _therapist, chat = a_room(modality="chat")
    assert 'id="precheck"' not in room_page(other, chat).text


def test_the_therapist_may_share_their_screen_and_decides_for_the_patient():
    patient, therapist, room = a_room(modality="video")

    as_therapist = room_page(therapist, room).text
    as_patient = room_page(patient, room).text

    assert 'id="call-patient-may-share"' in as_therapist
    assert "Let Robin share their screen" in as_therapist
    assert 'id="call-patient-may-share"' not in as_patient
    share = re.compile(r'<button[^>]*data-call-action="share-screen"[^>]*>')
    assert " hidden" not in share.search(as_therapist).group(0)
    assert " hidden" in share.search(as_patient).group(0)

    services.room_screen_policy_set(room=room, user=therapist, patient_may_share=True)

    assert " hidden" not in share.search(room_page(patient, room).text).group(0)


def test_only_the_sessions_therapist_sets_who_may_share_the_screen():
    patient, _therapist, room = a_room(modality="video")
    other_therapist = TherapistFactory()

    for user in (patient, other_therapist):
        with pytest.raises(PermissionDenied):
            services.room_screen_policy_set(room=room, user=user, patient_may_share=True)
    room.refresh_from_db()
    assert room.patient_may_share_screen is False


def test_the_check_before_joining_speaks_french():
    patient, _therapist, room = a_room(modality="video")
    patient.language = "fr"
    patient.save(update_fields=["language"])

    page = room_page(patient, room)

    assert "Avant de rejoindre la séance" in page.text
    assert "Jouer un son de test" in page.text
    assert "Votre réseau bloque les appels directs" in page.text
    assert "Partager votre écran" in page.text


def test_a_call_room_has_its_waiting_room_in_the_viewers_words():
    patient, therapist, room = a_room(modality="video", admitted=False)

    as_patient = room_page(patient, room).text
    as_therapist = room_page(therapist, room).text

    assert 'data-admitted="no"' in as_patient
    assert "You are in the waiting room. Ana Ruiz will let you in when the session starts." in (
        as_patient
    )
    assert 'id="call-waiting-note"' in as_patient
    assert "Ana Ruiz is running late: they will be with you in about 5 minutes." in as_patient
    assert 'id="call-admit"' not in as_patient
    assert "Let Robin in" in as_therapist
    assert "Robin is in the waiting room." in as_therapist
    patient.language = "fr"
    patient.save(update_fields=["language"])
    assert "Vous êtes dans la salle d’attente." in room_page(patient, room).text

    services.room_admit(room=room, user=therapist, now=DURING)
    assert 'data-admitted="yes"' in room_page(patient, room).text
