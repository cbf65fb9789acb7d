"""Per-patient data keys (core.crypto) and the key vault they are wrapped under (core.keyvault):
each patient's texts and files under a key of their own, read without being told whose; one
query for a patient's key however many texts, none once it is held; destroying a key makes what
it encrypted unreadable, and shredding it makes a database copy of its row worthless too while
every other key's copy still opens; rotating the platform keys re-wraps keys and the vault;
a vault missing while keys exist is an error, never replaced."""

import base64
import shutil

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import crypto, keyvault
from core.models import DataKey

pytestmark = pytest.mark.django_db

PATIENT, OTHER = 10_001, 10_002


@pytest.fixture(autouse=True)
def _fresh_process():
    crypto.data_keys_forget()
    yield
    crypto.data_keys_forget()


@pytest.fixture
def own_vault(settings, tmp_path):
    """A vault of this test's own (empty folder), as a fresh deployment has."""
    settings.KEY_VAULT_ROOT = tmp_path / "keys"
    crypto.data_keys_forget()
    yield settings.KEY_VAULT_ROOT
    crypto.data_keys_forget()


def test_a_patients_text_is_under_their_own_key_and_reads_back():
    token = crypto.encrypt_text_for(PATIENT, "I have not slept for a week.")
    other = crypto.encrypt_text_for(OTHER, "I have not slept for a week.")

    assert token.startswith("dk1.")
    assert "slept" not in token
    assert crypto.decrypt_text(token) == "I have not slept for a week."
    assert crypto.decrypt_text(other) == "I have not slept for a week."
    slots = {DataKey.objects.get(subject_id=s).pk for s in (PATIENT, OTHER)}
    assert {int(t.split(".")[1]) for t in (token, other)} == slots
    assert DataKey.objects.filter(kind="patient").count() == 2


def test_bytes_too_and_the_key_is_made_once():
    blob = crypto.encrypt_bytes_for(PATIENT, b"%PDF-1.4 scan")
    crypto.data_keys_forget()
    crypto.encrypt_text_for(PATIENT, "again")

    assert crypto.decrypt_bytes(blob) == b"%PDF-1.4 scan"
    assert DataKey.objects.filter(subject_id=PATIENT).count() == 1


def test_the_wrapped_key_is_sealed_by_the_platform_and_the_vault():
    crypto.encrypt_text_for(PATIENT, "x")
    row = DataKey.objects.get(subject_id=PATIENT)
    inner = crypto._current().decrypt(row.wrapped.encode())  # the platform's seal opens…
    with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
        Fernet(inner)  # …onto another seal, the vault's, not the key itself


def test_platform_tokens_of_before_still_read_and_move_to_the_patients_key():
    legacy = crypto.encrypt_text("Written before data keys existed.")

    moved = crypto.reencrypt_text_for(PATIENT, legacy)

    assert crypto.decrypt_text(legacy) == crypto.decrypt_text(moved)
    assert moved.startswith("dk1.")
    assert crypto.reencrypt_text_for(PATIENT, moved) == moved  # run again: nothing to do
    assert crypto.reencrypt_text_for(PATIENT, "") == ""
    blob = crypto.reencrypt_bytes_for(PATIENT, crypto.encrypt_bytes(b"file"))
    assert crypto.decrypt_bytes(blob) == b"file"
    assert crypto.reencrypt_bytes_for(PATIENT, blob) == blob


def test_one_query_for_a_patients_key_however_many_texts_then_none():
    tokens = [crypto.encrypt_text_for(PATIENT, f"message {n}") for n in range(40)]
    crypto.data_keys_forget()  # a new process

    with CaptureQueriesContext(connection) as cold:
        texts = [crypto.decrypt_text(token) for token in tokens]
    with CaptureQueriesContext(connection) as warm:
        [crypto.decrypt_text(token) for token in tokens]

    assert texts == [f"message {n}" for n in range(40)]
    assert len(cold) == 1
    assert len(warm) == 0


