from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.selectors import approved_therapist_profile
from matching.models import Match
from messaging.models import Conversation, Message


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


def thread_messages(*, conversation: Conversation, limit: int = 50) -> list[Message]:
    """The latest ``limit`` messages, oldest first: one query, whatever the thread's length."""
    latest = conversation.messages.select_related("sender").order_by("-created_at", "-pk")
    return list(reversed(latest[:limit]))


def unread_count(*, user: User) -> int:
    return (
        Message.objects.filter(
            conversation__in=conversations_for_user(user=user), read_at__isnull=True
        )
        .exclude(sender=user)
        .count()
    )
