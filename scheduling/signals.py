"""Domain events of the scheduling app, sent after the change has committed.

``appointment_changed(appointment_id, change)``: ``change`` is one of ``BOOKED``,
``RESCHEDULED``, ``CANCELLED``, or, for a couples session, ``PARTNER_JOINED`` (the invited
partner accepted) and ``PARTNER_REMOVED`` (the patient withdrew the invitation), for whatever
reacts to appointments beyond scheduling's own emails (those are written to the outbox in the
change's transaction, with it or not at all).
"""

from django.db import transaction
from django.dispatch import Signal

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"
PARTNER_JOINED, PARTNER_REMOVED = "partner joined", "partner removed"

appointment_changed = Signal()


def announce(appointment_id: int, change: str) -> None:
    transaction.on_commit(
        lambda: appointment_changed.send(sender=None, appointment_id=appointment_id, change=change),
        robust=True,
    )
