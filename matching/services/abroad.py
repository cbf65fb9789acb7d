"""Practice abroad: a therapist opts in (or out) to see people from the countries where they
are licensed who now live elsewhere (the jurisdiction rule, docs/features.md)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import TherapistProfile
from matching.models import AbroadPractice
from matching.services.offers import waiting_list_release


@transaction.atomic
def abroad_practice_set(
    *, therapist: TherapistProfile, serves_citizens_abroad: bool, now: datetime | None = None
) -> AbroadPractice:
    """Record the therapist's choice. Opting in may let someone off the waiting list at once
    (after commit); opting out changes nothing already under way (offers out, matches)."""
    now = now or timezone.now()
    practice, _created = AbroadPractice.objects.select_for_update().get_or_create(
        therapist=therapist, defaults={"changed_at": now}
    )
    if practice.serves_citizens_abroad != serves_citizens_abroad:
        practice.serves_citizens_abroad = serves_citizens_abroad
        practice.changed_at = now
        practice.save(update_fields=["serves_citizens_abroad", "changed_at"])
    if serves_citizens_abroad:
        transaction.on_commit(lambda: waiting_list_release())
    return practice
