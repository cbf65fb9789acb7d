"""Encryption at rest: the platform keys, and a data key per patient (envelope encryption).

**Platform keys** (``MESSAGE_ENCRYPTION_KEYS``, Fernet, newest first: the first encrypts, all
decrypt) encrypt what belongs to the platform or to a therapist: two-factor secrets, the
outbox, credential documents and photos, data exports — ``encrypt_text`` / ``encrypt_bytes``.

**Data keys** encrypt what a patient writes and what is written about them: messages and files,
intake free text, questionnaire answers, reasons, session notes —
``encrypt_text_for(patient_id, …)`` / ``encrypt_bytes_for``. The apps name the patient, never a
key: this module finds (or makes) the patient's key. Each key is a ``DataKey`` row, wrapped by
the key vault's wrapping key of its slot and then by the platform keys (``core.keyvault`` says
why both). Erasure destroys the key (``data_key_destroy``) and punctures its slot in the vault
(``data_keys_shred``): what was encrypted with it, in the database, in stored files and in
every backup, can no longer be read.

A data-key token names its key: ``dk1.<slot>.<Fernet token>`` (bytes alike), so
``decrypt_text`` / ``decrypt_bytes`` read both kinds of token without being told whose it is,
and rows encrypted before data keys existed (plain Fernet tokens) stay readable until a
migration moves them (``reencrypt_text_for``).

Unwrapped keys are kept in this process for ``DATA_KEY_CACHE_SECONDS`` (never in Redis or on
disk), so a page decrypting a hundred messages of one patient reads their key once; a list
of several patients' texts loads their keys in one query first (``data_keys_load``).
"""

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, models, transaction
from django.dispatch import receiver
from django.utils import timezone

from core import keyvault
from core.models import DataKey

PREFIX = "dk1."
_BYTES_PREFIX = PREFIX.encode()
_TOKEN = re.compile(r"^dk1\.([0-9]{1,10})\.")
_CACHE_MAX = 10_000
# Writers of the vault (shredding, resealing) and creators of a first vault take turns.
_VAULT_LOCK_ID = 0x68617672  # "havr"


class KeyDestroyed(InvalidToken):
    """The data key was destroyed (the subject was erased): what it encrypted is gone."""


# --- Platform keys --------------------------------------------------------------------------


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.MESSAGE_ENCRYPTION_KEYS))


def encrypt_text(text: str) -> str:
    """Encrypt with the platform keys (what is not a patient's: see the module's docstring)."""
    return _current().encrypt(text.encode()).decode()


def encrypt_bytes(data: bytes) -> bytes:
    return _current().encrypt(data)


def decrypt_text(token: str) -> str:
    """Decrypt a token of either kind: a data key's (it names its key) or the platform keys'."""
    if token.startswith(PREFIX):
        return _open(token.encode()).decode()
    return _current().decrypt(token.encode()).decode()


def decrypt_bytes(token: bytes) -> bytes:
    if token.startswith(_BYTES_PREFIX):
        return _open(token)
    return _current().decrypt(token)


def seal_json(value) -> str:
    """``value`` (JSON-able) encrypted with the platform keys: what a browser session keeps for
    someone who has no account yet (an unfinished intake), so that the session store shows
    nothing in clear."""
    return encrypt_text(json.dumps(value, separators=(",", ":")))


def open_json(sealed, default):
    """What ``seal_json`` sealed, or ``default`` when it cannot be opened (a key since
    removed, a value of before that was not sealed and is not a dict)."""
    if isinstance(sealed, dict):  # kept in clear before sealing existed: read once more
        return sealed
    if not isinstance(sealed, str):
        return default
    try:
        return json.loads(decrypt_text(sealed))
    except (InvalidToken, ValueError):
        return default


def is_data_key_token(token: str | bytes) -> bool:
    if isinstance(token, str):
        return token.startswith(PREFIX)
    return token.startswith(_BYTES_PREFIX)


def rotate(token: bytes) -> bytes:
    """The same plaintext, encrypted again with the newest platform key (any configured key
    decrypts). A data-key token is returned as it is: rotating the platform keys re-wraps data
    keys (``data_keys_rewrap``), not what they encrypt."""
    if token.startswith(_BYTES_PREFIX):
        return token
    return _current().rotate(token)


