"""Offers, matches and the 24-hour promise.

A patient's open ``MatchRequest`` has at most one pending ``Offer`` at a time, to the best
therapist not yet asked. The therapist accepts (a ``Match`` starts) or declines (the next one is
asked); an offer left unanswered expires. ``matching_sweep`` (Celery beat, every minute) expires
offers, offers again, and at the deadline tells staff and the patient. A search for which no
therapist can see the patient at all waits on the waiting list (``MatchRequest.waiting_since``)
instead, without the 24-hour promise, until one can: the sweep releases it, emails the patient
once, and the promise starts then. Every write locks the request row first, so the sweeps, the
therapists and staff never step on each other.

Emails say that something happened and link to a page behind a login: never a name, a concern,
a score or anything else from the intake.
"""

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import (
    approved_therapist_profile,
    staff_emails,
    therapists_visible_to_patients,
)
from core import realtime
from core.mail import send_templated_mail, site_link
from matching import selectors
from matching.models import Match, MatchRequest, Offer
from matching.ranking import rank
from matching.signals import match_started


class OfferError(Exception):
    """The offer or assignment cannot happen as asked; the message says why, for the person
    who asked (a therapist or staff)."""


def _request_locked(request_id: int, *, skip_locked: bool = False) -> MatchRequest | None:
    """The request, its row locked until the transaction ends; None when another transaction
    holds it and ``skip_locked`` (a concurrent sweep is dealing with it)."""
    return (
        MatchRequest.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=request_id)
        .first()
    )


# --- Offering ----------------------------------------------------------------------------------


@transaction.atomic
def offer_next(*, request: MatchRequest, now: datetime | None = None) -> Offer | None:
    """Offer the request to the best therapist not yet asked; None when there is nothing to do.

    Nothing for a request that is not open or already has an offer out, nor when no therapist
    passes the hard filters (the sweep tries again; the 24-hour escalation covers the promise).
    Never a therapist the patient was matched with before, one who declined them or let an
    offer expire, nor one already asked in this request. The therapist the patient chose when
    switching comes first while they still pass the hard filters.
    """
    now = now or timezone.now()
    locked = _request_locked(request.pk)
    if locked is None or locked.status != MatchRequest.Status.OPEN:
        return None
    request = locked
    if request.offers.filter(status=Offer.Status.PENDING).exists():
        return None
    asked = set(request.offers.values_list("therapist_id", flat=True))
    excluded = selectors.therapists_previously_matched(request.patient) | asked
    needs = selectors.needs_from_intake(request.intake, excluded_therapist_ids=excluded)
    candidates = selectors.candidates_for(needs)
    best = []
    if request.preferred_therapist_id is not None:
        chosen = request.preferred_therapist_id
        best = rank(needs, [c for c in candidates if c.therapist_id == chosen], limit=1)
    if not best:
        best = rank(needs, candidates, limit=1)
    if not best:
        return None
    ranked = best[0]
    try:
        # A savepoint: should the constraints refuse the offer, the transaction goes on.
        with transaction.atomic():
            offer = Offer.objects.create(
                request=request,
                therapist_id=ranked.therapist_id,
                score=ranked.score,
                reasons=ranked.reasons_as_json(),
                created_at=now,
                expires_at=now + timedelta(hours=settings.MATCHING_OFFER_HOURS),
            )
    except IntegrityError:
        return None  # one pending offer per request, one offer per therapist: never two
    _email_therapist_offer(offer_id=offer.pk)
    realtime.send_to_users([offer.therapist_id], {"kind": "offer.new", "id": offer.pk})
    return offer


# --- Answers -----------------------------------------------------------------------------------


