"""Every route of the scheduling app."""

from django.urls import path, register_converter

from scheduling.views import availability, booking, calendar, feeds, notes, partners


class InvitationTokenConverter:
    """An invitation's token as ``secrets.token_urlsafe`` makes it: anything else (NUL among it)
    is no invitation, 404 before any query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(InvitationTokenConverter, "invitation_token")

urlpatterns = [
    # The patient's sessions (the therapist's too, for one session's page).
    path("sessions/", booking.my_sessions, name="my_sessions"),
    path("sessions/book/", booking.book, name="book_session"),
    path("sessions/<key:pk>/", booking.session_detail, name="session_detail"),
    path("sessions/<key:pk>/cancel/", booking.session_cancel, name="session_cancel"),
    path("sessions/<key:pk>/move/", booking.session_move, name="session_move"),
    # Couples sessions: the patient invites a partner, who accepts from the emailed link.
    path(
        "sessions/<key:pk>/partner/invite/",
        partners.session_partner_invite,
        name="session_partner_invite",
    ),
    path(
        "sessions/<key:pk>/partner/withdraw/",
        partners.session_partner_withdraw,
        name="session_partner_withdraw",
    ),
    path(
        "invitation/<invitation_token:token>/",
        partners.partner_invitation,
        name="partner_invitation",
    ),
    path("invited/", partners.partner_sessions, name="partner_sessions"),
    path(
        "invited/<key:pk>/calendar.ics",
        partners.partner_session_ics,
        name="partner_session_ics",
    ),
    # The therapist's availability.
    path("practice/availability/", availability.availability, name="practice_availability"),
    path(
        "practice/availability/settings/",
        availability.availability_settings_save,
        name="practice_availability_settings",
    ),
    path(
        "practice/availability/hours/",
        availability.availability_window_add,
        name="practice_window_add",
    ),
    path(
        "practice/availability/hours/<key:pk>/remove/",
        availability.availability_window_remove,
        name="practice_window_remove",
    ),
    path(
        "practice/availability/time-off/",
        availability.time_off_add,
        name="practice_time_off_add",
    ),
    path(
        "practice/availability/time-off/<key:pk>/remove/",
        availability.time_off_remove,
        name="practice_time_off_remove",
    ),
    # The therapist's week.
    path("practice/calendar/", calendar.calendar, name="practice_calendar"),
    # The therapist's private session notes.
    path("practice/sessions/<key:pk>/notes/", notes.session_notes, name="session_notes"),
    path(
        "practice/sessions/<key:pk>/notes/save/",
        notes.session_note_save,
        name="session_note_save",
    ),
    path(
        "practice/sessions/<key:pk>/notes/addenda/",
        notes.session_note_addendum_add,
        name="session_note_addendum_add",
    ),
    # Calendar files and private feeds.
    path("calendar/", feeds.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
    path("sessions/<key:pk>/calendar.ics", feeds.appointment_ics, name="appointment_ics"),
]