def reencrypt_column(model: type[models.Model], field: str, *, batch_size: int = 500) -> int:
    """Encrypt every platform-key value of ``model.field`` (a text token) again with the newest
    key; data-key tokens are left alone (their keys are re-wrapped instead).

    Safe while people write: a row is rewritten only if its value is unchanged since it was
    read, and safe to run again. Returns how many rows were rewritten."""
    rewritten, last = 0, 0
    while batch := list(
        model._default_manager.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", field)[:batch_size]
    ):
        for pk, token in batch:
            if not token or token.startswith(PREFIX):
                continue
            rotated = _current().rotate(token.encode()).decode()
            rewritten += model._default_manager.filter(pk=pk, **{field: token}).update(
                **{field: rotated}
            )
        last = batch[-1][0]
    return rewritten


# --- Data keys ------------------------------------------------------------------------------


class _Keys:
    """Unwrapped data keys of this process: slot -> (Fernet, expiry); (kind, subject) -> slot.
    Thread-safe; bounded; entries expire after DATA_KEY_CACHE_SECONDS."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_slot: OrderedDict[int, tuple[Fernet, float]] = OrderedDict()
        self._slots: dict[tuple[str, int], int] = {}

    def get(self, slot: int) -> Fernet | None:
        with self._lock:
            entry = self._by_slot.get(slot)
            if entry is None:
                return None
            if entry[1] < time.monotonic():
                del self._by_slot[slot]
                return None
            return entry[0]

    def slot_of(self, kind: str, subject_id: int) -> int | None:
        with self._lock:
            return self._slots.get((kind, subject_id))

    def put(self, slot: int, kind: str, subject_id: int, key: Fernet) -> None:
        with self._lock:
            self._by_slot[slot] = (key, time.monotonic() + settings.DATA_KEY_CACHE_SECONDS)
            self._by_slot.move_to_end(slot)
            self._slots[(kind, subject_id)] = slot
            while len(self._by_slot) > _CACHE_MAX:
                self._by_slot.popitem(last=False)
            if len(self._slots) > 2 * _CACHE_MAX:
                self._slots.clear()

    def forget(self, slot: int | None = None) -> None:
        with self._lock:
            if slot is None:
                self._by_slot.clear()
                self._slots.clear()
                return
            self._by_slot.pop(slot, None)
            for subject, known in list(self._slots.items()):
                if known == slot:
                    del self._slots[subject]


_keys = _Keys()


class _VaultCache:
    """The vault as last read by this process, read again KEY_VAULT_RECHECK_SECONDS later
    (a newer version only ever removes slots)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._vault: keyvault.Vault | None = None
        self._read_at = 0.0

    def get(self) -> keyvault.Vault | None:
        with self._lock:
            fresh = time.monotonic() - self._read_at < settings.KEY_VAULT_RECHECK_SECONDS
            if self._vault is not None and fresh:
                return self._vault
            self._vault = keyvault.vault_read(_current())
            self._read_at = time.monotonic()
            return self._vault

    def set(self, vault: keyvault.Vault | None) -> None:
        with self._lock:
            self._vault, self._read_at = vault, time.monotonic()


_vault_cache = _VaultCache()


def data_keys_forget() -> None:
    """Forget every unwrapped key and the vault this process read (as a new process would)."""
    _keys.forget()
    _vault_cache.set(None)
    _vault_cache._read_at = 0.0


@receiver(setting_changed)
def _forget_on_new_keys(*, setting: str, **kwargs) -> None:
    # A test that changes the platform keys or the vault's folder is a new deployment.
    if setting in ("MESSAGE_ENCRYPTION_KEYS", "KEY_VAULT_ROOT", "STORAGES"):
        data_keys_forget()


def _in_transaction() -> bool:
    """Inside a transaction that may still roll back (a test's own wrapping transaction does
    not count: it never commits, and nothing it makes outlives the test)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _remember(row: DataKey, key: Fernet) -> None:
    # A key read or made in a transaction that rolls back may not exist: remember it only
    # once the transaction has committed.
    def put(slot=row.pk, kind=row.kind, subject_id=row.subject_id):
        _keys.put(slot, kind, subject_id, key)

    if _in_transaction():
        transaction.on_commit(put, robust=True)
    else:
        put()


def _vault_locked() -> None:
    """Take the vault writers' lock until the end of the caller's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_VAULT_LOCK_ID])


