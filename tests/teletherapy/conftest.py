"""Fixtures of the home pages' tests: a controlled clock (Wednesday 3 March 2027, 10:00 in
Paris), and makers of the rows a caseload holds — matches with their conversation, messages,
sessions, scores — built with the factories of each app."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.choices import Modality
from tests.factories import PatientFactory
from tests.factories.matching import CheckinFactory, MatchFactory
from tests.factories.messaging import ConversationFactory, MessageFactory
from tests.factories.scheduling import AppointmentFactory

NOW = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    """The moment the home pages' tests happen at (with ``clock``)."""
    return NOW


@pytest.fixture
def clock(now):
    """The clock standing still at ``now``; ``clock.move_to(...)`` moves it."""
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_match():
    """``make_match(therapist, nickname="Robin", patient=None)``: a patient (new, with that
    nickname, unless given) working with ``therapist``, their conversation open."""

    def make(therapist, nickname="Robin", patient=None):
        patient = patient or PatientFactory(patient_profile__nickname=nickname)
        match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
        ConversationFactory(match=match)
        return match

    return make


@pytest.fixture
def make_message():
    """``make_message(match, sender, body, at, read=False, live=False)``: a message of the
    match's conversation, sent at ``at`` (and read then, if ``read``)."""

    def make(match, sender, body, at, read=False, live=False):
        return MessageFactory(
            conversation=match.conversation,
            sender=sender,
            body=body,
            created_at=at,
            read_at=at if read else None,
            live_session=live,
        )

    return make


@pytest.fixture
def make_session():
    """``make_session(match, starts_at, minutes=50, status="booked", modality="video")``."""

    def make(match, starts_at, minutes=50, status="booked", modality=Modality.VIDEO):
        return AppointmentFactory(
            match=match,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            modality=modality,
            status=status,
        )

    return make


@pytest.fixture
def make_score():
    """``make_score(patient, instrument, value, at)``: a check-in's PHQ-9 or GAD-7 score."""

    def make(patient, instrument, value, at):
        return CheckinFactory(
            patient=patient, instrument=instrument, answers=[], score=value, taken_at=at
        )

    return make
