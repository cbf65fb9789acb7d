"""Celery tasks of the ground: sending the outbox, the heartbeat, purging expired sessions."""

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from core import outbox
from core.heartbeat import WORKER, heartbeat_record


@shared_task
def deliver_email(email_id: int) -> bool:
    """Send one email of the outbox now (queued when the transaction that wrote it commits)."""
    return outbox.outbox_deliver(email_id=email_id)


@shared_task
def sweep_outbox() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): retries, and anything a worker missed."""
    return outbox.outbox_sweep()


@shared_task
def heartbeat() -> None:
    """Every HEARTBEAT_SECONDS (CELERY_BEAT_SCHEDULE): a worker is alive and running tasks."""
    heartbeat_record(name=WORKER)


@shared_task
def sweep_sessions() -> None:
    """Every hour (CELERY_BEAT_SCHEDULE): delete the login sessions past their expiry, and with
    them what they held (a visitor's unfinished intake among them): ``clearsessions``."""
    import_string(f"{settings.SESSION_ENGINE}.SessionStore").clear_expired()
