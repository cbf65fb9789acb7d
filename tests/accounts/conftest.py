"""Fixtures of the accounts tests: the vetting tests' clock and language, the vetting events
they capture, applications in a given state, a refusal checker, and a patient's sign-up."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import TherapistProfile, VettingDecision
from accounts.services import VettingError
from accounts.signals import therapist_vetting_changed
from tests.factories import PASSWORD
from tests.factories.accounts import VETTING_NOW, make_therapist, signup_consents

Status = TherapistProfile.VettingStatus


@pytest.fixture
def vetting_clock():
    """The vetting tests' moment, ``VETTING_NOW``, standing still."""
    with time_machine.travel(VETTING_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def in_english():
    # The messages checked are the English ones, whatever an earlier test activated.
    with translation.override("en"):
        yield


@pytest.fixture
def vetting_events():
    """Every ``therapist_vetting_changed`` sent while the test runs, as keyword dicts."""
    received = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal", None)
        received.append(kwargs)

    therapist_vetting_changed.connect(receiver, weak=False)
    yield received
    therapist_vetting_changed.disconnect(receiver)


@pytest.fixture
def submitted_application(db):
    """A complete application waiting for staff."""
    return make_therapist(Status.SUBMITTED)


@pytest.fixture
def draft_application(db):
    """A therapist who has filled in nothing yet."""
    return make_therapist(Status.DRAFT, complete=False)


@pytest.fixture
def assert_refused(django_capture_on_commit_callbacks):
    """``assert_refused(profile, call, *words)``: ``call`` raises a VettingError naming each of
    ``words`` and changes nothing (no status, no decision, no email, even after commit).
    Returns the error's message."""

    def check(profile: TherapistProfile, call, *expected_words: str) -> str:
        before = profile.vetting_status
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(VettingError) as refusal,
        ):
            call()
        message = str(refusal.value)
        for words in expected_words:
            assert words in message
        profile.refresh_from_db()
        assert profile.vetting_status == before
        assert not VettingDecision.objects.filter(therapist=profile).exists()
        assert mail.outbox == []
        return message

    return check


@pytest.fixture
def patient_signup():
    """``patient_signup(client, headers=None, **fields)``: the patient sign-up form sent."""

    def sign_up(client, headers=None, **overrides):
        data = (
            {
                "nickname": "Sacha",
                "email": "new.person@example.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "time_zone": "America/Montreal",
            }
            | signup_consents()
            | overrides
        )
        return client.post(reverse("signup_patient"), data, headers=headers)

    return sign_up
