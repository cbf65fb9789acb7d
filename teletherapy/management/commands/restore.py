"""``manage.py restore PATH --replace-everything``: the database and private files of a
backup, in place of the current ones."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_keys_problem, backup_manifest, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: REPLACES the whole database and the "
        "private files. Stop the web, WebSocket and Celery processes first. Refused when the "
        "configured MESSAGE_ENCRYPTION_KEYS cannot read the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--replace-everything",
            action="store_true",
            help="Confirm that the current database and files are to be replaced.",
        )

    def handle(self, *args, path, replace_everything, **options):
        archive = Path(path)
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            manifest = backup_manifest(path=archive)
        except (BackupError, OSError, KeyError) as error:
            raise CommandError(f"not a readable backup: {error}") from error
        problem = backup_keys_problem(manifest)
        if problem:
            raise CommandError(f"Refused: {problem}.")
        if not replace_everything:
            raise CommandError(
                f"This backup of {manifest['created_at']} would replace the whole database "
                "and every private file. Run again with --replace-everything to do it."
            )
        try:
            result = backup_restore(path=archive)
        except (BackupError, OSError) as error:
            raise CommandError(f"restore failed: {error}") from error
        self.stdout.write(
            f"Restored the backup of {result['created_at']}: the database and "
            f"{result['restored_files']} private files. Run `manage.py migrate` if this code "
            "is newer than the backup."
        )
