"""What the erasure's pages read."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from accounts import selectors as accounts_selectors
from accounts.models import User

# Set in the session of a patient who logs in while their account is to be deleted.
ERASURE_PENDING_SESSION_KEY = "erasure_pending"


@dataclass(frozen=True)
class ErasureState:
    pending: bool
    due_at: datetime | None
    grace_days: int
    vault_copies_days: int


def erasure_state(*, user: User) -> ErasureState:
    """Whether the patient's account is to be deleted, and when (one query)."""
    profile = accounts_selectors.patient_erasure_pending(user=user)
    return ErasureState(
        pending=profile is not None,
        due_at=profile.erasure_due_at if profile is not None else None,
        grace_days=settings.ERASURE_GRACE_DAYS,
        vault_copies_days=settings.ERASURE_VAULT_COPIES_DAYS,
    )
