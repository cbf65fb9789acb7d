"""Heartbeats of the background processes, so that a dead worker or beat is noticed.

Matching's 24-hour promise, reminders and the outbox all stop silently when Celery beat or the
worker dies. Beat sends ``core.tasks.heartbeat`` every HEARTBEAT_SECONDS and, through
``HeartbeatScheduler``, records that it did (``beat``); a worker running that task records
``worker``. ``/healthz/`` reads both: a stale beat means nothing is being scheduled; a fresh
beat with a stale worker means tasks wait in the broker with nobody to run them.
"""

from datetime import datetime, timedelta

import django
from celery.beat import PersistentScheduler
from django.utils import timezone

BEAT, WORKER = "beat", "worker"
HEARTBEAT_TASK = "core.tasks.heartbeat"


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    from core.models import Heartbeat  # the scheduler imports this module before Django is set up

    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})


def heartbeats() -> dict[str, datetime]:
    """When each process last beat."""
    from core.models import Heartbeat

    return dict(Heartbeat.objects.values_list("name", "at"))


def stale_processes(*, now: datetime, after: timedelta) -> list[str]:
    """``beat`` and ``worker`` when they have not beaten for ``after`` (or never)."""
    beats = heartbeats()
    return [name for name in (BEAT, WORKER) if name not in beats or now - beats[name] > after]


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's own scheduler, recording ``beat`` each time it sends the heartbeat task."""

    def __init__(self, *args, **kwargs):
        django.setup()
        super().__init__(*args, **kwargs)

    def apply_entry(self, entry, producer=None):
        super().apply_entry(entry, producer=producer)
        if entry.task == HEARTBEAT_TASK:
            heartbeat_record(name=BEAT)
