"""Rotating MESSAGE_ENCRYPTION_KEYS: put a new key first, run ``reencrypt``, remove the old key;
every message, file, file name and two-factor secret still opens."""

import uuid

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from messaging import services
from messaging.models import Attachment, Conversation
from teletherapy import crypto
from tests.messaging.test_conversations import match  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def written(settings, match, patient):  # noqa: F811
    """A message with a file, and the therapist's two-factor secret, under the old key only."""
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD]
    Authenticator.objects.filter(user=match.therapist.user).delete()
    secret = "JBSWY3DPEHPK3PXP"
    Authenticator.objects.create(
        user=match.therapist.user,
        type=Authenticator.Type.TOTP,
        data={"secret": crypto.encrypt_text(secret)},
    )
    message = services.message_send(
        conversation=Conversation.objects.get(match=match),
        sender=patient,
        body="Words to keep",
        client_id=uuid.uuid4(),
        upload=SimpleUploadedFile("letter.pdf", PDF),
    )
    return message, secret


def _everything_opens(message, secret) -> None:
    message.refresh_from_db()
    assert services.message_body(message) == "Words to keep"
    assert services.attachment_content(Attachment.objects.get()) == ("letter.pdf", PDF)
    stored = Authenticator.objects.get(type=Authenticator.Type.TOTP).data["secret"]
    assert crypto.decrypt_text(stored) == secret


def test_after_reencrypting_the_old_key_can_go(settings, written, capsys):
    message, secret = written
    old_file = Attachment.objects.get().file.name
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("reencrypt", batch_size=1)
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]

    _everything_opens(message, secret)
    assert "1 messages, 1 attachments, 1 two-factor authenticators" in capsys.readouterr().out
    files = list((django_settings.PRIVATE_MEDIA_ROOT / "message-attachments").iterdir())
    assert [f.name for f in files] == [Attachment.objects.get().file.name.split("/")[-1]]
    assert old_file.split("/")[-1] not in [f.name for f in files]


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
    with pytest.raises(InvalidToken):
        services.message_body(message)
    with pytest.raises(InvalidToken):
        services.attachment_content(Attachment.objects.get())
