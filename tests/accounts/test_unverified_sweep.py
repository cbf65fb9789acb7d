"""Sign-ups never verified are deleted after the retention period, staff never, each once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import PatientProfile, User
from accounts.services import unverified_accounts_delete
from accounts.tasks import sweep_unverified_accounts
from tests.factories import PatientFactory, StaffFactory, TherapistFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def joined(days_ago: float, factory=PatientFactory, **kwargs):
    return factory(date_joined=NOW - timedelta(days=days_ago), **kwargs)


def test_sign_ups_never_verified_are_deleted_after_the_retention_period():
    stale = joined(8, verified=False)
    stale_therapist = joined(30, TherapistFactory, verified=False)
    recent = joined(6, verified=False)
    verified = joined(400)
    staff = joined(400, StaffFactory, verified=False)

    with time_machine.travel(NOW, tick=False):
        deleted = sweep_unverified_accounts.delay().get()

    assert deleted == 2
    remaining = set(User.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, verified.pk, staff.pk}
    assert not PatientProfile.objects.filter(user_id=stale.pk).exists()
    assert stale_therapist.pk not in remaining


def test_the_sweep_is_idempotent():
    joined(10, verified=False)

    assert unverified_accounts_delete(now=NOW) == 1
    assert unverified_accounts_delete(now=NOW) == 0


def test_the_boundary_is_exactly_the_retention_period(settings):
    settings.ACCOUNT_UNVERIFIED_RETENTION_DAYS = 7
    on_the_line = joined(7, verified=False)
    just_past = joined(7 + 1 / 86400, verified=False)

    unverified_accounts_delete(now=NOW)

    assert User.objects.filter(pk=on_the_line.pk).exists()
    assert not User.objects.filter(pk=just_past.pk).exists()
