"""Scheduling's facts in words for pages: what a change of therapist does to the sessions
booked with the therapist the patient leaves (shown before they confirm it)."""

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from scheduling.models import Appointment


def _day(appointment: Appointment) -> dict[str, str]:
    """The session's day and time in the active language and time zone."""
    local = timezone.localtime(appointment.starts_at)
    return {"day": date_format(local, "l j F"), "time": time_format(local, "H:i")}


def match_end_lines(*, cancelled: list[Appointment], in_progress: list[Appointment]) -> list[str]:
    """One line per session: those a change of therapist cancels (both sides are emailed), and
    the one under way that it leaves be. Nothing when nothing is booked."""
    lines = [
        _("Your session on %(day)s at %(time)s will be cancelled; you will both be told by email.")
        % _day(appointment)
        for appointment in cancelled
    ]
    lines += [
        _("Your session of %(day)s at %(time)s is under way: it is not cancelled.")
        % _day(appointment)
        for appointment in in_progress
    ]
    return lines