def _vault() -> keyvault.Vault:
    """The current vault; the first one is made when there is none and no data key exists.
    A vault missing while data keys exist is an error, never replaced: a new vault would make
    every existing key unreadable (the KEY_VAULT_ROOT or its volume is not where it was)."""
    vault = _vault_cache.get()
    if vault is not None:
        return vault
    with transaction.atomic():
        _vault_locked()
        vault = keyvault.vault_read(_current())
        if vault is None:
            if DataKey.objects.exists():
                raise keyvault.VaultError(
                    "the key vault is missing (KEY_VAULT_ROOT) while data keys exist: restore "
                    "it from its copy; never start a new one, every patient's data would be lost"
                )
            vault = keyvault.Vault.new()
            keyvault.vault_write(vault, _current())
    _vault_cache.set(vault)
    return vault


def _wrapping(slot: int) -> Fernet | None:
    vault = _vault()
    wrapping = vault.wrapping_key(slot)
    if wrapping is None:
        # This process may hold an older vault; a newer one only removes slots, so a slot
        # missing from the cached one is missing for good — unless the cache predates a restore.
        _vault_cache.set(None)
        _vault_cache._read_at = 0.0
        wrapping = _vault().wrapping_key(slot)
    return Fernet(wrapping) if wrapping is not None else None


def _unwrap(row: DataKey) -> Fernet:
    if not row.wrapped:
        raise KeyDestroyed(f"data key {row.pk} was destroyed")
    wrapping = _wrapping(row.pk)
    if wrapping is None:
        raise KeyDestroyed(f"data key {row.pk} was shredded from the key vault")
    return Fernet(wrapping.decrypt(_current().decrypt(row.wrapped.encode())))


def _key_of_slot(slot: int) -> Fernet:
    key = _keys.get(slot)
    if key is not None:
        return key
    row = DataKey.objects.filter(pk=slot).first()
    if row is None:
        raise KeyDestroyed(f"no data key {slot}")
    key = _unwrap(row)
    _remember(row, key)
    return key


def _open(token: bytes) -> bytes:
    match = _TOKEN.match(token[:20].decode("ascii", errors="replace"))
    if match is None:
        raise InvalidToken("not a data-key token")
    slot = int(match.group(1))
    return _key_of_slot(slot).decrypt(token[match.end() :])


def _key_for(kind: str, subject_id: int) -> tuple[int, Fernet]:
    """The subject's key (made the first time), as (slot, key)."""
    slot = _keys.slot_of(kind, subject_id)
    if slot is not None and (key := _keys.get(slot)) is not None:
        return slot, key
    row = DataKey.objects.filter(kind=kind, subject_id=subject_id).first()
    if row is None:
        row = _create(kind, subject_id)
    key = _unwrap(row)
    _remember(row, key)
    return row.pk, key


def _create(kind: str, subject_id: int) -> DataKey:
    """A new key for the subject, or the one another process made meanwhile."""
    _vault()  # the first vault is made before the first key, never after
    for _attempt in range(8):
        key = Fernet.generate_key()
        try:
            with transaction.atomic():
                row, created = DataKey.objects.get_or_create(kind=kind, subject_id=subject_id)
                if not created:
                    return row
                wrapping = _wrapping(row.pk)
                if wrapping is None:
                    # A slot punctured in a timeline a restore undid: never reuse it.
                    raise _SlotTaken
                row.wrapped = _current().encrypt(wrapping.encrypt(key)).decode()
                row.save(update_fields=["wrapped"])
                return row
        except _SlotTaken:
            continue  # rolled back; the sequence has moved on
    raise keyvault.VaultError("no free slot for a new data key")


class _SlotTaken(Exception):
    pass


def encrypt_text_for(patient_id: int, text: str) -> str:
    """Encrypt what a patient wrote, or what was written about them, with their data key."""
    return encrypt_text_under(DataKey.Kind.PATIENT, patient_id, text)


def encrypt_bytes_for(patient_id: int, data: bytes) -> bytes:
    return encrypt_bytes_under(DataKey.Kind.PATIENT, patient_id, data)


def encrypt_text_under(kind: str, subject_id: int, text: str) -> str:
    slot, key = _key_for(kind, subject_id)
    return f"{PREFIX}{slot}.{key.encrypt(text.encode()).decode()}"


def encrypt_bytes_under(kind: str, subject_id: int, data: bytes) -> bytes:
    slot, key = _key_for(kind, subject_id)
    return f"{PREFIX}{slot}.".encode() + key.encrypt(data)