def _offer_for_answer(
    *, offer_id: int, therapist: User, now: datetime
) -> tuple[Offer, MatchRequest]:
    """The offer and its request, both locked, if this therapist may answer it now."""
    offer = Offer.objects.filter(pk=offer_id).first()
    if offer is None or not therapist.is_therapist or offer.therapist_id != therapist.pk:
        raise OfferError(_("This offer is not addressed to you."))
    # The request first, as everywhere else, then the offer itself.
    request = MatchRequest.objects.select_for_update().get(pk=offer.request_id)
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if approved_therapist_profile(user=therapist) is None:
        raise OfferError(_("Only approved therapists can answer offers."))
    if offer.status != Offer.Status.PENDING:
        raise OfferError(
            _("This offer is no longer open: %(status)s.")
            % {"status": offer.get_status_display().lower()}
        )
    if offer.expires_at <= now:
        raise OfferError(_("The time to answer this offer has passed."))
    return offer, request


def _match_start(
    *,
    request: MatchRequest,
    therapist_id: int,
    reasons: list,
    now: datetime,
    accepted: Offer | None,
) -> Match:
    """Start the match of a (locked, open) request; every other pending offer is withdrawn."""
    if Match.objects.filter(patient_id=request.patient_id, status=Match.Status.ACTIVE).exists():
        raise OfferError(_("This person already has a therapist."))
    pending = request.offers.filter(status=Offer.Status.PENDING)
    if accepted is not None:
        pending = pending.exclude(pk=accepted.pk)
    pending.update(status=Offer.Status.WITHDRAWN, responded_at=now)
    match = Match.objects.create(
        patient_id=request.patient_id,
        therapist_id=therapist_id,
        request=request,
        reasons=reasons,
        earlier_history_shared=request.share_earlier_history,
        started_at=now,
    )
    request.status = MatchRequest.Status.MATCHED
    request.save(update_fields=["status"])
    _email_patient_match(match_id=match.pk)
    transaction.on_commit(partial(match_started.send, sender=Match, match_id=match.pk), robust=True)
    realtime.send_to_users(
        [request.patient_id, therapist_id], {"kind": "match.started", "id": match.pk}
    )
    return match


@transaction.atomic
def offer_accept(*, offer_id: int, therapist: User, now: datetime | None = None) -> Match:
    """The therapist takes the patient on: the match starts and the patient is told.

    Only the offer's own therapist, approved, while the offer is pending and not past
    ``expires_at``; ``OfferError`` otherwise.
    """
    now = now or timezone.now()
    offer, request = _offer_for_answer(offer_id=offer_id, therapist=therapist, now=now)
    if request.status != MatchRequest.Status.OPEN:
        raise OfferError(_("This person is no longer looking for a therapist."))
    # Conditional, on top of the locks: an offer is accepted once or not at all.
    accepted = Offer.objects.filter(
        pk=offer.pk, status=Offer.Status.PENDING, expires_at__gt=now
    ).update(status=Offer.Status.ACCEPTED, responded_at=now)
    if not accepted:
        raise OfferError(_("The time to answer this offer has passed."))
    return _match_start(
        request=request,
        therapist_id=offer.therapist_id,
        reasons=offer.reasons,
        now=now,
        accepted=offer,
    )


