from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from matching import screening
from matching.choices import Instrument
from matching.models import Intake, MatchRequest, SafetyFlag, ScreeningResult
from teletherapy.mail import send_templated_mail, site_link, staff_emails

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
        concerns_text=concerns.get("concerns_text", ""),
        in_danger=concerns["in_danger"] == "yes",
        goals=goals.get("goals", ""),
        previous_therapy=goals["previous_therapy"],
        therapist_gender=preferences.get("therapist_gender", ""),
        wants_lgbt_specialist=bool(preferences.get("wants_lgbt_specialist")),
        faith=preferences.get("faith", ""),
        languages=list(place["languages"]),
        country=place["country"],
        time_zone=place["time_zone"],
        modality=practical["modality"],
        modality_required=bool(practical.get("modality_required")),
        preferred_days=sorted(practical.get("preferred_days", [])),
        preferred_times=list(practical.get("preferred_times", [])),
        created_at=now,
    )
    intake.full_clean(exclude=["patient"])
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
    profile.country = intake.country
    profile.nickname = profile.nickname or answers["nickname"]["nickname"]
    profile.save(update_fields=["country", "nickname"])
    flags = []
    if intake.in_danger:
        flags.append(SafetyFlag.Reason.IN_DANGER)
    if screening.phq9_self_harm_positive(answers[Instrument.PHQ9]["answers"]):
        flags.append(SafetyFlag.Reason.PHQ9_ITEM9)
    for reason in flags:
        SafetyFlag.objects.create(patient=patient, intake=intake, reason=reason, created_at=now)
    if flags:
        transaction.on_commit(_email_staff_safety_flag)
    match_request_open(patient=patient, intake=intake, now=now)
    return intake


def screening_record(
    *, patient: User, instrument: str, answers: list[int], intake: Intake | None = None, now=None
) -> ScreeningResult:
    """Score one PHQ-9 or GAD-7 and keep it, dated, in the patient's history."""
    result = screening.score(instrument, answers)
    return ScreeningResult.objects.create(
        patient=patient,
        intake=intake,
        instrument=instrument,
        answers=list(answers),
        score=result.total,
        band=result.band,
        taken_at=now or timezone.now(),
    )


@transaction.atomic
def match_request_open(*, patient: User, intake: Intake, now=None) -> MatchRequest | None:
    """Start looking for a therapist, promised within MATCHING_PROMISE_HOURS.

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
        request.save(update_fields=["intake"])
        return request
    request = MatchRequest.objects.create(
        patient=patient,
        intake=intake,
        created_at=now,
        deadline=now + timedelta(hours=settings.MATCHING_PROMISE_HOURS),
    )
    # Robust: should the broker be down, the next sweep (within a minute) makes the offer.
    transaction.on_commit(partial(_queue_first_offer, request_id=request.pk), robust=True)
    return request


def _queue_first_offer(*, request_id: int) -> None:
    from matching.tasks import offer_next_for_request  # the tasks import these services

    offer_next_for_request.delay(request_id)


def _email_staff_safety_flag() -> None:
    send_templated_mail(
        template="emails/staff_safety_flag.txt",
        to=staff_emails(),
        language=settings.LANGUAGE_CODE,
        context={"link": site_link("admin:matching_safetyflag_changelist")},
    )
