"""Rotating MESSAGE_ENCRYPTION_KEYS: put a new key first, run ``reencrypt``, remove the old key;
every message, file, file name and two-factor secret still opens. Messages and files are under
their patient's data key: the rotation re-wraps that key (and the key vault), not each message;
those written before data keys existed are moved to it."""

import uuid

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from core import crypto
from core.keyvault import VaultError
from messaging import selectors, services
from messaging.models import Attachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def written(settings, match, conversation, patient):
    """A message with a file, and the therapist's two-factor secret, under the old key only."""
    # The patient's data key (made for their intake) and the key vault, under OLD only.
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD, *settings.MESSAGE_ENCRYPTION_KEYS]
    crypto.data_keys_rewrap()
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD]
    Authenticator.objects.filter(user=match.therapist.user).delete()
    secret = "JBSWY3DPEHPK3PXP"
    Authenticator.objects.create(
        user=match.therapist.user,
        type=Authenticator.Type.TOTP,
        data={"secret": crypto.encrypt_text(secret)},
    )
    message = services.message_send(
        conversation=conversation,
        sender=patient,
        body="Words to keep",
        client_id=uuid.uuid4(),
        upload=SimpleUploadedFile("letter.pdf", PDF),
    )
    return message, secret


def _everything_opens(message, secret) -> None:
    message.refresh_from_db()
    assert selectors.message_body(message) == "Words to keep"
    assert selectors.attachment_content(Attachment.objects.get()) == ("letter.pdf", PDF)
    stored = Authenticator.objects.get(type=Authenticator.Type.TOTP).data["secret"]
    assert crypto.decrypt_text(stored) == secret


def test_after_reencrypting_the_old_key_can_go(settings, written, capsys):
    message, secret = written
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("reencrypt", batch_size=1)
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]

    _everything_opens(message, secret)
    out = capsys.readouterr().out
    assert "1 data keys and the key vault" in out
    assert "0 messages, 0 attachments, 1 two-factor authenticators" in out


def test_what_was_written_before_data_keys_moves_to_the_patients_key(
    settings, written, capsys, conversation
):
    """A message and file of before (under the platform key) are moved by the command, and
    the old file removed."""
    message, secret = written
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored:
        data = crypto.decrypt_bytes(stored.read())
    legacy_file = django_settings.PRIVATE_MEDIA_ROOT / "message-attachments" / "legacy.bin"
    legacy_file.write_bytes(crypto.encrypt_bytes(data))
    Attachment.objects.filter(pk=attachment.pk).update(
        file="message-attachments/legacy.bin", name_encrypted=crypto.encrypt_text("letter.pdf")
    )
    type(message).objects.filter(pk=message.pk).update(
        body_encrypted=crypto.encrypt_text("Words to keep")
    )
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("reencrypt", batch_size=1)
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]

    _everything_opens(message, secret)
    assert "1 messages, 1 attachments" in capsys.readouterr().out
    moved = Attachment.objects.get()
    assert moved.name_encrypted.startswith("dk1.")
    assert not legacy_file.exists()
    with moved.file.open("rb") as stored:
        assert stored.read().startswith(b"dk1.")


def test_running_it_again_changes_nothing_it_cannot_open(settings, written):
    message, secret = written
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("reencrypt")
    call_command("reencrypt")
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]
    _everything_opens(message, secret)


def test_without_reencrypting_removing_the_old_key_loses_everything(settings, written):
    message, _secret = written
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]
    with pytest.raises((InvalidToken, VaultError)):
        selectors.message_body(message)
    with pytest.raises((InvalidToken, VaultError)):
        selectors.attachment_content(Attachment.objects.get())
