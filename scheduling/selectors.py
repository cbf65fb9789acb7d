from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import TherapistProfile, User
from accounts.selectors import approved_therapist_profile
from scheduling.models import Appointment, AvailabilitySettings


def cancel_cutoff() -> timedelta:
    """How long before a session a patient's cancellation stops being on time (24 h unless
    SCHEDULING_CANCEL_CUTOFF_HOURS says otherwise)."""
    return timedelta(hours=settings.SCHEDULING_CANCEL_CUTOFF_HOURS)


def availability_settings_for(*, therapist: TherapistProfile) -> AvailabilitySettings:
    """The therapist's settings, or the defaults (unsaved) when they never changed them."""
    found = AvailabilitySettings.objects.filter(therapist=therapist).first()
    return found or AvailabilitySettings(therapist=therapist)


def appointments_overlapping(
    *,
    starts_at: datetime,
    ends_at: datetime,
    therapist_id: int,
    patient_id: int,
    exclude_pk: int | None = None,
) -> QuerySet[Appointment]:
    """Booked appointments of this therapist or of this patient that share some of the time
    ``[starts_at, ends_at)`` (one ending as the other starts does not)."""
    appointments = Appointment.objects.filter(
        Q(therapist_id=therapist_id) | Q(patient_id=patient_id),
        status=Appointment.Status.BOOKED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude_pk is not None:
        appointments = appointments.exclude(pk=exclude_pk)
    return appointments


def appointments_for_user(*, user: User) -> QuerySet[Appointment]:
    """Every appointment this user may see: a patient their own, an approved therapist those
    booked with them."""
    if not user.is_authenticated:
        return Appointment.objects.none()
    if user.is_patient:
        return Appointment.objects.filter(patient=user)
    profile = approved_therapist_profile(user=user)
    if profile is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(therapist=profile)


def appointment_get_for_user(*, user: User, pk: int) -> Appointment:
    """One appointment this user may see, or 404."""
    return get_object_or_404(
        appointments_for_user(user=user).select_related("therapist__user", "patient"), pk=pk
    )
