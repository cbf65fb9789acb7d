"""Vetting emails: the therapist learns the decision and the next step, in their language,
never the reason or their credentials; staff learn of each submission."""

import pytest
from django.core import mail

from accounts import services
from accounts.models import TherapistDocument, TherapistProfile
from core.models import OutboxEmail
from tests.factories import StaffFactory
from tests.factories.accounts import (
    DECISION_REASON,
    KNOWN_CREDENTIALS,
    decide,
    make_therapist,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


# (from, action, to): every staff decision of the state machine.
DECISIONS = [
    (source, name, action.target)
    for name, action in services.VETTING_ACTIONS.items()
    for source in sorted(action.sources)
]
SUBJECTS = {
    "approve": "Your application is approved",
    "request_changes": "Your application: changes requested",
    "reject": "Your application: our decision",
    "suspend": "Your profile is suspended",
    "reinstate": "Your profile is active again",
}


@pytest.mark.parametrize(("from_status", "action", "to_status"), DECISIONS)
def test_the_therapist_is_emailed_the_decision_and_the_next_step_never_the_reason(
    from_status, action, to_status, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(from_status)

    with django_capture_on_commit_callbacks(execute=True):
        decide(profile, action, actor=staff)
        # Written with the decision, sent only once it is committed.
        assert not OutboxEmail.objects.filter(state="sent").exists()

    [email] = mail.outbox
    assert email.to == [profile.user.email]
    assert SUBJECTS[action] in email.subject
    assert "Next step" in email.body
    assert "/practice/application/" in email.body
    for secret in (DECISION_REASON, *map(str, KNOWN_CREDENTIALS.values())):
        assert secret not in email.subject + email.body


def test_the_therapist_is_emailed_in_their_own_language(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(Status.SUBMITTED, language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        decide(profile, actor=staff)

    [email] = mail.outbox
    assert "Bonjour" in email.body
    assert "Hello" not in email.body
    assert DECISION_REASON not in email.body


def test_sending_the_application_emails_staff_not_the_therapist(
    django_capture_on_commit_callbacks,
):
    staff = StaffFactory(email="vetting@example.test")
    StaffFactory(email="former@example.test", is_active=False)
    profile = make_therapist(Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        services.therapist_application_submit(profile=profile)
        assert not OutboxEmail.objects.filter(state="sent").exists()

    [email] = mail.outbox
    assert email.to == [staff.email]
    assert "awaits review" in email.subject
    assert f"/admin/accounts/therapistprofile/{profile.pk}/change/" in email.body
    for secret in (*map(str, KNOWN_CREDENTIALS.values()), profile.user.email):
        assert secret not in email.subject + email.body
