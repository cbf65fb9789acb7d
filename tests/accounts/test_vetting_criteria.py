"""Approving a therapist: each criterion (degree, experience, clinical hours, license number
and validity, documents) at its boundary, every shortfall named at once, 29 February, the
site's day whoever asks, thresholds from settings."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts import selectors, services
from accounts.choices import DegreeLevel
from accounts.models import TherapistDocument, TherapistProfile
from accounts.services import VettingError
from tests.factories.accounts import (
    BOTH_DOCUMENTS,
    DECISION_REASON,
    VETTING_TODAY,
    decide,
    make_therapist,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


@pytest.mark.parametrize(
    ("overrides", "accepted", "missing"),
    [
        ({"clinical_hours": 1999}, False, "at least 2,000 clinical hours"),
        ({"clinical_hours": 2000}, True, ""),
        ({"clinical_hours": None}, False, "at least 2,000 clinical hours"),
        (
            {"practising_since": VETTING_TODAY - relativedelta(years=3) + timedelta(days=1)},
            False,
            "at least 3 years of clinical experience",
        ),
        ({"practising_since": VETTING_TODAY - relativedelta(years=3)}, True, ""),
        ({"practising_since": None}, False, "at least 3 years of clinical experience"),
        (
            {"license_expiry": VETTING_TODAY - timedelta(days=1)},
            False,
            "a license that has not expired",
        ),
        ({"license_expiry": VETTING_TODAY}, True, ""),
        ({"license_expiry": None}, False, "a license that has not expired"),
        ({"degree_level": DegreeLevel.BACHELOR}, False, "Master"),
        ({"degree_level": ""}, False, "Master"),
        ({"degree_level": DegreeLevel.MASTER}, True, ""),
        ({"degree_level": DegreeLevel.DOCTORATE}, True, ""),
        ({"license_number": ""}, False, "a license or registration number"),
        ({"license_number": "   "}, False, "a license or registration number"),
        ({"documents": [Kind.LICENSE]}, False, "a degree document"),
        ({"documents": [Kind.DEGREE]}, False, "a license document"),
        ({"documents": [Kind.DEGREE, Kind.DEGREE]}, False, "a license document"),
    ],
    ids=lambda value: repr(value)[:60] if isinstance(value, dict) else None,
)
def test_approval_criteria_boundaries(
    assert_refused, overrides, accepted, missing, staff, django_capture_on_commit_callbacks
):
    credentials = dict(overrides)
    documents = credentials.pop("documents", BOTH_DOCUMENTS)
    profile = make_therapist(
        Status.SUBMITTED, display_name="Ana Lopes", credentials=credentials, documents=documents
    )

    if accepted:
        assert selectors.therapist_approval_shortfalls(profile=profile, today=VETTING_TODAY) == []
        decide(profile, actor=staff)
        profile.refresh_from_db()
        assert profile.vetting_status == Status.APPROVED
    else:
        shortfalls = selectors.therapist_approval_shortfalls(profile=profile, today=VETTING_TODAY)
        assert len(shortfalls) == 1
        assert missing in shortfalls[0]
        assert_refused(
            profile,
            lambda: decide(profile, actor=staff),
            "Ana Lopes cannot be approved",
            missing,
        )


def test_every_shortfall_is_named_at_once(
    assert_refused, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(Status.SUBMITTED, complete=False)

    message = assert_refused(
        profile,
        lambda: decide(profile, actor=staff),
    )

    for missing in (
        "Master",
        "3 years",
        "2,000 clinical hours",
        "license or registration number",
        "has not expired",
        "a degree document",
        "a license document",
    ):
        assert missing in message


@pytest.mark.parametrize(
    ("today", "since", "accepted"),
    [
        # Into a leap day: three years on 29 February 2028 from 28 February 2025.
        (date(2028, 2, 29), date(2025, 2, 28), True),
        (date(2028, 2, 29), date(2025, 3, 1), False),
        (date(2028, 2, 28), date(2025, 2, 28), True),
        (date(2028, 2, 27), date(2025, 2, 28), False),
        # From a leap day: its anniversary in a common year is 28 February.
        (date(2027, 2, 28), date(2024, 2, 29), True),
        (date(2027, 2, 27), date(2024, 2, 29), False),
        (date(2027, 3, 1), date(2024, 2, 29), True),
    ],
)
def test_years_of_experience_across_29_february(
    assert_refused, today, since, accepted, staff, django_capture_on_commit_callbacks
):
    profile = make_therapist(
        Status.SUBMITTED,
        credentials={"practising_since": since, "license_expiry": date(2030, 12, 31)},
    )

    assert (selectors.therapist_experience_years(profile=profile, today=today) >= 3) is accepted
    if accepted:
        decide(profile, actor=staff, today=today)
        profile.refresh_from_db()
        assert profile.is_approved
    else:
        assert_refused(
            profile,
            lambda: decide(profile, actor=staff, today=today),
            "at least 3 years of clinical experience",
        )


def test_a_license_is_valid_through_its_last_day_by_the_clock(staff):
    """Without ``today=``, the decision uses the current date of the site's clock."""
    profile = make_therapist(Status.SUBMITTED, credentials={"license_expiry": date(2026, 7, 1)})

    too_late = time_machine.travel(datetime(2026, 7, 2, 0, 0, tzinfo=UTC), tick=False)
    with too_late, pytest.raises(VettingError, match="has not expired"):
        services.therapist_vetting_decide(
            profile=profile, action="approve", actor=staff, reason=DECISION_REASON
        )
    with time_machine.travel(datetime(2026, 7, 1, 23, 59, tzinfo=UTC), tick=False):
        services.therapist_vetting_decide(
            profile=profile, action="approve", actor=staff, reason=DECISION_REASON
        )

    profile.refresh_from_db()
    assert profile.is_approved


