"""The two pages people live in, composed from each app's selectors: the practitioner dashboard
and the patient home. Each is a fixed number of queries, however many patients, sessions and
messages there are (asserted in tests/teletherapy/test_dashboard.py)."""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.timesince import timesince
from django.utils.translation import gettext

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
class ScoreCell:
    """A caseload row's latest score on one questionnaire, as the table shows it."""

    score: int
    band: str  # the score's band, in words
    direction: str  # ``ScoreTrend.direction``
    amount: int | None  # ``ScoreTrend.amount``
    change_text: str = ""  # the change in words, for screen readers: "down 3, better"


@dataclass(frozen=True)
class CaseloadRow:
    match: Match
    conversation: messaging.ConversationBrief | None
    next_session: Appointment | None
    scores: dict[str, matching.ScoreTrend]  # by instrument: "phq9", "gad7"
    # What the row shows, worked out here once per row (URLs reversed once for all rows)
    # rather than by tags and filters in the template's loop.
    patient_name: str = ""
    patient_url: str = ""
    refresh_url: str = ""  # the row alone, fetched again when its conversation changes
    conversation_url: str = ""
    last_at_iso: str = ""  # the last message's time in the viewer's zone
    last_at_text: str = ""
    waiting_for: str = ""  # how long the first unanswered message has waited, in words
    next_session_url: str = ""
    next_session_iso: str = ""
    next_session_text: str = ""
    phq9: ScoreCell | None = None
    gad7: ScoreCell | None = None


@dataclass(frozen=True)
class SessionRow:
    session: Appointment  # with its ``room_state``
    waiting_room: rooms.WaitingRoom | None = None  # while its room is open, once entered
    # What the row shows, worked out once per row in the viewer's zone and language (URLs
    # reversed once for all rows) rather than by tags and filters in the template's loop.
    patient_name: str = ""
    url: str = ""
    notes_url: str = ""
    late_url: str = ""
    starts_iso: str = ""
    starts_text: str = ""  # "Mon 7 Dec, 14:00"
    start_time: str = ""  # "14:00"
    end_time: str = ""


@dataclass(frozen=True)
class CaseloadSection:
    """The dashboard's caseload, as fetched again alone when it changes."""

    profile: TherapistProfile
    caseload: list[CaseloadRow]
    reply_time: timedelta | None


@dataclass(frozen=True)
class SessionsSection:
    """The dashboard's sessions, as fetched again alone when a waiting room changes."""

    today: list[SessionRow]
    next_days: list[SessionRow]  # the COMING_DAYS days after today, whatever the weekday
    coming_days: int


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
    zone = zoneinfo.ZoneInfo(therapist.time_zone)
    caseload = therapist_caseload_section(therapist=therapist, now=now)
    sessions = therapist_sessions_section(therapist=therapist, now=now)
    license_days_left = None
    if profile.license_expiry is not None:
        license_days_left = (profile.license_expiry - now.astimezone(zone).date()).days
    return TherapistDashboard(
        profile=profile,
        offers=[
            offer_card_context(brief, now)
            for brief in matching.therapist_offer_briefs(therapist=profile, now=now)
        ],
        caseload=caseload.caseload,
        today=sessions.today,
        next_days=sessions.next_days,
        coming_days=sessions.coming_days,
        reply_time=caseload.reply_time,
        banners=_banners(profile, len(caseload.caseload), license_days_left),
        license_days_left=license_days_left,
        care=matching.care_lines(
            therapist=therapist,
            caseload=[row.match for row in caseload.caseload],
            today=now.astimezone(zone).date(),
        ),
    )


def therapist_caseload_section(*, therapist: User, now: datetime) -> CaseloadSection:
    """The caseload's rows and the usual reply time, nothing else of the dashboard."""
    caseload = matching.therapist_caseload(therapist=therapist)
    return CaseloadSection(
        profile=therapist.therapist_profile,
        caseload=_caseload_rows(therapist, caseload, now, everyone=True),
        reply_time=messaging.therapist_reply_time(therapist_id=therapist.pk, now=now),
    )


def therapist_caseload_row(
    *, therapist: User, patient_id: int, now: datetime
) -> CaseloadRow | None:
    """One patient's row of the caseload, read for that patient alone (what a live event about
    their conversation changes: its unread count, last message, wait), or None if they are not
    a current patient of this therapist."""
    caseload = matching.therapist_caseload(therapist=therapist, patient_id=patient_id)
    rows = _caseload_rows(therapist, caseload, now, everyone=False)
    return rows[0] if rows else None


def therapist_sessions_section(*, therapist: User, now: datetime) -> SessionsSection:
    """Today's sessions and the next days', with the waiting rooms of those whose room is open
    (one just after midnight too), nothing else of the dashboard."""
    zone = zoneinfo.ZoneInfo(therapist.time_zone)
    week = scheduling.therapist_week_sessions(
        therapist=therapist.therapist_profile, now=now, zone=zone
    )
    open_rooms = [
        session.pk
        for session in week["today"] + week["next_days"]
        if session.room_state == RoomState.OPEN
    ]
    waiting = rooms.waiting_rooms(appointment_ids=open_rooms)
    show = _session_row_maker(waiting)
    return SessionsSection(
        today=[show(session) for session in week["today"]],
        next_days=[show(session) for session in week["next_days"]],
        coming_days=COMING_DAYS,
    )


