"""Conversations follow matches; message bodies are encrypted; sending is idempotent; only the
two parties (and, with the patient's consent, a later therapist) may read."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from matching.models import Match, MatchRequest
from messaging import selectors, services
from messaging.models import Message


def test_an_accepted_offer_opens_the_conversation(conversation, patient, therapist):
    assert conversation.is_open
    assert selectors.conversation_get_for_user(user=patient, pk=conversation.pk) == conversation
    assert selectors.conversation_get_for_user(user=therapist, pk=conversation.pk) == conversation


def test_outsiders_get_nothing(
    conversation, other_patient, other_therapist, unvetted_therapist, staff
):
    for outsider in (other_patient, other_therapist, unvetted_therapist, staff):
        assert selectors.conversation_get_for_user(user=outsider, pk=conversation.pk) is None
        assert not selectors.conversation_readable_by(user=outsider, pk=conversation.pk)


def test_bodies_are_encrypted_at_rest(conversation, patient, write):
    message = write(conversation, patient, body="I could not sleep again last night.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_encrypted FROM messaging_message WHERE id = %s", [message.pk])
        (raw,) = cursor.fetchone()
    assert "sleep" not in raw
    assert selectors.message_body(message) == "I could not sleep again last night."


def test_sending_twice_keeps_one_message(conversation, patient, write):
    client_id = uuid.uuid4()
    first = write(conversation, patient, client_id=client_id)
    again = write(conversation, patient, client_id=client_id)
    assert first.pk == again.pk
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"), [("", "empty"), ("  \n ", "empty"), ("x" * 10_001, "too_long")]
)
def test_empty_or_too_long_messages_are_refused(conversation, patient, write, body, code):
    with pytest.raises(ValidationError) as error:
        write(conversation, patient, body=body)
    assert error.value.error_dict["body"][0].code == code
    assert not Message.objects.exists()


def test_ten_thousand_characters_and_paragraphs_are_kept(conversation, patient, write):
    body = "First line.\r\n\r\nSecond paragraph." + "x" * (10_000 - 31)
    message = write(conversation, patient, body=body)
    assert selectors.message_body(message).startswith("First line.\n\nSecond paragraph.")


@pytest.mark.parametrize("shared", [False, True])
def test_after_a_switch(conversation, patient, therapist, other_therapist, write, switch, shared):
    old = conversation
    write(old, patient, body="Before the change.")
    new_match = switch(shared=shared)
    old.refresh_from_db()
    assert not old.is_open
    with pytest.raises(ValidationError):
        write(old, patient, body="After the change.")
    # The patient still reads it, and so does the former therapist: their own record, closed.
    assert selectors.conversation_get_for_user(user=patient, pk=old.pk) == old
    assert selectors.conversation_get_for_user(user=therapist, pk=old.pk) == old
    assert not selectors.conversation_can_write(conversation=old, user=therapist)
    with pytest.raises(ValidationError):
        write(old, therapist, body="One more word.")

    assert new_match.earlier_history_shared is shared
    assert new_match.conversation.is_open
    if shared:
        assert selectors.conversation_get_for_user(user=other_therapist, pk=old.pk) == old
        # Read, never write: the earlier conversation was not theirs.
        with pytest.raises(PermissionDenied):
            write(old, other_therapist, body="Hello from the new therapist.")
        assert services.messages_mark_read(conversation=old, reader=other_therapist) == 0
    else:
        assert selectors.conversation_get_for_user(user=other_therapist, pk=old.pk) is None
    assert MatchRequest.objects.get(pk=new_match.request_id).status == MatchRequest.Status.MATCHED
    assert Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).count() == 1