def test_several_patients_keys_load_in_one_query():
    tokens = [crypto.encrypt_text_for(PATIENT + n, "last message") for n in range(12)]
    crypto.data_keys_forget()

    with CaptureQueriesContext(connection) as loading:
        crypto.data_keys_load(tokens)
    with CaptureQueriesContext(connection) as reading:
        assert {crypto.decrypt_text(t) for t in tokens} == {"last message"}

    assert (len(loading), len(reading)) == (1, 0)


def test_a_destroyed_key_reads_nothing_and_encrypts_nothing_more():
    token = crypto.encrypt_text_for(PATIENT, "gone")
    kept = crypto.encrypt_text_for(OTHER, "kept")

    with transaction.atomic():
        crypto.data_key_destroy(kind="patient", subject_id=PATIENT)

    with pytest.raises(crypto.KeyDestroyed):
        crypto.decrypt_text(token)
    with pytest.raises(crypto.KeyDestroyed):
        crypto.encrypt_text_for(PATIENT, "more")
    assert crypto.decrypt_text(kept) == "kept"
    assert DataKey.objects.get(subject_id=PATIENT).wrapped == ""


def test_destroying_twice_or_a_key_never_made_is_harmless():
    crypto.encrypt_text_for(PATIENT, "x")
    with transaction.atomic():
        slot = crypto.data_key_destroy(kind="patient", subject_id=PATIENT)
        assert crypto.data_key_destroy(kind="patient", subject_id=PATIENT) == slot
        assert crypto.data_key_destroy(kind="patient", subject_id=99_999) is None


def test_a_copy_of_the_key_row_from_before_the_erasure_opens_nothing_once_shredded(own_vault):
    """A database backup holds the wrapped key: after shredding, the current vault and keys
    cannot open it, while another patient's copy from the same backup still opens."""
    token = crypto.encrypt_text_for(PATIENT, "erased patient's words")
    other_token = crypto.encrypt_text_for(OTHER, "another patient's words")
    backup = {row.pk: row.wrapped for row in DataKey.objects.all()}

    with transaction.atomic():
        crypto.data_key_destroy(kind="patient", subject_id=PATIENT)
    assert crypto.data_keys_shred() == 1
    # The backup restored: its rows as they were, read by a new process.
    for pk, wrapped in backup.items():
        DataKey.objects.filter(pk=pk).update(wrapped=wrapped, destroyed_at=None)
    crypto.data_keys_forget()

    with pytest.raises(crypto.KeyDestroyed, match="shredded"):
        crypto.decrypt_text(token)
    assert crypto.decrypt_text(other_token) == "another patient's words"


def test_shredding_is_idempotent_and_changes_the_vault_only_when_needed(own_vault):
    crypto.encrypt_text_for(PATIENT, "x")
    with transaction.atomic():
        crypto.data_key_destroy(kind="patient", subject_id=PATIENT)
    version = keyvault.vault_versions()
    assert crypto.data_keys_shred() == 1
    assert crypto.data_keys_shred() == 0
    assert keyvault.vault_versions() == [version[0] + 1]  # older versions deleted
    assert DataKey.objects.get(subject_id=PATIENT).shredded_at is not None


