"""Every write of the matching app: the intake, offers and the 24-hour sweep, switching."""

from matching.services.intake import (
    INTAKE_STEPS,
    IncompleteIntake,
    intake_in_danger,
    intake_record,
    match_request_open,
    screening_record,
)

__all__ = [
    "INTAKE_STEPS",
    "IncompleteIntake",
    "intake_in_danger",
    "intake_record",
    "match_request_open",
    "screening_record",
]
