"""The license expiry sweep: approved therapists whose license expired before today are
suspended once, by the clock, the therapist and staff told; everyone else is left alone."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts import services
from accounts.models import TherapistDocument, TherapistProfile
from accounts.tasks import sweep_expired_licenses
from tests.factories.accounts import (
    KNOWN_CREDENTIALS,
    VETTING_TODAY,
    make_therapist,
)
from tests.helpers import outbox_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


def test_the_sweep_suspends_approved_therapists_whose_license_expired(
    staff, vetting_events, django_capture_on_commit_callbacks
):
    expired = make_therapist(
        Status.APPROVED, credentials={"license_expiry": VETTING_TODAY - timedelta(days=1)}
    )
    last_day = make_therapist(Status.APPROVED, credentials={"license_expiry": VETTING_TODAY})
    valid = make_therapist(Status.APPROVED)
    untouched = []
    for status in (Status.SUBMITTED, Status.SUSPENDED, Status.CHANGES_REQUESTED):
        untouched.append(make_therapist(status, credentials={"license_expiry": date(2020, 1, 1)}))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=VETTING_TODAY) == 1

    expired.refresh_from_db()
    assert expired.vetting_status == Status.SUSPENDED
    [decision] = expired.vetting_decisions.all()
    assert decision.actor is None
    assert (decision.from_status, decision.to_status) == (Status.APPROVED, Status.SUSPENDED)
    assert "License expired on" in decision.reason
    for profile in (last_day, valid, *untouched):
        status = profile.vetting_status
        profile.refresh_from_db()
        assert profile.vetting_status == status
        assert not profile.vetting_decisions.exists()
    assert vetting_events == [
        {"therapist_id": expired.pk, "from_status": "approved", "to_status": "suspended"}
    ]
    [to_therapist] = outbox_to(expired.user.email)
    assert "suspended" in to_therapist.subject
    assert KNOWN_CREDENTIALS["license_number"] not in to_therapist.body
    [to_staff] = outbox_to(staff.email)
    assert "license expired" in to_staff.subject
    assert len(mail.outbox) == 2


def test_the_sweep_is_idempotent(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(
        Status.APPROVED, credentials={"license_expiry": VETTING_TODAY - timedelta(days=30)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=VETTING_TODAY) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.licenses_expired_suspend(today=VETTING_TODAY) == 0

    assert profile.vetting_decisions.count() == 1
    assert len(mail.outbox) == 2


def test_the_celery_task_sweeps_by_the_clock(staff, django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, credentials={"license_expiry": date(2026, 9, 30)})

    last_minute = time_machine.travel(datetime(2026, 9, 30, 23, 59, tzinfo=UTC), tick=False)
    with last_minute, django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_licenses.delay().get() == 0
    profile.refresh_from_db()
    assert profile.is_approved

    next_day = time_machine.travel(datetime(2026, 10, 1, 0, 1, tzinfo=UTC), tick=False)
    with next_day, django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_licenses.delay().get() == 1
        assert sweep_expired_licenses.delay().get() == 0

    profile.refresh_from_db()
    assert profile.vetting_status == Status.SUSPENDED
    assert profile.vetting_status_changed_at == datetime(2026, 10, 1, 0, 1, tzinfo=UTC)
    assert profile.vetting_decisions.get().actor is None
    assert len(outbox_to(profile.user.email)) == 1
    assert len(outbox_to(staff.email)) == 1


def test_the_suspension_reason_is_in_the_therapists_language(django_capture_on_commit_callbacks):
    profile = make_therapist(
        Status.APPROVED, language="fr", credentials={"license_expiry": date(2026, 3, 31)}
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.licenses_expired_suspend(today=VETTING_TODAY)

    [email] = outbox_to(profile.user.email)
    assert "Bonjour" in email.body
    assert "2026" in profile.vetting_decisions.get().reason
