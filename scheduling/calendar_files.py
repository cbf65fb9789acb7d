"""Calendar files (iCalendar, RFC 5545): one session, for an email or a download, and the
private feed a calendar app subscribes to.

What a calendar shows is seen by anyone who glances at a phone's lock screen, a shared family
calendar or a work calendar that mirrors the personal one. So an event is titled "Session" and
says nothing else: no name of either side, no word such as "therapy", no modality; marked
private (shared calendars then show it as busy); its description is only the link to the
viewer's sessions page, where logging in shows the rest.

An appointment keeps one ``UID`` (``<appointment.uid>@<site host>``) across reschedules, and its
``SEQUENCE`` counts the changes, so calendar apps move or remove the event they already hold.
Times are written in UTC.
"""

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import pgettext
from icalendar import Calendar, Event, vCalAddress

from accounts.models import User
from core.mail import site_link
from scheduling import selectors
from scheduling.models import Appointment

# iCalendar METHODs: an invitation or its update, its withdrawal, a plain file to import.
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"
METHODS = (REQUEST, CANCEL, PUBLISH)

# The feed holds booked sessions from this many days ago on.
FEED_PAST_DAYS = 30


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def sessions_link(user: User | None) -> str:
    """The absolute link to the page listing ``user``'s sessions (a patient's by default)."""
    if user is not None and user.is_therapist:
        return site_link("practice_calendar")
    return site_link("my_sessions")


def sessions_link_for(appointment: Appointment, user: User | None) -> str:
    """The link to the page where ``user`` finds this appointment: a partner invited to it
    (who is neither its patient nor its therapist) has their own page of invited sessions."""
    if user is not None and user.pk not in (appointment.patient_id, appointment.therapist_id):
        return site_link("partner_sessions")
    return sessions_link(user)


def event_uid(appointment: Appointment) -> str:
    return f"{appointment.uid}@{site_host()}"


def appointment_ics(
    appointment: Appointment,
    *,
    method: str,
    viewer: User | None = None,
    now: datetime | None = None,
) -> bytes:
    """One appointment as a calendar file.

    ``REQUEST`` adds or updates the event (booked, moved), ``CANCEL`` removes it (its status
    is then CANCELLED whatever the appointment's), ``PUBLISH`` is a file to import. The title
    is in the active language; the link goes to ``viewer``'s sessions page (a patient's if
    none is given).
    """
    if method not in METHODS:
        raise ValueError(f"unknown iCalendar method {method!r}")
    calendar = _calendar(method=method)
    cancelled = method == CANCEL or not appointment.is_booked
    calendar.add_component(
        _event(appointment, viewer=viewer, now=now, cancelled=cancelled, organizer=True)
    )
    return calendar.to_ical()


def feed_ics(user: User, *, now: datetime | None = None) -> bytes:
    """The user's private feed: their booked sessions from ``FEED_PAST_DAYS`` ago on (a
    patient's own, an approved therapist's with all their patients; nothing for anyone else),
    titled in the user's language. A cancelled session leaves the feed, and so the calendar."""
    now = now or timezone.now()
    appointments = (
        selectors.appointments_for_user(user=user)
        .filter(
            status=Appointment.Status.BOOKED,
            starts_at__gte=now - timedelta(days=FEED_PAST_DAYS),
        )
        .order_by("starts_at", "pk")
    )
    with translation.override(user.language):
        calendar = _calendar(method=None)
        calendar.add("x-wr-calname", pgettext("calendar name", "Sessions"))
        # How often calendar apps should fetch the feed again.
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", timedelta(hours=1))
        for appointment in appointments:
            calendar.add_component(
                _event(appointment, viewer=user, now=now, cancelled=False, organizer=False)
            )
    return calendar.to_ical()


def _calendar(*, method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//{site_host()}//sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _event(
    appointment: Appointment,
    *,
    viewer: User | None,
    now: datetime | None,
    cancelled: bool,
    organizer: bool,
) -> Event:
    link = sessions_link_for(appointment, viewer)
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    # "Session", not "Therapy session": the title is what strangers see (see the module).
    event.add("summary", pgettext("calendar event title", "Session"))
    event.add("description", link)
    event.add("url", link)
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        # Invitations (REQUEST, CANCEL) need an organizer for some calendar apps to accept an
        # update: the platform's sending address, never a person's.
        event.add("organizer", vCalAddress(f"mailto:{_no_reply_address()}"))
    return event


def _no_reply_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"no-reply@{site_host()}"
