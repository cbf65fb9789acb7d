"""A therapist suspended by staff holds no more sessions: the ones to come are cancelled, the
patient is told without being told why."""

from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts import signals
from accounts.models import TherapistProfile
from scheduling.models import Appointment
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AppointmentFactory
from tests.helpers import client_for


def _session(match, starts_at) -> Appointment:
    return AppointmentFactory.create(match=match, starts_at=starts_at)


def test_suspending_a_therapist_cancels_their_sessions_to_come(
    patient, therapist, staff, django_capture_on_commit_callbacks
):
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    now = timezone.now()
    past = _session(match, now - timedelta(days=2))
    coming = _session(match, now + timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        account_services.therapist_vetting_decide(
            profile=therapist.therapist_profile,
            action="suspend",
            actor=staff,
            reason="Complaint under review.",
        )

    past.refresh_from_db()
    coming.refresh_from_db()
    assert past.is_booked
    assert (coming.status, coming.cancelled_by, coming.late_cancellation) == (
        "cancelled",
        None,
        False,
    )
    assert coming.cancel_reason == Appointment.THERAPIST_UNAVAILABLE
    page = client_for(patient).get(reverse("session_detail", kwargs={"pk": coming.pk})).text
    assert "the therapist cannot hold sessions for now" in page
    assert "Complaint" not in page
    (email,) = [m for m in mail.outbox if m.to == [patient.email] and "cancelled" in m.subject]
    assert "your therapist cannot hold sessions for now" in email.body
    assert "Complaint" not in email.body
    assert not [m for m in mail.outbox if m.to == [therapist.email] and "cancelled" in m.subject]


def test_a_stale_announcement_cancels_nothing_of_an_approved_therapist(
    patient, therapist, django_capture_on_commit_callbacks
):
    """Each change of status is announced after its transaction commits: a therapist submitted
    then approved in one transaction (as the demo loader does), with a session booked meanwhile,
    gets their "submitted" announced when they are approved again. Their sessions stay."""
    profile = therapist.therapist_profile
    match = MatchFactory(patient=patient, therapist=profile)
    coming = _session(match, timezone.now() + timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        signals.therapist_vetting_changed.send(
            sender=TherapistProfile,
            therapist_id=profile.pk,
            from_status="draft",
            to_status="submitted",
        )

    coming.refresh_from_db()
    assert coming.is_booked
