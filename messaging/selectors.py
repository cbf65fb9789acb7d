"""Every read of messaging: who may read which conversation, the thread and its files, unread
counts, and what the notification sweep and the dashboards ask.

Selectors never write and never raise ``Http404``: an object the user may not see is ``None``
(or ``NotInConversation`` for a paging cursor), and the view decides to answer 404. One write,
on purpose: ``conversation_get_for_user`` and ``attachment_get_for_user`` log a read by anyone
but the patient in the patient's access log (``audit.services``) as they grant it, so that no
page showing a thread or a file can forget to (docs/architecture.md, *Access log*).
"""

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils.text import get_valid_filename

from accounts.models import TherapistProfile, User
from accounts.selectors import therapists_visible_to_patients
from audit.models import AccessEntry
from audit.services import access_record
from core import crypto
from core.prepared import Prepared
from matching.models import Match
from messaging.models import Attachment, Conversation, Message


class NotInConversation(Exception):
    """A message id given as a paging cursor that is not a message of this conversation."""


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """Every conversation this user may read.

    A patient: all of their own, open or closed. A therapist, while approved (a suspended or
    not yet approved therapist reads nothing): every conversation they took part in, open or
    closed (their professional record; a closed one holds nothing written after it closed),
    and a patient's earlier conversations only where that patient, when changing therapist,
    agreed that the next therapist may read them (for as long as that match is active). What
    the patient writes later, with another therapist, is never the former therapist's.
    """
    if not user.is_authenticated:
        return Conversation.objects.none()
    if user.is_patient:
        return Conversation.objects.filter(patient=user)
    if not user.is_therapist:
        return Conversation.objects.none()
    shared_with = Match.objects.filter(
        therapist__user=user, status=Match.Status.ACTIVE, earlier_history_shared=True
    ).values("patient_id")
    # Approved now, asked in the same query as the conversations (not one round trip before):
    # a suspension still takes effect at the next request.
    approved = Exists(therapists_visible_to_patients().filter(user=user))
    return Conversation.objects.filter(
        approved, Q(therapist__user=user) | Q(patient_id__in=shared_with)
    )


def conversations_shared_through(*, match_id: int) -> list[int]:
    """The patient's earlier conversations that this match's therapist could read because the
    patient shared their history when changing to them (none if they did not)."""
    patient_id = (
        Match.objects.filter(pk=match_id, earlier_history_shared=True)
        .values_list("patient_id", flat=True)
        .first()
    )
    if patient_id is None:
        return []
    earlier = Conversation.objects.filter(patient_id=patient_id).exclude(match_id=match_id)
    return list(earlier.values_list("pk", flat=True))


def conversation_get_for_user(
    *, user: User, pk: int, names: bool = True, for_writing: bool = False
) -> Conversation | None:
    """One conversation this user may read, or None. ``names=False`` when nothing shown needs
    the parties' names (sending, a live fetch of new messages): the conversation's row alone,
    without joining the therapist's profile and the patient's.

    Found, it is a read of the patient's messages, logged for the patient when the reader is
    anyone else (repeats within minutes merge: a live refresh of an open thread is the same
    visit). ``for_writing=True`` only for a caller that writes to it and shows nothing of it
    (sending a message): then nothing is logged."""
    conversation = _own_conversation(user=user, pk=pk, names=names)
    if conversation is None:
        conversation = _with_names(conversations_for_user(user=user), names).filter(pk=pk).first()
    if conversation is not None and not for_writing:
        access_record(
            reader=user,
            patient_id=conversation.patient_id,
            kind=AccessEntry.Kind.THREAD,
            record_id=conversation.pk,
        )
    return conversation


def _with_names(conversations: QuerySet[Conversation], names: bool) -> QuerySet[Conversation]:
    return (
        conversations.select_related("therapist", "patient__patient_profile")
        if names
        else conversations
    )


