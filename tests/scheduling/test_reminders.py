"""Reminders before a session: 24 hours and 1 hour before it by default, to both sides, each
exactly once however the sweeps run (twice in a row, two at once, one that died half-way), never
for a cancelled session, following a moved one, and naming nobody."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import F
from django.utils import timezone

from core.models import OutboxEmail
from core.outbox import outbox_sweep
from scheduling import services, tasks
from scheduling.models import Appointment, Reminder
from scheduling.services import reminders
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.scheduling import session_of
from tests.helpers import link_in, outbox_to, run_together

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # Monday 4 March 2030, 10:00 in Paris
STARTS_AT = datetime(2030, 3, 6, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Paris
DAY_BEFORE = STARTS_AT - timedelta(hours=24)
HOUR_BEFORE = STARTS_AT - timedelta(hours=1)
PREFIX = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX


def appointment_for(patient, therapist_user, starts_at=STARTS_AT, **fields) -> Appointment:
    return session_of(
        patient, therapist_user.therapist_profile, starts_at, created_at=NOW, **fields
    )


@pytest.fixture
def appointment(patient, therapist) -> Appointment:
    return appointment_for(patient, therapist)


@pytest.fixture
def events(monkeypatch) -> list:
    """The in-app events the reminders send, as (user ids, event)."""
    sent = []
    monkeypatch.setattr(
        reminders.realtime, "send_to_users", lambda ids, event: sent.append((sorted(ids), event))
    )
    return sent


@pytest.fixture
def sweep(django_capture_on_commit_callbacks, events):
    """One sweep at ``at``; what follows each claim's commit runs unless ``deliver=False``
    (a worker killed right after committing its claims)."""

    def run(at: datetime, *, deliver: bool = True) -> int:
        with django_capture_on_commit_callbacks(execute=deliver):
            return services.reminders_send(now=at)

    return run


def subjects_to(address: str) -> list[str]:
    return [email.subject.removeprefix(PREFIX) for email in outbox_to(address)]


def move(appointment: Appointment, starts_at: datetime) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50), sequence=F("sequence") + 1
    )


# --- Settings and schedule ---------------------------------------------------------------------


def test_the_defaults_are_a_day_and_an_hour_before():
    assert settings.SCHEDULING_REMINDER_OFFSETS_MINUTES == [60, 1440]
    assert reminders.reminder_windows() == [(60, 0), (1440, 60)]


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["scheduling.sweep_reminders"]

    assert entry == {"task": "scheduling.tasks.sweep_reminders", "schedule": 60.0}
    assert tasks.sweep_reminders.name == entry["task"]


def test_the_task_runs_the_sweep(patient, therapist, django_capture_on_commit_callbacks, events):
    appointment_for(patient, therapist, starts_at=timezone.now() + timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_reminders.apply().get() == 1

    assert len(outbox_to(patient.email)) == 1
    assert len(outbox_to(therapist.email)) == 1


# --- When ---------------------------------------------------------------------------------------


def test_a_day_and_an_hour_before_once_each(appointment, patient, therapist, sweep, events):
    assert sweep(DAY_BEFORE - timedelta(seconds=1)) == 0
    assert mail.outbox == []

    assert sweep(DAY_BEFORE) == 1
    assert subjects_to(patient.email) == ["Your session is tomorrow at 10 a.m."]
    assert subjects_to(therapist.email) == ["Your session is tomorrow at 10 a.m."]

    for at in (DAY_BEFORE + timedelta(minutes=1), NOW + timedelta(days=1, hours=12)):
        assert sweep(at) == 0
    assert sweep(HOUR_BEFORE - timedelta(seconds=1)) == 0
    assert len(mail.outbox) == 2

    assert sweep(HOUR_BEFORE) == 1
    assert subjects_to(patient.email)[1:] == ["Your session starts in 1 hour"]
    assert subjects_to(therapist.email)[1:] == ["Your session starts in 1 hour"]

    for minutes in (1, 30, 59, 60, 61, 120):
        assert sweep(HOUR_BEFORE + timedelta(minutes=minutes)) == 0
    assert len(mail.outbox) == 4
    assert [
        (r.offset_minutes, r.starts_at, r.sent_at) for r in Reminder.objects.order_by("pk")
    ] == [
        (1440, STARTS_AT, DAY_BEFORE),
        (60, STARTS_AT, HOUR_BEFORE),
    ]
    session_reminder = {"kind": "session.reminder", "appointment": appointment.pk}
    assert events == [(sorted([patient.pk, therapist.pk]), session_reminder)] * 2


def test_a_sweep_a_little_late_still_reminds(appointment, patient, sweep):
    assert sweep(HOUR_BEFORE + timedelta(seconds=50)) == 1

    assert subjects_to(patient.email) == ["Your session starts in 1 hour"]


def test_two_sweeps_in_a_row_send_once(appointment, patient, therapist, sweep):
    assert sweep(HOUR_BEFORE) == 1
    assert sweep(HOUR_BEFORE) == 0

    assert len(outbox_to(patient.email)) == 1
    assert len(outbox_to(therapist.email)) == 1


def test_a_session_booked_half_an_hour_ahead_gets_only_the_hour_reminder(patient, therapist, sweep):
    appointment_for(patient, therapist, starts_at=NOW + timedelta(minutes=30))

    assert sweep(NOW) == 1
    for minutes in range(1, 40):
        assert sweep(NOW + timedelta(minutes=minutes)) == 0

    assert subjects_to(patient.email) == ["Your session starts in 30 minutes"]
    assert list(Reminder.objects.values_list("offset_minutes", flat=True)) == [60]


def test_a_session_booked_five_hours_ahead_gets_both_reminders(patient, therapist, sweep):
    starts_at = NOW + timedelta(hours=5)
    appointment_for(patient, therapist, starts_at=starts_at)

    assert sweep(NOW) == 1
    assert sweep(starts_at - timedelta(hours=1)) == 1

    assert subjects_to(patient.email) == [
        "Your session starts in 5 hours",
        "Your session starts in 1 hour",
    ]


def test_a_reminder_days_ahead_gives_the_date(patient, therapist, sweep, settings):
    settings.SCHEDULING_REMINDER_OFFSETS_MINUTES = [3 * 24 * 60]
    appointment_for(patient, therapist, starts_at=STARTS_AT + timedelta(days=2))

    assert sweep(NOW + timedelta(days=1)) == 1

    assert subjects_to(patient.email) == ["Your session is on Friday, March 8, 2030 at 10 a.m."]


def test_nothing_once_the_session_has_started(patient, therapist, sweep):
    appointment_for(patient, therapist, starts_at=NOW - timedelta(minutes=50))
    appointment_for(patient, therapist, starts_at=NOW)

    assert sweep(NOW) == 0
    assert mail.outbox == []


def test_no_reminder_for_a_cancelled_session(appointment, patient, sweep):
    services.appointment_cancel(appointment=appointment, by=patient, now=NOW)

    for at in (DAY_BEFORE, HOUR_BEFORE, STARTS_AT - timedelta(minutes=1)):
        assert sweep(at) == 0
    assert [m.subject for m in mail.outbox if "starts" in m.subject] == []  # the notice only
    assert not Reminder.objects.exists()


def test_reminders_follow_a_moved_session(appointment, patient, sweep):
    assert sweep(DAY_BEFORE) == 1
    moved_to = STARTS_AT + timedelta(days=1, hours=4)
    move(appointment, moved_to)

    assert sweep(HOUR_BEFORE) == 0
    assert sweep(moved_to - timedelta(hours=24, seconds=1)) == 0
    assert sweep(moved_to - timedelta(hours=24)) == 1
    assert sweep(moved_to - timedelta(hours=1)) == 1

    assert subjects_to(patient.email) == [
        "Your session is tomorrow at 10 a.m.",
        "Your session is tomorrow at 2 p.m.",
        "Your session starts in 1 hour",
    ]
    assert sorted(Reminder.objects.values_list("offset_minutes", "starts_at")) == [
        (60, moved_to),
        (1440, STARTS_AT),
        (1440, moved_to),
    ]


def test_each_session_has_its_own_reminders(patient, therapist, other_patient, sweep):
    appointment_for(patient, therapist)
    appointment_for(other_patient, therapist, starts_at=STARTS_AT + timedelta(days=2))

    assert sweep(HOUR_BEFORE) == 1
    assert sweep(HOUR_BEFORE + timedelta(days=2)) == 1

    assert len(outbox_to(patient.email)) == 1
    assert len(outbox_to(other_patient.email)) == 1
    assert len(outbox_to(therapist.email)) == 2


# --- What they say, to whom -------------------------------------------------------------------


def test_the_email_names_nobody_and_links_to_the_sessions_page(
    appointment, patient, therapist, sweep
):
    sweep(HOUR_BEFORE)

    (to_patient,) = outbox_to(patient.email)
    (to_therapist,) = outbox_to(therapist.email)
    assert link_in(to_patient.body, "/") == "/sessions/"
    assert link_in(to_therapist.body, "/") == "/practice/calendar/"
    secrets = [
        patient.patient_profile.nickname,
        patient.email,
        therapist.therapist_profile.display_name,
        therapist.email,
        "video",
    ]
    for email in (to_patient, to_therapist):
        assert email.attachments == []
        for secret in secrets:
            assert secret not in email.subject + email.body
        assert "therap" not in email.subject.lower()
        assert "Wednesday, March 6, 2030 at 10 a.m. (Europe/Paris)" in email.body


def test_the_email_is_in_the_recipients_language_and_zone(appointment, patient, therapist, sweep):
    therapist.language = "fr"
    therapist.time_zone = "America/Montreal"
    therapist.save(update_fields=["language", "time_zone"])

    sweep(DAY_BEFORE)

    (to_therapist,) = outbox_to(therapist.email)
    (to_patient,) = outbox_to(patient.email)
    assert "Bonjour" in to_therapist.body
    assert "6 mars 2030" in to_therapist.body
    assert "04:00 (America/Montreal)" in to_therapist.body
    assert "Hello" in to_patient.body


def test_inactive_and_suspended_people_are_not_reminded(appointment, patient, therapist, sweep):
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    sweep(DAY_BEFORE)
    assert outbox_to(patient.email) == []
    assert len(outbox_to(therapist.email)) == 1

    profile = therapist.therapist_profile
    profile.vetting_status = profile.VettingStatus.SUSPENDED
    profile.save(update_fields=["vetting_status"])

    assert sweep(HOUR_BEFORE) == 1  # claimed, and nobody left to tell
    assert len(mail.outbox) == 1
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


def test_the_in_app_event_goes_to_both_sides_only(
    appointment, patient, therapist, other_patient, sweep, events
):
    sweep(HOUR_BEFORE)

    assert events == [
        (
            sorted([patient.pk, therapist.pk]),
            {"kind": "session.reminder", "appointment": appointment.pk},
        )
    ]


# --- A worker killed half-way ------------------------------------------------------------------


@pytest.mark.outbox_rows
def test_a_worker_killed_after_the_claim_leaves_the_emails_to_the_outbox(
    appointment, patient, therapist, sweep
):
    assert sweep(HOUR_BEFORE, deliver=False) == 1  # committed; the worker died before sending
    assert mail.outbox == []
    assert OutboxEmail.objects.filter(state="pending").count() == 2

    for minutes in (1, 2, 4, 6):
        assert sweep(HOUR_BEFORE + timedelta(minutes=minutes)) == 0  # never claimed again
    assert outbox_sweep(now=HOUR_BEFORE + timedelta(minutes=1)) == 2
    assert outbox_sweep(now=HOUR_BEFORE + timedelta(minutes=2)) == 0

    assert subjects_to(patient.email) == ["Your session starts in 1 hour"]
    assert len(outbox_to(therapist.email)) == 1


def test_a_worker_killed_between_the_two_emails_leaves_nothing_half_done(
    appointment, patient, therapist, sweep, monkeypatch
):
    real = reminders.send_templated_mail
    calls = []

    def dies_at_the_second(**kwargs):
        calls.append(kwargs["to"])
        if len(calls) == 2:
            raise SystemExit("the worker was killed")
        real(**kwargs)

    monkeypatch.setattr(reminders, "send_templated_mail", dies_at_the_second)
    with pytest.raises(SystemExit):
        sweep(HOUR_BEFORE)
    assert not Reminder.objects.exists()
    assert not OutboxEmail.objects.exists()

    monkeypatch.setattr(reminders, "send_templated_mail", real)
    assert sweep(HOUR_BEFORE + timedelta(minutes=5)) == 1
    assert sweep(HOUR_BEFORE + timedelta(minutes=6)) == 0
    assert len(outbox_to(patient.email)) == 1
    assert len(outbox_to(therapist.email)) == 1


def test_a_lost_day_reminder_is_not_sent_once_the_hour_one_is_due(appointment, patient, sweep):
    assert sweep(HOUR_BEFORE) == 1

    assert subjects_to(patient.email) == ["Your session starts in 1 hour"]


def test_a_claim_for_a_session_cancelled_since_sends_nothing_more(appointment, patient, sweep):
    services.appointment_cancel(appointment=appointment, by=patient, now=HOUR_BEFORE)

    assert sweep(HOUR_BEFORE + timedelta(minutes=10)) == 0
    assert not [m for m in mail.outbox if "starts in" in m.subject]


# --- Two sweeps at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sweeps_at_once_remind_each_side_once(events):
    appointments = [
        appointment_for(PatientFactory(), TherapistFactory(), starts_at=STARTS_AT) for _ in range(6)
    ]

    results = run_together([lambda: services.reminders_send(now=HOUR_BEFORE)] * 4)

    assert sum(results) == len(appointments)
    for appointment in appointments:
        assert len(outbox_to(appointment.patient.email)) == 1
        assert len(outbox_to(appointment.therapist.user.email)) == 1
    assert len(mail.outbox) == 2 * len(appointments)
    assert Reminder.objects.filter(sent_at__isnull=False).count() == len(appointments)
    assert len(events) == len(appointments)