def _session_row_maker(
    waiting: dict[int, rooms.WaitingRoom],
) -> Callable[[Appointment], SessionRow]:
    """A session's row in the viewer's zone and language (those of the request, as the
    template's ``date`` and ``time`` filters would show them)."""
    session_url = _url_for("session_detail")
    notes_url = _url_for("session_notes")
    late_url = _url_for("session_late")

    def row(session: Appointment) -> SessionRow:
        starts_at = timezone.localtime(session.starts_at)
        start_time = starts_at.strftime("%H:%M")
        return SessionRow(
            session,
            waiting.get(session.pk),
            patient_name=session.patient.patient_profile.display_name,
            url=session_url(session.pk),
            notes_url=notes_url(session.pk),
            late_url=late_url(session.pk),
            starts_iso=starts_at.isoformat(),
            starts_text=date_filter(starts_at, "D j M, H:i"),
            start_time=start_time,
            end_time=timezone.localtime(session.ends_at).strftime("%H:%M"),
        )

    return row


def _url_for(name: str, kwarg: str = "pk") -> Callable[[int], str]:
    """``reverse(name, kwargs={kwarg: pk})`` (an ``int`` path converter) for many rows at the
    cost of one reverse: the URL with a placeholder, the placeholder replaced by each key."""
    placeholder = 2_147_483_647
    head, tail = reverse(name, kwargs={kwarg: placeholder}).split(str(placeholder))
    return lambda pk: f"{head}{pk}{tail}"


def _change_text(direction: str, amount: int | None) -> str:
    if direction == "better":
        return gettext("down %(change)s, better") % {"change": localize(amount)}
    if direction == "worse":
        return gettext("up %(change)s, worse") % {"change": localize(amount)}
    if direction == "same":
        return gettext("unchanged")
    return ""


def _score_cell(trend: matching.ScoreTrend | None, words: dict[tuple, str]) -> ScoreCell | None:
    """``words``: the bands and changes already put in words for other rows (a translation
    each, the same few for every row)."""
    if trend is None:
        return None
    latest = trend.latest
    band, change = (latest.instrument, latest.band), (trend.direction, trend.amount)
    if band not in words:
        words[band] = latest.band_label
    if change not in words:
        words[change] = _change_text(*change)
    return ScoreCell(latest.score, words[band], trend.direction, trend.amount, words[change])


def _caseload_rows(
    therapist: User, caseload: list[Match], now: datetime, *, everyone: bool
) -> list[CaseloadRow]:
    """The rows of these patients of the caseload (``everyone``: all of it, which reads each
    patient's next session in the same query), each shown in the viewer's zone and language
    (those of the request: the template's ``date`` and ``timesince`` filters, applied here
    once)."""
    if not caseload:
        return []
    patient_ids = [match.patient_id for match in caseload]
    conversations = messaging.caseload_conversations(therapist=therapist, patient_ids=patient_ids)
    next_sessions = scheduling.next_sessions_by_patient(
        therapist=therapist.therapist_profile,
        now=now,
        patient_ids=None if everyone else patient_ids,
    )
    scores = matching.screening_trends(patient_ids=patient_ids)
    patient_url = _url_for("therapist_patient", "patient_id")
    refresh_url = _url_for("dashboard_caseload_row", "patient_id")
    conversation_url = _url_for("conversation")
    session_url = _url_for("session_detail")
    words: dict[tuple, str] = {}
    rows = []
    for match in caseload:
        brief = conversations.get(match.patient_id)
        next_session = next_sessions.get(match.patient_id)
        trends = scores.get(match.patient_id, {})
        shown: dict = {}
        if brief is not None and brief.last_at is not None:
            last_at = timezone.localtime(brief.last_at)
            shown.update(
                conversation_url=conversation_url(brief.conversation_id),
                last_at_iso=last_at.isoformat(),
                last_at_text=date_filter(last_at, "SHORT_DATETIME_FORMAT"),
            )
            if brief.waiting_since is not None:
                shown["waiting_for"] = timesince(brief.waiting_since, now)
        if next_session is not None:
            starts_at = timezone.localtime(next_session.starts_at)
            shown.update(
                next_session_url=session_url(next_session.pk),
                next_session_iso=starts_at.isoformat(),
                next_session_text=date_filter(starts_at, "D j M, H:i"),
            )
        rows.append(
            CaseloadRow(
                match=match,
                conversation=brief,
                next_session=next_session,
                scores=trends,
                patient_name=match.patient.patient_profile.display_name,
                patient_url=patient_url(match.patient_id),
                refresh_url=refresh_url(match.patient_id),
                phq9=_score_cell(trends.get("phq9"), words),
                gad7=_score_cell(trends.get("gad7"), words),
                **shown,
            )
        )
    return rows


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
