"""A change of therapist and the sessions booked with the former one: those to come are
cancelled, with an email to both sides; one under way (its room already open) never is. Before
the patient confirms, the switch page asks (``match_end_previewed``) and is told which, in the
patient's language and time zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from matching.services.switching import match_switch
from matching.signals import match_end_previewed
from scheduling import receivers, services
from scheduling.models import Appointment
from tests.factories.matching import IntakeFactory, MatchFactory
from tests.factories.scheduling import AppointmentFactory
from tests.helpers import outbox_to

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def match(patient, therapist):
    return MatchFactory(patient=patient, therapist=therapist.therapist_profile)


def session(match, starts_at: datetime, **fields) -> Appointment:
    return AppointmentFactory.create(
        match=match, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50), **fields
    )


def booked(appointment: Appointment) -> bool:
    appointment.refresh_from_db()
    return appointment.is_booked


def test_sessions_to_come_are_cancelled_by_nobody_and_never_late(match):
    future = [session(match, NOW + timedelta(days=n)) for n in (1, 2, 9)]

    assert services.appointments_cancel_for_ended_match(match_id=match.pk, now=NOW) == 3
    assert services.appointments_cancel_for_ended_match(match_id=match.pk, now=NOW) == 0

    for appointment in future:
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        assert appointment.cancelled_at == NOW
        assert appointment.cancelled_by is None
        assert appointment.late_cancellation is False
        assert appointment.sequence == 1
        assert appointment.cancel_reason_text.startswith("Cancelled automatically")


@pytest.mark.parametrize(
    ("starts_in", "kept"),
    [
        (timedelta(minutes=-20), True),  # under way
        (timedelta(minutes=5), True),  # not started, but the two may be in its open room
        (timedelta(minutes=10), True),  # its room opens now
        (timedelta(minutes=10, seconds=1), False),  # its room opens in a second
        (timedelta(days=-7), True),  # over
    ],
)
def test_a_session_whose_room_is_open_is_never_cancelled(match, starts_in, kept):
    appointment = session(match, NOW + starts_in)

    cancelled = services.appointments_cancel_for_ended_match(match_id=match.pk, now=NOW)

    assert booked(appointment) is kept
    assert cancelled == (0 if kept else 1)


def test_the_room_window_follows_the_settings(match, settings):
    settings.SESSION_ROOM_OPENS_MINUTES_BEFORE = 30
    soon = session(match, NOW + timedelta(minutes=25))

    assert services.appointments_cancel_for_ended_match(match_id=match.pk, now=NOW) == 0
    assert booked(soon)


def test_only_the_ended_matchs_sessions(match, therapist, other_patient):
    other = session(
        MatchFactory(patient=other_patient, therapist=therapist.therapist_profile),
        NOW + timedelta(days=1),
    )

    services.appointments_cancel_for_ended_match(match_id=match.pk, now=NOW)

    assert booked(other)


def test_changing_therapist_cancels_with_notice_and_keeps_the_session_under_way(
    match, patient, therapist, django_capture_on_commit_callbacks
):
    """Through the real switch and its signal, under a controlled clock."""
    IntakeFactory(patient=patient)
    begun_early = session(match, NOW + timedelta(minutes=5))
    tomorrow = session(match, NOW + timedelta(days=1))

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        match_switch(patient=patient, reason="", share_earlier_history=False)

    assert booked(begun_early)
    assert not booked(tomorrow)
    for person in (patient, therapist):
        cancellations = [email for email in outbox_to(person.email) if "cancelled" in email.subject]
        assert len(cancellations) == 1  # tomorrow's, not the one under way


# --- What the switch page is told before the patient confirms ----------------------------------


def preview(match) -> list[str]:
    """What scheduling answers to the switch page's question."""
    answers = dict(match_end_previewed.send(sender=None, match_id=match.pk))
    lines = answers[receivers.sessions_a_change_of_therapist_cancels]
    assert isinstance(lines, list)
    return lines


def test_the_preview_lists_what_will_be_cancelled_and_what_will_not(match):
    session(match, NOW - timedelta(minutes=20))  # under way
    session(match, NOW + timedelta(days=1, hours=2))  # Tuesday 11:00 UTC
    session(match, NOW - timedelta(days=3))  # over: not mentioned
    session(match, NOW + timedelta(days=2), status="cancelled")  # not mentioned

    with time_machine.travel(NOW, tick=False), timezone.override(TOKYO):
        lines = preview(match)

    assert lines == [
        "Your session on Tuesday 5 March at 20:00 will be cancelled; you will both be told by "
        "email.",
        "Your session of Monday 4 March at 17:40 is under way: it is not cancelled.",
    ]


def test_the_preview_is_in_the_patients_language(match):
    session(match, NOW + timedelta(days=1, hours=2))

    with (
        time_machine.travel(NOW, tick=False),
        timezone.override(ZoneInfo("Europe/Paris")),
        translation.override("fr"),
    ):
        lines = preview(match)

    # French typography: a no-break space before the semicolon. (The weekday's capital comes
    # from the catalogue's "Tuesday", shared with the day names of the forms.)
    assert [line.replace("Mardi", "mardi") for line in lines] == [
        "Votre séance du mardi 5 mars à 12:00 sera annulée\u00a0; vous en serez prévenus tous "
        "les deux par e-mail."
    ]


def test_the_preview_changes_nothing(match):
    tomorrow = session(match, NOW + timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        assert len(preview(match)) == 1

    assert booked(tomorrow)


def test_nothing_booked_nothing_said(match):
    with time_machine.travel(NOW, tick=False):
        assert preview(match) == []
