"""Rotating MESSAGE_ENCRYPTION_KEYS reaches the copies people asked for: a therapist's copy
(under the platform keys) is written again under the newest key by ``reencrypt``; a patient's
copy is under their data key, which ``reencrypt`` re-wraps, so the file stays as it is. Once the
old key is gone, both still open."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from core import crypto
from core.keyvault import VaultError
from core.storage import private_storage
from tests.factories.exports import open_export

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_therapists_copy_still_opens_after_the_old_key_goes(
    settings, therapist, build_export, capsys
):
    default = list(settings.MESSAGE_ENCRYPTION_KEYS)  # their two-factor secret's
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD, *default]
    export = build_export(therapist).export
    before = export.file.name
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD, *default]

    call_command("reencrypt")

    assert "1 data exports" in capsys.readouterr().out
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]
    export.refresh_from_db()
    assert export.file.name != before
    assert not private_storage.exists(before)
    assert open_export(export).data["account"]["email"] == therapist.email


def test_a_patients_copy_is_under_their_data_key_and_still_opens(
    settings, patient, build_export, capsys
):
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD]
    export = build_export(patient).export
    with export.file.open("rb") as stored:
        assert crypto.is_data_key_token(stored.read(8))
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("reencrypt")

    assert "0 data exports" in capsys.readouterr().out
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]
    assert open_export(export).data["account"]["email"] == patient.email


def test_without_reencrypting_the_old_key_cannot_go(settings, patient, therapist, build_export):
    settings.MESSAGE_ENCRYPTION_KEYS = [OLD]
    exports = [build_export(therapist).export, build_export(patient).export]
    settings.MESSAGE_ENCRYPTION_KEYS = [NEW]

    for export in exports:
        with pytest.raises((InvalidToken, VaultError)):
            open_export(export)
