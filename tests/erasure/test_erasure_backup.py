"""Erasure reaches backups (issue 17, item 3): a backup taken before a patient was erased
(``manage.py backup``: the database dump, with the row of their wrapped data key in it, and
every private file), restored into a fresh database and fresh storage after the erasure, with
the current keys and key vault, opens every other patient's messages, files and notes, and none
of the erased patient's: their key's slot was punctured in the vault, which no database backup
holds (docs/architecture.md, *Data at rest*)."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.backup import backup_write
from messaging import services as messaging_services
from teletherapy.erasure import services
from tests.factories import PDF
from tests.factories.erasure import NOW, after_grace
from tests.factories.messaging import ConversationFactory
from tests.factories.scheduling import SessionNoteFactory

pytestmark = pytest.mark.django_db(transaction=True)

ERASED_WORDS = "MARKER erased patient: I cannot stop crying at night."
KEPT_WORDS = "MARKER other patient: the breathing exercise helps."
READ_BACK = """
from core import crypto
from messaging.models import Message
from scheduling.models import SessionNote
for label, pk, note in {rows!r}:
    message = Message.objects.get(pk=pk)
    try:
        print(label, "BODY", crypto.decrypt_text(message.body_encrypted))
        with message.attachments.get().file.open("rb") as stored:
            print(label, "FILE", crypto.decrypt_bytes(stored.read())[:5])
        print(label, "NOTE", crypto.decrypt_text(SessionNote.objects.get(pk=note).body_encrypted))
    except crypto.KeyDestroyed as error:
        print(label, "UNREADABLE", error)
"""


def _server_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    )


@pytest.fixture
def fresh_database():
    name = f"tt_erased_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_server_url() + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_server_url() + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args: str, database: str, media: str) -> subprocess.CompletedProcess:
    """manage.py against ``database`` and ``media``, with the current keys and key vault (the
    environment this test process runs with: KEY_VAULT_ROOT among it)."""
    env = os.environ | {
        "DATABASE_URL": f"{_server_url()}/{database}",
        "MESSAGE_ENCRYPTION_KEYS": ",".join(settings.MESSAGE_ENCRYPTION_KEYS),
        "PRIVATE_STORAGE": "filesystem",
        "PRIVATE_MEDIA_ROOT": media,
        "DATABASE_POOL": "false",
    }
    assert env["KEY_VAULT_ROOT"] == str(settings.KEY_VAULT_ROOT)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _write(patient, words):
    conversation = ConversationFactory(match__patient=patient)
    message = messaging_services.message_send(
        conversation=conversation,
        sender=patient,
        body=words,
        client_id=uuid.uuid4(),
        upload=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
    )
    note = SessionNoteFactory(appointment__match=conversation.match, body=f"Note: {words}")
    return message.pk, note.pk


def test_a_backup_from_before_the_erasure_opens_nothing_of_the_erased_patient(
    patient, other_patient, tmp_path, fresh_database
):
    erased = _write(patient, ERASED_WORDS)
    kept = _write(other_patient, KEPT_WORDS)
    archive = tmp_path / "before-erasure.tar.gz"
    backup_write(path=archive)

    services.erasure_request(patient=patient, now=NOW)
    assert services.erasures_sweep(now=after_grace()) == 1
    connection.close()

    media = str(tmp_path / "restored-media")
    restored = _manage(
        "restore", str(archive), "--replace-everything", database=fresh_database, media=media
    )
    assert restored.returncode == 0, restored.stderr
    script = READ_BACK.format(rows=[("ERASED", *erased), ("KEPT", *kept)])
    read = _manage("shell", "-c", script, database=fresh_database, media=media)

    assert read.returncode == 0, read.stderr
    out = read.stdout
    # The erased patient's rows and file are in the backup, and open nothing.
    assert "ERASED UNREADABLE" in out
    assert "shredded from the key vault" in out
    assert ERASED_WORDS not in out
    assert "ERASED FILE" not in out
    # Another patient's, from the same backup, all open.
    assert f"KEPT BODY {KEPT_WORDS}" in out
    assert "KEPT FILE b'%PDF-'" in out
    assert f"KEPT NOTE Note: {KEPT_WORDS}" in out
