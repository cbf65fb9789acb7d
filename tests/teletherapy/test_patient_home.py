"""The patient home: their therapist (why them, how soon they usually answer, change), the next
session with its join button, unread messages, the check-in when due and the progress charts,
the emergency link always; only their own; the same queries however long their history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Modality
from tests.factories import PatientFactory
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


@pytest.fixture
def match(patient, therapist, make_match):
    match = make_match(therapist, patient=patient)
    match.reasons = [{"code": "language", "value": "fr"}]
    match.save(update_fields=["reasons"])
    return match


def test_a_patient_without_a_therapist_is_invited_to_find_one(patient):
    page = home(client_for(patient)).content.decode()

    assert reverse("intake_start") in page
    assert reverse("emergency") in page
    assert reverse("book_session") not in page


def test_their_therapist_why_them_and_how_to_change(patient, therapist, match, now, make_message):
    for day, hours in ((1, 2), (2, 2), (3, 2)):
        asked = now - timedelta(days=day, hours=8)
        make_message(match, patient, "A question", asked, read=True)
        make_message(match, therapist, "An answer", asked + timedelta(hours=hours), read=True)

    page = home(client_for(patient)).content.decode()

    assert therapist.therapist_profile.display_name in page
    assert "Why we proposed them:" in page
    assert "Usually replies within 2 hours" in page
    assert reverse("match_switch") in page
    assert reverse("emergency") in page
    my_therapist = client_for(patient).get(reverse("my_therapist")).content.decode()
    assert "Usually replies within 2 hours" in my_therapist


def test_the_next_session_with_a_join_button_once_its_room_is_open(
    patient, match, clock, now, make_session
):
    booked = make_session(match, now + timedelta(hours=2), modality=Modality.PHONE)
    make_session(match, now + timedelta(hours=1), status="cancelled")
    client = client_for(patient)
    enter = reverse("session_room_enter", kwargs={"pk": booked.pk})

    response = home(client)
    assert response.context["home"].next_session == booked
    assert enter not in response.content.decode()  # its room opens 10 minutes before

    clock.move_to(booked.starts_at - timedelta(minutes=10))
    page = home(client).content.decode()
    assert enter in page
    assert "Phone" in page


def test_unread_messages_are_counted_and_only_their_own(
    patient, therapist, match, other_patient, now, make_match, make_message
):
    make_message(match, therapist, "How are you?", now - timedelta(hours=3))
    make_message(match, therapist, "Here is the exercise.", now - timedelta(hours=2))
    make_message(match, patient, "Fine", now - timedelta(hours=1))  # their own: never unread
    others = make_match(therapist, patient=other_patient)
    make_message(others, therapist, "For Kim only", now - timedelta(hours=1))

    response = home(client_for(patient))

    assert response.context["home"].unread == 2
    assert "You have 2 unread messages." in response.content.decode()
    assert "For Kim only" not in response.content.decode()


def test_the_check_in_when_due_and_the_charts(patient, match, clock, now, make_score):
    make_score(patient, "phq9", 14, now - timedelta(days=27))
    make_score(patient, "gad7", 9, now - timedelta(days=27))
    client = client_for(patient)

    page = home(client).content.decode()
    assert "Your next check-in is due on" in page
    assert page.count("<svg") == 2  # both charts
    assert "PHQ-9 scores over time" in page

    clock.move_to(now + timedelta(days=1))
    page = home(client).content.decode()
    assert "Your check-in is due" in page
    assert f'class="btn btn-primary" href="{reverse("checkin")}"' in page


def test_another_patients_scores_never_show(patient, match, other_patient, now, make_score):
    make_score(other_patient, "phq9", 27, now - timedelta(days=3))

    response = home(client_for(patient))

    assert response.context["home"].scores == []


def test_the_home_costs_the_same_queries_however_long_the_history(
    patient, therapist, match, now, make_message, make_session, make_score
):
    client = client_for(patient)
    make_session(match, now + timedelta(days=1))
    make_message(match, therapist, "Hello", now - timedelta(hours=1))
    make_score(patient, "phq9", 10, now - timedelta(days=3))
    with CaptureQueriesContext(connection) as few:
        home(client)

    for n in range(30):
        make_message(match, therapist, f"Message {n}", now - timedelta(days=20, minutes=n))
        make_session(match, now - timedelta(days=40) + timedelta(days=n))
        make_score(patient, "gad7", n % 21, now - timedelta(days=400 - n))
    with CaptureQueriesContext(connection) as many:
        home(client)

    assert len(many) == len(few)


def test_a_therapist_and_staff_get_their_own_pages(therapist, staff):
    assert "teletherapy/patient_home.html" not in [
        t.name for t in client_for(therapist).get(reverse("home")).templates
    ]
    assert client_for(staff).get(reverse("home"))["Location"] == reverse("admin:index")


def test_anonymous_visitors_are_asked_to_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_patient_with_nothing_yet_sees_no_one_elses_session(
    patient, therapist, now, make_match, make_session
):
    stranger = PatientFactory()
    make_session(make_match(therapist, patient=stranger), now + timedelta(hours=2))

    response = home(client_for(patient))

    assert response.context["home"].next_session is None
