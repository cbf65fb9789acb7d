"""Heartbeats: beat records that it scheduled, a worker that it ran; a process silent for
HEALTH_STALE_AFTER_SECONDS is stale."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.beat import ScheduleEntry

from core import tasks
from core.heartbeat import BEAT, WORKER, HeartbeatScheduler, heartbeats, stale_processes
from teletherapy.celery import app

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_nothing_has_beaten_yet_so_both_are_stale():
    assert stale_processes(now=NOW, after=timedelta(minutes=2)) == [BEAT, WORKER]


def test_a_worker_running_the_heartbeat_task_records_itself():
    with time_machine.travel(NOW, tick=False):
        tasks.heartbeat()

    assert heartbeats() == {WORKER: NOW}
    assert stale_processes(now=NOW + timedelta(minutes=2), after=timedelta(minutes=2)) == [BEAT]
    assert stale_processes(now=NOW + timedelta(minutes=3), after=timedelta(minutes=2)) == [
        BEAT,
        WORKER,
    ]


def test_beat_records_itself_when_it_sends_the_heartbeat(tmp_path):
    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    heartbeat = ScheduleEntry(name="core.heartbeat", task="core.tasks.heartbeat", app=app)
    other = ScheduleEntry(name="core.sweep_outbox", task="core.tasks.sweep_outbox", app=app)

    with time_machine.travel(NOW, tick=False):
        scheduler.apply_entry(other, producer=None)
        assert BEAT not in heartbeats()
        scheduler.apply_entry(heartbeat, producer=None)  # eager in tests: the worker runs too

    assert heartbeats() == {BEAT: NOW, WORKER: NOW}
    assert stale_processes(now=NOW + timedelta(seconds=30), after=timedelta(minutes=2)) == []
