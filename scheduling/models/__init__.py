"""The scheduling app's tables, one module per subdomain: ``availability`` (settings, weekly
windows, time off), ``appointments``, ``feeds`` (private calendar feeds), ``reminders``,
``notes`` (the therapist's private session notes) and ``partners`` (couples sessions'
invitations). ``from scheduling.models import X`` works for
each of them (migrations name ``scheduling.models.validate_on_slot_grid``)."""

from scheduling.models.appointments import Appointment, RoomState
from scheduling.models.availability import (
    SLOT_GRID_MINUTES,
    AvailabilitySettings,
    AvailabilityWindow,
    TimeOff,
    validate_on_slot_grid,
)
from scheduling.models.feeds import CalendarFeed
from scheduling.models.notes import RetainedNoteSet, SessionNote, SessionNoteAddendum
from scheduling.models.partners import PartnerInvitation
from scheduling.models.reminders import Reminder

__all__ = [
    "SLOT_GRID_MINUTES",
    "Appointment",
    "AvailabilitySettings",
    "AvailabilityWindow",
    "CalendarFeed",
    "PartnerInvitation",
    "Reminder",
    "RetainedNoteSet",
    "RoomState",
    "SessionNote",
    "SessionNoteAddendum",
    "TimeOff",
    "validate_on_slot_grid",
]
