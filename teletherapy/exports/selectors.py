"""Every read of the exports: which parts make a person's data, the export a page shows, the
one its owner may download (and its bytes, decrypted), and what the sweep has to do.

Selectors never write and never raise Http404: what a user may not have is None, and the view
answers 404.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

import accounts.selectors
import audit.selectors
import matching.selectors
import messaging.selectors
import scheduling.selectors
import sessions_video.selectors
from accounts.models import User
from core import crypto
from teletherapy.exports.models import DataExport

# A file of an export: where it goes in the archive, and how to read its bytes (decrypted).
ExportFile = tuple[str, Callable[[], bytes]]


@dataclass(frozen=True)
class Part:
    """One app's part of a person's data.

    ``data(user=…)`` returns top-level entries of ``data.json`` (plain values, dicts and lists,
    JSON-able with ``DjangoJSONEncoder``), already limited to what is this person's to take;
    ``files(user=…)``, when the part has files, returns them as (path in the archive, read),
    the paths being the ones its data names. Each app decides in its own selector what belongs
    to whom (a therapist's export has no patient's data: see docs/features.md)."""

    name: str
    data: Callable[..., dict]
    files: Callable[..., list[ExportFile]] | None = None


# The extension point: a part that lands later is one more line, its selector in its own app.
# Order is the order of data.json.
PARTS: tuple[Part, ...] = (
    Part(
        "accounts",
        accounts.selectors.person_export,
        accounts.selectors.person_export_files,
    ),
    Part("matching", matching.selectors.person_export),
    Part("goals_and_worksheets", matching.selectors.care_export),
    Part(
        "messaging",
        messaging.selectors.person_export,
        messaging.selectors.person_export_files,
    ),
    Part("scheduling", scheduling.selectors.person_export),
    Part("sessions_video", sessions_video.selectors.person_export),
    Part("audit", audit.selectors.person_export),
)


def export_latest_for_user(*, user: User | AnonymousUser) -> DataExport | None:
    """The user's latest export (under way, ready, failed or expired), or None: what the
    Privacy page shows."""
    if not user.is_authenticated:
        return None
    return DataExport.objects.filter(user=user).order_by("-requested_at", "-pk").first()


def privacy_section(*, user: User, now: datetime) -> dict:
    """What Privacy → Download my data shows (``exports/privacy/_export.html`` reads it as
    ``data``): the latest export, the copy ready to download if any, how long copies are kept.
    Two queries."""
    return {
        "export": export_latest_for_user(user=user),
        "ready": export_downloadable_for_user(user=user, now=now),
        "keep_days": settings.EXPORT_KEEP_DAYS,
    }


def export_under_way_for_user(*, user: User) -> DataExport | None:
    """The user's export being prepared (queued or running), if any: there is at most one."""
    return DataExport.objects.filter(
        user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING]
    ).first()


def export_downloadable_for_user(
    *, user: User | AnonymousUser, now: datetime, pk: int | None = None
) -> DataExport | None:
    """The user's own ready export (``pk``, or their newest) that has not expired at ``now``;
    None for anyone else's, staff included, for an expired one and for one never made."""
    if not user.is_authenticated:
        return None
    exports = DataExport.objects.filter(
        user=user, status=DataExport.Status.READY, expires_at__gt=now
    ).exclude(file="")
    if pk is not None:
        exports = exports.filter(pk=pk)
    return exports.order_by("-ready_at", "-pk").first()


def export_chunks(export: DataExport) -> Iterator[bytes]:
    """The zip's bytes, decrypted a chunk at a time (``DataExport.CHUNK_BYTES``), for its owner
    (the caller checked)."""
    with export.file.open("rb") as stored:
        for line in stored:
            token = line.strip()
            if token:
                yield crypto.decrypt_bytes(token)


def exports_to_expire(*, now: datetime) -> list[int]:
    """Ready exports whose time is up at ``now`` (ids)."""
    return list(
        DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )


def exports_stalled(*, now: datetime) -> QuerySet[DataExport]:
    """Exports under way that nothing moved for EXPORT_STALE_MINUTES: queued without a worker
    taking them (the broker lost the task), or running without progress (the worker died)."""
    silent_since = now - timedelta(minutes=settings.EXPORT_STALE_MINUTES)
    queued = Q(status=DataExport.Status.QUEUED, requested_at__lte=silent_since) & ~Q(
        heartbeat_at__gt=silent_since
    )
    running = Q(status=DataExport.Status.RUNNING, heartbeat_at__lte=silent_since)
    return DataExport.objects.filter(queued | running)
