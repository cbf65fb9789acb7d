"""Couples sessions in the pages: the patient invites from the booking page or the session's
page (and withdraws); the partner opens the emailed link, reads what they join and what is
shared, gives their own consent and makes a minimal account; they then reach their invited
sessions' page, its calendar file and its room, and nothing else of the patient's. Anyone else
cannot use the link; a link expired, used or withdrawn says so (410), an unknown one is 404."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from scheduling.models import Appointment, PartnerInvitation
from sessions_video import services as rooms
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.accounts import PASSWORD, signup_consents
from tests.factories.messaging import ConversationFactory
from tests.factories.partners import PartnerFactory, invite
from tests.factories.scheduling import session_of
from tests.helpers import client_for, link_in
from tests.inputs import database_state

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris


def paris(day: int, hour: int) -> datetime:
    return datetime(2030, 3, day, hour, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist(paris_therapist):
    return paris_therapist


@pytest.fixture
def session(match, patient, therapist):
    return session_of(patient, therapist.therapist_profile, paris(6, 10))


@pytest.fixture
def partner(session):
    partner = PartnerFactory(email="sam@example.test")
    invite(session, partner=partner, nickname="Sam")
    return partner


def invite_url(session) -> str:
    return reverse("session_partner_invite", kwargs={"pk": session.pk})


# --- The patient invites ---------------------------------------------------------------------


def test_the_patient_books_a_couples_session_and_the_partner_is_invited(match, patient):
    client = client_for(patient)
    response = client.post(
        reverse("book_session"),
        {"starts_at": paris(6, 10).isoformat(), "modality": "video", "partner_email": "sam@x.test"},
    )
    appointment = Appointment.objects.get()
    assert response.url == reverse("session_detail", kwargs={"pk": appointment.pk})
    detail = client.get(response.url).text
    assert "Couples session" in detail
    assert "Invitation sent to sam@x.test: not accepted yet." in detail
    assert [email for email in mail.outbox if email.to == ["sam@x.test"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"modality": "chat"}, "Couples sessions are held by video or phone"),
        ({"partner_email": "patient@example.test"}, "Invite someone other than yourself."),
        ({"partner_email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_a_couples_booking_refused_books_nothing(match, patient, therapist, data, message):
    therapist.therapist_profile.modalities = ["video", "phone", "chat"]
    therapist.therapist_profile.save()
    fields = {"starts_at": paris(6, 10).isoformat(), "modality": "video"}
    fields |= {"partner_email": "sam@x.test"} | data
    response = client_for(patient).post(reverse("book_session"), fields)
    assert response.status_code == 422
    assert message in response.text
    assert not Appointment.objects.exists()
    assert not PartnerInvitation.objects.exists()


def test_the_patient_invites_from_the_sessions_page_and_withdraws(session, patient, therapist):
    client = client_for(patient)
    page = client.get(reverse("session_detail", kwargs={"pk": session.pk})).text
    assert "Make it a couples session" in page

    response = client.post(invite_url(session), {"email": "sam@example.test"})
    assert response.status_code == 302
    therapist_page = client_for(therapist).get(reverse("session_detail", kwargs={"pk": session.pk}))
    assert "Couples session" in therapist_page.text
    assert "sam@example.test" not in therapist_page.text  # the address is the patient's to know

    client.post(reverse("session_partner_withdraw", kwargs={"pk": session.pk}))
    assert PartnerInvitation.objects.get().withdrawn_at is not None
    assert "Make it a couples session" in client.get(response.url).text


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nope", "Enter a valid email address."),
        ("therapist@example.test", "Your therapist takes part already"),
        ("patient@example.test", "Invite someone other than yourself."),
        ("a\x00b@example.test", "Enter a valid email address."),
    ],
)
def test_a_bad_invitation_says_why_and_writes_nothing(session, patient, email, message):
    client = client_for(patient)
    client.get(reverse("my_sessions"))
    before = database_state()
    response = client.post(invite_url(session), {"email": email})
    assert response.status_code in (400, 422)  # a NUL is refused before any form (400)
    if response.status_code == 422:
        assert message in response.text
    assert database_state() == before


def test_a_chat_or_past_session_cannot_be_made_a_couples_one(match, patient, therapist):
    chat = session_of(patient, therapist.therapist_profile, paris(6, 11), modality="chat")
    past = session_of(patient, therapist.therapist_profile, paris(4, 9), modality="video")
    client = client_for(patient)
    client.get(reverse("my_sessions"))
    for session, message in ((chat, "held by video or phone"), (past, "has started")):
        before = database_state()
        response = client.post(invite_url(session), {"email": "sam@example.test"})
        assert response.status_code == 422
        assert message in response.text
        assert database_state() == before


def test_nobody_else_invites_or_withdraws(session, therapist, other_patient, staff):
    for outsider in (therapist, other_patient, staff):
        client = client_for(outsider)
        assert client.post(invite_url(session), {"email": "sam@x.test"}).status_code == 404
        withdraw = reverse("session_partner_withdraw", kwargs={"pk": session.pk})
        assert client.post(withdraw).status_code == 404
    assert not PartnerInvitation.objects.exists()


# --- The partner accepts ---------------------------------------------------------------------


def test_the_partner_reads_what_is_shared_consents_and_makes_an_account(session, patient):
    client_for(patient).post(invite_url(session), {"email": "sam@example.test"})
    [email] = [m for m in mail.outbox if m.to == ["sam@example.test"]]
    link = link_in(email.body, "/invitation/")
    visitor = Client()

    page = visitor.get(link)
    assert page.status_code == 200
    assert "Robin invites you to join their online session with Ana Ruiz" in page.text
    assert "You see nothing of Robin’s account" in page.text
    assert "sam@example.test" in page.text  # prefilled, the login
    assert "privacy policy" in page.text

    refused = visitor.post(link, {"nickname": "Sam", "password1": "short", "password2": "short"})
    assert refused.status_code == 422
    assert not User.objects.filter(email="sam@example.test").exists()

    fields = {
        "nickname": "Sam",
        "password1": "a good long secret",
        "password2": "a good long secret",
    }
    response = visitor.post(link, fields | signup_consents(User.Role.PARTNER))
    assert response.url == reverse("partner_sessions")
    partner = User.objects.get(email="sam@example.test")
    assert partner.role == User.Role.PARTNER
    sessions = visitor.get(response.url).text
    assert "With Robin and Ana Ruiz" in sessions
    assert "You appear as Sam." in sessions
    assert reverse("partner_session_ics", kwargs={"pk": session.pk}) in sessions
    # The link is spent.
    assert Client().get(link).status_code == 410
    # The therapist sees the partner's nickname.
    assert (
        "Partner: Sam."
        in client_for(session.therapist.user)
        .get(reverse("session_detail", kwargs={"pk": session.pk}))
        .text
    )


def test_someone_with_an_account_logs_in_and_accepts(session, patient):
    existing = PatientFactory(email="sam@example.test", patient_profile__nickname="Kim")
    _invitation, token = invite(session, email="sam@example.test", accepted=False)
    link = reverse("partner_invitation", kwargs={"token": token})
    assert "log in" in Client().get(link).text

    client = client_for(existing)
    response = client.post(link, {"nickname": "Sam"})
    assert response.url == reverse("partner_sessions")
    assert "With Robin and Ana Ruiz" in client.get(response.url).text
    # Still a patient with their own things: the session is not among theirs.
    assert "Robin" not in client.get(reverse("my_sessions")).text


@pytest.mark.parametrize(
    "who", ["patient", "therapist", "other patient", "other therapist", "staff"]
)
def test_nobody_but_the_invited_address_can_use_the_link(session, patient, therapist, who):
    user = {
        "patient": lambda: patient,
        "therapist": lambda: therapist,
        "other patient": lambda: PatientFactory(),
        "other therapist": lambda: TherapistFactory(),
        "staff": lambda: StaffFactory(),
    }[who]()
    _invitation, token = invite(session, email="sam@example.test", accepted=False)
    link = reverse("partner_invitation", kwargs={"token": token})
    client = client_for(user)
    client.get(reverse("my_sessions"))
    before = database_state()
    assert client.get(link).status_code == 404
    assert client.post(link, {"nickname": "Mallory"}).status_code == 404
    assert database_state() == before


def test_an_expired_used_withdrawn_or_unknown_link_says_so(session, patient, clock):
    visitor = Client()
    _invitation, token = invite(session, email="sam@example.test", accepted=False)
    link = reverse("partner_invitation", kwargs={"token": token})
    clock.move_to(paris(6, 11))  # the session is over, and the link expired with it
    over = visitor.get(link)
    assert over.status_code == 410
    assert "is over" in over.text
    clock.move_to(NOW)
    PartnerInvitation.objects.update(expires_at=NOW)
    expired = visitor.get(link)
    assert (expired.status_code, "has expired" in expired.text) == (410, True)
    PartnerInvitation.objects.update(withdrawn_at=NOW)
    withdrawn = visitor.post(link, {"nickname": "Sam"})
    assert (withdrawn.status_code, "was withdrawn" in withdrawn.text) == (410, True)
    unknown = visitor.get(reverse("partner_invitation", kwargs={"token": "x" * 43}))
    assert (unknown.status_code, "not valid" in unknown.text) == (404, True)
    assert visitor.get("/invitation/a%00b/").status_code in (400, 404)
    assert not User.objects.filter(role=User.Role.PARTNER).exists()


# --- What the partner reaches ------------------------------------------------------------------


def test_the_partner_reaches_their_sessions_page_ics_and_room_only(session, partner, patient):
    client = client_for(partner)
    assert client.get(reverse("home")).url == reverse("partner_sessions")
    assert client.get(reverse("my_sessions")).url == reverse("partner_sessions")
    ics = client.get(reverse("partner_session_ics", kwargs={"pk": session.pk}))
    assert ics.status_code == 200
    assert b"SUMMARY:Session" in ics.content
    enter = client.get(reverse("session_room_enter", kwargs={"pk": session.pk}))
    room_page = reverse("session_room", kwargs={"token": rooms.room_for(appointment=session).token})
    assert enter.url == room_page
    assert client.get(room_page).status_code == 200

    conversation = ConversationFactory(match=session.match)
    for url in [
        reverse("session_detail", kwargs={"pk": session.pk}),
        reverse("appointment_ics", kwargs={"pk": session.pk}),
        reverse("session_move", kwargs={"pk": session.pk}),
        reverse("book_session"),
        reverse("calendar_settings"),
        reverse("session_notes", kwargs={"pk": session.pk}),
        reverse("conversation", kwargs={"pk": conversation.pk}),
        reverse("journal"),
        reverse("my_progress"),
        reverse("my_therapist"),
        reverse("intake_start"),
        reverse("checkin"),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("session_cancel", kwargs={"pk": session.pk}),
        reverse("session_partner_invite", kwargs={"pk": session.pk}),
        reverse("session_partner_withdraw", kwargs={"pk": session.pk}),
    ]:
        assert client.post(url).status_code == 404, url
    assert "Ana Ruiz" not in client.get(reverse("conversations")).text


def test_the_partner_reaches_no_other_session(session, partner, patient, therapist, other_patient):
    another_of_the_patient = session_of(patient, therapist.therapist_profile, paris(4, 11))
    another_patients = session_of(other_patient, therapist.therapist_profile, paris(4, 9))
    client = client_for(partner)
    for other in (another_of_the_patient, another_patients):
        room = rooms.room_for(appointment=other)
        assert client.get(reverse("session_room", kwargs={"token": room.token})).status_code == 404
        assert client.get(reverse("session_room_enter", kwargs={"pk": other.pk})).status_code == 404
        ics = reverse("partner_session_ics", kwargs={"pk": other.pk})
        assert client.get(ics).status_code == 404
    assert "4 March" not in client.get(reverse("partner_sessions")).text


def test_a_withdrawn_partner_reaches_nothing_and_outsiders_never_see_the_partner(
    session, partner, patient, other_patient, other_therapist, staff
):
    for outsider in (other_patient, other_therapist, staff):
        client = client_for(outsider)
        assert "Sam" not in client.get(reverse("partner_sessions")).text
        assert client.get(reverse("session_detail", kwargs={"pk": session.pk})).status_code == 404
        ics = reverse("partner_session_ics", kwargs={"pk": session.pk})
        assert client.get(ics).status_code == 404
    client_for(patient).post(reverse("session_partner_withdraw", kwargs={"pk": session.pk}))
    client = client_for(partner)
    room = rooms.room_for(appointment=session)
    assert client.get(reverse("session_room", kwargs={"token": room.token})).status_code == 404
    assert client.get(reverse("partner_session_ics", kwargs={"pk": session.pk})).status_code == 404
    assert "With Robin" not in client.get(reverse("partner_sessions")).text


def test_the_therapists_dashboard_says_couples_session_with_the_partners_nickname(
    session, partner, therapist
):
    page = client_for(therapist).get(reverse("home")).text
    assert "Couples session" in page
    assert "with Sam" in page


def test_the_partners_own_account_pages_work(partner):
    client = client_for(partner)
    for name in ("profile", "login_sessions", "privacy", "partner_sessions"):
        response = client.get(reverse(name), follow=True)
        assert response.status_code == 200, name
        # Their menu: their sessions, their account; no messages, no administration.
        assert f'href="{reverse("partner_sessions")}"' in response.text, name
        assert f'href="{reverse("conversations")}"' not in response.text, name
        assert f'href="{reverse("admin:index")}"' not in response.text, name
    assert client.get(reverse("conversations")).status_code == 200  # an empty list


def test_the_partner_logs_in_with_their_password_and_lands_on_their_sessions(partner):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": partner.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("partner_sessions")
    assert "With Robin and Ana Ruiz" in response.text
