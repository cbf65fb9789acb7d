"""The two pages people live in, composed from each app's selectors: the practitioner dashboard
and the patient home. Each is a fixed number of queries, however many patients, sessions and
messages there are (asserted in tests/teletherapy/test_dashboard.py)."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accounts.models import TherapistProfile, User
from matching import selectors as matching
from matching.models import Match
from matching.presenters.offers import offer_card_context
from matching.presenters.reasons import reason_texts
from messaging import selectors as messaging
from scheduling import selectors as scheduling
from scheduling.models import Appointment, RoomState
from scheduling.selectors.booking import COMING_DAYS
from sessions_video import selectors as rooms

LICENSE_WARNING_DAYS = 30


@dataclass(frozen=True)
class CaseloadRow:
    match: Match
    conversation: messaging.ConversationBrief | None
    next_session: Appointment | None
    scores: dict[str, matching.ScoreTrend]  # by instrument: "phq9", "gad7"


@dataclass(frozen=True)
class SessionRow:
    session: Appointment  # with its ``room_state``
    waiting_room: rooms.WaitingRoom | None = None  # while its room is open, once entered


@dataclass(frozen=True)
class TherapistDashboard:
    profile: TherapistProfile
    offers: list[dict]  # the offer cards' contexts
    caseload: list[CaseloadRow]
    today: list[SessionRow]
    next_days: list[SessionRow]  # the COMING_DAYS days after today, whatever the weekday
    coming_days: int
    reply_time: timedelta | None
    banners: list[str] = field(default_factory=list)  # kinds: see ``_banners``
    license_days_left: int | None = None
    # The caseload's goals (progress) and worksheets (status), soonest due first.
    care: list[matching.CareLine] = field(default_factory=list)


def therapist_dashboard(*, therapist: User, now: datetime) -> TherapistDashboard:
    profile = therapist.therapist_profile
    caseload = matching.therapist_caseload(therapist=therapist)
    patient_ids = [match.patient_id for match in caseload]
    conversations = messaging.caseload_conversations(therapist=therapist, patient_ids=patient_ids)
    next_sessions = scheduling.next_sessions_by_patient(therapist=profile, now=now)
    scores = matching.screening_trends(patient_ids=patient_ids)
    zone = zoneinfo.ZoneInfo(therapist.time_zone)
    week = scheduling.therapist_week_sessions(therapist=profile, now=now, zone=zone)
    # The waiting rooms of the sessions whose room is open (one just after midnight too).
    open_rooms = [
        session.pk
        for session in week["today"] + week["next_days"]
        if session.room_state == RoomState.OPEN
    ]
    waiting = rooms.waiting_rooms(appointment_ids=open_rooms)
    license_days_left = None
    if profile.license_expiry is not None:
        license_days_left = (profile.license_expiry - now.astimezone(zone).date()).days
    return TherapistDashboard(
        profile=profile,
        offers=[
            offer_card_context(brief, now)
            for brief in matching.therapist_offer_briefs(therapist=profile, now=now)
        ],
        caseload=[
            CaseloadRow(
                match=match,
                conversation=conversations.get(match.patient_id),
                next_session=next_sessions.get(match.patient_id),
                scores=scores.get(match.patient_id, {}),
            )
            for match in caseload
        ],
        today=[SessionRow(session, waiting.get(session.pk)) for session in week["today"]],
        next_days=[SessionRow(session, waiting.get(session.pk)) for session in week["next_days"]],
        coming_days=COMING_DAYS,
        reply_time=messaging.therapist_reply_time(therapist_id=therapist.pk, now=now),
        banners=_banners(profile, len(caseload), license_days_left),
        license_days_left=license_days_left,
        care=matching.care_lines(
            therapist=therapist, caseload=caseload, today=now.astimezone(zone).date()
        ),
    )


def _banners(profile: TherapistProfile, caseload: int, license_days_left: int | None) -> list[str]:
    """What the therapist should know first: ``license_expired`` / ``license_expiring`` (within
    LICENSE_WARNING_DAYS), ``caseload_full``. (Without an authenticator app a therapist never
    gets here: MFARequiredMiddleware sends them to set one up first.)"""
    banners = []
    if license_days_left is not None and license_days_left < 0:
        banners.append("license_expired")
    elif license_days_left is not None and license_days_left <= LICENSE_WARNING_DAYS:
        banners.append("license_expiring")
    if caseload >= profile.caseload_limit:
        banners.append("caseload_full")
    return banners


@dataclass(frozen=True)
class PatientHome:
    match: Match | None
    request: object | None  # the open MatchRequest while the search runs
    reasons: list[str]
    reply_time: timedelta | None  # how soon their therapist usually answers
    next_session: Appointment | None
    unread: int
    checkin: matching.CheckinStatus | None
    scores: list  # the screening history, oldest first, for the progress charts


def patient_home(*, patient: User, now: datetime) -> PatientHome:
    state = matching.patient_matching_state(patient=patient)
    match = state["match"]
    return PatientHome(
        match=match,
        request=state["request"],
        reasons=reason_texts(match.reasons) if match else [],
        reply_time=(
            messaging.therapist_reply_time(therapist_id=match.therapist.user_id, now=now)
            if match
            else None
        ),
        next_session=scheduling.next_session_for_patient(patient=patient, now=now),
        unread=messaging.unread_count(user=patient),
        checkin=matching.checkin_status(patient=patient, now=now),
        scores=matching.screening_history(patient=patient),
    )