def test_rotation_rewraps_keys_and_reseals_the_vault(settings, own_vault):
    token = crypto.encrypt_text_for(PATIENT, "rotate me")
    old = list(settings.MESSAGE_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()
    settings.MESSAGE_ENCRYPTION_KEYS = [new, *old]

    assert crypto.data_keys_rewrap() == 1
    settings.MESSAGE_ENCRYPTION_KEYS = [new]  # the old key removed
    crypto.data_keys_forget()

    assert crypto.decrypt_text(token) == "rotate me"
    assert crypto.rotate(token.encode()) == token.encode()  # data-key tokens stay as they are


def test_a_vault_sealed_with_a_key_no_longer_configured_is_an_error(settings, own_vault):
    crypto.encrypt_text_for(PATIENT, "x")
    settings.MESSAGE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto.data_keys_forget()

    with pytest.raises(keyvault.VaultError, match="cannot be opened"):
        crypto.encrypt_text_for(OTHER, "y")


def test_a_missing_vault_while_keys_exist_is_never_replaced(settings, own_vault):
    token = crypto.encrypt_text_for(PATIENT, "x")
    shutil.rmtree(own_vault)
    crypto.data_keys_forget()

    with pytest.raises(keyvault.VaultError, match="missing"):
        crypto.decrypt_text(token)
    with pytest.raises(keyvault.VaultError, match="missing"):
        crypto.encrypt_text_for(OTHER, "y")
    assert not own_vault.exists() or keyvault.vault_versions() == []


def test_a_vault_write_cut_short_leaves_the_previous_version_readable(own_vault):
    token = crypto.encrypt_text_for(PATIENT, "still here")
    (newest,) = keyvault.vault_versions()
    (own_vault / f"vault-{newest + 1:010d}.sealed").write_bytes(b"gAAAAABtruncat")
    crypto.data_keys_forget()

    assert crypto.decrypt_text(token) == "still here"


def test_a_key_made_in_a_transaction_that_rolled_back_is_not_remembered():
    class Rollback(Exception):
        pass

    def encrypt_then_fail():
        with transaction.atomic():
            crypto.encrypt_text_for(PATIENT, "never stored")
            raise Rollback

    with pytest.raises(Rollback):
        encrypt_then_fail()

    assert crypto._keys.slot_of("patient", PATIENT) is None
    token = crypto.encrypt_text_for(PATIENT, "stored")
    assert crypto.decrypt_text(token) == "stored"
    assert DataKey.objects.filter(subject_id=PATIENT).count() == 1


def test_a_token_naming_no_key_is_refused():
    with pytest.raises(crypto.KeyDestroyed):
        crypto.decrypt_text("dk1.999999.gAAAAAB")
    with pytest.raises(InvalidToken):
        crypto.decrypt_text("dk1.x.gAAAAAB")


# --- The vault's tree, on its own -----------------------------------------------------------


def test_puncturing_removes_exactly_those_slots():
    vault = keyvault.Vault.new()
    slots = [0, 1, 2, 3, 7, 1000, 2**31, 2**32 - 1]
    before = {slot: vault.wrapping_key(slot) for slot in slots}

    punctured = vault.punctured([1, 1000])

    assert punctured.version == vault.version + 1
    for slot in slots:
        expected = None if slot in (1, 1000) else before[slot]
        assert punctured.wrapping_key(slot) == expected
    assert len(set(before.values())) == len(slots)  # a key per slot
    assert punctured.punctured([1]).nodes == punctured.nodes  # again: nothing changes
    assert len(punctured.nodes) <= 2 * keyvault.DEPTH


def test_the_vault_seals_and_opens_with_the_platform_keys():
    sealer = crypto._current()
    vault = keyvault.Vault.new().punctured([5])

    sealed = vault.seal(sealer)
    opened = keyvault.Vault.open(sealed, sealer)

    assert opened == vault
    assert base64.urlsafe_b64encode(vault.nodes[(keyvault.DEPTH, 4)]) not in sealed
    with pytest.raises(keyvault.VaultError):
        vault.wrapping_key(2**32)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    erased=st.sets(st.integers(0, 2**12), max_size=20),
    probe=st.lists(st.integers(0, 2**12), max_size=20),
)
def test_any_puncture_keeps_every_other_slot_and_none_of_the_erased(erased, probe):
    vault = keyvault.Vault(version=1, nodes={(0, 0): b"\x01" * 32})
    punctured = vault.punctured(sorted(erased))
    for slot in [*probe, *erased]:
        if slot in erased:
            assert punctured.wrapping_key(slot) is None
        else:
            assert punctured.wrapping_key(slot) == vault.wrapping_key(slot)
    assert len(punctured.nodes) <= 1 + keyvault.DEPTH * len(erased)
