"""Changing therapist: a few clicks, at any time, without having to explain."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from matching import selectors
from matching.models import Match, MatchRequest
from matching.ranking import Ranked, rank
from matching.services.intake import match_request_open
from matching.signals import match_ended


class SwitchError(Exception):
    """The change cannot happen as asked; the message says why, for the patient."""


def switch_candidates(*, patient: User, limit: int = 3) -> list[Ranked]:
    """The next therapists matching would propose, without the current or any former one."""
    intake = selectors.latest_intake(patient=patient)
    if intake is None:
        return []
    excluded = selectors.therapists_previously_matched(patient)
    needs = selectors.needs_from_intake(intake, excluded_therapist_ids=excluded)
    return rank(needs, selectors.candidates_for(needs), limit=limit)


@transaction.atomic
def match_switch(
    *,
    patient: User,
    reason: str,
    share_earlier_history: bool,
    chosen_therapist_id: int | None = None,
    now=None,
) -> MatchRequest:
    """End the patient's current match at once and look for the next therapist.

    The former therapist loses access from this moment (selectors check for an active match);
    apps above matching react to ``match_ended`` (closing the conversation, cancelling future
    appointments). ``chosen_therapist_id`` must be one of ``switch_candidates``; it is offered
    first. The new search runs under the same 24-hour promise.
    """
    now = now or timezone.now()
    match = (
        Match.objects.select_for_update()
        .filter(patient=patient, status=Match.Status.ACTIVE)
        .first()
    )
    if match is None:
        raise SwitchError("no active match")
    intake = selectors.latest_intake(patient=patient)
    if intake is None:
        raise SwitchError("no intake")
    if chosen_therapist_id is not None:
        proposed = {ranked.therapist_id for ranked in switch_candidates(patient=patient)}
        if chosen_therapist_id not in proposed:
            raise SwitchError("not proposed")
    match.status = Match.Status.ENDED
    match.ended_at = now
    match.end_reason = reason.strip()
    match.save(update_fields=["status", "ended_at", "end_reason"])
    transaction.on_commit(
        lambda: match_ended.send(sender=Match, match_id=match.pk, reason="switch")
    )
    request = match_request_open(patient=patient, intake=intake, now=now)
    request.preferred_therapist_id = chosen_therapist_id
    request.share_earlier_history = share_earlier_history
    request.save(update_fields=["preferred_therapist", "share_earlier_history"])
    return request
