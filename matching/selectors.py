"""Every read of the matching app: the intake draft, the candidates ranking works on (and the
jurisdiction rule), the waiting list, emergency numbers, offers, matches, check-ins and
progress. Selectors never write and never answer 404: they return None, the view decides.

One exception to "never write", on purpose: the selectors that let a therapist read a patient's
record (``patient_get_for_therapist``, ``offer_get_for_therapist``, ``therapist_offer_briefs``,
``therapist_caseload``) write the read to the patient's access log (``audit.services``) as they
grant it, so that no page reaching the record can forget to (docs/architecture.md, *Access
log*)."""

import contextlib
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, Least, RowNumber
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import TherapistLanguage, TherapistProfile, User
from accounts.selectors import therapists_visible_to_patients
from audit.models import AccessEntry
from audit.services import access_record, access_record_many
from core import crypto
from matching.choices import Instrument
from matching.models import (
    AbroadPractice,
    CheckinInvitation,
    EmergencyNumber,
    EmergencyResource,
    Goal,
    GoalStep,
    Intake,
    JournalEntry,
    JournalShare,
    Match,
    MatchRequest,
    Offer,
    SafetyFlag,
    ScreeningResult,
    Worksheet,
    WorksheetAssignment,
)
from matching.ranking import Candidate, PatientNeeds, Ranked, rank
from matching.signals import match_end_previewed, therapist_page_requested

# The intake questionnaire's steps, in order; the session keeps one dict of answers per step.
INTAKE_STEPS = (
    "concerns",
    "goals",
    "phq9",
    "gad7",
    "preferences",
    "place",
    "practical",
    "nickname",
)
# The intake's answers so far, in the browser session of a visitor (or a patient) who has not
# sent them yet.
INTAKE_DRAFT_SESSION_KEY = "intake"


def intake_draft(*, session: SessionBase) -> dict:
    """The answers given so far in this browser session, by step (kept sealed: see
    ``services.intake_draft_save``)."""
    answers = crypto.open_json(session.get(INTAKE_DRAFT_SESSION_KEY), {})
    return answers if isinstance(answers, dict) else {}


def intake_draft_next_step(answers: dict) -> str | None:
    """The first step without answers (None when every step has some): nobody skips ahead."""
    return next((step for step in INTAKE_STEPS if step not in answers), None)


def intake_step_initial(*, step: str, answers: dict, user: User | None, time_zone: str) -> dict:
    """What a step's form shows first: the answers given before, else what the patient's
    profile (``user``, None for a visitor) or the browser's ``time_zone`` already tell."""
    if step in (Instrument.PHQ9, Instrument.GAD7):
        saved = answers.get(step, {}).get("answers", [])
        return {f"q{number}": value for number, value in enumerate(saved, start=1)}
    initial = dict(answers.get(step, {}))
    profile = user.patient_profile if user is not None and user.is_patient else None
    if step == "place" and not initial:
        if profile is not None:
            initial["country"] = str(profile.country)  # its code, "" when empty
        initial["time_zone"] = time_zone
    if step == "place" and initial.get("languages"):
        for number, code in enumerate(initial["languages"], start=1):
            initial[f"language_{number}"] = code
    if step == "nickname" and not initial and profile is not None:
        initial["nickname"] = profile.nickname
    return initial


def _licensed_for(country: str) -> Q:
    # A multiple CountryField is stored as "DE,FR,LU": match whole codes only, so "FR" never
    # matches inside a longer code. A regex is the one lookup both PostgreSQL and SQLite have.
    return Q(licensed_countries__regex=rf"(^|,){re.escape(country)}(,|$)")


def _may_see(country: str, home_country: str) -> Q:
    """The jurisdiction rule (docs/features.md), for therapists: licensed where the patient
    lives; or licensed in the patient's home country (citizen or former resident) and opted in
    to see its people abroad. ``home_country`` is empty when the setting
    MATCHING_SERVE_CITIZENS_ABROAD is off (``needs_from_intake``)."""
    rule = _licensed_for(country)
    if home_country and home_country != country:
        rule |= _licensed_for(home_country) & Q(abroad_practice__serves_citizens_abroad=True)
    return rule


def _serving(
    *, country: str, home_country: str, languages: tuple[str, ...], excluded: frozenset[int]
) -> QuerySet[TherapistProfile]:
    """Approved therapists accepting new patients who may see a patient of this country (and
    home country) and speak one of these languages: the hard filters that do not change from
    one minute to the next (caseloads do)."""
    # The one gate for therapists a patient may see: every candidate starts from it.
    return (
        therapists_visible_to_patients()
        .filter(
            _may_see(country, home_country),
            accepting_new_patients=True,
            # A semi-join: one row per therapist, however many of the languages they speak.
            pk__in=TherapistLanguage.objects.filter(language__in=languages).values("therapist_id"),
        )
        .exclude(pk__in=excluded)
    )


