"""The key vault: the one secret, kept outside the database, that every data key is wrapped
under, and from which an erased subject's wrapping key can be removed for good.

Why it exists (docs/architecture.md, *Data at rest*): each patient's data is encrypted with a
data key of their own (``core.crypto``), and erasing them destroys that key. The wrapped key is a
database row, so every database backup holds a copy of it; if it were wrapped by the platform
keys alone, restoring a backup taken before the erasure would bring the patient back. So each
data key is also wrapped by a **wrapping key of its own slot** (its ``DataKey`` id), derived from
this vault, which lives in storage of its own (``STORAGES["keys"]``, not in the database, not in
``manage.py backup``), and erasure removes that slot from the vault.

The vault is a **puncturable key tree** (Goldreich–Goldwasser–Micali): a binary tree of depth
``DEPTH`` whose root is a random secret; each node's children are HMAC-SHA256 of it, so the
secret of slot ``s`` (a leaf) is derived from the root along the path of ``s``'s bits. The vault
holds a set of nodes that together cover every slot still alive — at first the root alone.
*Puncturing* slot ``s`` replaces the node covering it by the siblings along its path (at most
``DEPTH`` nodes) and forgets the rest: every other slot can still be derived, ``s`` can no longer
be derived from anything the vault holds, and HMAC cannot be run backwards. So:

- a database backup restored after an erasure, with the current vault and keys, opens every
  patient's data but the erased ones' (their rows are in the backup, their wrapping keys are
  nowhere);
- the vault changes only when someone is erased, not when a patient signs up, and grows by at
  most ``DEPTH`` nodes (~1.6 KB) per erasure, fewer when erased slots are neighbours;
- the vault is sealed with the platform keys (``MESSAGE_ENCRYPTION_KEYS``): a copy of it alone
  opens nothing, and rotating the platform keys seals it again.

Versions: each change writes a new object ``vault-<version>.sealed`` and then deletes the older
ones; a reader takes the newest version it can open (a write cut short by a crash leaves the
previous version readable). Writers hold ``core.crypto``'s lock.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property

KEYS_STORAGE_ALIAS = "keys"
DEPTH = 32  # slots 0 … 2**32 - 1: DataKey ids
FORMAT = 1
_NAME = re.compile(r"^vault-([0-9]{10})\.sealed$")


class VaultError(Exception):
    """The vault cannot be read or written: the data keys cannot be opened until it is fixed."""


class KeyVaultFileSystemStorage(FileSystemStorage):
    """The vault's default home: files under ``KEY_VAULT_ROOT``, read when first needed and
    again whenever a test overrides it."""

    def __init__(self, **options: Any):
        super().__init__(base_url=None, **options)

    @cached_property
    def base_location(self):
        return settings.KEY_VAULT_ROOT

    @cached_property
    def location(self):
        return os.path.abspath(self.base_location)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "KEY_VAULT_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("The key vault has no URL.")


def keys_storage() -> Storage:
    return storages[KEYS_STORAGE_ALIAS]


def _child(secret: bytes, bit: int) -> bytes:
    return hmac.new(secret, b"havre-vault-right" if bit else b"havre-vault-left", "sha256").digest()


@dataclass(frozen=True)
class Vault:
    """One version of the vault: the nodes covering every slot not punctured.

    ``nodes`` maps (level, prefix) to the node's secret: the node at ``level`` whose path from
    the root is the ``level`` high bits of a slot, ``prefix``."""

    version: int
    nodes: dict[tuple[int, int], bytes]

    @classmethod
    def new(cls) -> "Vault":
        return cls(version=1, nodes={(0, 0): secrets.token_bytes(32)})

    def _cover(self, slot: int) -> tuple[int, int, bytes] | None:
        for level in range(DEPTH + 1):
            prefix = slot >> (DEPTH - level)
            secret = self.nodes.get((level, prefix))
            if secret is not None:
                return level, prefix, secret
        return None

    def wrapping_key(self, slot: int) -> bytes | None:
        """The Fernet key that wraps slot ``slot``'s data key, or None once it is punctured."""
        _check_slot(slot)
        cover = self._cover(slot)
        if cover is None:
            return None
        level, _prefix, secret = cover
        for depth in range(level, DEPTH):
            secret = _child(secret, (slot >> (DEPTH - depth - 1)) & 1)
        wrapping = hmac.new(secret, b"havre-data-key-wrapping", hashlib.sha256).digest()
        return urlsafe_b64encode(wrapping)

    def punctured(self, slots: Iterable[int]) -> "Vault":
        """A new version in which none of ``slots`` can be derived any more (slots already
        punctured are left as they are)."""
        nodes = dict(self.nodes)
        for slot in slots:
            _check_slot(slot)
            cover = Vault(version=0, nodes=nodes)._cover(slot)
            if cover is None:
                continue
            level, prefix, secret = cover
            del nodes[(level, prefix)]
            for depth in range(level, DEPTH):
                bit = (slot >> (DEPTH - depth - 1)) & 1
                nodes[(depth + 1, (prefix << 1) | (1 - bit))] = _child(secret, 1 - bit)
                secret, prefix = _child(secret, bit), (prefix << 1) | bit
        return Vault(version=self.version + 1, nodes=nodes)

    def resealed(self) -> "Vault":
        return Vault(version=self.version + 1, nodes=dict(self.nodes))

    def seal(self, sealer: MultiFernet) -> bytes:
        document = {
            "format": FORMAT,
            "depth": DEPTH,
            "version": self.version,
            "nodes": [
                [level, prefix, urlsafe_b64encode(secret).decode()]
                for (level, prefix), secret in sorted(self.nodes.items())
            ],
        }
        return sealer.encrypt(json.dumps(document, separators=(",", ":")).encode())

    @classmethod
    def open(cls, sealed: bytes, sealer: MultiFernet) -> "Vault":
        document = json.loads(sealer.decrypt(sealed))
        if document.get("format") != FORMAT or document.get("depth") != DEPTH:
            raise VaultError("a key vault of an unknown format")
        return cls(
            version=int(document["version"]),
            nodes={
                (int(level), int(prefix)): urlsafe_b64decode(secret)
                for level, prefix, secret in document["nodes"]
            },
        )


