"""Backups of everything the platform keeps, and their restore (``manage.py backup`` /
``manage.py restore``; docs/operations.md says how to run and drill them).

An archive (``.tar.gz``) holds the database (``pg_dump`` custom format for PostgreSQL, a
consistent copy for SQLite), every private file (read through the storage API, so the same
code serves the filesystem and object storage) and a manifest. It does **not** hold the
encryption keys: messages, files and notes in it are encrypted, so an archive stolen without
the keys reveals nothing, and an archive kept without the keys is worth nothing. The manifest
names the keys only by fingerprint, so a restore can tell at once whether the keys it runs with
can read what it restores.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from core.storage import private_storage

FORMAT_VERSION = 1


class BackupError(Exception):
    pass


def key_fingerprint(key: str) -> str:
    """A name for a key that does not reveal it."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _pg(tool: str, *arguments: str) -> None:
    """Run a PostgreSQL client tool against the configured database's server."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (the PostgreSQL client)")
    db = settings.DATABASES["default"]
    server = ["--host", db.get("HOST") or "localhost", "--port", str(db.get("PORT") or 5432)]
    server += ["--username", db.get("USER") or "postgres"]
    env = os.environ | ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})
    try:
        # Arguments come from the settings, never from a user.
        subprocess.run(  # noqa: S603
            [executable, *server, *arguments], env=env, check=True, capture_output=True
        )
    except subprocess.CalledProcessError as error:
        raise BackupError(
            f"{tool} failed: {error.stderr.decode(errors='replace')[-500:]}"
        ) from None


def _private_files(folder: str = "") -> list[str]:
    """Every file name in private storage, recursively."""
    try:
        folders, files = private_storage.listdir(folder)
    except FileNotFoundError:  # a filesystem folder not made yet (object stores have none)
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += _private_files(f"{folder}/{sub}" if folder else sub)
    return sorted(names)


def _dump_database(target: Path) -> str:
    vendor = connection.vendor
    if vendor == "postgresql":
        _pg("pg_dump", "--format=custom", "--no-owner", "--file", str(target),
            settings.DATABASES["default"]["NAME"])  # fmt: skip
    elif vendor == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)  # consistent even while the platform writes
        source.close()
        copy.close()
    else:
        raise BackupError(f"no backup for a {vendor} database")
    return vendor


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    files: int
    vendor: str


def backup_write(*, path: Path, now: datetime | None = None) -> BackupSummary:
    """Write an archive of the database and the private files to ``path``."""
    now = now or datetime.now(UTC)
    names = _private_files()
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work, "database.dump")
        vendor = _dump_database(dump)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "database": vendor,
            "files": len(names),
            # The first key encrypted everything new when the backup was made.
            "key_fingerprints": [key_fingerprint(k) for k in settings.MESSAGE_ENCRYPTION_KEYS],
        }
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(dump, arcname="database.dump")
            for name in names:
                with private_storage.open(name, "rb") as stored:
                    _add_bytes(archive, f"files/{name}", stored.read())
        partial.replace(path)  # never a half-written archive under the final name
    return BackupSummary(path=path, files=len(names), vendor=vendor)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def backup_manifest(*, path: Path) -> dict:
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile("manifest.json")
        if member is None:
            raise BackupError("not a backup of this platform: no manifest")
        return json.loads(member.read())


def backup_keys_problem(manifest: dict) -> str | None:
    """Why the keys configured now cannot read this backup, or None when they can."""
    current = {key_fingerprint(k) for k in settings.MESSAGE_ENCRYPTION_KEYS}
    wanted = manifest.get("key_fingerprints") or []
    if wanted and wanted[0] not in current:
        return (
            f"the key that encrypted this backup (fingerprint {wanted[0]}) is not in "
            "MESSAGE_ENCRYPTION_KEYS: its messages, files and notes would not decrypt"
        )
    return None


def backup_restore(*, path: Path) -> dict:
    """Replace the database and the private files with the archive's. The caller has made sure
    nothing else writes meanwhile (the platform stopped) and that the keys match."""
    manifest = backup_manifest(path=path)
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"a {manifest['database']} backup cannot be restored into {connection.vendor}"
        )
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r:gz") as archive:
        archive.extractall(work, filter="data")
        _restore_database(Path(work, "database.dump"))
        files_root = Path(work, "files")
        restored = 0
        for file_path in sorted(files_root.rglob("*")) if files_root.exists() else []:
            if file_path.is_file():
                name = file_path.relative_to(files_root).as_posix()
                if private_storage.exists(name):
                    private_storage.delete(name)
                saved = private_storage.save(name, ContentFile(file_path.read_bytes()))
                if saved != name:
                    raise BackupError(f"could not restore {name} under its own name")
                restored += 1
    return manifest | {"restored_files": restored}


def _restore_database(dump: Path) -> None:
    connection.close()
    if connection.vendor == "postgresql":
        _pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--dbname", settings.DATABASES["default"]["NAME"], str(dump))  # fmt: skip
    else:
        shutil.copyfile(dump, settings.DATABASES["default"]["NAME"])