def test_the_day_is_the_sites_whoever_asks(staff, django_capture_on_commit_callbacks):
    """Staff in Paris at 00:30 on 2 July (22:30 UTC on 1 July) judge as the sweep does."""
    applicant = make_therapist(Status.SUBMITTED, credentials={"license_expiry": date(2026, 7, 1)})
    approved = make_therapist(Status.APPROVED, credentials={"license_expiry": date(2026, 7, 1)})

    late_evening = time_machine.travel(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), tick=False)
    with late_evening, timezone.override("Europe/Paris"):
        assert timezone.localdate() == date(2026, 7, 2)
        assert selectors.vetting_today() == date(2026, 7, 1)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.licenses_expired_suspend() == 0
            services.therapist_vetting_decide(
                profile=applicant, action="approve", actor=staff, reason=DECISION_REASON
            )

    applicant.refresh_from_db()
    approved.refresh_from_db()
    assert applicant.is_approved
    assert approved.is_approved


@pytest.mark.parametrize(
    ("setting", "value", "refused", "accepted", "missing"),
    [
        (
            "VETTING_MIN_CLINICAL_HOURS",
            2500,
            {"clinical_hours": 2499},
            {"clinical_hours": 2500},
            "at least 2,500 clinical hours",
        ),
        (
            "VETTING_MIN_CLINICAL_HOURS",
            1000,
            {"clinical_hours": 999},
            {"clinical_hours": 1000},
            "at least 1,000 clinical hours",
        ),
        (
            "VETTING_MIN_EXPERIENCE_YEARS",
            5,
            {"practising_since": VETTING_TODAY - relativedelta(years=5) + timedelta(days=1)},
            {"practising_since": VETTING_TODAY - relativedelta(years=5)},
            "at least 5 years of clinical experience",
        ),
        (
            "VETTING_MIN_DEGREE_LEVEL",
            "doctorate",
            {"degree_level": DegreeLevel.MASTER},
            {"degree_level": DegreeLevel.DOCTORATE},
            "Doctorate",
        ),
        (
            "VETTING_MIN_DEGREE_LEVEL",
            "bachelor",
            {"degree_level": ""},
            {"degree_level": DegreeLevel.BACHELOR},
            "Bachelor",
        ),
    ],
)
def test_thresholds_come_from_settings(settings, setting, value, refused, accepted, missing):
    setattr(settings, setting, value)
    below = make_therapist(credentials=refused)
    at = make_therapist(credentials=accepted)

    [shortfall] = selectors.therapist_approval_shortfalls(profile=below, today=VETTING_TODAY)
    assert missing in shortfall
    assert selectors.therapist_approval_shortfalls(profile=at, today=VETTING_TODAY) == []
