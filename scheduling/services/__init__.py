"""Every write of the scheduling app: booking, cancelling and moving sessions."""

from scheduling.services.booking import (
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointments_cancel_for_ended_match,
)

__all__ = [
    "SlotTaken",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "appointments_cancel_for_ended_match",
]
