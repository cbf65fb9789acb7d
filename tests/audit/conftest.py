"""Fixtures of the access log tests: the named patient and therapist matched the way an accepted
offer matches them (their conversation opened), and the session digest a client's reads carry."""

import pytest

from audit.chain import session_digest
from matching import services as matching_services
from matching.models import Match
from messaging.models import Conversation
from tests.factories.matching import IntakeFactory, make_eligible


@pytest.fixture
def match(patient, therapist, django_capture_on_commit_callbacks) -> Match:
    make_eligible(therapist, display_name="Camille Laurent")
    intake = IntakeFactory.create(patient=patient, concerns=["anxiety"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    assert request is not None
    with django_capture_on_commit_callbacks(execute=True):
        offer = matching_services.offer_next(request=request)
        assert offer is not None
        return matching_services.offer_accept(offer_id=offer.pk, therapist=offer.therapist.user)


@pytest.fixture
def conversation(match) -> Conversation:
    return Conversation.objects.get(match=match)


@pytest.fixture
def digest_of():
    """``digest_of(client)``: what the access log keeps of that test client's session."""

    def digest(client) -> str:
        return session_digest(client.session.session_key)

    return digest
