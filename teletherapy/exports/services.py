"""Every write of the exports: asking for one, building it (the Celery task's work), recording
a download, and the sweep that deletes expired files and starts stalled builds again.

A build gathers every part of ``selectors.PARTS`` in the person's language and time zone,
writes a zip (``data.json``, ``summary.html`` and the files) to a temporary file, encrypts it
chunk by chunk into private storage, and only then marks the export ready, emails its owner
(content-free) and tells their open pages. Progress is written to the row as it goes and
announced on the owner's events socket (``export.progress``, ids only).
"""

import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from audit.models import AccessEntry
from audit.services import access_record
from core import crypto, realtime
from core.mail import send_templated_mail, site_link
from core.storage import private_storage
from teletherapy.exports import selectors, signals
from teletherapy.exports.models import DataExport, export_file_name

logger = logging.getLogger(__name__)

FORMAT = "havre-data-export"
FORMAT_VERSION = 1
# A build records a sign of life at least this often, even when its percentage stays the same.
HEARTBEAT_EVERY = timedelta(seconds=30)


def _announce(export: DataExport) -> None:
    """Tell the owner's open pages that their export changed (after commit; ids only)."""
    realtime.send_to_users([export.user_id], {"kind": "export.progress", "export": export.pk})


def export_request(*, user: User, now: datetime | None = None) -> tuple[DataExport, bool]:
    """Ask for a copy of ``user``'s data: a new export, built by a worker once this commits,
    or the one already under way (one at a time: asking again shows it). Returns the export
    and whether it is new."""
    under_way = selectors.export_under_way_for_user(user=user)
    if under_way is not None:
        return under_way, False
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user, requested_at=now or timezone.now())
    except IntegrityError:
        # The same person asked twice at once (two tabs): the other request's export stands.
        under_way = selectors.export_under_way_for_user(user=user)
        if under_way is None:
            raise
        return under_way, False
    # Robust: should the broker be down, the sweep starts it within EXPORT_STALE_MINUTES.
    transaction.on_commit(
        partial(signals.export_requested.send, sender=None, export_id=export.pk), robust=True
    )
    _announce(export)
    return export, True


class _Superseded(Exception):
    """This build is no longer its export's current one: the sweep started it again after it
    was silent too long, or the export (or its owner) is gone. It stops without writing."""


class _Progress:
    """Counts a build's steps and writes its percentage (and a sign of life) to the row while
    the build is still the export's current attempt."""

    def __init__(self, export: DataExport, total: int) -> None:
        self.export = export
        self.total = max(total, 1)
        self.done = 0
        self.percent = 0
        self.written_at = timezone.now()

    def advance(self) -> None:
        self.done += 1
        # 100 is for the moment the file is stored and the export ready.
        percent = min(99, self.done * 100 // self.total)
        now = timezone.now()
        if percent == self.percent and now - self.written_at < HEARTBEAT_EVERY:
            return
        moved = DataExport.objects.filter(
            pk=self.export.pk, attempts=self.export.attempts, status=DataExport.Status.RUNNING
        ).update(progress=percent, heartbeat_at=now)
        if not moved:
            raise _Superseded
        if percent != self.percent:
            _announce(self.export)
        self.percent, self.written_at = percent, now


def export_build(*, export_id: int) -> DataExport | None:
    """Build a queued export (the Celery task's work): None when it was not queued (another
    worker took it, it is gone) or could not finish (superseded, failed: the export says so).

    Safe to run twice at once: the first to move the row from queued to running builds it."""
    now = timezone.now()
    claimed = DataExport.objects.filter(pk=export_id, status=DataExport.Status.QUEUED).update(
        status=DataExport.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        progress=0,
    )
    if not claimed:
        return None
    export = DataExport.objects.select_related("user").get(pk=export_id)
    _announce(export)
    try:
        name, size = _write_archive(export)
    except _Superseded:
        return None
    except Exception:
        # Never the content: the id and the traceback (which names code, not data).
        logger.exception("data export %s could not be built", export.pk)
        failed = DataExport.objects.filter(
            pk=export.pk, attempts=export.attempts, status=DataExport.Status.RUNNING
        ).update(status=DataExport.Status.FAILED, heartbeat_at=timezone.now())
        if failed:
            _announce(export)
        return None
    return _export_ready(export, name=name, size=size)


def _write_archive(export: DataExport) -> tuple[str, int]:
    """Gather, zip, encrypt and store ``export``'s data; return the stored name and the zip's
    size. A build that is superseded meanwhile leaves no file behind."""
    user = export.user
    now = timezone.now()
    with (
        translation.override(user.language),
        timezone.override(ZoneInfo(user.time_zone)),
        tempfile.TemporaryFile() as archive,
    ):
        files = [file for part in selectors.PARTS if part.files for file in part.files(user=user)]
        progress = _Progress(export, total=len(selectors.PARTS) + len(files) + 1)
        data: dict = {"export": _about(user, now)}
        for part in selectors.PARTS:
            data |= part.data(user=user)
            progress.advance()
        stamp = timezone.localtime(now).timetuple()[:6]
        with zipfile.ZipFile(archive, "w") as zipped:

            def write(path: str, content: bytes | str, compress: int) -> None:
                member = zipfile.ZipInfo(path, date_time=stamp)
                member.compress_type = compress
                zipped.writestr(member, content)

            encoded = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            write("data.json", encoded, zipfile.ZIP_DEFLATED)
            for path, read in files:
                _check_member_path(path)
                # PDFs and images are compressed already.
                write(path, read(), zipfile.ZIP_STORED)
                progress.advance()
            summary = render_to_string(
                "exports/summary.html",
                {"data": data, "user": user, "site_name": settings.SITE_NAME},
            )
            write("summary.html", summary, zipfile.ZIP_DEFLATED)
        size = archive.tell()
        archive.seek(0)
        with tempfile.TemporaryFile() as sealed:
            _seal(archive, sealed, user=user)
            sealed.seek(0)
            name = private_storage.save(export_file_name(export, ""), File(sealed))
    try:
        progress.advance()
    except _Superseded:
        private_storage.delete(name)
        raise
    return name, size


def _about(user: User, now: datetime) -> dict:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "site": settings.SITE_NAME,
        "made_at": now,
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "times": "ISO 8601, in UTC",
        "parts": [part.name for part in selectors.PARTS],
    }


