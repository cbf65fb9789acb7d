"""Fixtures of the core tests: the S3-compatible server of the session, and private storage on
each backend (a test that asks for ``private_place`` runs once on the filesystem and once on
object storage)."""

from collections.abc import Iterator

import pytest

from tests.storage import PrivatePlace, S3Server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server on 127.0.0.1 and a free port, for the whole session."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(params=["filesystem", "s3"])
def private_place(request, settings, tmp_path) -> PrivatePlace:
    """Private storage on this backend for the test: an empty folder, or an empty bucket."""
    if request.param == "s3":
        place = PrivatePlace.new_bucket(request.getfixturevalue("s3_server"))
    else:
        place = PrivatePlace.folder(tmp_path / "private")
        settings.PRIVATE_MEDIA_ROOT = place.root
    settings.STORAGES = settings.STORAGES | {"private": place.storage}
    return place
