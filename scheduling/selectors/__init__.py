"""Every read of the scheduling app, one module per subdomain, as in ``services``:
``availability`` (free times, the availability editor), ``booking`` (appointments, the session
pages, the home pages' sessions), ``calendar`` (the therapist's week), ``feeds`` (private
calendar feeds), ``notes`` (the therapist's private session notes), ``partners`` (couples
sessions: invitations, the sessions a partner joins) and ``export`` (a person's own data, for
their export). Selectors never write and never raise Http404: they answer None
and the view decides.

The reads other apps use are importable from here.
"""

from scheduling.selectors.availability import (
    availability_settings_for,
    first_free_slot,
    free_slots_between,
    nearest_free_slots,
    therapist_calendar,
)
from scheduling.selectors.booking import (
    appointment_get_for_user,
    appointment_options,
    appointments_for_user,
    appointments_in_progress_for_match,
    appointments_overlapping,
    appointments_to_cancel_for_ended_match,
    cancel_cutoff,
    next_session_for_patient,
    next_sessions_by_patient,
    patient_current_match,
    sessions_for_user,
    therapist_week_sessions,
)
from scheduling.selectors.export import person_export
from scheduling.selectors.partners import (
    appointment_get_for_partner,
    partner_appointments,
    partner_invitation_by_token,
    partner_invitation_has_account,
    partner_invitation_is_for,
    partner_invitation_live,
    partner_invitation_problem,
    partner_sessions_for,
    with_partner_nicknames,
)

__all__ = [
    "appointment_get_for_partner",
    "appointment_get_for_user",
    "appointment_options",
    "appointments_for_user",
    "appointments_in_progress_for_match",
    "appointments_overlapping",
    "appointments_to_cancel_for_ended_match",
    "availability_settings_for",
    "cancel_cutoff",
    "first_free_slot",
    "free_slots_between",
    "nearest_free_slots",
    "next_session_for_patient",
    "next_sessions_by_patient",
    "partner_appointments",
    "partner_invitation_by_token",
    "partner_invitation_has_account",
    "partner_invitation_is_for",
    "partner_invitation_live",
    "partner_invitation_problem",
    "partner_sessions_for",
    "patient_current_match",
    "person_export",
    "sessions_for_user",
    "therapist_calendar",
    "therapist_week_sessions",
    "with_partner_nicknames",
]