def _own_conversation(*, user: User, pk: int, names: bool) -> Conversation | None:
    """The conversation if ``user`` is its own patient, or its own therapist while approved:
    the same rule as ``conversations_for_user`` for the two parties (nearly every request: a
    send, a live fetch), in a query by primary key with at most one join, where the general
    rule's shared-history subquery costs several times as much to build. None for anyone
    else, who is then asked the general rule (a later therapist reading shared history)."""
    if not user.is_authenticated:
        return None
    if user.is_patient:
        if not names:
            return _PATIENTS_OWN.first(pk=pk, patient_id=user.pk)
        return _with_names(_patients_own(pk, user.pk), names).first()
    if user.is_therapist and user.is_active:
        if not names:
            return _THERAPISTS_OWN.first(pk=pk, therapist_id=user.pk)
        return _with_names(_therapists_own(pk, user.pk), names).first()
    return None


def _patients_own(pk: int, patient_id: int) -> QuerySet[Conversation]:
    return Conversation.objects.filter(pk=pk, patient_id=patient_id)


def _therapists_own(pk: int, therapist_id: int) -> QuerySet[Conversation]:
    return Conversation.objects.filter(
        pk=pk,
        therapist_id=therapist_id,  # a therapist profile's key is its user's
        therapist__vetting_status=TherapistProfile.VettingStatus.APPROVED,
    )


# A send and a live fetch read their conversation this way: compiled once (core.prepared).
_PATIENTS_OWN = Prepared(_patients_own, "pk", "patient_id")
_THERAPISTS_OWN = Prepared(_therapists_own, "pk", "therapist_id")


def conversation_readable_by(*, user: User, pk: int) -> bool:
    """The same rule as ``conversation_get_for_user``, as a yes or no (for live sockets)."""
    return conversations_for_user(user=user).filter(pk=pk).exists()


def conversation_is_party(*, conversation: Conversation, user: User) -> bool:
    """The conversation's own patient or therapist (not a later therapist reading it)."""
    return user.pk in (conversation.patient_id, conversation.therapist_id)


def conversation_can_write(*, conversation: Conversation, user: User) -> bool:
    """Only the conversation's own patient and therapist write, and only while it is open; a
    former therapist, or a later one reading a patient's earlier conversation, only reads it."""
    return conversation.is_open and conversation_is_party(conversation=conversation, user=user)


def _unread_for(user: User) -> Q:
    """Messages waiting for ``user``: written to them (in a conversation of theirs, by the
    other side) and not read yet. A later therapist reading shared history has none there."""
    return (
        Q(read_at__isnull=True)
        & ~Q(sender=user)
        & (Q(conversation__patient=user) | Q(conversation__therapist_id=user.pk))
    )


def conversation_list_for_user(*, user: User) -> list[Conversation]:
    """The user's conversations, newest activity first, each with ``unread`` and
    ``last_activity`` annotated: one query however many there are."""
    is_party = Q(patient=user) | Q(therapist_id=user.pk)
    unread = Count(
        "messages",
        filter=Q(messages__read_at__isnull=True) & ~Q(messages__sender=user) & is_party,
    )
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


