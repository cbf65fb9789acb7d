"""Calendars and appointments, for staff to look at. Everything here is written by the
therapists' and patients' own pages through ``scheduling.services``; lists show times and
states only, and patients by nickname."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from scheduling.models import Appointment, AvailabilitySettings, AvailabilityWindow, TimeOff


@admin.register(AvailabilitySettings)
class AvailabilitySettingsAdmin(ReadOnlyAdmin):
    list_display = [
        "therapist",
        "session_minutes",
        "buffer_minutes",
        "notice_hours",
        "horizon_weeks",
    ]
    list_select_related = ["therapist"]
    search_fields = ["therapist__display_name", "therapist__user__email"]


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(ReadOnlyAdmin):
    list_display = ["therapist", "start_time", "end_time"]
    list_select_related = ["therapist"]
    search_fields = ["therapist__display_name", "therapist__user__email"]


@admin.register(TimeOff)
class TimeOffAdmin(ReadOnlyAdmin):
    list_display = ["therapist", "first_day", "last_day"]
    list_select_related = ["therapist"]
    search_fields = ["therapist__display_name", "therapist__user__email"]
    date_hierarchy = "first_day"


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = [
        "starts_at",
        "ends_at",
        "therapist",
        "patient_nickname",
        "modality",
        "status",
        "late_cancellation",
    ]
    list_filter = ["status", "modality", "late_cancellation"]
    list_select_related = ["therapist", "patient__patient_profile"]
    search_fields = ["uid", "therapist__display_name", "patient__patient_profile__nickname"]
    date_hierarchy = "starts_at"
    fields = readonly_fields = (
        "uid",
        "match",
        "therapist",
        "patient",
        "patient_nickname",
        "starts_at",
        "ends_at",
        "modality",
        "status",
        "sequence",
        "created_at",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason_text",
        "late_cancellation",
    )

    @admin.display(description=_("nickname"), ordering="patient__patient_profile__nickname")
    def patient_nickname(self, appointment):
        profile = getattr(appointment.patient, "patient_profile", None)
        return profile.nickname if profile else "—"

    @admin.display(description=_("reason for cancelling"))
    def cancel_reason_text(self, appointment):
        return appointment.cancel_reason_text
