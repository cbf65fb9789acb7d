"""The practitioner dashboard: offers answered in place, the caseload (last message, waiting for
an answer, unread, next session, latest scores with a trend), today and this week, banners, and
the usual reply time; the same number of queries for a small practice and a full one; nobody
sees another therapist's patients."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Modality
from matching import services as matching_services
from matching.models import Match, Offer
from messaging.models import Message
from tests.factories import TherapistFactory
from tests.factories.matching import MatchRequestFactory, make_eligible
from tests.factories.messaging import MessageFactory
from tests.helpers import client_for

# Wednesday 3 March 2027, 10:00 in Paris (the therapist's zone: the factories' default).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def practice(now, make_match, make_session, make_score):
    """``practice(therapist, patients, appointments, messages)``: a practice of this size,
    every patient with messages both ways (some unread), sessions past and to come, and two
    check-ins."""

    def make(therapist, patients: int, appointments: int, messages: int) -> list[Match]:
        matches = [make_match(therapist, f"Patient {n}") for n in range(patients)]
        for n in range(appointments):
            start = now - timedelta(days=150) + timedelta(hours=3 * n)
            make_session(matches[n % patients], start)
        rows = []
        for n in range(messages):
            match = matches[n % patients]
            at = now - timedelta(minutes=messages - n)
            rows.append(
                MessageFactory.build(
                    conversation=match.conversation,
                    sender=match.patient if n % 3 else therapist,
                    body=f"message {n}",
                    created_at=at,
                    read_at=at if n % 2 else None,
                )
            )
        Message.objects.bulk_create(rows)
        for match in matches:
            for weeks, value in ((8, 14), (4, 11)):
                make_score(match.patient, "phq9", value, now - timedelta(weeks=weeks))
        return matches

    return make


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


def test_each_patient_row_says_where_things_stand(
    therapist, now, make_match, make_message, make_session, make_score
):
    robin = make_match(therapist, "Robin")
    kim = make_match(therapist, "Kim")
    make_message(robin, therapist, "How did the week go?", now - timedelta(days=2), read=True)
    make_message(robin, robin.patient, "Hard. I could not sleep.", now - timedelta(hours=5))
    make_message(robin, robin.patient, "And today is worse.", now - timedelta(hours=3))
    make_message(kim, kim.patient, "Thank you for Monday.", now - timedelta(days=1), read=True)
    make_message(kim, therapist, "You are welcome, see you Friday.", now - timedelta(hours=20))
    make_session(robin, now + timedelta(days=6))
    make_session(robin, now + timedelta(days=2))
    make_session(robin, now + timedelta(days=1), status="cancelled")
    make_score(robin.patient, "phq9", 15, now - timedelta(weeks=8))
    make_score(robin.patient, "phq9", 11, now - timedelta(weeks=4))
    make_score(robin.patient, "gad7", 6, now - timedelta(weeks=4))

    rows = {
        row.match.patient_id: row
        for row in dashboard(client_for(therapist)).context["dashboard"].caseload
    }

    robin_row, kim_row = rows[robin.patient_id], rows[kim.patient_id]
    assert robin_row.conversation.preview == "And today is worse."
    assert robin_row.conversation.waiting_since == now - timedelta(hours=5)  # the first unanswered
    assert robin_row.conversation.unread == 2
    assert robin_row.next_session.starts_at == now + timedelta(days=2)  # not the cancelled one
    assert robin_row.scores["phq9"].latest.score == 11
    assert (robin_row.scores["phq9"].change, robin_row.scores["phq9"].direction) == (-4, "better")
    assert robin_row.scores["gad7"].direction == ""  # a first score has no trend
    assert kim_row.conversation.waiting_since is None  # answered
    assert kim_row.conversation.unread == 0
    assert kim_row.next_session is None


def test_the_caseload_table_shows_it_in_words(therapist, now, make_match, make_message, make_score):
    robin = make_match(therapist, "Robin")
    make_message(robin, robin.patient, "Hard. I could not sleep.", now - timedelta(hours=5))
    make_score(robin.patient, "phq9", 15, now - timedelta(weeks=8))
    make_score(robin.patient, "phq9", 18, now - timedelta(weeks=4))

    page = dashboard(client_for(therapist)).content.decode()

    assert "Hard. I could not sleep." in page
    assert "Waiting for your answer for 5\xa0hours" in page
    assert "up 3, worse" in page
    assert reverse("conversation", kwargs={"pk": robin.conversation.pk}) in page


def test_a_row_links_and_dates_in_the_therapists_zone(
    therapist, now, make_match, make_message, make_session
):
    """The row's links, and its times in the therapist's zone (Paris, UTC+1 in March), written
    by the composer once per row; the patient's unread count leaves out the therapist's own
    unread words."""
    kim = make_match(therapist, "Kim")
    make_message(kim, kim.patient, "Thank you.", now - timedelta(days=1), read=True)
    make_message(kim, kim.patient, "See you.", now - timedelta(hours=23))  # unread, answered
    make_message(kim, therapist, "You are welcome.", now - timedelta(hours=20))  # unread
    session = make_session(kim, now + timedelta(days=2, hours=1))  # Friday 11:00 in Paris

    client = client_for(therapist)
    response = dashboard(client)
    page = response.content.decode()
    row = response.context["dashboard"].caseload[0]

    assert row.conversation.unread == 1
    patient_url = reverse("therapist_patient", kwargs={"patient_id": kim.patient_id})
    assert f'<a href="{patient_url}">Kim</a>' in page
    assert reverse("conversation", kwargs={"pk": kim.conversation.pk}) in page
    assert (
        f'<a href="{reverse("session_detail", kwargs={"pk": session.pk})}">'
        '<time datetime="2027-03-05T11:00:00+01:00">Fri 5 Mar, 11:00</time></a>'
    ) in page
    assert 'Answered · <time datetime="2027-03-02T14:00:00+01:00">' in page
    # The caseload fetched again on its own shows the same row.
    again = client.get(reverse("dashboard_caseload"), headers=HTMX).content.decode()
    assert f'<a href="{patient_url}">Kim</a>' in again
    assert "Fri 5 Mar, 11:00" in again


def test_a_last_message_without_words_says_what_it_is(therapist, now, make_match, make_message):
    from tests.factories.messaging import AttachmentFactory

    robin = make_match(therapist, "Robin")
    kim = make_match(therapist, "Kim")
    spoken = make_message(robin, robin.patient, "", now - timedelta(hours=2))
    AttachmentFactory(message=spoken, content_type="audio/webm", duration_ms=4000)
    scan = make_message(kim, kim.patient, "", now - timedelta(hours=1))
    AttachmentFactory(message=scan)

    page = dashboard(client_for(therapist)).content.decode()

    assert page.count("(a voice message)") == 1
    assert page.count("(a file)") == 1


def test_the_dashboard_costs_the_same_queries_for_a_full_practice(therapist, practice):
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


def test_another_therapists_patients_never_show(
    therapist, other_therapist, now, make_match, make_message, make_session
):
    mine = make_match(therapist, "Robin")
    theirs = make_match(other_therapist, "Kim")
    make_message(theirs, theirs.patient, "Only for my own therapist", now - timedelta(hours=1))
    make_session(theirs, now + timedelta(hours=2))

    page = dashboard(client_for(therapist)).content.decode()

    assert mine.patient.patient_profile.nickname in page
    assert "Kim" not in page
    assert "Only for my own therapist" not in page


def test_a_former_patient_leaves_the_caseload(therapist, now, make_match, make_message):
    match = make_match(therapist, "Robin")
    make_message(match, match.patient, "Before the switch", now - timedelta(hours=1))
    Match.objects.filter(pk=match.pk).update(status=Match.Status.ENDED, ended_at=now)

    page = dashboard(client_for(therapist)).content.decode()

    assert "Robin" not in page
    assert "Before the switch" not in page


def test_an_unvetted_therapist_gets_their_application_not_a_dashboard(unvetted_therapist):
    response = client_for(unvetted_therapist).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("therapist_application")


# --- Today and the next days --------------------------------------------------------------------


def test_sessions_today_and_the_next_7_days_with_a_join_button_when_the_room_is_open(
    therapist, now, make_match, make_session
):
    match = make_match(therapist, "Robin")
    soon = make_session(match, now + timedelta(minutes=5))  # its room is open
    later_today = make_session(match, now + timedelta(hours=4), modality=Modality.PHONE)
    friday = make_session(match, now + timedelta(days=2))
    monday = make_session(match, now + timedelta(days=5))  # next week, within 7 days
    make_session(match, now + timedelta(days=8))  # beyond the next 7 days
    make_session(match, now + timedelta(hours=6), status="cancelled")

    response = dashboard(client_for(therapist))

    board = response.context["dashboard"]
    assert [row.session for row in board.today] == [soon, later_today]
    assert [row.session for row in board.next_days] == [friday, monday]
    assert "The next 7 days" in response.content.decode()
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


def test_a_full_caseload_is_announced(therapist, make_match):
    profile = therapist.therapist_profile
    profile.caseload_limit = 2
    profile.save(update_fields=["caseload_limit"])
    make_match(therapist, "Robin")
    client = client_for(therapist)
    assert "caseload_full" not in dashboard(client).context["dashboard"].banners

    make_match(therapist, "Kim")

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
def offer(patient, therapist, other_therapist, now):
    make_eligible(therapist)
    make_eligible(other_therapist, specialities=["grief"])
    asked = now - timedelta(minutes=40)
    request = MatchRequestFactory(patient=patient, created_at=asked)
    offer = matching_services.offer_next(request=request, now=asked)
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


def test_accepting_from_the_dashboard_answers_in_place(therapist, offer, patient, now):
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


def test_the_usual_reply_time_is_shown_to_the_therapist(therapist, now, make_match, make_message):
    match = make_match(therapist, "Robin")
    for day, hours in ((1, 2), (2, 5), (3, 3)):
        asked = now - timedelta(days=day, hours=12)
        make_message(match, match.patient, "A question", asked, read=True)
        make_message(match, therapist, "An answer", asked + timedelta(hours=hours), read=True)

    page = dashboard(client_for(therapist)).content.decode()

    assert "Usually replies within 3 hours" in page


def test_an_empty_week_says_so_honestly(therapist):
    page = dashboard(client_for(therapist)).content.decode()

    assert "No sessions booked in the next 7 days." in page


# --- The caseload, fetched again when it changes --------------------------------------------


def test_the_caseload_alone_is_fetched_again_with_what_changed(
    therapist, now, make_match, make_message
):
    client = client_for(therapist)
    page = dashboard(client).content.decode()
    url = reverse("dashboard_caseload")
    assert f'data-refresh-url="{url}"' in page
    assert "match.started" in page
    robin = make_match(therapist, "Robin")
    make_message(robin, robin.patient, "Are you there?", now - timedelta(minutes=2))

    response = client.get(url)

    assert response.status_code == 200
    assert "caseload" in [t.name for t in response.templates]  # the partial
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="col-12"')
    assert "Robin" in fragment
    assert "Are you there?" in fragment
    assert "1 of at most" in fragment
    assert "Patients proposed to you" not in fragment  # the caseload only


def test_the_caseload_is_for_its_approved_therapist_only(
    therapist, other_therapist, unvetted_therapist, patient, staff, make_match, client
):
    make_match(therapist, "Robin")
    url = reverse("dashboard_caseload")

    assert "Robin" not in client_for(other_therapist).get(url).content.decode()
    for outsider in (unvetted_therapist, patient, staff):
        assert client_for(outsider).get(url).status_code == 404
    assert client.get(url).status_code == 302  # to the login page


# --- The waiting room -----------------------------------------------------------------------


def test_todays_session_shows_the_patient_waiting_and_the_buttons_to_say_late(
    therapist, now, make_match, make_session
):
    from sessions_video import services as rooms

    match = make_match(therapist, "Robin")
    soon = make_session(match, now + timedelta(minutes=5))  # its room is open
    later_today = make_session(match, now + timedelta(hours=4))
    late = reverse("session_late", kwargs={"pk": soon.pk})
    client = client_for(therapist)

    page = dashboard(client).content.decode()
    assert page.count(late) == 2  # the form's action and hx-post, for the open room only
    assert reverse("session_late", kwargs={"pk": later_today.pk}) not in page
    assert "Robin is in the waiting room" not in page

    room = rooms.room_for(appointment=soon)
    rooms.room_join(room=room, user=match.patient, now=now)
    rooms.room_late(appointment=soon, user=therapist, minutes=5, now=now)
    page = dashboard(client).content.decode()
    assert "Robin is in the waiting room" in page
    assert "Robin is told you will be about 5 minutes late." in page

    rooms.room_admit(room=room, user=therapist, now=now)
    page = dashboard(client).content.decode()
    assert "Robin is in the waiting room" not in page
    assert late not in page  # let in: no lateness to say any more


def test_a_couples_sessions_partner_waiting_shows_too(therapist, now, make_match, make_session):
    from sessions_video import services as rooms
    from tests.factories.partners import PartnerFactory, invite

    match = make_match(therapist, "Robin")
    soon = make_session(match, now + timedelta(minutes=5))
    partner = PartnerFactory()
    invite(soon, partner=partner, nickname="Sam")
    room = rooms.room_for(appointment=soon)
    client = client_for(therapist)

    rooms.room_join(room=room, user=partner, now=now)
    page = dashboard(client).content.decode()
    assert "Robin’s partner is in the waiting room" in page
    assert "Robin is in the waiting room" not in page

    rooms.room_join(room=room, user=match.patient, now=now)
    rooms.room_admit(room=room, user=therapist, now=now, who="partner")
    page = dashboard(client).content.decode()
    assert "Robin’s partner is in the waiting room" not in page
    assert "Robin is in the waiting room" in page


def test_the_sessions_alone_are_fetched_again_when_a_patient_waits(
    therapist, other_therapist, unvetted_therapist, patient, staff, now, make_match, make_session
):
    from sessions_video import services as rooms

    match = make_match(therapist, "Robin")
    soon = make_session(match, now + timedelta(minutes=5))
    url = reverse("dashboard_sessions")
    page = dashboard(client_for(therapist)).content.decode()
    assert f'data-refresh-url="{url}"' in page
    assert 'data-refresh-on="room.waiting room.admitted room.left htmx.changed"' in page
    rooms.room_join(room=rooms.room_for(appointment=soon), user=match.patient, now=now)

    response = client_for(therapist).get(url)

    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="col-lg-6"')
    assert "Robin is in the waiting room" in fragment
    assert "Patients proposed to you" not in fragment
    assert "Robin" not in client_for(other_therapist).get(url).content.decode()
    for outsider in (unvetted_therapist, patient, staff):
        assert client_for(outsider).get(url).status_code == 404


def test_a_patient_waiting_just_after_midnight_shows_too(
    therapist, now, clock, make_match, make_session
):
    from sessions_video import services as rooms

    # 23:58 in Paris, for a session at 00:03: tomorrow's, with its room open already.
    just_before_midnight = now.replace(hour=22, minute=58)
    clock.move_to(just_before_midnight)
    match = make_match(therapist, "Robin")
    soon = make_session(match, just_before_midnight + timedelta(minutes=5))
    room = rooms.room_for(appointment=soon)
    rooms.room_join(room=room, user=match.patient, now=just_before_midnight)

    response = dashboard(client_for(therapist))

    assert [row.session for row in response.context["dashboard"].next_days] == [soon]
    page = response.content.decode()
    assert "Robin is in the waiting room" in page
    assert reverse("session_late", kwargs={"pk": soon.pk}) in page
