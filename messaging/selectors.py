from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.selectors import therapists_visible_to_patients
from matching.models import Match
from messaging.models import Conversation


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
    if not user.is_therapist:
        return Conversation.objects.none()
    if not therapists_visible_to_patients().filter(user=user).exists():
        return Conversation.objects.none()
    active = Match.objects.filter(therapist__user=user, status=Match.Status.ACTIVE)
    shared_with = active.filter(earlier_history_shared=True).values("patient_id")
    return Conversation.objects.filter(Q(match__in=active) | Q(patient_id__in=shared_with))


def conversation_get_for_user(*, user: User, pk: int) -> Conversation:
    """One conversation this user may read, or 404."""
    return get_object_or_404(
        conversations_for_user(user=user).select_related("therapist", "patient"), pk=pk
    )
