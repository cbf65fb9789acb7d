"""Domain events of the scheduling app, sent after the change has committed.

``appointment_changed(appointment_id, change)``: ``change`` is one of ``BOOKED``,
``RESCHEDULED``, ``CANCELLED``. Emails, calendar files and reminders react to it; the services
that change appointments know nothing of them.
"""

from django.db import transaction
from django.dispatch import Signal

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"

appointment_changed = Signal()


def announce(appointment_id: int, change: str) -> None:
    transaction.on_commit(
        lambda: appointment_changed.send(sender=None, appointment_id=appointment_id, change=change),
        robust=True,
    )
