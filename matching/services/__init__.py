"""Every write of the matching app: the intake, offers and the 24-hour sweep, switching,
check-ins."""

from matching.services.checkins import (
    Checkin,
    checkin_invitations_sweep,
    checkin_record,
)
from matching.services.intake import (
    INTAKE_STEPS,
    IncompleteIntake,
    intake_in_danger,
    intake_record,
    match_request_open,
    screening_record,
)
from matching.services.offers import (
    OfferError,
    match_request_assign,
    matching_sweep,
    offer_accept,
    offer_decline,
    offer_next,
    therapist_offers_withdraw,
)
from matching.services.switching import SwitchError, match_switch, switch_candidates

__all__ = [
    "INTAKE_STEPS",
    "Checkin",
    "IncompleteIntake",
    "OfferError",
    "SwitchError",
    "checkin_invitations_sweep",
    "checkin_record",
    "intake_in_danger",
    "intake_record",
    "match_request_assign",
    "match_request_open",
    "match_switch",
    "matching_sweep",
    "offer_accept",
    "offer_decline",
    "offer_next",
    "screening_record",
    "switch_candidates",
    "therapist_offers_withdraw",
]