@transaction.atomic
def offer_decline(
    *, offer_id: int, therapist: User, reason: str, now: datetime | None = None
) -> Offer:
    """The therapist cannot take the patient on (the reason is for staff); the next therapist
    is asked at once. Same conditions as ``offer_accept``, and a reason is required."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise OfferError(_("Give a reason for declining; only our team reads it."))
    offer, request = _offer_for_answer(offer_id=offer_id, therapist=therapist, now=now)
    offer.status = Offer.Status.DECLINED
    offer.decline_reason = reason
    offer.responded_at = now
    offer.save(update_fields=["status", "decline_reason_encrypted", "responded_at"])
    offer_next(request=request, now=now)
    return offer


@transaction.atomic
def match_request_assign(
    *, request_id: int, therapist_id: int, actor: User, now: datetime | None = None
) -> Match:
    """Staff choose the therapist themselves (after the 24-hour escalation, typically).

    Any approved, active therapist: the hard filters of matching do not apply, staff know
    best. The pending offer, if any, is withdrawn; then as if the therapist had accepted.
    """
    now = now or timezone.now()
    if not (actor.is_active and actor.is_staff):
        raise OfferError(_("Only staff assign a therapist."))
    request = _request_locked(request_id)
    if request is None or request.status != MatchRequest.Status.OPEN:
        raise OfferError(_("This person is no longer looking for a therapist."))
    if not therapists_visible_to_patients().filter(pk=therapist_id).exists():
        raise OfferError(_("Only an approved, active therapist can be assigned."))
    needs = selectors.needs_from_intake(request.intake)
    # The reasons the patient will read, when the therapist passes the hard filters.
    ranked = rank(
        needs, [c for c in selectors.candidates_for(needs) if c.therapist_id == therapist_id]
    )
    reasons = ranked[0].reasons_as_json() if ranked else []
    match = _match_start(
        request=request, therapist_id=therapist_id, reasons=reasons, now=now, accepted=None
    )
    _email_therapist_assigned(match_id=match.pk)
    return match


# --- The sweep ---------------------------------------------------------------------------------


def therapist_offers_withdraw(*, therapist_id: int, now: datetime | None = None) -> int:
    """A therapist no longer approved: their pending offers pass at once to the next candidate."""
    withdrawn = 0
    request_ids = Offer.objects.filter(
        therapist_id=therapist_id, status=Offer.Status.PENDING
    ).values_list("request_id", flat=True)
    for request_id in list(request_ids):
        with transaction.atomic():
            request = MatchRequest.objects.select_for_update().get(pk=request_id)
            withdrawn += request.offers.filter(
                therapist_id=therapist_id, status=Offer.Status.PENDING
            ).update(status=Offer.Status.WITHDRAWN, responded_at=now or timezone.now())
            offer_next(request=request, now=now)
    return withdrawn


def matching_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Expire unanswered offers and ask the next therapist; ask again where nobody could be
    asked before; at the deadline, tell staff and the patient, once.

    Idempotent and safe when two sweeps run at once: each request is handled in its own
    transaction under its row lock, and a request another sweep holds is left to that sweep.
    Returns how many offers expired, how many were made, and how many requests escalated.
    """
    now = now or timezone.now()
    counts = {"expired": 0, "released": 0, "offered": 0, "escalated": 0}
    tried: set[int] = set()
    expiring = (
        Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now)
        .values_list("request_id", flat=True)
        .distinct()
        .order_by("request_id")
    )
    for request_id in list(expiring):
        with transaction.atomic():
            request = _request_locked(request_id, skip_locked=True)
            if request is None:
                continue
            counts["expired"] += request.offers.filter(
                status=Offer.Status.PENDING, expires_at__lte=now
            ).update(status=Offer.Status.EXPIRED)
            counts["offered"] += offer_next(request=request, now=now) is not None
            tried.add(request_id)
    # A therapist may see someone on the waiting list now (approved, licensed, opted in …).
    counts["released"] = waiting_list_release(now=now)
    # Therapists may have become available (approved, accepting again, a place freed).
    waiting = (
        MatchRequest.objects.filter(status=MatchRequest.Status.OPEN, waiting_since__isnull=True)
        .exclude(Exists(Offer.objects.filter(request=OuterRef("pk"), status=Offer.Status.PENDING)))
        .values_list("pk", flat=True)
        .order_by("deadline", "pk")
    )
    for request_id in list(waiting):
        if request_id in tried:
            continue
        with transaction.atomic():
            request = _request_locked(request_id, skip_locked=True)
            if request is None:
                continue
            counts["offered"] += offer_next(request=request, now=now) is not None
    late = MatchRequest.objects.filter(
        status=MatchRequest.Status.OPEN,
        deadline__lte=now,
        escalated_at__isnull=True,
        waiting_since__isnull=True,  # told at once that nobody could see them yet
    ).values_list("pk", flat=True)
    for request_id in list(late):
        with transaction.atomic():
            request = (
                MatchRequest.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=request_id,
                    status=MatchRequest.Status.OPEN,
                    deadline__lte=now,
                    escalated_at__isnull=True,
                    waiting_since__isnull=True,
                )
                .first()
            )
            if request is None:
                continue
            request.escalated_at = now
            request.save(update_fields=["escalated_at"])
            _email_escalation(request_id=request.pk)
            counts["escalated"] += 1
    return counts


