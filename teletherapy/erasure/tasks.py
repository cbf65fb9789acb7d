"""The erasure's sweeps (CELERY_BEAT_SCHEDULE): thin callers of ``services``."""

from celery import shared_task

from teletherapy.erasure import services


@shared_task
def sweep_erasures() -> int:
    """Every hour: erase the patients whose grace period is over."""
    return services.erasures_sweep()


@shared_task
def sweep_retention() -> int:
    """Every day: delete the retained notes whose retention period is over."""
    return services.retention_sweep()
