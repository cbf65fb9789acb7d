"""Celery tasks of matching: thin callers of the services, taking ids."""

from celery import shared_task

from matching import selectors, services
from matching.services.worksheets import worksheet_reminders_sweep


@shared_task
def sweep() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): expiry, the waiting list, re-offers, the 24-hour
    escalation."""
    return services.matching_sweep()


@shared_task
def offer_next_for_request(request_id: int) -> int | None:
    """The first offer of a new request, without waiting for the sweep."""
    request = selectors.match_request_get(pk=request_id)
    if request is None:
        return None
    offer = services.offer_next(request=request)
    return None if offer is None else offer.pk


@shared_task
def release_waiting_list() -> int:
    """Right after a therapist is approved: whoever they can see leaves the waiting list."""
    return services.waiting_list_release()


@shared_task
def sweep_checkin_invitations() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): invite patients whose check-in is due, once each."""
    return services.checkin_invitations_sweep()


@shared_task
def sweep_worksheet_reminders() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): remind patients of an exercise due tomorrow or
    today, once each."""
    return worksheet_reminders_sweep()
