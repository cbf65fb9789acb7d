"""Changing therapist: a few clicks, at any time, without having to explain."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import realtime
from core.mail import send_templated_mail, site_link
from matching import selectors
from matching.models import Match, MatchRequest
from matching.services.intake import match_request_open
from matching.signals import match_ended


class SwitchError(Exception):
    """The change cannot happen as asked; the message says why, for the patient."""


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

    The former therapist loses access from this moment (selectors check for an active match),
    is emailed that a patient moved on (no name, no reason) and their open pages get a
    ``match.ended`` event; apps above matching react to ``match_ended`` (closing the
    conversation, cancelling future appointments: ``selectors.match_end_preview`` says which
    before the patient confirms). ``chosen_therapist_id`` must be one of
    ``selectors.switch_candidates``; it is offered first. The new search runs under the same
    24-hour promise.
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
        proposed = {ranked.therapist_id for ranked in selectors.switch_candidates(patient=patient)}
        if chosen_therapist_id not in proposed:
            raise SwitchError("not proposed")
    match.status = Match.Status.ENDED
    match.ended_at = now
    match.end_reason = reason.strip()
    match.save(update_fields=["status", "ended_at", "end_reason_encrypted"])
    transaction.on_commit(
        lambda: match_ended.send(sender=Match, match_id=match.pk, reason="switch"), robust=True
    )
    _email_former_therapist(match_id=match.pk)
    # Ids only: the former therapist's open dashboard drops the patient from the caseload.
    realtime.send_to_users(
        [match.therapist_id, patient.pk], {"kind": "match.ended", "id": match.pk}
    )
    request = match_request_open(patient=patient, intake=intake, now=now)
    assert request is not None  # the match ended above: nothing stops a new search
    request.preferred_therapist_id = chosen_therapist_id
    request.share_earlier_history = share_earlier_history
    request.save(update_fields=["preferred_therapist", "share_earlier_history"])
    return request


def _email_former_therapist(*, match_id: int) -> None:
    therapist = Match.objects.select_related("therapist__user").get(pk=match_id).therapist.user
    send_templated_mail(
        template="emails/matching_ended_therapist.txt",
        to=[therapist.email],
        language=therapist.language,
        context={"link": site_link("home")},
    )
