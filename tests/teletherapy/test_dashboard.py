"""The practitioner dashboard: offers answered in place, the caseload (last message, waiting for
an answer, unread, next session, latest scores with a trend), today and this week, banners, and
the usual reply time; the same number of queries for a small practice and a full one; nobody
sees another therapist's patients."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Modality
from matching import services as matching_services
from matching.models import Match, Offer, ScreeningResult
from messaging.models import Message
from messaging.services import conversation_open
from scheduling.models import Appointment
from teletherapy import crypto
from tests.conftest import client_for
from tests.factories import PatientFactory, TherapistFactory
from tests.matching.test_offers import make_eligible, open_request

pytestmark = pytest.mark.django_db

# Wednesday 3 March 2027, 10:00 in Paris (the therapist's zone).
NOW = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist(therapist):
    therapist.time_zone = "Europe/Paris"
    therapist.save(update_fields=["time_zone"])
    return therapist


def matched(therapist, nickname="Robin", patient=None) -> Match:
    patient = patient or PatientFactory(patient_profile__nickname=nickname)
    match = Match.objects.create(patient=patient, therapist=therapist.therapist_profile)
    conversation_open(match_id=match.pk)
    return match


def message(match, sender, body, at, read=False, live=False) -> Message:
    return Message.objects.create(
        conversation=match.conversation,
        sender=sender,
        client_id=uuid.uuid4(),
        body_encrypted=crypto.encrypt_text(body),
        created_at=at,
        read_at=at if read else None,
        live_session=live,
    )


def session(match, starts_at, minutes=50, status="booked", modality=Modality.VIDEO) -> Appointment:
    return Appointment.objects.create(
        match=match,
        therapist=match.therapist,
        patient=match.patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        modality=modality,
        status=status,
        cancelled_at=starts_at - timedelta(days=1) if status == "cancelled" else None,
    )


def score(patient, instrument, value, at) -> ScreeningResult:
    return ScreeningResult.objects.create(
        patient=patient, instrument=instrument, answers=[], score=value, band="mild", taken_at=at
    )


def practice(therapist, patients: int, appointments: int, messages: int) -> list[Match]:
    """A practice of this size: every patient with messages both ways (some unread), sessions
    past and to come, and two check-ins."""
    matches = [matched(therapist, f"Patient {n}") for n in range(patients)]
    for n in range(appointments):
        session(matches[n % patients], NOW - timedelta(days=150) + timedelta(hours=3 * n))
    rows = []
    for n in range(messages):
        match = matches[n % patients]
        sender = match.patient if n % 3 else therapist
        at = NOW - timedelta(minutes=messages - n)
        rows.append(
            Message(
                conversation=match.conversation,
                sender=sender,
                client_id=uuid.uuid4(),
                body_encrypted=crypto.encrypt_text(f"message {n}"),
                created_at=at,
                read_at=at if n % 2 else None,
            )
        )
    Message.objects.bulk_create(rows)
    for match in matches:
        for weeks, value in ((8, 14), (4, 11)):
            score(match.patient, "phq9", value, NOW - timedelta(weeks=weeks))
    return matches


def dashboard(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "teletherapy/therapist_dashboard.html" in [t.name for t in response.templates]
    return response


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard(client)
    return len(captured)


# --- The caseload ---------------------------------------------------------------------------


def test_each_patient_row_says_where_things_stand(therapist):
    robin = matched(therapist, "Robin")
    kim = matched(therapist, "Kim")
    message(robin, therapist, "How did the week go?", NOW - timedelta(days=2), read=True)
    message(robin, robin.patient, "Hard. I could not sleep.", NOW - timedelta(hours=5))
    message(robin, robin.patient, "And today is worse.", NOW - timedelta(hours=3))
    message(kim, kim.patient, "Thank you for Monday.", NOW - timedelta(days=1), read=True)
    message(kim, therapist, "You are welcome, see you Friday.", NOW - timedelta(hours=20))
    session(robin, NOW + timedelta(days=6))
    session(robin, NOW + timedelta(days=2))
    session(robin, NOW + timedelta(days=1), status="cancelled")
    score(robin.patient, "phq9", 15, NOW - timedelta(weeks=8))
    score(robin.patient, "phq9", 11, NOW - timedelta(weeks=4))
    score(robin.patient, "gad7", 6, NOW - timedelta(weeks=4))

    rows = {
        row.match.patient_id: row
        for row in dashboard(client_for(therapist)).context["dashboard"].caseload
    }

    robin_row, kim_row = rows[robin.patient_id], rows[kim.patient_id]
    assert robin_row.conversation.preview == "And today is worse."
    assert robin_row.conversation.waiting_since == NOW - timedelta(hours=5)  # the first unanswered
    assert robin_row.conversation.unread == 2
    assert robin_row.next_session.starts_at == NOW + timedelta(days=2)  # not the cancelled one
    assert robin_row.scores["phq9"].latest.score == 11
    assert (robin_row.scores["phq9"].change, robin_row.scores["phq9"].direction) == (-4, "better")
    assert robin_row.scores["gad7"].direction == ""  # a first score has no trend
    assert kim_row.conversation.waiting_since is None  # answered
    assert kim_row.conversation.unread == 0
    assert kim_row.next_session is None


def test_the_caseload_table_shows_it_in_words(therapist):
    robin = matched(therapist, "Robin")
    message(robin, robin.patient, "Hard. I could not sleep.", NOW - timedelta(hours=5))
    score(robin.patient, "phq9", 15, NOW - timedelta(weeks=8))
    score(robin.patient, "phq9", 18, NOW - timedelta(weeks=4))

    page = dashboard(client_for(therapist)).content.decode()

    assert "Hard. I could not sleep." in page
    assert "Waiting for your answer for 5\xa0hours" in page
    assert "up 3, worse" in page
    assert reverse("conversation", kwargs={"pk": robin.conversation.pk}) in page


def test_the_dashboard_costs_the_same_queries_for_a_full_practice(therapist):
    """60 patients, 300 sessions and 10,000 messages cost what 2 patients, 10 sessions and 50
    messages cost."""
    client = client_for(therapist)
    practice(therapist, patients=2, appointments=10, messages=50)
    small = queries(client)

    other = TherapistFactory(time_zone="Europe/Paris")
    practice(other, patients=60, appointments=300, messages=10_000)
    big_client = client_for(other)
    big = queries(big_client)

    assert big == small
    assert len(dashboard(big_client).context["dashboard"].caseload) == 60


def test_another_therapists_patients_never_show(therapist, other_therapist):
    mine = matched(therapist, "Robin")
    theirs = matched(other_therapist, "Kim")
    message(theirs, theirs.patient, "Only for my own therapist", NOW - timedelta(hours=1))
    session(theirs, NOW + timedelta(hours=2))

    page = dashboard(client_for(therapist)).content.decode()

    assert mine.patient.patient_profile.nickname in page
    assert "Kim" not in page
    assert "Only for my own therapist" not in page


def test_a_former_patient_leaves_the_caseload(therapist):
    match = matched(therapist, "Robin")
    message(match, match.patient, "Before the switch", NOW - timedelta(hours=1))
    Match.objects.filter(pk=match.pk).update(status=Match.Status.ENDED, ended_at=NOW)

    page = dashboard(client_for(therapist)).content.decode()

    assert "Robin" not in page
    assert "Before the switch" not in page


def test_an_unvetted_therapist_gets_their_application_not_a_dashboard(unvetted_therapist):
    response = client_for(unvetted_therapist).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("therapist_application")


# --- Today and this week --------------------------------------------------------------------


def test_sessions_today_and_this_week_with_a_join_button_when_the_room_is_open(therapist):
    match = matched(therapist, "Robin")
    soon = session(match, NOW + timedelta(minutes=5))  # its room is open
    later_today = session(match, NOW + timedelta(hours=4), modality=Modality.PHONE)
    friday = session(match, NOW + timedelta(days=2))
    session(match, NOW + timedelta(days=5))  # next Monday: next week
    session(match, NOW + timedelta(hours=6), status="cancelled")

    response = dashboard(client_for(therapist))

    board = response.context["dashboard"]
    assert board.today == [soon, later_today]
    assert board.this_week == [friday]
    page = response.content.decode()
    enter = reverse("session_room_enter", kwargs={"pk": soon.pk})
    assert page.count(enter) == 1  # only the session whose room is open
    assert "Phone" in page
    assert reverse("session_notes", kwargs={"pk": soon.pk}) in page


# --- Banners --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "banner", "words"),
    [
        (date(2027, 3, 13), "license_expiring", "in 10 days"),
        (date(2027, 4, 2), "license_expiring", "in 30 days"),
        (date(2027, 4, 3), None, None),
        (date(2027, 3, 2), "license_expired", "Your license expired on"),
    ],
)
def test_a_license_about_to_expire_is_announced(therapist, expiry, banner, words):
    profile = therapist.therapist_profile
    profile.license_expiry = expiry
    profile.save(update_fields=["license_expiry"])

    response = dashboard(client_for(therapist))

    license_banners = [b for b in response.context["dashboard"].banners if "license" in b]
    assert license_banners == ([banner] if banner else [])
    if words:
        assert words in response.content.decode()


def test_a_full_caseload_is_announced(therapist):
    profile = therapist.therapist_profile
    profile.caseload_limit = 2
    profile.save(update_fields=["caseload_limit"])
    matched(therapist, "Robin")
    client = client_for(therapist)
    assert "caseload_full" not in dashboard(client).context["dashboard"].banners

    matched(therapist, "Kim")

    response = dashboard(client)
    assert "caseload_full" in response.context["dashboard"].banners
    assert "Your caseload is full (2 patients)" in response.content.decode()


def test_a_therapist_without_an_authenticator_sets_one_up_before_the_dashboard(db):
    therapist = TherapistFactory(totp=False)

    response = client_for(therapist).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


# --- Offers, answered in place --------------------------------------------------------------


@pytest.fixture
def offer(patient, therapist, other_therapist):
    make_eligible(therapist)
    make_eligible(other_therapist, specialities=["grief"])
    request = open_request(patient, now=NOW - timedelta(minutes=40))
    offer = matching_services.offer_next(request=request, now=NOW - timedelta(minutes=40))
    assert offer.therapist.user == therapist
    return offer


def test_a_pending_offer_shows_what_to_decide_with_and_the_time_left(therapist, offer):
    page = dashboard(client_for(therapist)).content.decode()

    assert "Robin" in page
    assert "Anxiety" in page  # concerns
    assert "PHQ-9: Mild" in page
    assert "GAD-7: Moderate" in page
    assert "3 h 20 min left" in page
    assert f'data-deadline="{int(offer.expires_at.timestamp())}"' in page


def test_accepting_from_the_dashboard_answers_in_place(therapist, offer, patient):
    client = client_for(therapist)

    response = client.post(reverse("offer_accept", args=[offer.pk]), headers=HTMX)

    assert response.status_code == 200
    assert "matching/offers/_card.html" in [t.name for t in response.templates]
    assert "You are now working with Robin" in response.content.decode()
    assert (
        Match.objects.get(patient=patient, status=Match.Status.ACTIVE).therapist.user == therapist
    )
    assert "Robin" in dashboard(client).content.decode()  # now in the caseload


def test_declining_without_a_reason_keeps_the_card_with_the_error(therapist, offer):
    client = client_for(therapist)

    response = client.post(reverse("offer_decline", args=[offer.pk]), {"reason": ""}, headers=HTMX)

    assert response.status_code == 422
    assert "Give a reason for declining" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


def test_declining_with_a_reason_answers_in_place(therapist, offer):
    client = client_for(therapist)

    response = client.post(
        reverse("offer_decline", args=[offer.pk]), {"reason": "No room before April"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "Thank you for answering" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED


def test_an_expired_offer_cannot_be_accepted_from_the_card(therapist, offer, clock):
    clock.move_to(offer.expires_at + timedelta(minutes=1))

    response = client_for(therapist).post(reverse("offer_accept", args=[offer.pk]), headers=HTMX)

    assert response.status_code == 422
    assert not Match.objects.filter(patient=offer.request.patient).exists()


def test_another_therapist_cannot_answer_the_offer(offer, other_therapist):
    response = client_for(other_therapist).post(
        reverse("offer_accept", args=[offer.pk]), headers=HTMX
    )

    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


# --- Usual reply time -----------------------------------------------------------------------


def test_the_usual_reply_time_is_shown_to_the_therapist(therapist):
    match = matched(therapist, "Robin")
    for day, hours in ((1, 2), (2, 5), (3, 3)):
        asked = NOW - timedelta(days=day, hours=12)
        message(match, match.patient, "A question", asked, read=True)
        message(match, therapist, "An answer", asked + timedelta(hours=hours), read=True)

    page = dashboard(client_for(therapist)).content.decode()

    assert "Usually replies within 3 hours" in page