def patient_encrypted_text(column: str, *, patient: str, description) -> property:
    """A model attribute for a text kept encrypted in ``column`` under the data key of the
    row's patient (``patient``: the dotted path to their id, ``"patient_id"``,
    ``"request.patient_id"``): reading it decrypts ("" when empty), setting it encrypts. So a
    model says once whose words a column holds, and pages, the admin (``description`` is its
    label there) and factories read and write plain text. Save ``column``, not the
    attribute's name, in ``update_fields``."""

    def read(row) -> str:
        token = getattr(row, column)
        return decrypt_text(token) if token else ""

    def write(row, text: str) -> None:
        patient_id = row
        for name in patient.split("."):
            patient_id = getattr(patient_id, name)
        setattr(row, column, encrypt_text_for(patient_id, text) if text else "")

    read.short_description = description  # type: ignore[attr-defined]
    return property(read, write)


def patient_encrypted_json(column: str, *, patient: str, description) -> property:
    """``patient_encrypted_text`` for a JSON-able value (a questionnaire's answers), kept in
    ``column`` as compact JSON under the data key of the row's patient. Reading an empty
    column gives None and setting None empties it, so "nothing kept" never reads as an empty
    list or 0 (those are encrypted like any other value). Setting a value needs the patient's
    id first: ``Model(patient=…, answers=…)`` has it, as Django sets fields from keyword
    arguments before properties."""

    def read(row):
        token = getattr(row, column)
        return json.loads(decrypt_text(token)) if token else None

    def write(row, value) -> None:
        if value is None:
            setattr(row, column, "")
            return
        patient_id = row
        for name in patient.split("."):
            patient_id = getattr(patient_id, name)
        if patient_id is None:
            raise ValueError(f"{type(row).__name__}.{column}: set the patient before the value")
        text = json.dumps(value, separators=(",", ":"))
        setattr(row, column, encrypt_text_for(patient_id, text))

    read.short_description = description  # type: ignore[attr-defined]
    return property(read, write)


def platform_encrypted_text(column: str, *, description) -> property:
    """``patient_encrypted_text`` for what is not a patient's (a therapist's file name): kept
    in ``column`` under the platform keys."""

    def read(row) -> str:
        token = getattr(row, column)
        return decrypt_text(token) if token else ""

    def write(row, text: str) -> None:
        setattr(row, column, encrypt_text(text) if text else "")

    read.short_description = description  # type: ignore[attr-defined]
    return property(read, write)


def reencrypt_text_under(kind: str, subject_id: int, token: str) -> str:
    """``token`` (the platform keys', or any data key's) as a token of this subject's key;
    unchanged when it is one already. How migrations move rows to their patient's key, and
    erasure moves notes to their retention key."""
    if not token:
        return token
    slot, _key = _key_for(kind, subject_id)
    if token.startswith(f"{PREFIX}{slot}."):
        return token
    return encrypt_text_under(kind, subject_id, decrypt_text(token))


def reencrypt_text_for(patient_id: int, token: str) -> str:
    return reencrypt_text_under(DataKey.Kind.PATIENT, patient_id, token)


def reencrypt_bytes_under(kind: str, subject_id: int, token: bytes) -> bytes:
    slot, _key = _key_for(kind, subject_id)
    if token.startswith(f"{PREFIX}{slot}.".encode()):
        return token
    return encrypt_bytes_under(kind, subject_id, decrypt_bytes(token))


def reencrypt_bytes_for(patient_id: int, token: bytes) -> bytes:
    return reencrypt_bytes_under(DataKey.Kind.PATIENT, patient_id, token)


def reencrypt_column_for(
    model: type[models.Model], field: str, *, patient: str, batch_size: int = 500
) -> int:
    """Move every value of ``model.field`` (a text token) to its row's patient's data key,
    ``patient`` naming the path to their id (``"conversation__patient_id"``): how data
    migrations move rows of before. Safe while people write (a row is rewritten only if its
    value is unchanged since it was read) and to run again. Returns how many were moved."""
    moved, last = 0, 0
    while batch := list(
        model._default_manager.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", field, patient)[:batch_size]
    ):
        for pk, token, patient_id in batch:
            if not token or patient_id is None:
                continue
            new = reencrypt_text_for(patient_id, token)
            if new != token:
                moved += model._default_manager.filter(pk=pk, **{field: token}).update(
                    **{field: new}
                )
        last = batch[-1][0]
    return moved


