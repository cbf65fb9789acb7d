"""Fixtures of the scheduling tests: a patient matched with their therapist, and a therapist
with weekly hours in Paris."""

from datetime import time

import pytest

from tests.factories import TherapistFactory
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AvailabilityWindowFactory, weekly


@pytest.fixture
def match(patient, therapist):
    """The patient and their therapist (the test's own ``therapist`` if it has one)."""
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile)


@pytest.fixture
def paris_therapist(db):
    """Ana Ruiz, in Paris: Mondays and Wednesdays 09:00-12:00, video and phone; with the default
    50-minute sessions and 10-minute breaks, sessions at 09:00, 10:00 and 11:00."""
    user = TherapistFactory(
        email="therapist@example.test",
        time_zone="Europe/Paris",
        therapist_profile__display_name="Ana Ruiz",
        therapist_profile__modalities=["video", "phone"],
    )
    AvailabilityWindowFactory(
        therapist=user.therapist_profile, rule=weekly(0, 2), start_time=time(9), end_time=time(12)
    )
    return user
