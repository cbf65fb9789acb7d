"""Private storage on both backends (the filesystem and an S3-compatible store): bytes saved,
read back and deleted through the one ``private_storage``, never overwritten, never given a
URL; and the settings that choose the backend, as a deployment writes them."""

from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile

from core.storage import PrivateFileSystemStorage, private_storage
from core.storage.s3 import PrivateS3Storage
from tests.helpers import PRODUCTION, manage
from tests.storage import PrivatePlace

CONTENT = b"\x00encrypted-looking bytes\xff" * 100


def test_a_file_is_saved_read_back_and_deleted(private_place: PrivatePlace):
    name = private_storage.save("message-attachments/a.bin", ContentFile(CONTENT))

    assert name == "message-attachments/a.bin"
    assert private_place.stored() == {name: CONTENT}  # really on the disk, or in the bucket
    with private_storage.open(name, "rb") as stored:
        assert stored.read() == CONTENT
    assert private_storage.exists(name)
    assert private_storage.size(name) == len(CONTENT)
    assert private_storage.listdir("message-attachments") == ([], ["a.bin"])

    private_storage.delete(name)

    assert not private_storage.exists(name)
    assert private_place.stored() == {}


def test_the_backend_is_the_one_settings_name(private_place: PrivatePlace):
    expected = PrivateS3Storage if private_place.kind == "s3" else PrivateFileSystemStorage
    assert type(private_storage.backend) is expected


def test_a_name_already_taken_is_never_overwritten(private_place: PrivatePlace):
    first = private_storage.save("therapist-documents/scan.pdf", ContentFile(b"first"))
    second = private_storage.save("therapist-documents/scan.pdf", ContentFile(b"second"))

    assert first != second
    assert private_place.stored() == {first: b"first", second: b"second"}


def test_a_missing_file_is_not_found(private_place: PrivatePlace):
    with pytest.raises(FileNotFoundError):
        private_storage.open("message-attachments/never-saved.bin", "rb").read()
    assert not private_storage.exists("message-attachments/never-saved.bin")
    private_storage.delete("message-attachments/never-saved.bin")  # nothing to do, no error


def test_no_file_is_ever_given_a_url(private_place: PrivatePlace):
    name = private_storage.save("therapist-photos/p.jpg", ContentFile(b"jpeg"))

    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(name)
    with pytest.raises(ValueError, match="no URL"):
        private_storage.backend.url(name)


def test_a_name_that_climbs_out_is_refused(private_place: PrivatePlace):
    with pytest.raises(SuspiciousOperation):
        private_storage.save("../outside.bin", ContentFile(b"x"))
    assert private_place.stored() == {}


# --- The settings that choose the backend -------------------------------------------------------

SHOW = (
    "from django.conf import settings; "
    "from core.storage import private_storage; "
    "backend = private_storage.backend; "
    "print(type(backend).__name__, getattr(backend, 'bucket_name', ''), "
    "getattr(backend, 'endpoint_url', ''), getattr(backend, 'access_key', ''), "
    "getattr(backend, 'secret_key', ''), getattr(backend, 'file_overwrite', ''))"
)
S3_ENV = {
    "PRIVATE_STORAGE": "s3",
    "S3_ENDPOINT_URL": "http://minio:9000",
    "S3_BUCKET": "havre-private",
    "S3_REGION": "eu-west-3",
}


def test_the_filesystem_is_the_default():
    shown = manage("shell", "-v", "0", "-c", SHOW, env={"PRIVATE_STORAGE": ""})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[0] == "PrivateFileSystemStorage"


def test_object_storage_from_the_environment_with_secrets_from_files(tmp_path: Path):
    (tmp_path / "key-id").write_text("app-key-id\n")
    (tmp_path / "secret").write_text("app-secret-key\n")
    env = S3_ENV | {
        "S3_ACCESS_KEY_ID_FILE": str(tmp_path / "key-id"),
        "S3_SECRET_ACCESS_KEY_FILE": str(tmp_path / "secret"),
    }

    shown = manage("shell", "-v", "0", "-c", SHOW, env=env)

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "PrivateS3Storage",
        "havre-private",
        "http://minio:9000",
        "app-key-id",
        "app-secret-key",
        "False",
    ]


def test_production_refuses_object_storage_without_its_keys():
    refused = manage("check", env=PRODUCTION | S3_ENV)

    assert refused.returncode != 0
    assert "S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY" in refused.stderr


def test_production_accepts_object_storage_with_its_keys():
    env = PRODUCTION | S3_ENV | {"S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
    shown = manage("shell", "-v", "0", "-c", SHOW, env=env)

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split()[0] == "PrivateS3Storage"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRIVATE_STORAGE": "s3"}, "PRIVATE_STORAGE=s3 needs S3_BUCKET"),
        ({"PRIVATE_STORAGE": "ftp"}, "PRIVATE_STORAGE must be filesystem or s3, not 'ftp'"),
    ],
)
def test_a_storage_setting_that_cannot_work_stops_the_start(env, message):
    refused = manage("check", env=env)

    assert refused.returncode != 0
    assert message in refused.stderr
