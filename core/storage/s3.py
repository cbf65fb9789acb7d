"""Private files in an S3-compatible object store (``PRIVATE_STORAGE=s3``): MinIO in the
compose file, AWS S3 or any other that speaks the protocol.

django-storages' ``S3Storage`` with what a private store needs: a name already taken is never
overwritten (a second therapist's upload cannot replace a first one's), objects get no ACL of
their own (the bucket's, which must be private: docs/operations.md), and no file is ever given a
URL, signed or not: the views check who asks, then stream the bytes. Imported only when
``STORAGES`` names it, so the filesystem default never loads boto3.
"""

from typing import Any

from botocore.config import Config
from storages.backends.s3 import S3Storage

from core.storage import NO_URL


class PrivateS3Storage(S3Storage):
    def __init__(self, *, addressing_style: str = "path", **options: Any):
        options.setdefault("file_overwrite", False)
        options.setdefault("default_acl", None)
        options.setdefault(
            "client_config",
            Config(
                # MinIO and most other S3-compatible stores answer on path-style URLs
                # (endpoint/bucket/key); AWS S3 takes both.
                s3={"addressing_style": addressing_style},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
                # Checksums only where the protocol requires them: boto3's newer default
                # (a CRC on every upload) is refused by several S3-compatible stores.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        super().__init__(**options)

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(NO_URL)
