from celery import shared_task

from scheduling import services


@shared_task
def sweep_reminders() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): the reminders before sessions."""
    return services.reminders_send()


@shared_task
def send_appointment_notices(appointment_id: int, change: str) -> int:
    """The emails to both sides of a booked, moved or cancelled appointment."""
    return services.appointment_notices_send(appointment_id=appointment_id, change=change)