def encrypt_column_for(
    model: type[models.Model],
    plain: str,
    encrypted: str,
    *,
    patient: str,
    keep: Iterable[str] = (),
    batch_size: int = 500,
) -> int:
    """Encrypt the plain text of ``model.plain`` into ``model.encrypted`` under each row's
    patient's data key, emptying ``plain``: how a column that was kept in clear moves (values
    in ``keep``, codes rather than words, stay). Safe while people write and to run again (a
    row moves only if unchanged since it was read). Returns how many rows moved."""
    moved, last = 0, 0
    while batch := list(
        model._default_manager.filter(pk__gt=last)
        .exclude(**{f"{plain}__in": list(keep)})
        .order_by("pk")
        .values_list("pk", plain, patient)[:batch_size]
    ):
        for pk, text, patient_id in batch:
            if not text or patient_id is None:
                continue
            moved += model._default_manager.filter(pk=pk, **{plain: text}).update(
                **{plain: "", encrypted: encrypt_text_for(patient_id, text)}
            )
        last = batch[-1][0]
    return moved


def data_keys_load(tokens: Iterable[str | bytes]) -> None:
    """Unwrap, in one query, the keys of these tokens that this process does not hold yet: a
    page showing several patients' texts then decrypts them without a query each."""
    slots = set()
    for token in tokens:
        head = token[:20] if isinstance(token, str) else token[:20].decode("ascii", "replace")
        if (match := _TOKEN.match(head)) and _keys.get(int(match.group(1))) is None:
            slots.add(int(match.group(1)))
    if not slots:
        return
    for row in DataKey.objects.filter(pk__in=slots).exclude(wrapped=""):
        try:
            _remember(row, _unwrap(row))
        except InvalidToken:
            continue  # decrypting that token will say so


# --- Destroying, shredding, rotating --------------------------------------------------------


def data_key_destroy(*, kind: str, subject_id: int, now=None) -> int | None:
    """Destroy the subject's key: from now on nothing it encrypted can be read, here or in a
    backup once it is shredded (after this transaction commits). Returns its slot, or None
    when the subject never had a key. Idempotent."""
    now = now or timezone.now()
    row = DataKey.objects.select_for_update().filter(kind=kind, subject_id=subject_id).first()
    if row is None:
        return None
    if row.destroyed_at is None:
        row.wrapped, row.destroyed_at = "", now
        row.save(update_fields=["wrapped", "destroyed_at"])
    _keys.forget(row.pk)
    transaction.on_commit(data_keys_shred, robust=True)
    return row.pk


def data_keys_shred(*, now=None) -> int:
    """Puncture in the vault the slots of every destroyed key not shredded yet; returns how
    many. Idempotent and safe when run twice at once (the vault's writers take turns)."""
    now = now or timezone.now()
    with transaction.atomic():
        _vault_locked()
        slots = list(
            DataKey.objects.filter(destroyed_at__isnull=False, shredded_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not slots:
            return 0
        vault = keyvault.vault_read(_current())
        if vault is None:
            raise keyvault.VaultError("the key vault is missing (KEY_VAULT_ROOT)")
        punctured = vault.punctured(slots)
        keyvault.vault_write(punctured, _current())
        DataKey.objects.filter(pk__in=slots).update(shredded_at=now)
    _vault_cache.set(punctured)
    for slot in slots:
        _keys.forget(slot)
    return len(slots)


def data_keys_rewrap(*, batch_size: int = 500) -> int:
    """Seal every data key, and the vault, again with the newest platform key (rotation);
    returns how many keys were re-wrapped. Safe while the platform runs, and to run again."""
    rewritten, last = 0, 0
    while batch := list(
        DataKey.objects.filter(pk__gt=last)
        .exclude(wrapped="")
        .order_by("pk")
        .values_list("pk", "wrapped")[:batch_size]
    ):
        for pk, wrapped in batch:
            rotated = _current().rotate(wrapped.encode()).decode()
            if rotated != wrapped:
                rewritten += DataKey.objects.filter(pk=pk, wrapped=wrapped).update(wrapped=rotated)
        last = batch[-1][0]
    with transaction.atomic():
        _vault_locked()
        vault = keyvault.vault_read(_current())
        if vault is not None:
            resealed = vault.resealed()
            keyvault.vault_write(resealed, _current())
            _vault_cache.set(resealed)
    return rewritten
