"""Fixtures of the matching tests: a search under way for the named patient, the named
therapist as its best candidate and the other named therapist as a weaker one, and the
``match_started`` events a test causes."""

from datetime import UTC, datetime

import pytest

from matching.signals import match_started
from tests.factories.matching import MatchRequestFactory, make_eligible


@pytest.fixture
def now():
    """When the fixtures' search opened; a module may override it."""
    return datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def match_request(patient, now):
    """The named patient's search, opened at ``now``: French-speaking, in France, burnout and
    anxiety, video."""
    return MatchRequestFactory(patient=patient, created_at=now)


@pytest.fixture
def best(therapist):
    """The named therapist: the best fit (burnout and anxiety) for the named patient."""
    return make_eligible(therapist)


@pytest.fixture
def second(other_therapist):
    """The named other therapist: a weaker fit (grief only)."""
    return make_eligible(other_therapist, specialities=["grief"])


@pytest.fixture
def signals_sent():
    """Every ``match_started`` sent while the test runs, as keyword dicts."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    match_started.connect(receiver, weak=False)
    yield sent
    match_started.disconnect(receiver)
