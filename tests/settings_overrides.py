"""What the tests change in the settings, shared by the test process and the server process the
browser tests start."""

import os
import tempfile
from pathlib import Path


def apply_test_settings(settings) -> None:
    # Fast password hashing and plain static files; everything else is as deployed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    # One key vault for the test session, shared with the processes it starts (browser tests'
    # servers, manage.py in a restore drill) through the environment they inherit; never the
    # developer's own.
    if "KEY_VAULT_ROOT" not in os.environ or "havre-test-keys-" not in os.environ["KEY_VAULT_ROOT"]:
        os.environ["KEY_VAULT_ROOT"] = tempfile.mkdtemp(prefix="havre-test-keys-")
    settings.KEY_VAULT_ROOT = Path(os.environ["KEY_VAULT_ROOT"])