def _check_member_path(path: str) -> None:
    """A part's file path is relative, in files/, and climbs nowhere: whoever unzips the
    archive must never have a file written outside its folder."""
    pieces = path.split("/")
    if pieces[0] != "files" or any(piece in ("", ".", "..") for piece in pieces) or "\\" in path:
        raise ValueError(f"unsafe path in an export: {path!r}")


def _seal(archive: IO[bytes], sealed: IO[bytes], *, user: User) -> None:
    """Encrypt ``archive`` into ``sealed``: one Fernet token per chunk, one token per line. A
    patient's copy holds their record decrypted, so it is sealed under their data key: erasing
    them makes a copy left in a backup of the files unreadable too (core.crypto)."""
    while chunk := archive.read(DataExport.CHUNK_BYTES):
        if user.is_patient:
            sealed.write(crypto.encrypt_bytes_for(user.pk, chunk) + b"\n")
        else:
            sealed.write(crypto.encrypt_bytes(chunk) + b"\n")


def _export_ready(export: DataExport, *, name: str, size: int) -> DataExport | None:
    now = timezone.now()
    expires_at = now + timedelta(days=settings.EXPORT_KEEP_DAYS)
    with transaction.atomic():
        ready = DataExport.objects.filter(
            pk=export.pk, attempts=export.attempts, status=DataExport.Status.RUNNING
        ).update(
            status=DataExport.Status.READY,
            progress=100,
            file=name,
            size=size,
            ready_at=now,
            heartbeat_at=now,
            expires_at=expires_at,
        )
        if not ready:
            transaction.on_commit(partial(private_storage.delete, name))
            return None
        # Only the newest copy is kept: the earlier ones go now.
        earlier = DataExport.objects.filter(
            user_id=export.user_id, status=DataExport.Status.READY
        ).exclude(pk=export.pk)
        for pk in earlier.values_list("pk", flat=True):
            _expire(pk, now=now, due_only=False)
        user = export.user
        if user.is_active:
            # The Privacy page, never the file: the download asks for the login.
            link = f"{site_link('privacy')}#download-my-data"
            send_templated_mail(
                template="emails/export_ready.txt",
                to=[user.email],
                language=user.language,
                time_zone=user.time_zone,
                context={"link": link, "expires_at": expires_at},
                key=f"export-ready:{export.pk}",
            )
        _announce(export)
    export.refresh_from_db()
    return export