def candidates_for(needs: PatientNeeds) -> list[Candidate]:
    """Approved therapists who may pass ``ranking.rank``'s hard filters, ready to rank.

    The cheap hard filters run in SQL; ``rank`` applies all of them again, so this may return
    more than it keeps, never less. Two queries, however many therapists there are.
    """
    if not needs.languages or not needs.country:
        return []
    therapists = _serving(
        country=needs.country,
        home_country=needs.home_country,
        languages=needs.languages,
        excluded=needs.excluded_therapist_ids,
    )
    rows = list(
        therapists.annotate(
            active_patients=Count("matches", filter=Q(matches__status=Match.Status.ACTIVE)),
            serves_abroad=Exists(
                AbroadPractice.objects.filter(therapist=OuterRef("pk"), serves_citizens_abroad=True)
            ),
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
            "serves_abroad",
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
            serves_citizens_abroad=serves_abroad,
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
            serves_abroad,
        ) in rows
    ]


def _home_country(home_country: str, country: str) -> str:
    """The home country matching may use: none when the platform does not allow it, nor when it
    is where the patient lives anyway."""
    if not settings.MATCHING_SERVE_CITIZENS_ABROAD or home_country == country:
        return ""
    return home_country


def needs_from_intake(
    intake: Intake, *, excluded_therapist_ids: frozenset[int] = frozenset()
) -> PatientNeeds:
    """What ranking needs from an intake; ``excluded_therapist_ids`` are never ranked."""
    country = intake.country.code or ""
    return PatientNeeds(
        concerns=tuple(dict.fromkeys(intake.concerns)),
        languages=tuple(dict.fromkeys(intake.languages)),
        country=country,
        home_country=_home_country(intake.home_country.code or "", country),
        modality=intake.modality,
        modality_required=intake.modality_required,
        therapist_gender=intake.therapist_gender,
        wants_lgbt_specialist=intake.wants_lgbt_specialist,
        faith=intake.faith,
        preferred_times=frozenset(intake.preferred_times),
        preferred_days=frozenset(int(day) for day in intake.preferred_days),
        excluded_therapist_ids=frozenset(excluded_therapist_ids),
    )


def can_be_served(
    *,
    country: str,
    home_country: str,
    languages: tuple[str, ...],
    excluded: frozenset[int] = frozenset(),
) -> bool:
    """Whether any approved therapist accepting new patients may see someone living in
    ``country`` (from ``home_country``) in one of ``languages``, full caseload or not (places
    free up; a search that finds nobody in time is escalated to staff). False: the waiting
    list."""
    if not country or not languages:
        return False
    return _serving(
        country=country,
        home_country=_home_country(home_country, country),
        languages=languages,
        excluded=excluded,
    ).exists()


