"""Conversations follow matches; message bodies are encrypted; sending is idempotent; only the
two parties (and, with the patient's consent, a later therapist) may read."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from matching import services as matching_services
from matching.models import Intake, Match, MatchRequest
from messaging import selectors, services
from messaging.models import Conversation, Message


@pytest.fixture
def match(patient, therapist, django_capture_on_commit_callbacks):
    """The patient and their therapist, matched the way an accepted offer matches them."""
    profile = therapist.therapist_profile
    profile.licensed_countries = ["FR"]
    profile.modalities = ["video"]
    profile.save()
    intake = Intake.objects.create(
        patient=patient,
        concerns=["anxiety"],
        languages=["fr"],
        country="FR",
        time_zone="Europe/Paris",
        modality="video",
    )
    request = matching_services.match_request_open(patient=patient, intake=intake)
    with django_capture_on_commit_callbacks(execute=True):
        offer = matching_services.offer_next(request=request)
        return matching_services.offer_accept(offer_id=offer.pk, therapist=offer.therapist.user)


def send(conversation, sender, body="Hello", client_id=None):
    return services.message_send(
        conversation=conversation, sender=sender, body=body, client_id=client_id or uuid.uuid4()
    )


def test_an_accepted_offer_opens_the_conversation(match, patient, therapist):
    conversation = Conversation.objects.get(match=match)
    assert conversation.is_open
    assert selectors.conversation_get_for_user(user=patient, pk=conversation.pk) == conversation
    assert selectors.conversation_get_for_user(user=therapist, pk=conversation.pk) == conversation


def test_outsiders_get_404(match, other_patient, other_therapist, unvetted_therapist, staff):
    conversation = Conversation.objects.get(match=match)
    for outsider in (other_patient, other_therapist, unvetted_therapist, staff):
        with pytest.raises(Http404):
            selectors.conversation_get_for_user(user=outsider, pk=conversation.pk)


def test_bodies_are_encrypted_at_rest(match, patient):
    conversation = Conversation.objects.get(match=match)
    message = send(conversation, patient, body="I could not sleep again last night.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_encrypted FROM messaging_message WHERE id = %s", [message.pk])
        (raw,) = cursor.fetchone()
    assert "sleep" not in raw
    assert services.message_body(message) == "I could not sleep again last night."


def test_sending_twice_keeps_one_message(match, patient):
    conversation = Conversation.objects.get(match=match)
    client_id = uuid.uuid4()
    first = send(conversation, patient, client_id=client_id)
    again = send(conversation, patient, client_id=client_id)
    assert first.pk == again.pk
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"), [("", "empty"), ("  \n ", "empty"), ("x" * 10_001, "too_long")]
)
def test_empty_or_too_long_messages_are_refused(match, patient, body, code):
    conversation = Conversation.objects.get(match=match)
    with pytest.raises(ValidationError) as error:
        send(conversation, patient, body=body)
    assert error.value.error_dict["body"][0].code == code
    assert not Message.objects.exists()


def test_ten_thousand_characters_and_paragraphs_are_kept(match, patient):
    conversation = Conversation.objects.get(match=match)
    body = "First line.\r\n\r\nSecond paragraph." + "x" * (10_000 - 31)
    message = send(conversation, patient, body=body)
    assert services.message_body(message).startswith("First line.\n\nSecond paragraph.")


@pytest.mark.parametrize("shared", [False, True])
def test_after_a_switch(
    match, patient, therapist, other_therapist, staff, shared, django_capture_on_commit_callbacks
):
    old = Conversation.objects.get(match=match)
    send(old, patient, body="Before the change.")
    with django_capture_on_commit_callbacks(execute=True):
        request = matching_services.match_switch(
            patient=patient, reason="", share_earlier_history=shared
        )
    old.refresh_from_db()
    assert not old.is_open
    with pytest.raises(ValidationError):
        send(old, patient, body="After the change.")
    # The patient still reads it; the former therapist does not.
    assert selectors.conversation_get_for_user(user=patient, pk=old.pk) == old
    with pytest.raises(Http404):
        selectors.conversation_get_for_user(user=therapist, pk=old.pk)

    profile = other_therapist.therapist_profile
    with django_capture_on_commit_callbacks(execute=True):
        new_match = matching_services.match_request_assign(
            request_id=request.pk, therapist_id=profile.pk, actor=staff
        )
    assert new_match.earlier_history_shared is shared
    assert Conversation.objects.get(match=new_match).is_open
    if shared:
        assert selectors.conversation_get_for_user(user=other_therapist, pk=old.pk) == old
        # Read, never write: the earlier conversation was not theirs.
        with pytest.raises(PermissionDenied):
            send(old, other_therapist, body="Hello from the new therapist.")
        assert services.messages_mark_read(conversation=old, reader=other_therapist) == 0
    else:
        with pytest.raises(Http404):
            selectors.conversation_get_for_user(user=other_therapist, pk=old.pk)
    assert MatchRequest.objects.get(pk=request.pk).status == MatchRequest.Status.MATCHED
    assert Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).count() == 1