def export_downloaded(*, export: DataExport, now: datetime | None = None) -> None:
    """Record that its owner downloaded ``export``: on the export (the page says when) and, for
    a patient, in their access log (every download, as the log keeps every export). A
    therapist's or staff member's copy holds no patient's record: nothing to log there."""
    now = now or timezone.now()
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(downloaded_at=now)
        user = export.user
        if user.is_patient:
            access_record(
                reader=user,
                patient_id=user.pk,
                kind=AccessEntry.Kind.EXPORT,
                record_id=export.pk,
                now=now,
            )


def _expire(pk: int, *, now: datetime, due_only: bool = True) -> bool:
    """Delete a ready export's file and mark it expired (the caller holds a transaction). The
    file goes once the change commits."""
    exports = DataExport.objects.select_for_update(skip_locked=True).filter(
        pk=pk, status=DataExport.Status.READY
    )
    if due_only:
        exports = exports.filter(expires_at__lte=now)
    export = exports.first()
    if export is None:
        return False
    name = export.file.name
    DataExport.objects.filter(pk=pk).update(status=DataExport.Status.EXPIRED, file="")
    if name:
        transaction.on_commit(partial(private_storage.delete, name))
    _announce(export)
    return True


def exports_reencrypt() -> int:
    """Encrypt every kept copy again with the newest key of MESSAGE_ENCRYPTION_KEYS (``manage.py
    reencrypt``), under a new name, then point the export at it and remove the old file: a
    crash at any step leaves a readable copy. Safe while people download, and to run again.
    Returns how many were rewritten."""
    rewritten = 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY).exclude(file=""):
        old_name = str(export.file.name)
        with export.file.open("rb") as stored:
            if crypto.is_data_key_token(stored.read(8)):
                continue  # a patient's copy: their data key is re-wrapped instead
        with tempfile.TemporaryFile() as rotated, export.file.open("rb") as stored:
            for line in stored:
                if token := line.strip():
                    rotated.write(crypto.rotate(token) + b"\n")
            rotated.seek(0)
            new_name = private_storage.save(export_file_name(export, ""), File(rotated))
        updated = DataExport.objects.filter(
            pk=export.pk, status=DataExport.Status.READY, file=old_name
        ).update(file=new_name)
        private_storage.delete(old_name if updated else new_name)
        rewritten += updated
    return rewritten


def person_exports_delete(*, user: User) -> int:
    """Delete every export of ``user`` and its file (erasure, ``teletherapy.erasure``); the
    files go once the transaction commits. Returns how many."""
    exports = list(DataExport.objects.select_for_update().filter(user=user))
    for export in exports:
        if export.file.name:
            transaction.on_commit(partial(private_storage.delete, str(export.file.name)))
    DataExport.objects.filter(pk__in=[export.pk for export in exports]).delete()
    return len(exports)


@dataclass(frozen=True)
class SweepResult:
    expired: int
    restarted: int
    failed: int


def exports_sweep(*, now: datetime | None = None) -> SweepResult:
    """Every minute (Celery beat): delete the files of exports whose time is up, and start
    again the builds nothing moved for EXPORT_STALE_MINUTES (a worker died, the broker lost
    the task), at most EXPORT_MAX_ATTEMPTS times, after which the export has failed. Safe to
    run twice at once, and again."""
    now = now or timezone.now()
    expired = 0
    for pk in selectors.exports_to_expire(now=now):
        with transaction.atomic():
            expired += _expire(pk, now=now)
    restarted = failed = 0
    for pk in list(selectors.exports_stalled(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            # Still stalled once locked: another sweep may have started it again meanwhile.
            stalled = selectors.exports_stalled(now=now).select_for_update(skip_locked=True)
            export = stalled.filter(pk=pk).first()
            if export is None:
                continue
            if export.attempts >= settings.EXPORT_MAX_ATTEMPTS:
                export.status = DataExport.Status.FAILED
                export.save(update_fields=["status"])
                failed += 1
            else:
                export.status = DataExport.Status.QUEUED
                export.heartbeat_at = now
                export.save(update_fields=["status", "heartbeat_at"])
                restarted += 1
                transaction.on_commit(
                    partial(signals.export_requested.send, sender=None, export_id=pk),
                    robust=True,
                )
            _announce(export)
    return SweepResult(expired=expired, restarted=restarted, failed=failed)
