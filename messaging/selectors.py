import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.selectors import approved_therapist_profile, therapists_visible_to_patients
from matching.models import Match
from messaging.models import Attachment, Conversation, Message
from teletherapy import crypto


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """Every conversation this user may read.

    A patient: all of their own, open or closed. A therapist (approved): the conversation of each
    active match, and a patient's earlier conversations only where that patient, when changing
    therapist, agreed that the next therapist may read them.
    """
    if not user.is_authenticated:
        return Conversation.objects.none()
    if user.is_patient:
        return Conversation.objects.filter(patient=user)
    if approved_therapist_profile(user=user) is None:
        return Conversation.objects.none()
    active = Match.objects.filter(therapist__user=user, status=Match.Status.ACTIVE)
    shared_with = active.filter(earlier_history_shared=True).values("patient_id")
    return Conversation.objects.filter(Q(match__in=active) | Q(patient_id__in=shared_with))


def conversation_get_for_user(*, user: User, pk: int) -> Conversation:
    """One conversation this user may read, or 404."""
    return get_object_or_404(
        conversations_for_user(user=user).select_related("therapist", "patient"), pk=pk
    )


def conversation_readable_by(*, user: User, pk: int) -> bool:
    """The same rule as ``conversation_get_for_user``, as a yes or no (for live sockets)."""
    return conversations_for_user(user=user).filter(pk=pk).exists()


def conversation_list_for_user(*, user: User) -> list[Conversation]:
    """The user's conversations, newest activity first, each with ``unread`` and
    ``last_activity`` annotated: one query however many there are."""
    unread = Count("messages", filter=Q(messages__read_at__isnull=True) & ~Q(messages__sender=user))
    return list(
        conversations_for_user(user=user)
        .select_related("therapist", "patient__patient_profile")
        .annotate(unread=unread, last_activity=Coalesce(Max("messages__created_at"), "opened_at"))
        .order_by("-last_activity", "-pk")
    )


@dataclass
class ThreadPage:
    messages: list[Message]  # oldest first
    has_earlier: bool

    @property
    def first_id(self) -> int | None:
        return self.messages[0].pk if self.messages else None


def thread_messages(
    *, conversation: Conversation, before: int | None = None, limit: int = 50
) -> ThreadPage:
    """The latest ``limit`` messages, or the ``limit`` before message ``before`` ("load earlier
    messages"), oldest first, with their attachments: the same few queries whatever the
    thread's length. A ``before`` that is not a message of this conversation is a 404."""
    messages = conversation.messages.prefetch_related("attachments").order_by("-created_at", "-pk")
    if before is not None:
        cursor = conversation.messages.filter(pk=before).values_list("created_at", flat=True)
        sent_at = cursor.first()
        if sent_at is None:
            raise Http404("not a message of this conversation")
        messages = messages.filter(Q(created_at__lt=sent_at) | Q(created_at=sent_at, pk__lt=before))
    page = list(messages[: limit + 1])
    return ThreadPage(messages=list(reversed(page[:limit])), has_earlier=len(page) > limit)


def attachment_get_for_user(*, user: User, conversation_pk: int, pk: int) -> Attachment:
    """A file of a conversation this user may read, or 404."""
    return get_object_or_404(
        Attachment.objects.filter(message__conversation__in=conversations_for_user(user=user)),
        pk=pk,
        message__conversation_id=conversation_pk,
    )


def unread_count(*, user: User) -> int:
    return (
        Message.objects.filter(
            conversation__in=conversations_for_user(user=user), read_at__isnull=True
        )
        .exclude(sender=user)
        .count()
    )


def messages_to_notify(*, now: datetime) -> QuerySet[Message]:
    """Messages whose recipient should now be emailed "you have a new message".

    Unread MESSAGE_NOTIFY_AFTER_MINUTES after they were sent, nobody emailed about them yet, in
    an open conversation of an active match, to an active recipient (a therapist still approved)
    who was not emailed about this conversation in the last MESSAGE_NOTIFY_EVERY_MINUTES.
    """
    sent_before = now - timedelta(minutes=settings.MESSAGE_NOTIFY_AFTER_MINUTES)
    quiet_since = now - timedelta(minutes=settings.MESSAGE_NOTIFY_EVERY_MINUTES)
    to_therapist = (
        Q(sender_id=F("conversation__patient_id"))
        & Q(conversation__therapist__in=therapists_visible_to_patients())
        & (
            Q(conversation__therapist_notified_at__isnull=True)
            | Q(conversation__therapist_notified_at__lte=quiet_since)
        )
    )
    to_patient = (
        Q(sender_id=F("conversation__therapist_id"))
        & Q(conversation__patient__is_active=True)
        & (
            Q(conversation__patient_notified_at__isnull=True)
            | Q(conversation__patient_notified_at__lte=quiet_since)
        )
    )
    return Message.objects.filter(
        to_therapist | to_patient,
        read_at__isnull=True,
        notified_at__isnull=True,
        created_at__lte=sent_before,
        conversation__closed_at__isnull=True,
        conversation__match__status=Match.Status.ACTIVE,
    )


