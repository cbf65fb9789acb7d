"""Scheduling: booked sessions and their private notes, a therapist's weekly hours, time off
and session settings."""

from datetime import datetime, time, timedelta
from typing import cast

import factory
import recurrence
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import TherapistProfile
from core import crypto
from matching.models import Match
from scheduling.models import (
    Appointment,
    AvailabilitySettings,
    AvailabilityWindow,
    SessionNote,
    SessionNoteAddendum,
    TimeOff,
)
from tests.factories.accounts import TherapistProfileFactory
from tests.factories.matching import MatchFactory


class AppointmentFactory(DjangoModelFactory[Appointment]):
    """A booked 50-minute video session of a match, a week from now by default."""

    class Meta:
        model = Appointment

    match = factory.SubFactory(MatchFactory)
    therapist = factory.SelfAttribute("match.therapist")
    patient = factory.SelfAttribute("match.patient")
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(minutes=50))
    modality = "video"
    status = Appointment.Status.BOOKED
    cancelled_at = factory.LazyAttribute(
        lambda a: a.starts_at - timedelta(days=1) if a.status == "cancelled" else None
    )


class SessionNoteFactory(DjangoModelFactory[SessionNote]):
    """The therapist's private note of a session, with ``body`` encrypted at rest under the
    patient's data key."""

    class Meta:
        model = SessionNote
        exclude = ["body"]

    appointment = factory.SubFactory(AppointmentFactory)
    therapist = factory.SelfAttribute("appointment.therapist")
    body = "Worked on sleep."
    body_encrypted = factory.LazyAttribute(
        lambda n: crypto.encrypt_text_for(n.appointment.patient_id, n.body)
    )


class SessionNoteAddendumFactory(DjangoModelFactory[SessionNoteAddendum]):
    """Words added to a locked note, with ``body`` encrypted at rest."""

    class Meta:
        model = SessionNoteAddendum
        exclude = ["body"]

    note = factory.SubFactory(SessionNoteFactory)
    body = "Added after supervision."
    body_encrypted = factory.LazyAttribute(
        lambda a: crypto.encrypt_text_for(a.note.appointment.patient_id, a.body)
    )


def weekly(*weekdays: int) -> recurrence.Recurrence:
    """A rule on these weekdays (0 = Monday) every week, as the availability editor writes it."""
    rule = recurrence.Rule(recurrence.WEEKLY, byday=[recurrence.to_weekday(d) for d in weekdays])
    return recurrence.Recurrence(rrules=[rule])


class AvailabilityWindowFactory(DjangoModelFactory[AvailabilityWindow]):
    """Weekly hours of a therapist, Monday to Friday 09:00-12:00 (wall time in their zone) by
    default; ``rule=weekly(0, 2)`` for other days."""

    class Meta:
        model = AvailabilityWindow

    therapist = factory.SubFactory(TherapistProfileFactory)
    rule = factory.LazyFunction(lambda: weekly(0, 1, 2, 3, 4))
    start_time = time(9)
    end_time = time(12)


class TimeOffFactory(DjangoModelFactory[TimeOff]):
    """A day off of a therapist, a week from today (days of their zone)."""

    class Meta:
        model = TimeOff

    therapist = factory.SubFactory(TherapistProfileFactory)
    first_day = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    last_day = factory.SelfAttribute("first_day")


class AvailabilitySettingsFactory(DjangoModelFactory[AvailabilitySettings]):
    """A therapist's session settings, the defaults unless given."""

    class Meta:
        model = AvailabilitySettings
        django_get_or_create = ("therapist",)

    therapist = factory.SubFactory(TherapistProfileFactory)


def session_of(
    patient, therapist: TherapistProfile, starts_at: datetime, minutes: int = 50, **fields
) -> Appointment:
    """A session of this patient with this therapist, written directly (the booking rules are
    tested on their own), in their match: the one they have, or a new one."""
    match = Match.objects.filter(patient=patient, therapist=therapist).first()
    if match is None:
        match = cast(Match, MatchFactory(patient=patient, therapist=therapist))
    return AppointmentFactory.create(
        match=match, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes), **fields
    )
