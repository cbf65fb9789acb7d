"""``manage.py backup [PATH]``: an archive of the database and the private files."""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a backup archive (.tar.gz) of the database and every private file. The "
        "encryption keys are not in it: keep MESSAGE_ENCRYPTION_KEYS apart, or the archive "
        "cannot be read back."
    )

    def add_arguments(self, parser):
        default = f"havre-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz"
        parser.add_argument("path", nargs="?", default=default)

    def handle(self, *args, path, **options):
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already: choose another name.")
        try:
            summary = backup_write(path=target)
        except (BackupError, OSError) as error:
            raise CommandError(f"backup failed: {error}") from error
        target.chmod(0o600)
        self.stdout.write(
            f"Backup written to {summary.path} ({summary.vendor} database, {summary.files} "
            "private files).\n"
            "It does NOT contain the encryption keys. Keep MESSAGE_ENCRYPTION_KEYS (and "
            "SECRET_KEY) apart from it, for example in a password manager: without them the "
            "messages, files and notes in this archive can never be read again."
        )
