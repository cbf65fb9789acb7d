"""Reminders before each session, SCHEDULING_REMINDER_OFFSETS_MINUTES before it (24 hours and
1 hour by default), to both sides and the partner of a couples session: an email in each one's
language and zone, naming nobody, and an in-app event ``session.reminder``.

**When.** A sweep runs every minute (Celery beat). A reminder is due from its moment (the start
minus its offset) until the next shorter reminder's moment, the shortest until the session
starts; past that window it is skipped for good, as the next one says more. So a session
booked 30 minutes ahead gets the 1-hour reminder at once and no 24-hour reminder; one booked
5 hours ahead gets the 24-hour reminder at once (which then says "today at 15:00"), then the
1-hour one. A sweep that comes late (workers down for a while) still sends what is useful.

**Exactly once per recipient.** A reminder is claimed by inserting its ``Reminder`` row,
unique per (appointment, offset, start time); the appointment's row is locked while doing so,
and one that another sweep (or a booking service moving or cancelling it) holds is left for the
next minute. Of two sweeps at once, one inserts and the other skips; two in a row find the row.
In the same transaction as the claim, each recipient's email is written to the outbox (keyed
by the reminder and the address) and the reminder is marked sent: a worker killed before the
commit leaves nothing (the next sweep claims it again), one killed after leaves the emails in
the outbox, which sends each once, with retries (``core.outbox``). A moved session has a new
start time and so new reminders; a cancelled one gets none.
"""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from core import realtime
from core.mail import send_templated_mail
from scheduling import calendar_files
from scheduling.models import Appointment, Reminder
from scheduling.services.notices import appointment_recipients

# Below this, the subject counts minutes or hours ("starts in 1 hour"); above, it gives the
# day and time ("tomorrow at 14:00").
COUNTDOWN_UP_TO = timedelta(hours=6)


def reminder_windows() -> list[tuple[int, int]]:
    """(offset, next shorter offset or 0) for each configured offset, shortest first: a
    reminder of ``offset`` minutes is due while the session starts in (next, offset]."""
    offsets = sorted(settings.SCHEDULING_REMINDER_OFFSETS_MINUTES)
    return list(zip(offsets, [0, *offsets[:-1]], strict=True))


def reminders_send(*, now: datetime | None = None) -> int:
    """Claim every reminder due at ``now`` and write its emails to the outbox (see the module
    for the rules); returns how many were claimed."""
    now = now or timezone.now()
    claimed = 0
    for offset, shorter in reminder_windows():
        window = {
            "starts_at__gt": now + timedelta(minutes=shorter),
            "starts_at__lte": now + timedelta(minutes=offset),
        }
        already = Reminder.objects.filter(
            appointment=OuterRef("pk"), offset_minutes=offset, starts_at=OuterRef("starts_at")
        )
        due = (
            Appointment.objects.filter(status=Appointment.Status.BOOKED, **window)
            .exclude(Exists(already))
            .order_by("starts_at", "pk")
            .values_list("pk", "starts_at")
        )
        for appointment_id, starts_at in list(due):
            claimed += _claim(
                appointment_id=appointment_id, starts_at=starts_at, offset=offset, now=now
            )
    return claimed


def _claim(*, appointment_id: int, starts_at: datetime, offset: int, now: datetime) -> bool:
    with transaction.atomic():
        # Still booked at that time, and nobody else working on it right now.
        still_due = (
            Appointment.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(pk=appointment_id, status=Appointment.Status.BOOKED, starts_at=starts_at)
            .values_list("pk", flat=True)
        )
        if not list(still_due):
            return False
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the rest usable
                reminder = Reminder.objects.create(
                    appointment_id=appointment_id,
                    offset_minutes=offset,
                    starts_at=starts_at,
                    claimed_at=now,
                )
        except IntegrityError:
            return False  # another sweep claimed it and committed first
        _remind(reminder=reminder, now=now)
    return True


def _remind(*, reminder: Reminder, now: datetime) -> int:
    """Write the reminder's emails to the outbox and its in-app event, and mark it sent, in
    the claim's transaction; returns how many people it reminds."""
    appointment = Appointment.objects.select_related("patient", "therapist__user").get(
        pk=reminder.appointment_id
    )
    recipients = appointment_recipients(appointment)
    for recipient in recipients:
        _email(appointment=appointment, recipient=recipient, reminder=reminder, now=now)
    if recipients:
        realtime.send_to_users(
            [recipient.pk for recipient in recipients],
            {"kind": "session.reminder", "appointment": appointment.pk},
        )
    Reminder.objects.filter(pk=reminder.pk).update(sent_at=now)
    return len(recipients)


def _email(*, appointment: Appointment, recipient: User, reminder: Reminder, now: datetime) -> None:
    zone = ZoneInfo(recipient.time_zone)
    with timezone.override(zone):
        send_templated_mail(
            template="emails/appointment_reminder.txt",
            to=[recipient.email],
            language=recipient.language,
            key=f"reminder:{reminder.pk}",
            context={
                "starts_at": appointment.starts_at,
                "time_zone": recipient.time_zone,
                "link": calendar_files.sessions_link_for(appointment, recipient),
                **starts_in(appointment.starts_at, now=now, zone=zone),
            },
        )


def starts_in(starts_at: datetime, *, now: datetime, zone: ZoneInfo) -> dict:
    """How the subject says when the session starts: ``minutes_left`` (under an hour),
    ``hours_left`` (up to ``COUNTDOWN_UP_TO``), else ``day`` ("today", "tomorrow" or "later",
    on the recipient's own calendar)."""
    left = starts_at - now
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    if minutes < 60:
        return {"minutes_left": minutes}
    if left <= COUNTDOWN_UP_TO:
        return {"hours_left": round(minutes / 60)}
    days = (starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days
    return {"day": {0: "today", 1: "tomorrow"}.get(days, "later")}
