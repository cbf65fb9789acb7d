"""Private storage in tests: an S3-compatible server for the test session (moto's standalone
server, on 127.0.0.1 and a free port, never any other address), and the places private files go
to (a folder, a bucket), described the same way whichever backend holds them."""

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

# moto accepts any credentials; these only have to be the same everywhere.
S3_KEY_ID = "test-key-id"
S3_SECRET = "test-secret-key"
S3_REGION = "us-east-1"


class S3Server:
    """moto's S3-compatible server in a thread of the test process, reachable by the processes
    a test starts (``manage.py restore``) as a real store would be."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
            region_name=S3_REGION,
        )

    def new_bucket(self) -> str:
        name = f"private-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@dataclass
class PrivatePlace:
    """Where private files go: a folder (``filesystem``) or a bucket (``s3``).

    ``storage`` is its entry for ``settings.STORAGES["private"]``; ``env`` the environment that
    makes a ``manage.py`` process use it, as a deployment would set it."""

    kind: str
    storage: dict
    env: dict[str, str]
    root: Path | None = None
    bucket: str = ""
    server: S3Server | None = field(default=None, repr=False)

    @classmethod
    def folder(cls, root: Path) -> "PrivatePlace":
        return cls(
            kind="filesystem",
            storage={"BACKEND": "core.storage.PrivateFileSystemStorage"},
            env={"PRIVATE_STORAGE": "filesystem", "PRIVATE_MEDIA_ROOT": str(root)},
            root=root,
        )

    @classmethod
    def new_bucket(cls, server: S3Server) -> "PrivatePlace":
        bucket = server.new_bucket()
        options = {
            "bucket_name": bucket,
            "endpoint_url": server.endpoint_url,
            "region_name": S3_REGION,
            "access_key": S3_KEY_ID,
            "secret_key": S3_SECRET,
        }
        env = {
            "PRIVATE_STORAGE": "s3",
            "S3_ENDPOINT_URL": server.endpoint_url,
            "S3_BUCKET": bucket,
            "S3_REGION": S3_REGION,
            "S3_ACCESS_KEY_ID": S3_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
        }
        storage = {"BACKEND": "core.storage.s3.PrivateS3Storage", "OPTIONS": options}
        return cls(kind="s3", storage=storage, env=env, bucket=bucket, server=server)

    def fresh(self, root: Path) -> "PrivatePlace":
        """An empty place of the same kind (``root`` is used by a folder)."""
        if self.server is not None:
            return PrivatePlace.new_bucket(self.server)
        return PrivatePlace.folder(root)

    def stored(self) -> dict[str, bytes]:
        """Every file kept here, name → bytes, read beneath the storage API (from the disk or
        from the bucket), as someone who got hold of the disk or the bucket would read them."""
        if self.server is not None:
            client = self.server.client()
            listed = client.list_objects_v2(Bucket=self.bucket).get("Contents", [])
            return {
                item["Key"]: client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                for item in listed
            }
        assert self.root is not None
        if not self.root.exists():
            return {}
        return {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in sorted(self.root.rglob("*"))
            if path.is_file()
        }
