from celery import shared_task

from scheduling import services


@shared_task
def sweep_reminders() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): the reminders before sessions."""
    return services.reminders_send()