def _with_files(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Each message says whether it has files (``has_files``), in the query that finds it, so
    that their files are fetched only for the messages that have some (most have none)."""
    return messages.annotate(has_files=Exists(Attachment.objects.filter(message=OuterRef("pk"))))


def _files_loaded(messages: list[Message]) -> list[Message]:
    """Fetch the files of the messages that have some (one query, none when none has); a
    message not found through ``_with_files`` counts as having some."""
    prefetch_related_objects([m for m in messages if getattr(m, "has_files", True)], "attachments")
    return messages


def thread_messages(
    *, conversation: Conversation, before: int | None = None, limit: int = 50
) -> ThreadPage:
    """The latest ``limit`` messages, or the ``limit`` before message ``before`` ("load earlier
    messages"), oldest first, with their attachments: the same few queries whatever the
    thread's length. A ``before`` that is not a message of this conversation raises
    ``NotInConversation``."""
    messages = _with_files(conversation.messages.order_by("-created_at", "-pk"))
    if before is not None:
        cursor = conversation.messages.filter(pk=before).values_list("created_at", flat=True)
        sent_at = cursor.first()
        if sent_at is None:
            raise NotInConversation(before)
        messages = messages.filter(Q(created_at__lt=sent_at) | Q(created_at=sent_at, pk__lt=before))
    page = _files_loaded(list(messages[: limit + 1]))
    return ThreadPage(messages=list(reversed(page[:limit])), has_earlier=len(page) > limit)


AFTER_LIMIT = 50


def _messages_after(conversation_id: int, after: int) -> QuerySet[Message]:
    messages = Message.objects.filter(conversation_id=conversation_id, pk__gt=after)
    return _with_files(messages.order_by("created_at", "pk"))[:AFTER_LIMIT]


# Every message sent is fetched this way by the pages that have its thread open.
_MESSAGES_AFTER = Prepared(_messages_after, "conversation_id", "after")


def thread_messages_after(*, conversation: Conversation, after: int) -> list[Message]:
    """The messages of the conversation written after message ``after`` (by id: what a page
    that shows up to it has not seen), oldest first, at most ``AFTER_LIMIT``, with their
    attachments (one query, two when one of them has files): what an open page fetches when
    its socket says something new arrived or was seen."""
    messages = _MESSAGES_AFTER.all(conversation_id=conversation.pk, after=after)
    for message in messages:
        message.conversation = conversation
    return _files_loaded(messages)


def message_sent(*, conversation: Conversation, client_id) -> Message | None:
    """The message kept with this client id (the sender's idempotency key), or None; its
    files, if it has some, fetched with it."""
    messages = Message.objects.filter(conversation=conversation, client_id=client_id)
    message = _with_files(messages).first()
    return _files_loaded([message])[0] if message is not None else None


def message_body(message: Message) -> str:
    """The message's text, decrypted, for a reader the caller has checked."""
    return crypto.decrypt_text(message.body_encrypted)


def attachment_get_for_user(*, user: User, conversation_pk: int, pk: int) -> Attachment | None:
    """A file of a conversation this user may read, reached through that conversation, or
    None. Found, it is a read of the patient's file: logged for the patient (by anyone else)."""
    attachment = (
        Attachment.objects.filter(
            message__conversation__in=conversations_for_user(user=user),
            message__conversation_id=conversation_pk,
            pk=pk,
        )
        .annotate(patient_id=F("message__conversation__patient_id"))
        .first()
    )
    if attachment is not None:
        access_record(
            reader=user,
            patient_id=attachment.patient_id,  # type: ignore[attr-defined]
            kind=AccessEntry.Kind.ATTACHMENT,
            record_id=attachment.pk,
        )
    return attachment


def voice_get_for_user(*, user: User, conversation_pk: int, pk: int) -> Attachment | None:
    """A voice message's recording in a conversation this user may read (logged as any file
    is, ``attachment_get_for_user``), with its message; None for anything else."""
    attachment = attachment_get_for_user(user=user, conversation_pk=conversation_pk, pk=pk)
    if attachment is None or not attachment.is_voice:
        return None
    return attachment


def voice_can_delete(
    *, conversation: Conversation, message: Message, user: User, now: datetime
) -> bool:
    """Whether ``user`` may still take back this voice message of ``conversation`` (what the
    page offers and ``services.voice_message_delete`` checks): only the conversation's patient,
    their own, within VOICE_DELETE_WITHIN of sending it."""
    return (
        message.conversation_id == conversation.pk
        and message.sender_id == user.pk
        and conversation.patient_id == user.pk
        and now - message.created_at <= VOICE_DELETE_WITHIN
    )


# How long a patient may take back a voice message they sent (services.voice_message_delete).
VOICE_DELETE_WITHIN = timedelta(minutes=5)


def attachment_name(attachment: Attachment) -> str:
    return crypto.decrypt_text(attachment.name_encrypted)


def attachment_content(attachment: Attachment) -> tuple[str, bytes]:
    """The file's name and bytes, decrypted, for a reader the caller has checked."""
    with attachment.file.open("rb") as stored:
        data = crypto.decrypt_bytes(stored.read())
    return attachment_name(attachment), data


def unread_count(*, user: User) -> int:
    """How many messages wait for ``user`` in the conversations they may read: counted for every
    page's navigation and after every message that arrives, so a prepared count for each role
    (``_unread_messages``, compiled once)."""
    if user.is_authenticated and user.is_patient:
        return _PATIENTS_UNREAD.count(user_id=user.pk)
    if user.is_authenticated and user.is_therapist:
        return _THERAPISTS_UNREAD.count(user_id=user.pk)
    return 0  # nobody writes to anyone else


def _unread_messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(
        _unread_for(user), conversation__in=conversations_for_user(user=user)
    )


# Built for a stand-in of the role: the rules read the user's key and role, nothing else.
_PATIENTS_UNREAD = Prepared(
    lambda user_id: _unread_messages(User(pk=user_id, role=User.Role.PATIENT)), "user_id"
)
_THERAPISTS_UNREAD = Prepared(
    lambda user_id: _unread_messages(User(pk=user_id, role=User.Role.THERAPIST)), "user_id"
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
    last_is_voice: bool = False  # the last message is a voice message


def caseload_conversations(
    *, therapist: User, patient_ids: list[int]
) -> dict[int, ConversationBrief]:
    """For each of these patients of ``therapist``: their open conversation's unread count, last
    message and whether it waits for an answer (since when). Two queries, however many patients
    and messages: each answer a few index steps per conversation (``message_unread_idx``,
    ``message_thread_idx``, ``message_by_sender_idx``), never a pass over the history."""
    epoch = Value(datetime(1970, 1, 1, tzinfo=UTC))
    own = Message.objects.filter(conversation=OuterRef("pk"))
    therapist_last = Subquery(
        own.filter(sender_id=OuterRef("therapist_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    unread = (
        own.filter(read_at__isnull=True, sender_id=OuterRef("patient_id"))
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    conversations = (
        Conversation.objects.filter(
            therapist__user=therapist, patient_id__in=patient_ids, closed_at__isnull=True
        )
        .annotate(
            unread=Coalesce(Subquery(unread), 0),
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
    last = (
        Message.objects.only("sender_id", "created_at", "body_encrypted")
        .annotate(
            voice=Exists(
                Attachment.objects.filter(message=OuterRef("pk"), duration_ms__isnull=False)
            )
        )
        .in_bulk([row["last_id"] for row in rows if row["last_id"]])
    )
    crypto.data_keys_load(message.body_encrypted for message in last.values())
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
            last_is_voice=message is not None and message.voice,  # type: ignore[attr-defined]
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
    # PostgreSQL walks the messages itself and returns the median alone: fetching every message
    # of the window (thousands for a busy practice) cost the dashboard far more.
    walk = _reply_time_median if connection.vendor == "postgresql" else _reply_time_walk
    median, answers = walk(therapist_id=therapist_id, since=since, now=now)
    return median if answers >= REPLY_TIME_MIN_ANSWERS else None


def _reply_time_walk(
    *, therapist_id: int, since: datetime, now: datetime
) -> tuple[timedelta | None, int]:
    """``therapist_reply_time``'s median and number of answers, walking the messages here."""
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
    if not waits:
        return None, 0
    return timedelta(seconds=statistics.median(w.total_seconds() for w in waits)), len(waits)


# Each therapist message closes a run of the conversation: the messages since the therapist's
# previous one (``answered`` counts the therapist's messages before each message). A run with
# messages from the patient and the therapist's is one answer, waited for since the run's first.
_REPLY_TIME_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait), COUNT(*) FROM (
    SELECT MAX(created_at) FILTER (WHERE sender_id = %(therapist)s)
        - MIN(created_at) FILTER (WHERE sender_id <> %(therapist)s) AS wait
    FROM (
        SELECT m.conversation_id, m.sender_id, m.created_at,
            COUNT(*) FILTER (WHERE m.sender_id = %(therapist)s) OVER (
                PARTITION BY m.conversation_id ORDER BY m.created_at, m.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) AS answered
        FROM {message} m JOIN {conversation} c ON c.id = m.conversation_id
        WHERE c.therapist_id = %(therapist)s AND NOT m.live_session
            AND m.created_at >= %(since)s AND m.created_at <= %(now)s
    ) runs
    GROUP BY conversation_id, answered
) answers
WHERE wait IS NOT NULL
"""


def _reply_time_median(
    *, therapist_id: int, since: datetime, now: datetime
) -> tuple[timedelta | None, int]:
    """``_reply_time_walk`` in one query on PostgreSQL: the same median and count."""
    sql = _REPLY_TIME_SQL.format(
        message=Message._meta.db_table, conversation=Conversation._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"therapist": therapist_id, "since": since, "now": now})
        median, answers = cursor.fetchone()
    return median, answers


def match_therapist_reply_time(*, match_id: int, now: datetime) -> timedelta | None:
    """``therapist_reply_time`` for the therapist of this match (None for no such match)."""
    therapist_id = Match.objects.filter(pk=match_id).values_list("therapist_id", flat=True).first()
    if therapist_id is None:
        return None
    return therapist_reply_time(therapist_id=therapist_id, now=now)


# --- A person's own data, for their export (teletherapy.exports) -------------------------------


def _export_conversations(user: User) -> QuerySet[Conversation]:
    """A patient's own conversations, every one. A therapist's are none: what they wrote to a
    patient is part of that patient's record, which professional secrecy keeps from leaving
    the platform in anyone else's export (the patient's export holds it)."""
    if not user.is_patient:
        return Conversation.objects.none()
    return Conversation.objects.filter(patient=user).order_by("opened_at", "pk")


def _attachment_path(attachment: Attachment) -> str:
    # The id first: two files may share a name. get_valid_filename keeps a name that no archive
    # tool can read as a path ("../x" becomes "..x").
    name = attachment_name(attachment)
    return "files/messages/" + get_valid_filename(f"{attachment.pk}-{name}")


def person_export(*, user: User) -> dict:
    """A patient's conversations with each therapist, for their own export (GDPR art. 15 and
    20): every message with who wrote it, when, when it was read, its text, and its files
    (listed; the files themselves come from ``person_export_files``). Empty for a therapist
    (see ``_export_conversations``). JSON-able with ``DjangoJSONEncoder``."""
    if not user.is_patient:
        return {}
    conversations = _export_conversations(user).select_related("therapist")
    messages = Message.objects.filter(conversation__in=conversations).prefetch_related(
        "attachments"
    )
    by_conversation: dict[int, list[dict]] = {}
    for message in messages.order_by("created_at", "pk"):
        by_conversation.setdefault(message.conversation_id, []).append(
            {
                "id": message.pk,
                "from": "you" if message.sender_id == user.pk else "therapist",
                "sent_at": message.created_at,
                "read_at": message.read_at,
                "during_a_live_session": message.live_session,
                "text": message_body(message),
                "files": [
                    {
                        "name": attachment_name(attachment),
                        "type": attachment.content_type,
                        "size": attachment.size,
                        "file": _attachment_path(attachment),
                        **_voice_export(attachment),
                    }
                    for attachment in message.attachments.all()
                ],
            }
        )
    return {
        "conversations": [
            {
                "therapist": conversation.therapist.display_name,
                "opened_at": conversation.opened_at,
                "closed_at": conversation.closed_at,
                "messages": by_conversation.get(conversation.pk, []),
            }
            for conversation in conversations
        ]
    }


def _voice_export(attachment: Attachment) -> dict:
    """A voice message's recording says so, with its length and when it was first played."""
    if not attachment.is_voice:
        return {}
    assert attachment.duration_ms is not None
    return {
        "voice_message": True,
        "duration_seconds": attachment.duration_ms / 1000,
        "played_at": attachment.played_at,
    }


def person_export_files(*, user: User) -> list[tuple[str, Callable[[], bytes]]]:
    """The files of ``person_export``, decrypted, as (path in the archive, read its bytes):
    every file of the patient's conversations, sent by them or to them. Read only when
    written, one at a time."""
    attachments = Attachment.objects.filter(
        message__conversation__in=_export_conversations(user)
    ).order_by("pk")
    return [
        (_attachment_path(attachment), partial(_file_bytes, attachment))
        for attachment in attachments
    ]


def _file_bytes(attachment: Attachment) -> bytes:
    return attachment_content(attachment)[1]
