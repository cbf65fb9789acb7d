"""Celery tasks of the exports: thin callers of the services, taking ids."""

from celery import shared_task

from teletherapy.exports import services


@shared_task
def build_export(export_id: int) -> bool:
    """Build one export (queued when it is asked for, or started again by the sweep)."""
    return services.export_build(export_id=export_id) is not None


@shared_task
def sweep_exports() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): expired files deleted, stalled builds restarted."""
    result = services.exports_sweep()
    return {"expired": result.expired, "restarted": result.restarted, "failed": result.failed}
