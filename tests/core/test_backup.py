"""Backups: a restore drill into a fresh database and fresh storage reads a message, its
attachment and a session note back; a restore with other keys is refused; a backup holds no
key and nothing in clear. Each runs with private files on the filesystem and on object storage
(``private_place``)."""

import os
import subprocess
import sys
import tarfile
import uuid

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.backup import backup_write
from messaging import services as messaging_services
from tests.factories import PDF
from tests.factories.messaging import ConversationFactory
from tests.factories.scheduling import SessionNoteFactory
from tests.storage import PrivatePlace

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "Backup drill: a message only the two of them may read."
NOTE = "Backup drill: a note only the therapist may read."
READ_BACK = """
from messaging.models import Message
from messaging.selectors import message_body
from scheduling.models import SessionNote
from core import crypto
message = Message.objects.get(client_id="{client_id}")
print("BODY", message_body(message))
attachment = message.attachments.get()
with attachment.file.open("rb") as stored:
    print("FILE", crypto.decrypt_bytes(stored.read())[:5])
print("NOTE", crypto.decrypt_text(SessionNote.objects.get().body_encrypted))
"""


def _server_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    )


@pytest.fixture
def fresh_database():
    name = f"tt_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_server_url() + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_server_url() + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args, database: str, place: PrivatePlace, keys: str | None = None):
    env = (
        os.environ
        | place.env
        | {
            "DATABASE_URL": f"{_server_url()}/{database}",
            "MESSAGE_ENCRYPTION_KEYS": keys or ",".join(settings.MESSAGE_ENCRYPTION_KEYS),
            "DATABASE_POOL": "false",
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def platform_data(private_place):
    conversation = ConversationFactory()
    message = messaging_services.message_send(
        conversation=conversation,
        sender=conversation.patient,
        body=MESSAGE,
        client_id=uuid.uuid4(),
        upload=SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf"),
    )
    SessionNoteFactory(body=NOTE)
    return message


def test_a_restore_drill_reads_everything_back(
    platform_data, private_place, tmp_path, fresh_database
):
    archive = tmp_path / "backup.tar.gz"
    summary = backup_write(path=archive)
    assert summary.files == 1
    connection.close()

    restored_place = private_place.fresh(tmp_path / "restored-media")
    restored = manage("restore", str(archive), "--replace-everything", database=fresh_database,
                      place=restored_place)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "1 private files" in restored.stdout
    assert restored_place.stored() == private_place.stored()

    read = manage(
        "shell", "-c", READ_BACK.format(client_id=platform_data.client_id),
        database=fresh_database, place=restored_place,
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert f"BODY {MESSAGE}" in read.stdout
    assert "FILE b'%PDF-'" in read.stdout
    assert f"NOTE {NOTE}" in read.stdout


def test_a_restore_with_other_keys_is_refused(
    platform_data, private_place, tmp_path, fresh_database
):
    archive = tmp_path / "backup.tar.gz"
    backup_write(path=archive)
    untouched = private_place.fresh(tmp_path / "m")

    refused = manage(
        "restore", str(archive), "--replace-everything", database=fresh_database,
        place=untouched, keys=Fernet.generate_key().decode(),
    )  # fmt: skip

    assert refused.returncode != 0
    assert "would not decrypt" in refused.stderr
    assert untouched.stored() == {}


def test_a_restore_must_be_confirmed(platform_data, private_place, tmp_path, fresh_database):
    archive = tmp_path / "backup.tar.gz"
    backup_write(path=archive)
    untouched = private_place.fresh(tmp_path / "m")

    refused = manage("restore", str(archive), database=fresh_database, place=untouched)

    assert refused.returncode != 0
    assert "--replace-everything" in refused.stderr
    assert untouched.stored() == {}


def test_the_archive_holds_no_key_and_nothing_in_clear(platform_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    backup_write(path=archive)

    with tarfile.open(archive, "r:gz") as opened:
        opened.extractall(tmp_path / "opened", filter="data")
    everything = b"".join(
        path.read_bytes() for path in (tmp_path / "opened").rglob("*") if path.is_file()
    )
    # The dump is compressed: read it as SQL, where a clear text would show.
    everything += subprocess.run(
        ["pg_restore", "--file=-", str(tmp_path / "opened" / "database.dump")],
        capture_output=True,
        check=True,
    ).stdout
    assert b"COPY public.messaging_message" in everything
    for key in settings.MESSAGE_ENCRYPTION_KEYS:
        assert key.encode() not in everything
    assert MESSAGE.encode() not in everything
    assert NOTE.encode() not in everything
    assert b"%PDF-" not in everything  # the attachment is stored encrypted
