"""Due-date reminders of worksheets (issue 18, item 3): one email per worksheet, the day before
it is due (or on the day, if given that late) in the patient's time zone, saying nothing of
the exercise; never for one done, nor for a former therapist's; exactly once, however many
sweeps run, at once or one after the other. The sweep runs on a controlled clock."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail

from matching.models import Match, WorksheetAssignment
from matching.services.worksheets import worksheet_answers_save, worksheet_reminders_sweep
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.goals import WorksheetAssignmentFactory, WorksheetFactory
from tests.factories.matching import MatchFactory
from tests.helpers import outbox_to, run_together

pytestmark = pytest.mark.django_db

DUE = date(2026, 12, 10)
# 09:00 in Paris the day before it is due.
DAY_BEFORE = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


def given_to(patient, due=DUE, **fields):
    match = Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).first()
    if match is None:
        match = MatchFactory(patient=patient, therapist=TherapistFactory().therapist_profile)
    sheet = WorksheetFactory(slug="private-title", title_en="Panic diary", title_fr="Panique")
    return WorksheetAssignmentFactory(match=match, worksheet=sheet, due_date=due, **fields)


@pytest.fixture
def patient():
    return PatientFactory(email="robin@example.test", time_zone="Europe/Paris", language="en")


def test_two_sweeps_send_one_content_free_email(patient):
    given = given_to(patient)
    worksheet_answers_save(assignment=given, answers={"a-0-moment": "The metro"}, now=DAY_BEFORE)

    assert worksheet_reminders_sweep(now=DAY_BEFORE) == 1
    assert worksheet_reminders_sweep(now=DAY_BEFORE + timedelta(minutes=15)) == 0
    assert worksheet_reminders_sweep(now=DAY_BEFORE + timedelta(hours=20)) == 0  # due day

    sent = outbox_to(patient.email)
    assert len(sent) == 1
    message = sent[0]
    assert "You have an exercise due tomorrow" in message.subject
    assert "/exercises/" in message.body
    assert f"/{given.pk}/" not in message.body
    for secret in ("Panic", "Panique", "metro", "diary"):
        assert secret not in message.subject
        assert secret not in message.body
    given.refresh_from_db()
    assert given.reminded_at == DAY_BEFORE


def test_nothing_before_the_day_before_and_nothing_for_one_done_or_overdue(patient):
    given_to(patient, done_at=DAY_BEFORE - timedelta(days=1))
    given_to(patient, due=DUE - timedelta(days=2))  # overdue by then
    later = given_to(patient, due=DUE + timedelta(days=3))

    assert worksheet_reminders_sweep(now=DAY_BEFORE) == 0
    assert mail.outbox == []
    assert worksheet_reminders_sweep(now=DAY_BEFORE + timedelta(days=3)) == 1
    assert WorksheetAssignment.objects.get(reminded_at__isnull=False) == later


def test_given_on_the_day_it_is_due_the_reminder_says_today(patient):
    given_to(patient, due=DAY_BEFORE.date())

    assert worksheet_reminders_sweep(now=DAY_BEFORE) == 1
    assert "You have an exercise due today" in outbox_to(patient.email)[0].subject


def test_marked_done_before_the_sweep_no_email(patient):
    given = given_to(patient)
    WorksheetAssignment.objects.filter(pk=given.pk).update(done_at=DAY_BEFORE)

    assert worksheet_reminders_sweep(now=DAY_BEFORE) == 0
    assert mail.outbox == []


def test_not_for_a_former_therapists_worksheet(patient):
    given = given_to(patient)
    Match.objects.filter(pk=given.match_id).update(status=Match.Status.ENDED)

    assert worksheet_reminders_sweep(now=DAY_BEFORE) == 0


def test_the_day_is_the_patients_own():
    """At 20:00 UTC on the 8th it is already the 9th in Auckland (the day before): reminded;
    in Los Angeles it is still the 8th: not yet."""
    auckland = PatientFactory(time_zone="Pacific/Auckland")
    los_angeles = PatientFactory(time_zone="America/Los_Angeles")
    given_to(auckland)
    given_to(los_angeles)

    assert worksheet_reminders_sweep(now=datetime(2026, 12, 8, 20, 0, tzinfo=UTC)) == 1
    assert len(outbox_to(auckland.email)) == 1
    assert outbox_to(los_angeles.email) == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_each_worksheet_once():
    patients = [PatientFactory(time_zone="Europe/Paris") for _ in range(5)]
    for patient in patients:
        given_to(patient)

    results = run_together([lambda: worksheet_reminders_sweep(now=DAY_BEFORE)] * 2)

    assert sum(results) == len(patients)
    for patient in patients:
        assert len(outbox_to(patient.email)) == 1


def test_the_sweep_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["matching.sweep_worksheet_reminders"]
    assert entry["task"] == "matching.tasks.sweep_worksheet_reminders"
    assert entry["schedule"] <= 3600
