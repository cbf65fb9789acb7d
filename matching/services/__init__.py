"""Every write of the matching app: the intake, offers and the 24-hour sweep, switching,
check-ins, safety flags, the waiting list and practice abroad."""

from matching.services.abroad import abroad_practice_set
from matching.services.checkins import (
    Checkin,
    checkin_invitations_sweep,
    checkin_record,
)
from matching.services.intake import (
    INTAKE_STEPS,
    IncompleteIntake,
    intake_draft_forget,
    intake_draft_save,
    intake_in_danger,
    intake_record,
    intake_step_record,
    match_request_open,
    screening_record,
)
from matching.services.journal import (
    journal_entry_change,
    journal_entry_delete,
    journal_entry_share,
    journal_entry_unshare,
    journal_entry_write,
)
from matching.services.offers import (
    OfferError,
    match_request_assign,
    matching_sweep,
    offer_accept,
    offer_decline,
    offer_next,
    therapist_offers_withdraw,
    waiting_list_release,
)
from matching.services.safety import safety_flags_raise
from matching.services.switching import SwitchError, match_switch

__all__ = [
    "INTAKE_STEPS",
    "Checkin",
    "IncompleteIntake",
    "OfferError",
    "SwitchError",
    "abroad_practice_set",
    "checkin_invitations_sweep",
    "checkin_record",
    "intake_draft_forget",
    "intake_draft_save",
    "intake_in_danger",
    "intake_record",
    "intake_step_record",
    "journal_entry_change",
    "journal_entry_delete",
    "journal_entry_share",
    "journal_entry_unshare",
    "journal_entry_write",
    "match_request_assign",
    "match_request_open",
    "match_switch",
    "matching_sweep",
    "offer_accept",
    "offer_decline",
    "offer_next",
    "safety_flags_raise",
    "screening_record",
    "therapist_offers_withdraw",
    "waiting_list_release",
]
