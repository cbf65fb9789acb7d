"""Every write of the scheduling app: booking, cancelling and moving sessions."""

from scheduling.services.availability import (
    availability_settings_update,
    availability_window_add,
    availability_window_remove,
    time_off_add,
    time_off_remove,
)
from scheduling.services.booking import (
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointments_cancel_for_ended_match,
    appointments_cancel_for_unavailable_therapist,
)
from scheduling.services.partners import (
    InvitationUnusable,
    partner_invitation_accept,
    partner_invitation_accept_new,
    partner_invitation_withdraw,
    partner_invite,
)

__all__ = [
    "SlotTaken",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "appointments_cancel_for_ended_match",
    "appointments_cancel_for_unavailable_therapist",
    "availability_settings_update",
    "availability_window_add",
    "availability_window_remove",
    "time_off_add",
    "time_off_remove",
]
from scheduling.services.feeds import calendar_feed_renew, calendar_feed_revoke
from scheduling.services.notices import appointment_notices_send
from scheduling.services.reminders import reminders_send

__all__ += ["appointment_notices_send", "calendar_feed_renew", "calendar_feed_revoke"]
__all__ += ["reminders_send"]
__all__ += [
    "InvitationUnusable",
    "partner_invitation_accept",
    "partner_invitation_accept_new",
    "partner_invitation_withdraw",
    "partner_invite",
]