def request_can_be_served(request: MatchRequest) -> bool:
    """``can_be_served`` for a search: the patient's latest answers, without the therapists
    they left."""
    intake = request.intake
    return can_be_served(
        country=intake.country.code or "",
        home_country=intake.home_country.code or "",
        languages=tuple(intake.languages),
        excluded=frozenset(
            Match.objects.filter(patient_id=request.patient_id).values_list(
                "therapist_id", flat=True
            )
        ),
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


def switch_candidates(*, patient: User, limit: int = 3) -> list[Ranked]:
    """The next therapists matching would propose, without the current or any former one."""
    intake = latest_intake(patient=patient)
    if intake is None:
        return []
    excluded = therapists_previously_matched(patient)
    needs = needs_from_intake(intake, excluded_therapist_ids=excluded)
    return rank(needs, candidates_for(needs), limit=limit)


# --- Emergency numbers ----------------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyLine:
    phone: str
    description: str


@dataclass(frozen=True)
class CountryEmergency:
    """What to call in one country: its emergency services (and police when another number),
    then its crisis lines, described in the asked language."""

    country: str  # ISO 3166-1 alpha-2
    name: str
    emergency: str  # "" only for places without a public service
    police: str
    lines: tuple[EmergencyLine, ...]


def emergency_numbers_for(*, countries: Iterable[str], language: str) -> list[CountryEmergency]:
    """The numbers to call in each of ``countries``, in that order (where the person lives
    first, then their home country), each country once; unknown or empty codes are left out.
    Two queries."""
    codes = [code for code in dict.fromkeys(countries) if code]
    if not codes:
        return []
    numbers = {row.country.code: row for row in EmergencyNumber.objects.filter(country__in=codes)}
    resources = list(EmergencyResource.objects.all())
    found = []
    for code in codes:
        row = numbers.get(code)
        if row is None:
            continue
        lines = tuple(
            EmergencyLine(phone=r.phone, description=r.description_for(language))
            for r in resources
            if code in {country.code for country in r.countries}
        )
        found.append(
            CountryEmergency(
                country=code,
                name=str(row.country.name),
                emergency=row.emergency,
                police=row.police,
                lines=lines,
            )
        )
    return found


@cache
def _zone_countries() -> dict[str, str]:
    """IANA time zone -> its country, from the time zone database's ``zone.tab`` (the system's,
    else the tzdata package's); empty when neither is found."""
    folders = list(zoneinfo.TZPATH)
    with contextlib.suppress(ModuleNotFoundError):  # tzdata, on systems without their own
        folders.append(str(resources.files("tzdata") / "zoneinfo"))
    for folder in folders:
        try:
            text = (Path(folder) / "zone.tab").read_text()
        except OSError:
            continue
        rows = (line.split("\t") for line in text.splitlines() if not line.startswith("#"))
        return {fields[2]: fields[0] for fields in rows if len(fields) >= 3}
    return {}


def country_of_time_zone(time_zone: str) -> str:
    """The country of an IANA time zone ("Asia/Tokyo" -> "JP"), or ""."""
    return _zone_countries().get(time_zone, "")


def intake_draft_countries(*, answers: dict, patient: User | None, time_zone: str) -> list[str]:
    """Whose emergency numbers to show during the intake: the country where the person lives and
    their home country, once given; before that, the patient's profile; for a visitor, the
    country of their browser's time zone."""
    place = answers.get("place", {})
    if place.get("country"):
        return [place["country"], place.get("home_country", "")]
    if patient is not None and patient.patient_profile.country:
        return [str(patient.patient_profile.country)]
    return [country_of_time_zone(time_zone)]


def emergency_countries(*, user: User | None, session: SessionBase, time_zone: str) -> list[str]:
    """Whose numbers the emergency page shows: a patient's country of residence and home
    country (their latest intake), else a visitor's answers so far; then the country of
    ``time_zone``, the one they are in ("" when unknown), when it differs."""
    if user is not None and user.is_patient:
        countries = patient_countries(patient=user)
    else:
        answers = intake_draft(session=session)
        countries = intake_draft_countries(answers=answers, patient=None, time_zone=time_zone)
    return [*countries, country_of_time_zone(time_zone)]


def patient_countries(*, patient: User) -> list[str]:
    """Where the patient lives and their home country, from their latest intake (else their
    profile's country)."""
    intake = latest_intake(patient=patient)
    if intake is not None:
        return [intake.country.code or "", intake.home_country.code or ""]
    return [str(patient.patient_profile.country)]


@dataclass(frozen=True)
class IntakeOutlook:
    """Before sign-up: can a therapist here see this person at all (country and languages)?"""

    can_be_served: bool
    country: str
    home_country: str
    languages: tuple[str, ...]

    @property
    def countries(self) -> list[str]:
        return [self.country, self.home_country]


def intake_draft_outlook(*, answers: dict) -> IntakeOutlook:
    """What the questionnaire's last page says of the search ahead (``can_be_served``)."""
    place = answers.get("place", {})
    country, home_country = place.get("country", ""), place.get("home_country", "")
    languages = tuple(place.get("languages", ()))
    return IntakeOutlook(
        can_be_served=can_be_served(
            country=country, home_country=home_country, languages=languages
        ),
        country=country,
        home_country=home_country,
        languages=languages,
    )


# --- The waiting list and practice abroad ---------------------------------------------------


def waiting_requests() -> QuerySet[MatchRequest]:
    """Open searches on the waiting list, longest waiting first."""
    return (
        MatchRequest.objects.filter(status=MatchRequest.Status.OPEN, waiting_since__isnull=False)
        .select_related("intake")
        .order_by("waiting_since", "pk")
    )


def match_request_get(*, pk: int) -> MatchRequest | None:
    return MatchRequest.objects.filter(pk=pk).first()


def abroad_practice_of(*, therapist: TherapistProfile) -> bool:
    """Whether this therapist opted in to see their licence countries' people abroad."""
    return AbroadPractice.objects.filter(therapist=therapist, serves_citizens_abroad=True).exists()


# --- Changing therapist ---------------------------------------------------------------------


def _answers(signal, *, match: Match) -> list[str]:
    lines: list[str] = []
    for _receiver, answer in signal.send(sender=Match, match_id=match.pk):
        lines.extend(str(line) for line in answer or ())
    return lines


def therapist_page_facts(*, match: Match) -> list[str]:
    """What the apps above matching add to the patient's "My therapist" page (how soon the
    therapist usually replies …): every receiver of ``therapist_page_requested``, in order."""
    return _answers(therapist_page_requested, match=match)


def match_end_preview(*, match: Match) -> list[str]:
    """What ending this match will do, in the apps above matching (cancelled sessions …): the
    lines every receiver of ``match_end_previewed`` returns, in order. Nothing is written."""
    return _answers(match_end_previewed, match=match)


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


def patient_get_for_therapist(*, therapist: User, patient_id: int) -> Match | None:
    """The active match of this patient with this (approved) therapist; None for anyone else.

    The one check for a therapist reading anything about a patient: after a switch the former
    therapist gets None (the page answers 404), as does every other therapist. A match found
    is a read of the patient's page (intake, scores, progress): logged for the patient.
    """
    match = (
        Match.objects.filter(
            status=Match.Status.ACTIVE,
            therapist__in=therapists_visible_to_patients().filter(user=therapist),
            patient_id=patient_id,
        )
        .select_related("patient__patient_profile", "request__intake")
        .first()
    )
    if match is not None:
        access_record(
            reader=therapist,
            patient_id=match.patient_id,
            kind=AccessEntry.Kind.PATIENT_PAGE,
            record_id=match.pk,
        )
    return match


def therapist_caseload(*, therapist: User, patient_id: int | None = None) -> list[Match]:
    """The therapist's current patients, by nickname, or with ``patient_id`` that one alone if
    they are one (the dashboard's row fetched again). The dashboard shows each one's latest
    scores and last message beside them: logged for each patient as one caseload read (a
    fixed number of queries, however many patients)."""
    matches = Match.objects.filter(status=Match.Status.ACTIVE, therapist__user=therapist)
    if patient_id is not None:
        matches = matches.filter(patient_id=patient_id)
    caseload = list(
        matches.select_related("patient__patient_profile").order_by(
            "patient__patient_profile__nickname"
        )
    )
    access_record_many(
        reader=therapist,
        kind=AccessEntry.Kind.CASELOAD,
        records=[(match.patient_id, match.pk) for match in caseload],
    )
    return caseload


def latest_intake(*, patient: User) -> Intake | None:
    return Intake.objects.filter(patient=patient).first()


def latest_screenings(*, patient: User) -> dict[str, ScreeningResult]:
    """The most recent PHQ-9 and GAD-7 of the patient, by instrument."""
    latest: dict[str, ScreeningResult] = {}
    for result in ScreeningResult.objects.filter(patient=patient).order_by("-taken_at", "-pk"):
        latest.setdefault(result.instrument, result)
    return latest


@dataclass(frozen=True)
class PatientRecord:
    """What a therapist's page on a patient shows of their answers."""

    intake: Intake | None
    history: list[ScreeningResult]  # oldest first
    latest: dict[str, ScreeningResult]  # by instrument, PHQ-9 first
    self_harm: ScreeningResult | None  # the latest PHQ-9, when its item 9 is above 0


def patient_record(*, patient: User) -> PatientRecord:
    history = screening_history(patient=patient)
    latest = {result.instrument: result for result in history}  # oldest first: the last wins
    phq9 = latest.get(Instrument.PHQ9)
    return PatientRecord(
        intake=latest_intake(patient=patient),
        history=history,
        latest={key: latest[key] for key in (Instrument.PHQ9, Instrument.GAD7) if key in latest},
        self_harm=phq9 if phq9 is not None and phq9.self_harm_answer else None,
    )


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


def offer_get_for_therapist(*, therapist: TherapistProfile, pk: int) -> Offer | None:
    """One of this therapist's own offers; None for anyone else's (the page answers 404).
    Found, it is a read of the patient's answers: logged for the patient."""
    offer = (
        Offer.objects.select_related(
            "request__intake", "request__patient__patient_profile", "therapist__user"
        )
        .filter(pk=pk, therapist=therapist)
        .first()
    )
    if offer is not None:
        access_record(
            reader=offer.therapist.user,
            patient_id=offer.request.patient_id,
            kind=AccessEntry.Kind.OFFER,
            record_id=offer.pk,
        )
    return offer


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
    before. One query, of the two latest results of each patient and instrument alone: a year
    of fortnightly check-ins costs the dashboard what two do."""
    history: dict[tuple[int, str], list[ScreeningResult]] = defaultdict(list)
    newest_first = Window(
        RowNumber(),
        partition_by=[F("patient_id"), F("instrument")],
        order_by=[F("taken_at").desc(), F("pk").desc()],
    )
    results = (
        ScreeningResult.objects.filter(patient_id__in=patient_ids)
        .annotate(newest=newest_first)
        .filter(newest__lte=2)
        .only("patient_id", "instrument", "score", "band", "taken_at")  # not the answers
        .order_by("taken_at", "pk")
    )
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
    access_record_many(
        reader=therapist.user,
        kind=AccessEntry.Kind.OFFER,
        records=[(offer.request.patient_id, offer.pk) for offer in offers],
        now=now,
    )
    intakes = [offer.request.intake_id for offer in offers if offer.request.intake_id]
    screenings: dict[int | None, list[ScreeningResult]] = defaultdict(list)
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


# --- A person's own data, for their export (teletherapy.exports) -------------------------------


def person_export(*, user: User) -> dict:
    """What matching holds about a patient, for their own export (GDPR art. 15 and 20): every
    intake with all its answers, every PHQ-9 and GAD-7 (at an intake or as a check-in), the
    safety flags raised on their answers with staff's note (written about them), the searches
    for a therapist, the offers made on their behalf (the reasons, and a therapist's reason
    for declining: written about them), their matches with the reasons given and their own
    reason for changing, and the check-in invitations. A therapist's: whether they see people
    from their licence countries living abroad (the patients they were offered are those
    patients' data, not theirs). JSON-able with ``DjangoJSONEncoder``."""
    if user.is_therapist:
        abroad = AbroadPractice.objects.filter(therapist_id=user.pk)
        return {"practice_abroad": abroad.values("serves_citizens_abroad", "changed_at").first()}
    if not user.is_patient:
        return {}
    names = dict(
        TherapistProfile.objects.filter(
            Q(matches__patient=user) | Q(offers__request__patient=user)
        ).values_list("pk", "display_name")
    )
    intakes = Intake.objects.filter(patient=user).order_by("created_at", "pk")
    results = ScreeningResult.objects.filter(patient=user).order_by("taken_at", "pk")
    flags = SafetyFlag.objects.filter(patient=user).order_by("created_at", "pk")
    requests = MatchRequest.objects.filter(patient=user).prefetch_related("offers")
    matches = Match.objects.filter(patient=user).order_by("started_at", "pk")
    invitations = CheckinInvitation.objects.filter(patient=user).order_by("sent_at", "pk")
    return {
        "intakes": [_intake_export(intake) for intake in intakes],
        "questionnaires": [
            {
                "questionnaire": r.instrument,
                "taken_at": r.taken_at,
                "during": "intake" if r.intake_id else "check-in",
                "intake": r.intake_id,
                "answers": r.answers,
                "score": r.score,
                "severity": r.band,
            }
            for r in results
        ],
        "safety_flags": [
            {
                "reason": flag.reason,
                "created_at": flag.created_at,
                "reviewed_at": flag.reviewed_at,
                "staff_note": flag.staff_note,
            }
            for flag in flags
        ],
        "searches": [
            {
                "opened_at": r.created_at,
                "status": r.status,
                "promised_by": r.deadline,
                "escalated_at": r.escalated_at,
                "waiting_list_since": r.waiting_since,
                "chosen_therapist": names.get(r.preferred_therapist_id or 0),
                "earlier_messages_shared": r.share_earlier_history,
                "offers": [
                    {
                        "therapist": names.get(o.therapist_id, ""),
                        "offered_at": o.created_at,
                        "status": o.status,
                        "answered_at": o.responded_at,
                        "reasons": o.reasons,
                        "reason_for_declining": o.decline_reason,
                    }
                    for o in sorted(r.offers.all(), key=lambda o: (o.created_at, o.pk))
                ],
            }
            for r in requests.order_by("created_at", "pk")
        ],
        "matches": [
            {
                "therapist": names.get(m.therapist_id, ""),
                "status": m.status,
                "started_at": m.started_at,
                "ended_at": m.ended_at,
                "reasons": m.reasons,
                "earlier_messages_shared": m.earlier_history_shared,
                "your_reason_for_changing": m.end_reason,
            }
            for m in matches
        ],
        "checkin_invitations": list(invitations.values_list("sent_at", flat=True)),
        "journal": [
            {
                "written_at": entry.written_at,
                "changed_at": entry.changed_at,
                "text": entry.body,
                "mood": entry.mood,
                "tags": entry.tags,
                "shared": [
                    {
                        "with": names.get(share.match.therapist_id, ""),
                        "shared_at": share.shared_at,
                        "taken_back_at": share.unshared_at,
                    }
                    for share in entry.shares.all()
                ],
            }
            for entry in JournalEntry.objects.filter(patient=user)
            .prefetch_related("shares__match")
            .order_by("written_at", "pk")
        ],
    }


def _intake_export(intake: Intake) -> dict:
    fields = ["concerns", "concerns_text", "goals", "previous_therapy", "therapist_gender"]
    fields += ["wants_lgbt_specialist", "faith", "languages", "time_zone", "modality"]
    fields += ["modality_required", "preferred_days", "preferred_times", "in_danger"]
    return {
        "id": intake.pk,
        "filled_in_at": intake.created_at,
        "country": intake.country.code,
        "home_country": intake.home_country.code,
    } | {name: getattr(intake, name) for name in fields}


# --- The journal ------------------------------------------------------------------------------


def journal_entries_for_patient(*, patient: User) -> list[JournalEntry]:
    """The patient's own entries, newest first, each with ``shared_at``: when it was shared
    with their current therapist (None when it is not), and ``kept_by``: the former therapists
    whose record keeps it (shared while they were the therapist). Three queries."""
    entries = list(JournalEntry.objects.filter(patient=patient))
    shared = dict(
        JournalShare.objects.filter(
            entry__patient=patient, unshared_at__isnull=True, match__status=Match.Status.ACTIVE
        ).values_list("entry_id", "shared_at")
    )
    kept: dict[int, list[str]] = defaultdict(list)
    for share in _journal_kept(Q(entry__patient=patient)).select_related("match__therapist__user"):
        name = share.match.therapist.display_name
        if name not in kept[share.entry_id]:
            kept[share.entry_id].append(name)
    for entry in entries:
        entry.shared_at = shared.get(entry.pk)
        entry.kept_by = kept.get(entry.pk, [])
    return entries


def _journal_kept(where: Q) -> QuerySet[JournalShare]:
    """Shares in a former therapist's record: open when their match ended, the entry unchanged
    since (a change the patient makes afterwards is not theirs to read)."""
    return JournalShare.objects.filter(
        where,
        match__status=Match.Status.ENDED,
        unshared_at__isnull=True,
        entry__changed_at__lte=F("match__ended_at"),
    )


def journal_entry_get_for_patient(*, patient: User, pk: int) -> JournalEntry | None:
    """One of the patient's own entries, or None (the view answers 404)."""
    return JournalEntry.objects.filter(patient=patient, pk=pk).first()


def journal_shared_with(*, match: Match, reader: User) -> list[JournalEntry]:
    """The entries shared with ``match``'s therapist and not taken back, newest first, each
    with ``shared_at``; the caller has checked that ``reader`` is that therapist. For a match
    that has ended, what the therapist's record keeps: the entries shared when it ended, as
    they were then (``_journal_kept``). Reading them is logged for the patient (when there is
    any)."""
    if match.status == Match.Status.ENDED:
        shares = _journal_kept(Q(match=match))
    else:
        shares = JournalShare.objects.filter(match=match, unshared_at__isnull=True)
    entries = []
    for share in shares.select_related("entry").order_by("-entry__written_at", "-entry_id"):
        share.entry.shared_at = share.shared_at
        entries.append(share.entry)
    if entries:
        access_record(
            reader=reader,
            patient_id=match.patient_id,
            kind=AccessEntry.Kind.JOURNAL,
            record_id=match.pk,
        )
    return entries


def former_patients_for_therapist(*, therapist: User) -> list[Match]:
    """The (approved) therapist's ended matches, the most recently ended first: their patients
    of before, whose record they keep. Nobody's for a therapist who is not approved now."""
    return list(
        Match.objects.filter(
            status=Match.Status.ENDED,
            therapist__in=therapists_visible_to_patients().filter(user=therapist),
        )
        .select_related("patient__patient_profile")
        .order_by("-ended_at", "-pk")
    )


def is_former_patient_of(*, therapist: User, patient_id: int) -> bool:
    """Whether the (approved) therapist worked with this patient and no longer does: what the
    dashboard's row of a patient who just moved on needs to know to leave (nothing of their
    record is read, so nothing is logged). False for anyone else."""
    together = Match.objects.filter(
        patient_id=patient_id,
        therapist__in=therapists_visible_to_patients().filter(user=therapist),
    )
    return (
        together.filter(status=Match.Status.ENDED).exists()
        and not together.filter(status=Match.Status.ACTIVE).exists()
    )


def former_patient_get_for_therapist(*, therapist: User, match_id: int) -> Match | None:
    """One of the therapist's ended matches, or None (the page answers 404): for a match still
    active (its page is the patient's), another therapist's, or a therapist not approved now.
    A match found is a read of the patient's page: logged for the patient."""
    match = (
        Match.objects.filter(
            pk=match_id,
            status=Match.Status.ENDED,
            therapist__in=therapists_visible_to_patients().filter(user=therapist),
        )
        .select_related("patient__patient_profile")
        .first()
    )
    if match is not None:
        access_record(
            reader=therapist,
            patient_id=match.patient_id,
            kind=AccessEntry.Kind.PATIENT_PAGE,
            record_id=match.pk,
        )
    return match


def patient_has_therapist(*, patient: User) -> bool:
    """Whether the patient has a therapist now (someone to share an entry with)."""
    return Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).exists()


# --- Goals and worksheets (issue 18, item 3) -------------------------------------------------
# Tied to the match they were set in: the therapist of a match reads what was set in it, active
# or ended (their record), and nothing of another match; the patient reads all of theirs. A
# therapist's read of the words (goals, answers) is logged for the patient.


def _with_steps(goals: list[Goal]) -> list[Goal]:
    steps: dict[int, list[GoalStep]] = defaultdict(list)
    for step in GoalStep.objects.filter(goal__in=goals).order_by("goal_id", "position"):
        steps[step.goal_id].append(step)
    for goal in goals:
        goal.step_list = steps[goal.pk]
    return goals


def care_match_get_for_therapist(*, therapist: User, match_id: int) -> Match | None:
    """A match of this (approved) therapist, active or ended, or None: what they may read the
    goals and worksheets of (those set in that match only)."""
    return (
        Match.objects.filter(
            pk=match_id, therapist__in=therapists_visible_to_patients().filter(user=therapist)
        )
        .select_related("patient__patient_profile")
        .first()
    )


def care_active_match_for_therapist(*, therapist: User, patient_id: int) -> Match | None:
    """The active match of this patient with this (approved) therapist, or None: where they may
    set a goal or give a worksheet. Not logged: it reads none of the patient's words."""
    return (
        Match.objects.filter(
            status=Match.Status.ACTIVE,
            patient_id=patient_id,
            therapist__in=therapists_visible_to_patients().filter(user=therapist),
        )
        .select_related("patient__patient_profile")
        .first()
    )


def goals_read_by_therapist(*, match: Match, reader: User) -> list[Goal]:
    """The goals set in ``match`` (put away ones last), with their steps; the caller has
    checked that ``reader`` is its therapist. Logged for the patient when there is any."""
    goals = list(
        Goal.objects.filter(match=match)
        .select_related("match")
        .order_by(F("archived_at").asc(nulls_first=True), "-created_at", "-pk")
    )
    if goals:
        access_record(
            reader=reader,
            patient_id=match.patient_id,
            kind=AccessEntry.Kind.GOALS,
            record_id=match.pk,
        )
    return _with_steps(goals)


def goal_get_for_therapist(*, therapist: User, pk: int) -> Goal | None:
    """A goal set in a match of this (approved) therapist, with its steps, or None. Logged."""
    goal = (
        Goal.objects.filter(
            pk=pk,
            match__therapist__in=therapists_visible_to_patients().filter(user=therapist),
        )
        .select_related("match__patient__patient_profile")
        .first()
    )
    if goal is None:
        return None
    access_record(
        reader=therapist,
        patient_id=goal.patient_id,
        kind=AccessEntry.Kind.GOALS,
        record_id=goal.match_id,
    )
    return _with_steps([goal])[0]


def goals_for_patient(*, patient: User) -> list[Goal]:
    """The patient's goals not put away, from every match (their current therapist's first),
    with their steps. Two queries."""
    goals = list(
        Goal.objects.filter(patient=patient, archived_at__isnull=True)
        .select_related("match__therapist")
        .order_by(
            F("match__ended_at").desc(nulls_first=True),
            F("target_date").asc(nulls_last=True),
            "-created_at",
        )
    )
    return _with_steps(goals)


def goal_step_get_for_patient(*, patient: User, pk: int) -> GoalStep | None:
    """A step of one of the patient's own goals, or None (the view answers 404)."""
    return GoalStep.objects.filter(pk=pk, goal__patient=patient).select_related("goal").first()


def goal_get_for_patient(*, patient: User, pk: int) -> Goal | None:
    goal = Goal.objects.filter(pk=pk, patient=patient).select_related("match__therapist").first()
    return None if goal is None else _with_steps([goal])[0]


def worksheets_offered() -> QuerySet[Worksheet]:
    """The library's exercises a therapist may give now."""
    return Worksheet.objects.filter(active=True)


def assignments_for_patient(*, patient: User) -> list[WorksheetAssignment]:
    """The patient's worksheets, not done first, then by due date."""
    return list(
        WorksheetAssignment.objects.filter(patient=patient)
        .select_related("worksheet", "match__therapist")
        .order_by(
            F("done_at").desc(nulls_first=True),
            F("due_date").asc(nulls_last=True),
            "-assigned_at",
        )
    )


def assignment_get_for_patient(*, patient: User, pk: int) -> WorksheetAssignment | None:
    """One of the patient's own worksheets, or None (the view answers 404)."""
    return (
        WorksheetAssignment.objects.filter(pk=pk, patient=patient)
        .select_related("worksheet", "match__therapist")
        .first()
    )


def assignments_read_by_therapist(*, match: Match, reader: User) -> list[WorksheetAssignment]:
    """The worksheets given in ``match``, with the patient's answers; the caller has checked
    that ``reader`` is its therapist. Logged for the patient when there is any."""
    given = list(
        WorksheetAssignment.objects.filter(match=match)
        .select_related("worksheet", "match")
        .order_by("-assigned_at", "-pk")
    )
    if given:
        access_record(
            reader=reader,
            patient_id=match.patient_id,
            kind=AccessEntry.Kind.WORKSHEET,
            record_id=match.pk,
        )
    return given


def assignment_get_for_therapist(*, therapist: User, pk: int) -> WorksheetAssignment | None:
    """A worksheet given in a match of this (approved) therapist, active or ended, with the
    answers, or None. Logged."""
    given = (
        WorksheetAssignment.objects.filter(
            pk=pk,
            match__therapist__in=therapists_visible_to_patients().filter(user=therapist),
        )
        .select_related("worksheet", "match__patient__patient_profile")
        .first()
    )
    if given is not None:
        access_record(
            reader=therapist,
            patient_id=given.patient_id,
            kind=AccessEntry.Kind.WORKSHEET,
            record_id=given.pk,
        )
    return given


@dataclass(frozen=True)
class ReminderDue:
    assignment_id: int
    patient_id: int
    tomorrow: bool  # due tomorrow, their date (else today)


def worksheet_reminders_due(*, now: datetime) -> list[ReminderDue]:
    """Worksheets not done, not yet reminded of, of an active match, due tomorrow or today in
    their patient's time zone. One query."""
    utc_today = now.astimezone(zoneinfo.ZoneInfo("UTC")).date()
    rows = WorksheetAssignment.objects.filter(
        done_at__isnull=True,
        reminded_at__isnull=True,
        match__status=Match.Status.ACTIVE,
        due_date__range=(utc_today - timedelta(days=1), utc_today + timedelta(days=2)),
    ).values_list("pk", "patient_id", "due_date", "patient__time_zone")
    due = []
    for pk, patient_id, due_date, zone in rows:
        if due_date is None:  # the range excludes it; for type checkers
            continue
        try:
            today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            today = utc_today
        if today in (due_date - timedelta(days=1), due_date):
            due.append(ReminderDue(pk, patient_id, tomorrow=today < due_date))
    return due


# A worksheet done longer ago than this leaves the dashboard (the patient's page keeps it): the
# dashboard says what needs the therapist, and a year of weekly exercises would fill it.
CARE_DONE_SHOWN_DAYS = 14


@dataclass(frozen=True)
class CareLine:
    """A line of the dashboard's goals and exercises: a goal's progress or a worksheet's
    status, of one patient of the caseload."""

    match: Match
    kind: str  # "goal" or "worksheet"
    title: str
    done: int  # steps done (a goal)
    total: int  # steps in all (a goal)
    status: str  # a worksheet's ``WorksheetAssignment.Status``; "" for a goal
    due: date | None
    pk: int


def care_lines(*, therapist: User, caseload: list[Match], today: date) -> list[CareLine]:
    """The open goals (title, n of m steps, target date) and the worksheets not done, or done
    in the last ``CARE_DONE_SHOWN_DAYS`` days up to ``today`` (title, status, due date), of the
    caseload's matches, patient by patient, soonest due first. A fixed number of queries
    however many patients and however long their history; reading the goals' titles is logged
    for each patient whose goals are listed."""
    matches = {match.pk: match for match in caseload}
    goals = list(
        Goal.objects.filter(match__in=caseload, archived_at__isnull=True).annotate(
            total=Count("steps"), done=Count("steps", filter=Q(steps__done_at__isnull=False))
        )
    )
    crypto.data_keys_load(goal.title_encrypted for goal in goals)
    recently = today - timedelta(days=CARE_DONE_SHOWN_DAYS)
    given = list(
        WorksheetAssignment.objects.filter(
            Q(done_at__isnull=True) | Q(done_at__date__gte=recently), match__in=caseload
        ).select_related("worksheet")
    )
    language = (get_language() or "en")[:2]
    lines = [
        CareLine(matches[g.match_id], "goal", g.title, g.done, g.total, "", g.target_date, g.pk)
        for g in goals
    ] + [
        CareLine(
            matches[a.match_id],
            "worksheet",
            a.worksheet.title_for(language),
            0,
            0,
            a.status_on(today),
            a.due_date,
            a.pk,
        )
        for a in given
    ]
    if goals:
        access_record_many(
            reader=therapist,
            kind=AccessEntry.Kind.GOALS,
            records=sorted({(g.patient_id, g.match_id) for g in goals}),
        )
    nickname = {pk: m.patient.patient_profile.nickname for pk, m in matches.items()}
    return sorted(
        lines,
        key=lambda line: (
            nickname[line.match.pk],
            line.status == WorksheetAssignment.Status.DONE,
            line.due or date.max,
            line.kind,
            line.pk,
        ),
    )


def care_export(*, user: User) -> dict:
    """A patient's goals and worksheets for their own export: every goal with its steps, and
    every worksheet with their answers, whichever therapist set them. Nothing for anyone else
    (a therapist's goals for patients are those patients' data)."""
    if not user.is_patient:
        return {}
    names = dict(
        TherapistProfile.objects.filter(matches__patient=user).values_list("pk", "display_name")
    )
    goals = _with_steps(
        list(Goal.objects.filter(patient=user).select_related("match").order_by("created_at"))
    )
    given = WorksheetAssignment.objects.filter(patient=user).select_related("worksheet", "match")
    return {
        "goals": [
            {
                "therapist": names.get(goal.match.therapist_id, ""),
                "title": goal.title,
                "why": goal.why,
                "target_date": goal.target_date,
                "set_at": goal.created_at,
                "archived_at": goal.archived_at,
                "steps": [{"text": s.text, "done_at": s.done_at} for s in goal.step_list],
            }
            for goal in goals
        ],
        "worksheets": [
            {
                "therapist": names.get(a.match.therapist_id, ""),
                "worksheet": a.worksheet.title_en,
                "note": a.note,
                "given_at": a.assigned_at,
                "due_date": a.due_date,
                "done_at": a.done_at,
                "answers": a.answers or {},
            }
            for a in given.order_by("assigned_at", "pk")
        ],
    }
