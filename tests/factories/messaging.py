"""Messaging: conversations, messages and attachments (encrypted as the service stores them)."""

import uuid

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from core import crypto
from messaging.models import Attachment, Conversation, Message
from tests.factories.accounts import PDF
from tests.factories.matching import MatchFactory


class ConversationFactory(DjangoModelFactory[Conversation]):
    """The conversation of a match (a new match by default), open; ``ended=True``: the match
    ended (a change of therapist) and the conversation is closed."""

    class Meta:
        model = Conversation

    class Params:
        ended = factory.Trait(
            match__status="ended",
            match__ended_at=factory.LazyFunction(timezone.now),
            closed_at=factory.LazyFunction(timezone.now),
        )

    match = factory.SubFactory(MatchFactory)
    patient = factory.SelfAttribute("match.patient")
    therapist = factory.SelfAttribute("match.therapist")
    opened_at = factory.LazyFunction(timezone.now)


class MessageFactory(DjangoModelFactory[Message]):
    """A message with ``body`` (encrypted at rest under the patient's data key), sent by the
    conversation's patient unless ``sender`` says otherwise."""

    class Meta:
        model = Message
        exclude = ["body"]

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.SelfAttribute("conversation.patient")
    client_id = factory.LazyFunction(uuid.uuid4)
    body = "Hello"
    body_encrypted = factory.LazyAttribute(
        lambda m: crypto.encrypt_text_for(m.conversation.patient_id, m.body)
    )
    created_at = factory.LazyFunction(timezone.now)


class AttachmentFactory(DjangoModelFactory[Attachment]):
    """A file sent with a message, stored encrypted in private storage as the service stores
    it: ``name`` and ``content`` (a small PDF by default) are encrypted under the patient's
    data key."""

    class Meta:
        model = Attachment
        exclude = ["name", "content"]

    message = factory.SubFactory(MessageFactory)
    name = "letter.pdf"
    content = PDF
    name_encrypted = factory.LazyAttribute(
        lambda a: crypto.encrypt_text_for(a.message.conversation.patient_id, a.name)
    )
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda a: len(a.content))
    file = factory.LazyAttribute(
        lambda a: ContentFile(
            crypto.encrypt_bytes_for(a.message.conversation.patient_id, a.content),
            name="attachment",
        )
    )
