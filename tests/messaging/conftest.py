"""Fixtures of the messaging tests: a patient and their therapist matched the way an accepted
offer matches them, their conversation, and a switch to another therapist."""

import uuid

import pytest

from matching import services as matching_services
from matching.models import Match
from messaging import services
from messaging.models import Conversation, Message
from tests.factories.matching import IntakeFactory, make_eligible


@pytest.fixture
def match(patient, therapist, django_capture_on_commit_callbacks) -> Match:
    """The patient and their therapist, matched the way an accepted offer matches them."""
    make_eligible(therapist)
    intake = IntakeFactory.create(patient=patient, concerns=["anxiety"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    assert request is not None
    with django_capture_on_commit_callbacks(execute=True):
        offer = matching_services.offer_next(request=request)
        assert offer is not None
        return matching_services.offer_accept(offer_id=offer.pk, therapist=offer.therapist.user)


@pytest.fixture
def conversation(match) -> Conversation:
    """The conversation the match opened."""
    return Conversation.objects.get(match=match)


@pytest.fixture
def write():
    """``write(conversation, sender, body=...)``: a message sent through the service."""

    def send(conversation, sender, body="Hello", client_id=None, **kwargs) -> Message:
        return services.message_send(
            conversation=conversation,
            sender=sender,
            body=body,
            client_id=client_id or uuid.uuid4(),
            **kwargs,
        )

    return send


@pytest.fixture
def switch(patient, other_therapist, staff, django_capture_on_commit_callbacks):
    """``switch(shared=...)``: the patient changes therapist (sharing their earlier messages with
    the next one, or not) and staff assign ``other_therapist``; returns the new match."""

    def change(*, shared: bool) -> Match:
        with django_capture_on_commit_callbacks(execute=True):
            request = matching_services.match_switch(
                patient=patient, reason="", share_earlier_history=shared
            )
        with django_capture_on_commit_callbacks(execute=True):
            return matching_services.match_request_assign(
                request_id=request.pk,
                therapist_id=other_therapist.therapist_profile.pk,
                actor=staff,
            )

    return change