# --- The practitioner dashboard -----------------------------------------------------------------

PREVIEW_CHARACTERS = 120
# Fewer answers than this in the window say nothing about someone's habits.
REPLY_TIME_MIN_ANSWERS = 3


@dataclass(frozen=True)
class ConversationBrief:
    """Where a therapist stands with one patient's conversation."""

    conversation_id: int
    unread: int
    last_from_patient: bool | None  # None: no message yet
    last_at: datetime | None
    preview: str  # the last message's first words ("" for a file alone)
    waiting_since: datetime | None  # the first patient message not answered yet


def caseload_conversations(
    *, therapist: User, patient_ids: list[int]
) -> dict[int, ConversationBrief]:
    """For each of these patients of ``therapist``: their open conversation's unread count, last
    message and whether it waits for an answer (since when). Two queries, however many patients
    and messages."""
    epoch = Value(datetime(1970, 1, 1, tzinfo=UTC))
    own = Message.objects.filter(conversation=OuterRef("pk"))
    therapist_last = Subquery(
        own.filter(sender_id=OuterRef("therapist_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    conversations = (
        Conversation.objects.filter(
            therapist__user=therapist, patient_id__in=patient_ids, closed_at__isnull=True
        )
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__read_at__isnull=True) & Q(messages__sender_id=F("patient_id")),
            ),
            last_id=Subquery(own.order_by("-created_at", "-pk").values("pk")[:1]),
            answered_at=Coalesce(therapist_last, epoch),
        )
        .annotate(
            waiting_since=Subquery(
                own.filter(sender_id=OuterRef("patient_id"), created_at__gt=OuterRef("answered_at"))
                .order_by("created_at")
                .values("created_at")[:1]
            )
        )
        .values("pk", "patient_id", "unread", "last_id", "waiting_since")
    )
    rows = list(conversations)
    last = Message.objects.in_bulk([row["last_id"] for row in rows if row["last_id"]])
    briefs = {}
    for row in rows:
        message = last.get(row["last_id"])
        preview = ""
        if message is not None:
            preview = _preview(crypto.decrypt_text(message.body_encrypted))
        briefs[row["patient_id"]] = ConversationBrief(
            conversation_id=row["pk"],
            unread=row["unread"],
            last_from_patient=None if message is None else message.sender_id == row["patient_id"],
            last_at=None if message is None else message.created_at,
            preview=preview,
            waiting_since=row["waiting_since"],
        )
    return briefs


def _preview(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= PREVIEW_CHARACTERS:
        return text
    return text[: PREVIEW_CHARACTERS - 1].rstrip() + "…"


def therapist_reply_time(*, therapist_id: int, now: datetime, days: int = 30) -> timedelta | None:
    """How long the therapist (a user id) usually takes to answer a patient: the median, over
    the last ``days``, of the time from a patient's first unanswered message to the therapist's
    next message in that conversation. Live session chat is not counted (it is not a written
    answer). None with fewer than REPLY_TIME_MIN_ANSWERS answers. One query."""
    since = now - timedelta(days=days)
    rows = (
        Message.objects.filter(
            conversation__therapist__user_id=therapist_id,
            created_at__gte=since,
            created_at__lte=now,
            live_session=False,
        )
        .order_by("conversation_id", "created_at", "pk")
        .values_list("conversation_id", "sender_id", "created_at")
    )
    waits: list[timedelta] = []
    conversation, asked_at = None, None
    for conversation_id, sender_id, created_at in rows:
        if conversation_id != conversation:
            conversation, asked_at = conversation_id, None
        if sender_id != therapist_id:
            asked_at = asked_at or created_at
        elif asked_at is not None:
            waits.append(created_at - asked_at)
            asked_at = None
    if len(waits) < REPLY_TIME_MIN_ANSWERS:
        return None
    return statistics.median(waits)
