from celery import shared_task

from messaging import services


@shared_task
def sweep_notifications() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): the "you have a new message" emails."""
    return services.notifications_send()
