"""Couples sessions (issue 19, item 5): the patient invites a partner by email to a booked
video or phone session; the invitation's email is content-free, its link works once, until it
expires, and only for the invited address; the partner accepts with a new minimal account or
the one they have; the patient withdraws it. Refused inputs write nothing."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import LegalAcceptance, User
from accounts.selectors import legal_documents_for_role
from scheduling import selectors, services
from scheduling.models import PartnerInvitation
from scheduling.selectors.partners import token_digest
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.partners import PartnerFactory, invite
from tests.factories.scheduling import session_of
from tests.helpers import link_in
from tests.inputs import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(patient, therapist):
    return session_of(patient, therapist.therapist_profile, timezone.now() + timedelta(days=3))


def codes(error: ValidationError) -> set[str | None]:
    return {e.code for errors in error.error_dict.values() for e in errors}


def test_an_invitation_is_emailed_with_a_single_link_and_no_clinical_word(session, patient):
    invitation, token = services.partner_invite(
        appointment=session, by=patient, email=" Sam@Example.TEST "
    )

    assert invitation.email == "sam@example.test"
    assert invitation.token_hash == token_digest(token) != token
    assert not PartnerInvitation.objects.filter(token_hash=token).exists()
    assert invitation.expires_at <= timezone.now() + timedelta(
        days=services.partners.INVITATION_DAYS
    )
    [email] = mail.outbox
    assert email.to == ["sam@example.test"]
    assert link_in(email.body, "/invitation/") == f"/invitation/{token}/"
    text = (email.subject + email.body).lower()
    for word in ("therap", "robin", "couple", "patient", "ana", "mental", "health"):
        assert word not in text, word
    # The session's page now says it is a couples session.
    assert selectors.partner_invitation_live(appointment_id=session.pk) == invitation


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("not an address", "invalid"),
        ("", "invalid"),
        ("patient@example.test", "yourself"),
        ("PATIENT@example.test", "yourself"),
        ("therapist@example.test", "therapist"),
    ],
)
def test_a_wrong_address_is_refused_and_nothing_is_written(session, patient, email, code):
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.partner_invite(appointment=session, by=patient, email=email)
    assert codes(refused.value) == {code}
    assert database_state() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"modality": "chat"}, "chat"),
        ({"starts_at": -timedelta(hours=2)}, "started"),
        ({"status": "cancelled"}, "cancelled"),
    ],
)
def test_a_chat_past_or_cancelled_session_cannot_be_made_a_couples_one(
    patient, therapist, change, code
):
    starts_at = timezone.now() + change.pop("starts_at", timedelta(days=3))
    session = session_of(patient, therapist.therapist_profile, starts_at, **change)
    before = database_state()
    with pytest.raises(ValidationError) as refused:
        services.partner_invite(appointment=session, by=patient, email="sam@example.test")
    assert codes(refused.value) == {code}
    assert database_state() == before


def test_only_one_live_invitation_and_only_by_the_sessions_patient(
    session, patient, therapist, other_patient
):
    services.partner_invite(appointment=session, by=patient, email="sam@example.test")
    with pytest.raises(ValidationError) as refused:
        services.partner_invite(appointment=session, by=patient, email="alex@example.test")
    assert codes(refused.value) == {"already"}
    for outsider in (therapist, other_patient):
        with pytest.raises(PermissionDenied):
            services.partner_invite(appointment=session, by=outsider, email="a@example.test")
        with pytest.raises(PermissionDenied):
            services.partner_invitation_withdraw(appointment=session, by=outsider)
    assert PartnerInvitation.objects.count() == 1


def test_someone_without_an_account_accepts_with_a_minimal_verified_account(session, patient):
    _invitation, token = services.partner_invite(
        appointment=session, by=patient, email="sam@example.test"
    )
    documents = legal_documents_for_role(role=User.Role.PARTNER)
    assert documents  # their own consent: privacy policy, terms, telehealth

    invitation, partner = services.partner_invitation_accept_new(
        token=token,
        nickname=" Sam ",
        password="a long enough password",
        language="fr",
        time_zone="Europe/Paris",
        documents=documents,
    )

    assert partner.role == User.Role.PARTNER
    assert partner.email == "sam@example.test"
    assert partner.check_password("a long enough password")
    assert EmailAddress.objects.get(user=partner).verified
    assert LegalAcceptance.objects.filter(user=partner).count() == len(documents)
    assert not hasattr(partner, "patient_profile") or partner.patient_profile is None
    assert (invitation.partner, invitation.nickname) == (partner, "Sam")
    assert list(selectors.partner_appointments(user=partner)) == [session]
    # They get the session's calendar file, in their language.
    [confirmation] = [email for email in mail.outbox if email.attachments]
    assert confirmation.to == ["sam@example.test"]
    assert confirmation.attachments[0][0] == "session.ics"
    assert "/invited/" in confirmation.body


def test_the_link_works_once(session, patient):
    _invitation, token = services.partner_invite(
        appointment=session, by=patient, email="sam@example.test"
    )
    partner = PartnerFactory(email="sam@example.test")
    services.partner_invitation_accept(token=token, user=partner, nickname="Sam")
    with pytest.raises(services.InvitationUnusable) as unusable:
        services.partner_invitation_accept(token=token, user=partner, nickname="Sam")
    assert unusable.value.reason == "used"


def test_an_expired_withdrawn_or_unknown_link_is_refused(session, patient):
    partner = PartnerFactory(email="sam@example.test")
    _invitation, token = invite(
        session, email="sam@example.test", accepted=False, expires_at=timezone.now()
    )
    with pytest.raises(services.InvitationUnusable) as unusable:
        services.partner_invitation_accept(token=token, user=partner, nickname="Sam")
    assert unusable.value.reason == "expired"

    services.partner_invitation_withdraw(appointment=session, by=patient)
    with pytest.raises(services.InvitationUnusable) as unusable:
        services.partner_invitation_accept(token=token, user=partner, nickname="Sam")
    assert unusable.value.reason == "withdrawn"
    with pytest.raises(services.InvitationUnusable) as unusable:
        services.partner_invitation_accept(token="no-such-token", user=partner, nickname="Sam")
    assert unusable.value.reason == "unknown"
    assert not selectors.partner_appointments(user=partner).exists()


@pytest.mark.parametrize("who", ["other patient", "therapist", "staff"])
def test_nobody_but_the_invited_address_can_use_the_link(session, patient, who):
    _invitation, token = services.partner_invite(
        appointment=session, by=patient, email="sam@example.test"
    )
    user = {
        "other patient": lambda: PatientFactory(),
        "therapist": lambda: TherapistFactory(),
        "staff": lambda: StaffFactory(),
    }[who]()
    with pytest.raises(PermissionDenied):
        services.partner_invitation_accept(token=token, user=user, nickname="Sam")
    assert PartnerInvitation.objects.get().accepted_at is None


def test_a_patient_invited_as_a_partner_accepts_with_their_own_account(session, patient):
    partner_who_is_a_patient = PatientFactory(email="sam@example.test")
    _invitation, token = services.partner_invite(
        appointment=session, by=patient, email="sam@example.test"
    )
    with pytest.raises(ValidationError) as refused:
        services.partner_invitation_accept_new(
            token=token,
            nickname="Sam",
            password="x" * 12,
            language="en",
            time_zone="UTC",
            documents=[],
        )
    assert codes(refused.value) == {"exists"}
    services.partner_invitation_accept(token=token, user=partner_who_is_a_patient, nickname="Sam")
    assert list(selectors.partner_appointments(user=partner_who_is_a_patient)) == [session]
    assert partner_who_is_a_patient.role == User.Role.PATIENT


def test_withdrawing_tells_the_partner_and_lets_the_patient_invite_again(session, patient):
    partner = PartnerFactory(email="sam@example.test")
    invite(session, partner=partner)
    mail.outbox.clear()

    withdrawn = services.partner_invitation_withdraw(appointment=session, by=patient)

    assert withdrawn is not None
    assert withdrawn.withdrawn_at is not None
    assert not selectors.partner_appointments(user=partner).exists()
    [email] = mail.outbox
    assert email.to == [partner.email]
    assert "METHOD:CANCEL" in email.attachments[0][1]
    assert services.partner_invitation_withdraw(appointment=session, by=patient) is None
    services.partner_invite(appointment=session, by=patient, email="alex@example.test")


def test_each_ones_export_holds_their_side_of_the_invitation(session, patient):
    partner = PartnerFactory(email="sam@example.test")
    invite(session, partner=partner, nickname="Sam")

    [joined] = selectors.person_export(user=partner)["sessions_joined_as_partner"]
    assert joined["starts_at"] == session.starts_at
    assert joined["nickname"] == "Sam"
    assert "Robin" not in str(joined)
    assert "appointments" not in selectors.person_export(user=partner)
    [sent] = selectors.person_export(user=patient)["partners_invited"]
    assert (sent["email"], sent["nickname"]) == ("sam@example.test", "Sam")
