"""The intake questionnaire: answers kept step by step in the browser session, then recorded
for the patient (scored, flagged when they show a risk) and the search for a therapist opened."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import signup_defaults_set
from core import crypto
from matching import screening, selectors, signals
from matching.choices import Instrument
from matching.models import Intake, MatchRequest, SafetyFlag, ScreeningResult
from matching.selectors import INTAKE_STEPS
from matching.services.safety import safety_flags_raise


class IncompleteIntake(ValueError):
    """Some step of the questionnaire has no answers yet."""


def intake_in_danger(answers: dict) -> bool:
    """True when the answers so far show a risk that calls for emergency resources at once."""
    if answers.get("concerns", {}).get("in_danger") == "yes":
        return True
    phq9 = answers.get("phq9", {}).get("answers")
    return bool(phq9) and screening.phq9_self_harm_positive(phq9)


@transaction.atomic
def intake_record(*, patient: User, answers: dict, now=None) -> Intake:
    """Keep a complete questionnaire for the patient, score it, flag risk, start matching.

    ``answers`` is what the questionnaire collected, step by step (``INTAKE_STEPS``).
    """
    if not patient.is_patient:
        raise ValueError("Only patients fill in the intake questionnaire.")
    missing = [step for step in INTAKE_STEPS if step not in answers]
    if missing:
        raise IncompleteIntake(", ".join(missing))
    now = now or timezone.now()
    concerns, goals, place = answers["concerns"], answers["goals"], answers["place"]
    preferences, practical = answers["preferences"], answers["practical"]
    intake = Intake(
        patient=patient,
        concerns=list(concerns["concerns"]),
        in_danger=concerns["in_danger"] == "yes",
        previous_therapy=goals["previous_therapy"],
        therapist_gender=preferences.get("therapist_gender", ""),
        wants_lgbt_specialist=bool(preferences.get("wants_lgbt_specialist")),
        faith=preferences.get("faith", ""),
        languages=list(place["languages"]),
        country=place["country"],
        home_country=place.get("home_country", ""),
        time_zone=place["time_zone"],
        modality=practical["modality"],
        modality_required=bool(practical.get("modality_required")),
        preferred_days=sorted(practical.get("preferred_days", [])),
        preferred_times=list(practical.get("preferred_times", [])),
        created_at=now,
    )
    intake.full_clean(exclude=["patient"])
    # The patient's own words, under their data key (the model's attributes encrypt).
    intake.concerns_text = concerns.get("concerns_text") or ""
    intake.goals = goals.get("goals") or ""
    intake.save()
    for instrument in (Instrument.PHQ9, Instrument.GAD7):
        screening_record(
            patient=patient,
            instrument=instrument,
            answers=answers[instrument]["answers"],
            intake=intake,
            now=now,
        )
    profile = patient.patient_profile
    profile.country = intake.country.code
    profile.nickname = profile.nickname or answers["nickname"]["nickname"]
    profile.save(update_fields=["country", "nickname"])
    flags = []
    if intake.in_danger:
        flags.append(SafetyFlag.Reason.IN_DANGER)
    if screening.phq9_self_harm_positive(answers[Instrument.PHQ9]["answers"]):
        flags.append(SafetyFlag.Reason.PHQ9_ITEM9)
    safety_flags_raise(patient=patient, reasons=flags, intake=intake, now=now)
    match_request_open(patient=patient, intake=intake, now=now)
    return intake


def screening_record(
    *, patient: User, instrument: str, answers: list[int], intake: Intake | None = None, now=None
) -> ScreeningResult:
    """Score one PHQ-9 or GAD-7 and keep it, dated, in the patient's history."""
    result = screening.score(instrument, answers)
    screening_result = ScreeningResult(
        patient=patient,
        intake=intake,
        instrument=instrument,
        score=result.total,
        band=result.band,
        taken_at=now or timezone.now(),
    )
    screening_result.answers = list(answers)  # the attribute encrypts, under their data key
    screening_result.save()
    return screening_result


def intake_draft_save(*, session: SessionBase, answers: dict) -> None:
    """Keep the answers given so far in this browser session (they become the patient's at
    sign-up or log-in), encrypted with the platform keys: the session store (a database table,
    and its backups) never holds a visitor's answers in clear, self-harm item included. Not
    under a data key: a visitor has none until they sign up. Expired sessions are deleted
    every hour (``core.tasks.sweep_sessions``)."""
    session[selectors.INTAKE_DRAFT_SESSION_KEY] = crypto.seal_json(answers)


def _step_answers(step: str, data: dict) -> dict:
    """What the session keeps of a valid step: plain JSON values, in the shape
    ``intake_record`` reads."""
    if step in (Instrument.PHQ9, Instrument.GAD7):
        # The form's fields q1, q2 … in order: one 0..3 per item.
        count = len(screening.questionnaire(step).items)
        return {"answers": [data[f"q{number}"] for number in range(1, count + 1)]}
    if step == "place":
        return {
            "languages": list(data["languages"]),
            "country": data["country"],
            "home_country": data.get("home_country", ""),
            "time_zone": data["time_zone"],
        }
    return dict(data)


def intake_step_record(*, session: SessionBase, step: str, data: dict) -> dict:
    """Keep the cleaned answers of one step in the browser session; returns every answer so
    far. The nickname also fills in the sign-up form's."""
    if step not in INTAKE_STEPS:
        raise ValueError(f"unknown intake step {step!r}")
    answers = dict(selectors.intake_draft(session=session))
    answers[step] = _step_answers(step, data)
    intake_draft_save(session=session, answers=answers)
    if step == "nickname":
        signup_defaults_set(session=session, nickname=answers[step]["nickname"])
    return answers


def intake_draft_forget(*, session: SessionBase) -> None:
    session.pop(selectors.INTAKE_DRAFT_SESSION_KEY, None)


@transaction.atomic
def match_request_open(*, patient: User, intake: Intake, now=None) -> MatchRequest | None:
    """Start looking for a therapist, promised within MATCHING_PROMISE_HOURS; on the waiting
    list, without that promise, when no therapist can see the patient at all (their country
    and languages; ``selectors.request_can_be_served``).

    Nothing to do for a patient who already has a therapist (a new intake is then a
    re-assessment); a search already under way continues with the newest answers.
    """
    if patient.matches.filter(status="active").exists():
        return None
    now = now or timezone.now()
    request = (
        MatchRequest.objects.select_for_update()
        .filter(patient=patient, status=MatchRequest.Status.OPEN)
        .first()
    )
    if request is not None:
        request.intake = intake
        if request.waiting_since is None and not selectors.request_can_be_served(request):
            request.waiting_since = now
        # Off the waiting list the other way round is the sweep's: it emails the patient.
        request.save(update_fields=["intake", "waiting_since"])
        return request
    request = MatchRequest(
        patient=patient,
        intake=intake,
        created_at=now,
        deadline=now + timedelta(hours=settings.MATCHING_PROMISE_HOURS),
    )
    if not selectors.request_can_be_served(request):
        request.waiting_since = now  # the patient was told before sign-up: the waiting list
    request.save()
    # Robust: should the broker be down, the next sweep (within a minute) makes the offer.
    transaction.on_commit(
        partial(signals.match_requested.send, sender=None, request_id=request.pk), robust=True
    )
    return request
