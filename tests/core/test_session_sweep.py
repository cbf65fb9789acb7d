"""Expired login sessions (and what they hold: a visitor's unfinished intake, sealed) are
deleted by a sweep every hour (``core.tasks.sweep_sessions``, issue 17 item 7), under a
controlled clock: one past its expiry goes, one still valid stays."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from core import tasks

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


def _session(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    assert store.session_key is not None
    return store.session_key


def test_the_sweep_deletes_expired_sessions_only():
    with time_machine.travel(START, tick=False) as clock:
        old = _session(intake="sealed answers")
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 3600))
        fresh = _session(intake="sealed answers")
        clock.shift(timedelta(hours=2))  # the first is past its age, the second is not

        tasks.sweep_sessions()

        assert list(Session.objects.values_list("session_key", flat=True)) == [fresh]
        assert old != fresh
        tasks.sweep_sessions()  # again: nothing more to do
        assert Session.objects.count() == 1


def test_the_sweep_is_on_beats_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["core.sweep_sessions"]
    assert entry["task"] == "core.tasks.sweep_sessions"
    assert entry["schedule"] <= 3600
