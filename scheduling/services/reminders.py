"""Reminders before each session, SCHEDULING_REMINDER_OFFSETS_MINUTES before it (24 hours and
1 hour by default), to both sides: an email in each one's language and zone, naming nobody,
and an in-app event ``session.reminder``.

**When.** A sweep runs every minute (Celery beat). A reminder is due from its moment (the start
minus its offset) until the next shorter reminder's moment, the shortest until the session
starts; past that window it is skipped for good, as the next one says more. So a session
booked 30 minutes ahead gets the 1-hour reminder at once and no 24-hour reminder; one booked
5 hours ahead gets the 24-hour reminder at once (which then says "today at 15:00"), then the
1-hour one. A sweep that comes late (workers down for a while) still sends what is useful.

**Exactly once.** A reminder is claimed by inserting its ``Reminder`` row, unique per
(appointment, offset, start time), before anything is sent; the appointment's row is locked
while doing so, and one that another sweep (or a booking service moving or cancelling it)
holds is left for the next minute. Of two sweeps at once, one inserts and the other skips; two
in a row find the row. A moved session has a new start time and so new reminders; a cancelled
one gets none.

**A worker killed mid-run: at least once, on purpose.** The claim commits first and the emails
go out after it; ``sent_at`` is written once they are out. A claim still without ``sent_at``
``REDELIVER_AFTER`` later (the worker died, the mail server refused) is claimed again by one
sweep, with a conditional update, and sent again while still within its window. Plain
"claim, then send" would be at most once: a crash between the two would lose the reminder,
and a lost reminder can mean a missed session, while a duplicate costs one more email. A
duplicate needs the worker to die after the mail server took the email and before ``sent_at``
was written (a narrow window); outside such a crash each reminder is sent exactly once.
"""

import math
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import User
from scheduling import calendar_files
from scheduling.models import Appointment, Reminder
from scheduling.services.notices import appointment_recipients
from teletherapy import realtime
from teletherapy.mail import send_templated_mail

# A claim whose emails are not out this long after it is sent again.
REDELIVER_AFTER = timedelta(minutes=5)

# Below this, the subject counts minutes or hours ("starts in 1 hour"); above, it gives the
# day and time ("tomorrow at 14:00").
COUNTDOWN_UP_TO = timedelta(hours=6)


def reminder_windows() -> list[tuple[int, int]]:
    """(offset, next shorter offset or 0) for each configured offset, shortest first: a
    reminder of ``offset`` minutes is due while the session starts in (next, offset]."""
    offsets = sorted(settings.SCHEDULING_REMINDER_OFFSETS_MINUTES)
    return list(zip(offsets, [0, *offsets[:-1]], strict=True))


def reminders_send(*, now: datetime | None = None) -> int:
    """Claim every reminder due at ``now`` and send each after its claim commits (see the
    module for the rules); returns how many were claimed, including ones claimed again because
    their emails never went out."""
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
        undelivered = (
            Reminder.objects.filter(
                offset_minutes=offset,
                sent_at__isnull=True,
                claimed_at__lte=now - REDELIVER_AFTER,
                appointment__status=Appointment.Status.BOOKED,
                appointment__starts_at=F("starts_at"),
            )
            .filter(**window)
            .values_list("pk", flat=True)
        )
        for reminder_id in list(undelivered):
            claimed += _claim_again(reminder_id=reminder_id, now=now)
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
        transaction.on_commit(
            partial(reminder_deliver, reminder_id=reminder.pk, now=now), robust=True
        )
    return True


def _claim_again(*, reminder_id: int, now: datetime) -> bool:
    with transaction.atomic():
        taken = Reminder.objects.filter(
            pk=reminder_id, sent_at__isnull=True, claimed_at__lte=now - REDELIVER_AFTER
        ).update(claimed_at=now)
        if taken:
            transaction.on_commit(
                partial(reminder_deliver, reminder_id=reminder_id, now=now), robust=True
            )
    return bool(taken)


def reminder_deliver(*, reminder_id: int, now: datetime) -> int:
    """Send a claimed reminder to both sides and record it sent; returns how many emails went
    out. Nothing for a reminder already sent, nor once its session was cancelled or moved."""
    reminder = (
        Reminder.objects.select_related("appointment__patient", "appointment__therapist__user")
        .filter(pk=reminder_id, sent_at__isnull=True)
        .first()
    )
    if reminder is None:
        return 0
    appointment = reminder.appointment
    if not appointment.is_booked or appointment.starts_at != reminder.starts_at:
        return 0
    recipients = appointment_recipients(appointment)
    for recipient in recipients:
        _email(appointment=appointment, recipient=recipient, now=now)
    if recipients:
        realtime.send_to_users(
            [recipient.pk for recipient in recipients],
            {"kind": "session.reminder", "appointment": appointment.pk},
        )
    Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now)
    return len(recipients)


def _email(*, appointment: Appointment, recipient: User, now: datetime) -> None:
    zone = ZoneInfo(recipient.time_zone)
    with timezone.override(zone):
        send_templated_mail(
            template="emails/appointment_reminder.txt",
            to=[recipient.email],
            language=recipient.language,
            context={
                "starts_at": appointment.starts_at,
                "time_zone": recipient.time_zone,
                "link": calendar_files.sessions_link(recipient),
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
