"""Matching: intakes with their screenings, searches, offers, matches, check-ins, safety flags,
practice abroad, and therapists who pass matching's hard filters."""

import importlib
from datetime import timedelta
from typing import cast

import factory
from django.apps import apps as django_apps
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import TherapistProfile
from matching.models import (
    AbroadPractice,
    Intake,
    Match,
    MatchRequest,
    Offer,
    SafetyFlag,
    ScreeningResult,
)
from tests.factories.accounts import PatientFactory, TherapistProfileFactory

CONCERNS_TEXT = "Since the layoff I lie awake every night."
GOALS = "Sleep again and stop dreading Mondays."


class ScreeningResultFactory(DjangoModelFactory):
    """A PHQ-9 (by default) or GAD-7, taken at an intake or as a check-in (``intake=None``)."""

    class Meta:
        model = ScreeningResult

    patient = factory.SubFactory(PatientFactory)
    intake = None
    instrument = "phq9"
    answers = factory.LazyAttribute(lambda r: [1] * 8 + [0] if r.instrument == "phq9" else [2] * 7)
    score = factory.LazyAttribute(lambda r: sum(r.answers))
    band = "mild"
    taken_at = factory.LazyFunction(timezone.now)


class CheckinFactory(ScreeningResultFactory):
    """A check-in: a questionnaire retaken between sessions, not part of an intake."""


def _own_words(intake: Intake, create: bool, name: str, text: str) -> None:
    if intake.patient_id is None:
        return
    setattr(intake, name, text)
    if create:
        intake.save(update_fields=[f"{name}_encrypted"])


class IntakeFactory(DjangoModelFactory):
    """An intake as the questionnaire leaves it, with its PHQ-9 (8, mild) and GAD-7 (14,
    moderate) unless ``screenings=False``."""

    class Meta:
        model = Intake
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    concerns = factory.LazyFunction(lambda: ["burnout", "anxiety"])
    previous_therapy = "never"
    therapist_gender = ""
    languages = factory.LazyFunction(lambda: ["fr", "en"])
    country = "FR"
    time_zone = "Europe/Paris"
    modality = "video"
    preferred_days = factory.LazyFunction(lambda: [0, 2])
    preferred_times = factory.LazyFunction(lambda: ["evening"])
    created_at = factory.LazyFunction(timezone.now)

    # The patient's own words are encrypted under their data key: set once the patient has an
    # id (an intake only built, never saved, has none).
    @factory.post_generation
    def concerns_text(intake, create, extracted, **kwargs):
        _own_words(
            intake, create, "concerns_text", CONCERNS_TEXT if extracted is None else extracted
        )

    @factory.post_generation
    def goals(intake, create, extracted, **kwargs):
        _own_words(intake, create, "goals", GOALS if extracted is None else extracted)

    @factory.post_generation
    def screenings(intake, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for instrument, answers, band in (
            ("phq9", [1] * 8 + [0], "mild"),
            ("gad7", [2] * 7, "moderate"),
        ):
            ScreeningResultFactory(
                patient=intake.patient,
                intake=intake,
                instrument=instrument,
                answers=answers,
                band=band,
                taken_at=intake.created_at,
            )


class MatchRequestFactory(DjangoModelFactory):
    """A search under way, promised 24 hours after it opened, with its intake (made with the
    same patient and time; shape it with ``intake__<field>=…``)."""

    class Meta:
        model = MatchRequest

    patient = factory.SubFactory(PatientFactory)
    intake = factory.SubFactory(
        IntakeFactory,
        patient=factory.SelfAttribute("..patient"),
        created_at=factory.SelfAttribute("..created_at"),
    )
    created_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(lambda r: r.created_at + timedelta(hours=24))


class OfferFactory(DjangoModelFactory):
    """A pending offer of a search to a therapist, for four hours."""

    class Meta:
        model = Offer

    request = factory.SubFactory(MatchRequestFactory)
    therapist = factory.SubFactory(TherapistProfileFactory)
    score = 1.0
    reasons = factory.LazyFunction(list)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(hours=4))


class SafetyFlagFactory(DjangoModelFactory):
    """A sign of risk at an intake (``intake=None``: at a check-in), not reviewed yet."""

    class Meta:
        model = SafetyFlag

    patient = factory.SubFactory(PatientFactory)
    intake = None
    reason = SafetyFlag.Reason.PHQ9_ITEM9
    created_at = factory.LazyFunction(timezone.now)


class AbroadPracticeFactory(DjangoModelFactory):
    """A therapist who opted in to see their licence countries' people living abroad."""

    class Meta:
        model = AbroadPractice

    therapist = factory.SubFactory(TherapistProfileFactory)
    serves_citizens_abroad = True


class MatchFactory(DjangoModelFactory):
    """A patient and a therapist working together. Only the match: a conversation is
    ``tests.factories.messaging.ConversationFactory``'s (or ``conversation_open``'s)."""

    class Meta:
        model = Match

    patient = factory.SubFactory(PatientFactory)
    therapist = factory.SubFactory(TherapistProfileFactory)
    started_at = factory.LazyFunction(timezone.now)


def make_eligible(user, **fields):
    """Make a named therapist pass the hard filters for a French-speaking patient in France who
    wants video (and specialise in burnout and anxiety), or as ``fields`` say."""
    profile = user.therapist_profile
    defaults = {
        "licensed_countries": ["FR"],
        "modalities": ["video"],
        "specialities": ["burnout", "anxiety"],
    }
    for name, value in (defaults | fields).items():
        setattr(profile, name, value)
    profile.save()
    return profile


def candidate_therapist(**fields) -> TherapistProfile:
    """Another approved therapist who passes the hard filters for the default intake (French,
    France, video), a weaker fit than ``make_eligible``'s by default (grief only)."""
    defaults = {
        "languages": ["fr"],
        "licensed_countries": ["FR"],
        "modalities": ["video"],
        "specialities": ["grief"],
    }
    return cast(TherapistProfile, TherapistProfileFactory(**(defaults | fields)))


def load_emergency_numbers() -> None:
    """The emergency numbers and crisis lines the migrations ship, again: a test that commits
    (``transaction=True``, browser tests) empties every table after it, so the next one loads
    them itself. Idempotent."""
    for name in ("0002_emergency_resources", "0005_emergency_numbers_for_every_country"):
        importlib.import_module(f"matching.migrations.{name}").add(django_apps, None)