# --- The waiting list ----------------------------------------------------------------------


def waiting_list_release(*, now: datetime | None = None) -> int:
    """Take off the waiting list every search for which a therapist can now be found: the
    24-hour promise starts now, the patient is emailed (without content) and the first offer
    goes out. Returns how many.

    Called by the sweep and as soon as a therapist is approved or opts in to see patients
    abroad. Idempotent and safe when two run at once: each request is released under its row
    lock, only while still waiting, so its email goes out exactly once.
    """
    now = now or timezone.now()
    released = 0
    for waiting in list(selectors.waiting_requests()):
        if not selectors.request_can_be_served(waiting):
            continue
        with transaction.atomic():
            request = (
                MatchRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=waiting.pk, status=MatchRequest.Status.OPEN, waiting_since__isnull=False)
                .first()
            )
            if request is None:
                continue
            request.waiting_since = None
            request.deadline = now + timedelta(hours=settings.MATCHING_PROMISE_HOURS)
            request.save(update_fields=["waiting_since", "deadline"])
            _email_patient_waiting_over(request_id=request.pk)
            offer_next(request=request, now=now)
            released += 1
    return released


# --- Emails (after commit; ids in, fresh reads) ------------------------------------------------


def _email_therapist_offer(*, offer_id: int) -> None:
    offer = Offer.objects.select_related("therapist__user").get(pk=offer_id)
    user = offer.therapist.user
    # The deadline in the therapist's own zone: the template's date filter converts to it.
    with timezone.override(ZoneInfo(user.time_zone)):
        send_templated_mail(
            template="emails/matching_offer.txt",
            to=[user.email],
            language=user.language,
            context={
                "expires_at": offer.expires_at,
                "time_zone": user.time_zone,
                "link": site_link("offer_detail", offer.pk),
            },
        )


def _email_patient_match(*, match_id: int) -> None:
    patient = Match.objects.select_related("patient").get(pk=match_id).patient
    send_templated_mail(
        template="emails/matching_found.txt",
        to=[patient.email],
        language=patient.language,
        context={"link": site_link("my_therapist")},
    )


def _email_therapist_assigned(*, match_id: int) -> None:
    match = Match.objects.select_related("therapist__user").get(pk=match_id)
    user = match.therapist.user
    send_templated_mail(
        template="emails/matching_assigned.txt",
        to=[user.email],
        language=user.language,
        context={"link": site_link("therapist_patient", match.patient_id)},
    )


def _email_escalation(*, request_id: int) -> None:
    request = MatchRequest.objects.select_related("patient").get(pk=request_id)
    send_templated_mail(
        template="emails/matching_escalated_staff.txt",
        to=staff_emails(),
        language=settings.LANGUAGE_CODE,
        context={
            "hours": settings.MATCHING_PROMISE_HOURS,
            "link": site_link("admin:matching_matchrequest_change", request.pk),
        },
    )
    send_templated_mail(
        template="emails/matching_escalated_patient.txt",
        to=[request.patient.email],
        language=request.patient.language,
        context={"hours": settings.MATCHING_PROMISE_HOURS, "link": site_link("home")},
    )


def _email_patient_waiting_over(*, request_id: int) -> None:
    patient = MatchRequest.objects.select_related("patient").get(pk=request_id).patient
    send_templated_mail(
        template="emails/matching_waiting_over.txt",
        to=[patient.email],
        language=patient.language,
        context={"hours": settings.MATCHING_PROMISE_HOURS, "link": site_link("home")},
    )
