"""``manage.py reencrypt``: encrypt everything kept encrypted again with the newest key (key
rotation)."""

from django.core.management.base import BaseCommand

from accounts.services import authenticator_secrets_reencrypt, login_sessions_reencrypt
from core.crypto import data_keys_rewrap
from messaging.services import messages_reencrypt
from scheduling.services.notes import session_notes_reencrypt
from teletherapy.exports.services import exports_reencrypt


class Command(BaseCommand):
    help = (
        "Seal every patient's data key and the key vault again with the first key of "
        "MESSAGE_ENCRYPTION_KEYS, and encrypt again with it what the platform keys encrypt "
        "themselves (two-factor secrets, the keys of login sessions, the copies of their data "
        "people asked for; messages, files and notes written before data keys existed move to "
        "their patient's key). Rotate a key by putting a new one first, keeping the old one "
        "after it, running this command, then removing the old key. Safe to run while the "
        "platform runs, and to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        data_keys = data_keys_rewrap(batch_size=batch_size)
        messages, attachments = messages_reencrypt(batch_size=batch_size)
        authenticators = authenticator_secrets_reencrypt()
        notes, addenda = session_notes_reencrypt(batch_size=batch_size)
        exports = exports_reencrypt()
        sessions = login_sessions_reencrypt(batch_size=batch_size)
        self.stdout.write(
            f"Re-wrapped with the newest key: {data_keys} data keys and the key vault. "
            f"Re-encrypted with the newest key: {messages} messages, {attachments} attachments, "
            f"{authenticators} two-factor authenticators, {notes} session notes, "
            f"{addenda} note addenda, {exports} data exports, {sessions} login sessions."
        )