def _check_slot(slot: int) -> None:
    if not 0 <= slot < 2**DEPTH:
        raise VaultError(f"slot {slot} is outside the vault (0 to 2**{DEPTH} - 1)")


def _name(version: int) -> str:
    return f"vault-{version:010d}.sealed"


def vault_versions() -> list[int]:
    """The versions stored, newest first."""
    try:
        _folders, files = keys_storage().listdir("")
    except FileNotFoundError:
        return []
    return sorted((int(m.group(1)) for name in files if (m := _NAME.match(name))), reverse=True)


def vault_read(sealer: MultiFernet) -> Vault | None:
    """The newest version that opens, or None when there is none at all. Raises VaultError
    when versions exist but none opens (other platform keys)."""
    versions = vault_versions()
    for version in versions:
        try:
            with keys_storage().open(_name(version), "rb") as stored:
                return Vault.open(stored.read(), sealer)
        except (InvalidToken, ValueError, KeyError, OSError):
            continue  # cut short by a crash, or sealed with a key no longer configured
    if versions:
        raise VaultError(
            "the key vault cannot be opened with MESSAGE_ENCRYPTION_KEYS: the key that sealed "
            "it is not configured"
        )
    return None


def vault_write(vault: Vault, sealer: MultiFernet) -> None:
    """Store ``vault`` as the newest version, check it reads back, then delete the older
    versions. The caller holds the writers' lock."""
    storage = keys_storage()
    name = _name(vault.version)
    if storage.exists(name):
        raise VaultError(f"key vault version {vault.version} exists already")
    saved = storage.save(name, ContentFile(vault.seal(sealer)))
    if saved != name:
        storage.delete(saved)
        raise VaultError(f"key vault version {vault.version} could not be stored under its name")
    with storage.open(name, "rb") as stored:
        if Vault.open(stored.read(), sealer).nodes != vault.nodes:
            raise VaultError("the key vault did not read back as written")
    for older in vault_versions():
        if older < vault.version:
            storage.delete(_name(older))


def vault_fingerprint(vault: Vault) -> str:
    """A name for this version of the vault that reveals nothing of it."""
    digest = hashlib.sha256()
    for (level, prefix), secret in sorted(vault.nodes.items()):
        digest.update(f"{level}:{prefix}:".encode() + hashlib.sha256(secret).digest())
    return digest.hexdigest()[:16]
