"""Session rooms: one per appointment, made on first use, and who connected to it when."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Modality
from scheduling.models import Appointment


def new_room_token() -> str:
    return secrets.token_urlsafe(24)


class Room(models.Model):
    """Where one appointment takes place, at ``/room/<token>/``.

    The token, not the appointment's id, names the room in URLs, so that an address seen in a
    history or a log says nothing about whose session it was. Made on first use
    (``services.room_for``). ``started_at``: when both parties were first in the room together;
    ``ended_at``: when the last one left (cleared again if someone comes back).
    """

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="room", verbose_name=_("appointment")
    )
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_room_token, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Set by the sweep once the room's window is over (``services.rooms_close``): who never came.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    patient_no_show = models.BooleanField(_("patient did not come"), default=False)
    # A call (video or phone) starts once the therapist lets the patient in from the waiting
    # room (``services.room_admit``); a reload after that goes straight back in.
    admitted_at = models.DateTimeField(_("patient let in at"), null=True, blank=True)
    # "I'll be N minutes late", said by the therapist (``services.room_late``), shown to the
    # patient in the waiting room. Never about the session's content.
    # A couples session's partner is let in on their own (or with the patient, both at once).
    partner_admitted_at = models.DateTimeField(_("partner let in at"), null=True, blank=True)
    late_minutes = models.PositiveSmallIntegerField(
        _("therapist late by (minutes)"), null=True, blank=True
    )
    late_said_at = models.DateTimeField(_("lateness said at"), null=True, blank=True)
    # The therapist may share their screen in a video session; the patient only once the
    # therapist lets them, in the room (``services.room_screen_policy_set``).
    patient_may_share_screen = models.BooleanField(
        _("the patient may share their screen"), default=False
    )
    therapist_no_show = models.BooleanField(_("therapist did not come"), default=False)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self):
        return f"room of appointment {self.appointment_id}"

    @property
    def has_waiting_room(self) -> bool:
        """Calls have a waiting room; a live-chat session starts when both are there."""
        return self.appointment.modality != Modality.CHAT

    @property
    def duration_minutes(self) -> int | None:
        """How long both parties were there together, from first together to last leaving."""
        if self.started_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds() / 60)


class Attendance(models.Model):
    """One connection of one participant to a room: a row per socket, open while
    ``left_at`` is empty.

    The open rows are the room's presence, shared by every daphne process: the database allows
    one open row per user and room (``attendance_one_open_per_user``); ``services.room_join``
    holds the room's row lock while it counts them, so a room never has more than two (three
    in a couples session: its patient, their partner and the therapist).

    ``last_seen_at``: when the socket's process last confirmed the connection (a heartbeat every
    ``ROOM_HEARTBEAT_SECONDS``). An open row not confirmed for ``ROOM_ATTENDANCE_STALE_SECONDS``
    belongs to a process that died without closing it: the next one to join takes it over.
    """

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"],
                condition=Q(left_at__isnull=True),
                name="attendance_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="attendance_leaves_after_joining",
            ),
        ]

    def __str__(self):
        return f"attendance {self.pk} in room {self.room_id}"
