"""Private storage: where uploaded files that must never be reachable by a URL are kept.

Credential documents, photos and message attachments (later voice messages and exports) are
saved through ``private_storage``: every private ``FileField`` names it. It stands for the
storage named ``private`` in ``settings.STORAGES``, looked up on every call:

- ``core.storage.PrivateFileSystemStorage``, the embedded default: files under
  ``PRIVATE_MEDIA_ROOT``;
- ``core.storage.s3.PrivateS3Storage`` (``PRIVATE_STORAGE=s3``): objects in a private bucket of
  an S3-compatible object store (MinIO, AWS S3, …), so that any number of hosts share them.

Why a stand-in rather than the backend itself: migrations record a field's storage by its path
(``core.storage.PrivateStorage()``), so the backend can change with a setting and no migration,
and tests can swap it per test by overriding ``STORAGES``.

Storage only stores bytes: the apps encrypt what must be encrypted before they save it. Nothing
here ever gives a file a URL: the views check who asks, then stream the bytes themselves.
"""

import os
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

PRIVATE_STORAGE_ALIAS = "private"
NO_URL = "Private files have no URL: serve them through a view that checks access."


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT``, read when first needed and again whenever a test
    overrides it."""

    def __init__(self, **options: Any):
        super().__init__(base_url=None, **options)

    @cached_property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @cached_property
    def location(self):
        return os.path.abspath(self.base_location)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError(NO_URL)


@deconstructible(path="core.storage.PrivateStorage")
class PrivateStorage(Storage):
    """The storage named ``private`` in ``settings.STORAGES``, whichever backend it is."""

    @property
    def backend(self) -> Storage:
        # Django's handler keeps one instance per alias and forgets it when STORAGES changes.
        return storages[PRIVATE_STORAGE_ALIAS]

    def open(self, name: str, mode: str = "rb") -> Any:
        return self.backend.open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self.backend.save(name, content, max_length=max_length)

    def _open(self, name: str, mode: str = "rb") -> Any:
        return self.backend.open(name, mode)

    def _save(self, name: str, content: IO[Any]) -> str:
        return self.backend.save(name, content)

    def get_valid_name(self, name: str) -> str:
        return self.backend.get_valid_name(name)

    def get_alternative_name(self, file_root: str, file_ext: str) -> str:
        return self.backend.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.backend.generate_filename(filename)

    def path(self, name: str) -> str:
        return self.backend.path(name)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def exists(self, name: str) -> bool:
        return self.backend.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend.listdir(path)

    def size(self, name: str) -> int:
        return self.backend.size(name)

    def url(self, name: str | None) -> str:
        raise ValueError(NO_URL)

    def get_accessed_time(self, name: str):
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name: str):
        return self.backend.get_created_time(name)

    def get_modified_time(self, name: str):
        return self.backend.get_modified_time(name)


private_storage = PrivateStorage()
