from django.core.management.base import BaseCommand

from accounts.services import authenticator_secrets_reencrypt
from messaging.services import messages_reencrypt
from scheduling.services.notes import session_notes_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt everything kept encrypted (message bodies, attachment names and files, "
        "two-factor secrets, therapists' session notes and their addenda) again with the first "
        "key of MESSAGE_ENCRYPTION_KEYS. Rotate a key by putting a new one first, keeping the "
        "old one after it, running this command, then removing the old key. Safe to run while "
        "the platform runs, and to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        messages, attachments = messages_reencrypt(batch_size=batch_size)
        authenticators = authenticator_secrets_reencrypt()
        notes, addenda = session_notes_reencrypt(batch_size=batch_size)
        self.stdout.write(
            f"Re-encrypted with the newest key: {messages} messages, {attachments} attachments, "
            f"{authenticators} two-factor authenticators, {notes} session notes, "
            f"{addenda} note addenda."
        )
