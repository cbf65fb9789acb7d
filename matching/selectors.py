"""Reads for matching: the candidates ranking works on, and what an intake asks for."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import TherapistLanguage, TherapistProfile, User
from accounts.selectors import therapists_visible_to_patients
from matching.choices import Instrument
from matching.models import (
    CheckinInvitation,
    EmergencyResource,
    Intake,
    Match,
    MatchRequest,
    Offer,
    ScreeningResult,
)
from matching.ranking import Candidate, PatientNeeds


def _licensed_for(country: str) -> Q:
    # A multiple CountryField is stored as "DE,FR,LU": match whole codes only, so "FR" never
    # matches inside a longer code. A regex is the one lookup both PostgreSQL and SQLite have.
    return Q(licensed_countries__regex=rf"(^|,){re.escape(country)}(,|$)")


def candidates_for(needs: PatientNeeds) -> list[Candidate]:
    """Approved therapists who may pass ``ranking.rank``'s hard filters, ready to rank.

    The cheap hard filters run in SQL; ``rank`` applies all of them again, so this may return
    more than it keeps, never less. Two queries, however many therapists there are.
    """
    if not needs.languages or not needs.country:
        return []
    # The one gate for therapists a patient may see: every candidate starts from it.
    therapists = (
        therapists_visible_to_patients()
        .filter(
            _licensed_for(needs.country),
            accepting_new_patients=True,
            # A semi-join: one row per therapist, however many of the languages they speak.
            pk__in=TherapistLanguage.objects.filter(language__in=needs.languages).values(
                "therapist_id"
            ),
        )
        .exclude(pk__in=needs.excluded_therapist_ids)
    )
    rows = list(
        therapists.annotate(
            active_patients=Count("matches", filter=Q(matches__status=Match.Status.ACTIVE))
        )
        .filter(active_patients__lt=F("caseload_limit"))
        .values_list(
            "pk",
            "gender",
            "faith",
            "specialities",
            "modalities",
            "licensed_countries",
            "accepting_new_patients",
            "caseload_limit",
            "active_patients",
        )
        .order_by("pk")
    )
    if not rows:
        return []
    spoken = defaultdict(set)
    # The same filters as a subquery (without the caseload count): one query for every
    # therapist's languages, not one per therapist.
    languages = TherapistLanguage.objects.filter(therapist__in=therapists.values("pk"))
    for therapist_id, language in languages.values_list("therapist_id", "language"):
        spoken[therapist_id].add(language)
    return [
        Candidate(
            therapist_id=pk,
            languages=frozenset(spoken[pk]),
            licensed_countries=frozenset(code for code in countries.split(",") if code),
            modalities=frozenset(modalities or ()),
            specialities=frozenset(specialities or ()),
            gender=gender,
            faith=faith,
            accepting_new_patients=accepting,
            caseload_limit=caseload_limit,
            active_patients=active_patients,
            # Availability lives in the scheduling app, which builds on matching and so cannot
            # be read from here; until it provides it, availability counts as unknown (neutral).
            free_times=None,
            free_days=None,
        )
        for (
            pk,
            gender,
            faith,
            specialities,
            modalities,
            countries,
            accepting,
            caseload_limit,
            active_patients,
        ) in rows
    ]


def needs_from_intake(
    intake: Intake, *, excluded_therapist_ids: frozenset[int] = frozenset()
) -> PatientNeeds:
    """What ranking needs from an intake; ``excluded_therapist_ids`` are never ranked."""
    return PatientNeeds(
        concerns=tuple(dict.fromkeys(intake.concerns)),
        languages=tuple(dict.fromkeys(intake.languages)),
        country=intake.country.code or "",
        modality=intake.modality,
        modality_required=intake.modality_required,
        therapist_gender=intake.therapist_gender,
        wants_lgbt_specialist=intake.wants_lgbt_specialist,
        faith=intake.faith,
        preferred_times=frozenset(intake.preferred_times),
        preferred_days=frozenset(int(day) for day in intake.preferred_days),
        excluded_therapist_ids=frozenset(excluded_therapist_ids),
    )


def therapists_previously_matched(patient: User) -> frozenset[int]:
    """Therapists this patient must not be offered to again.

    Every therapist they were ever matched with (a switch means the patient moved on), and every
    therapist who declined them or let an offer to them expire: a patient is never offered twice
    to a therapist who already turned them down. Withdrawn offers do not count: the therapist
    never said no.
    """
    matched = Match.objects.filter(patient=patient).values_list("therapist_id", flat=True)
    refused = Offer.objects.filter(
        request__patient=patient, status__in=[Offer.Status.DECLINED, Offer.Status.EXPIRED]
    ).values_list("therapist_id", flat=True)
    # One query; without order_by() the union would inherit Match's default ordering.
    return frozenset(matched.order_by().union(refused.order_by()).order_by())


def emergency_resources_for(*, country: str) -> list[EmergencyResource]:
    """The numbers to call where the patient lives; without a country, the European ones
    every visitor may need (112, and France's 3114)."""
    resources = list(EmergencyResource.objects.all())
    if country:
        return [r for r in resources if country in {c.code for c in r.countries}]
    return [r for r in resources if "FR" in {c.code for c in r.countries}]


def patient_matching_state(*, patient: User) -> dict:
    """Where the patient stands: their therapist, or the search under way, or neither."""
    match = (
        Match.objects.filter(patient=patient, status=Match.Status.ACTIVE)
        .select_related("therapist")
        .first()
    )
    request = None
    if match is None:
        request = MatchRequest.objects.filter(
            patient=patient, status=MatchRequest.Status.OPEN
        ).first()
    return {"match": match, "request": request}


def patient_get_for_therapist(*, therapist: User, patient_id: int) -> Match:
    """The active match of this patient with this (approved) therapist, or 404.

    The one check for a therapist reading anything about a patient: after a switch the former
    therapist gets 404, as does every other therapist.
    """
    matches = Match.objects.filter(
        status=Match.Status.ACTIVE,
        therapist__in=therapists_visible_to_patients().filter(user=therapist),
    ).select_related("patient__patient_profile", "request__intake")
    return get_object_or_404(matches, patient_id=patient_id)


def therapist_caseload(*, therapist: User) -> list[Match]:
    return list(
        Match.objects.filter(status=Match.Status.ACTIVE, therapist__user=therapist)
        .select_related("patient__patient_profile")
        .order_by("patient__patient_profile__nickname")
    )


def latest_intake(*, patient: User) -> Intake | None:
    return Intake.objects.filter(patient=patient).first()


def latest_screenings(*, patient: User) -> dict[str, ScreeningResult]:
    """The most recent PHQ-9 and GAD-7 of the patient, by instrument."""
    latest: dict[str, ScreeningResult] = {}
    for result in ScreeningResult.objects.filter(patient=patient).order_by("-taken_at", "-pk"):
        latest.setdefault(result.instrument, result)
    return latest


def therapist_display_names(ids: list[int]) -> dict[int, str]:
    return dict(
        therapists_visible_to_patients().filter(pk__in=ids).values_list("pk", "display_name")
    )


def therapist_pending_offers(*, therapist: TherapistProfile, now=None) -> QuerySet[Offer]:
    """Offers still waiting for this therapist's answer, soonest deadline first (an offer past
    its deadline is not shown even before the sweep expires it)."""
    return (
        Offer.objects.filter(
            therapist=therapist, status=Offer.Status.PENDING, expires_at__gt=now or timezone.now()
        )
        .select_related("request__patient__patient_profile")
        .order_by("expires_at", "pk")
    )


def offer_get_for_therapist(*, therapist: TherapistProfile, pk: int) -> Offer:
    """One of this therapist's own offers, or 404."""
    offers = Offer.objects.select_related("request__intake", "request__patient__patient_profile")
    return get_object_or_404(offers, pk=pk, therapist=therapist)


def intake_screenings(*, intake: Intake) -> list[ScreeningResult]:
    """The PHQ-9 and GAD-7 taken with this intake, PHQ-9 first."""
    return list(ScreeningResult.objects.filter(intake=intake).order_by("-instrument"))


# --- Progress: check-ins ------------------------------------------------------------------------


def screening_history(*, patient: User) -> list[ScreeningResult]:
    """Every PHQ-9 and GAD-7 of the patient, intake and check-ins alike, oldest first."""
    return list(ScreeningResult.objects.filter(patient=patient).order_by("taken_at", "pk"))


@dataclass(frozen=True)
class CheckinStatus:
    """When a patient with a therapist is next asked to retake PHQ-9 and GAD-7."""

    last_taken_at: datetime  # the older of their latest PHQ-9 and GAD-7 (else the match's start)
    due_at: datetime
    is_due: bool


def _checkin_interval() -> timedelta:
    return timedelta(days=settings.CHECKIN_INTERVAL_DAYS)


def _last_checkin() -> Least:
    """For a Match row: when its patient last took the check-in, the older of their latest
    PHQ-9 and GAD-7; without one, the match's start counts."""

    def latest(instrument: str) -> Coalesce:
        taken = ScreeningResult.objects.filter(
            patient=OuterRef("patient"), instrument=instrument
        ).order_by("-taken_at", "-pk")
        return Coalesce(Subquery(taken.values("taken_at")[:1]), F("started_at"))

    return Least(latest(Instrument.PHQ9), latest(Instrument.GAD7))


def _current_matches() -> QuerySet[Match]:
    return Match.objects.filter(status=Match.Status.ACTIVE, patient__is_active=True)


def checkin_status(*, patient: User, now: datetime | None = None) -> CheckinStatus | None:
    """When this patient's next check-in is due; None without a current therapist (nobody
    follows their progress, so nobody asks). Due from ``CHECKIN_INTERVAL_DAYS`` after the
    last one, that very instant included."""
    last = (
        _current_matches()
        .filter(patient=patient)
        .annotate(last_checkin=_last_checkin())
        .values_list("last_checkin", flat=True)
        .first()
    )
    if last is None:
        return None
    due_at = last + _checkin_interval()
    return CheckinStatus(
        last_taken_at=last, due_at=due_at, is_due=due_at <= (now or timezone.now())
    )


def checkin_due(*, patient: User, now: datetime | None = None) -> bool:
    """Whether to show this patient "Retake my check-in" (their home page)."""
    status = checkin_status(patient=patient, now=now)
    return status is not None and status.is_due


def checkin_invitations_due(*, now: datetime) -> list[tuple[int, datetime]]:
    """(patient id, last check-in) of every patient with a current therapist whose check-in is
    due and who has not been invited for this period yet."""
    already_invited = CheckinInvitation.objects.filter(
        patient=OuterRef("patient"), period_start=OuterRef("last_checkin")
    )
    return list(
        _current_matches()
        .annotate(last_checkin=_last_checkin())
        .filter(last_checkin__lte=now - _checkin_interval())
        .exclude(Exists(already_invited))
        .order_by("patient_id")
        .values_list("patient_id", "last_checkin")
    )


# --- The practitioner dashboard -----------------------------------------------------------------


@dataclass(frozen=True)
class ScoreTrend:
    """A patient's latest score on one questionnaire, and how it moved since the one before."""

    latest: ScreeningResult
    change: int | None  # latest minus previous score; None with a single result

    @property
    def amount(self) -> int | None:
        """How far it moved, whichever way."""
        return None if self.change is None else abs(self.change)

    @property
    def direction(self) -> str:
        """ "better", "worse", "same" (lower scores mean less difficulty) or "" (first score)."""
        if self.change is None:
            return ""
        if self.change == 0:
            return "same"
        return "better" if self.change < 0 else "worse"


def screening_trends(*, patient_ids: list[int]) -> dict[int, dict[str, ScoreTrend]]:
    """For each patient, by instrument: their latest PHQ-9 / GAD-7 and its change since the one
    before. One query (a patient has one result per instrument every few weeks)."""
    history: dict[tuple[int, str], list[ScreeningResult]] = defaultdict(list)
    results = ScreeningResult.objects.filter(patient_id__in=patient_ids).order_by("taken_at", "pk")
    for result in results:
        history[result.patient_id, result.instrument].append(result)
    trends: dict[int, dict[str, ScoreTrend]] = defaultdict(dict)
    for (patient_id, instrument), taken in history.items():
        change = taken[-1].score - taken[-2].score if len(taken) > 1 else None
        trends[patient_id][instrument] = ScoreTrend(latest=taken[-1], change=change)
    return dict(trends)


def therapist_offer_briefs(*, therapist: TherapistProfile, now: datetime) -> list[dict]:
    """The offers waiting for this therapist's answer, soonest deadline first, each with what
    the therapist needs to decide: ``offer``, ``intake``, ``screenings`` (PHQ-9 first). Two
    queries, however many offers."""
    offers = list(
        therapist_pending_offers(therapist=therapist, now=now).select_related("request__intake")
    )
    intakes = [offer.request.intake_id for offer in offers if offer.request.intake_id]
    screenings: dict[int, list[ScreeningResult]] = defaultdict(list)
    for result in ScreeningResult.objects.filter(intake_id__in=intakes).order_by("-instrument"):
        screenings[result.intake_id].append(result)
    return [
        {
            "offer": offer,
            "intake": offer.request.intake,
            "screenings": screenings.get(offer.request.intake_id, []),
        }
        for offer in offers
    ]
