from celery import shared_task

from sessions_video import services


@shared_task
def sweep_rooms() -> int:
    """Close the rooms whose window is over and record no-shows (every minute)."""
    return services.rooms_close()
