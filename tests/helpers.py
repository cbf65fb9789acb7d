"""Small helpers shared by the tests: logged-in clients, codes, links in emails, processes."""

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models.signals import post_init
from django.test import Client

from tests.factories import TOTP_SECRET


def client_for(user) -> Client:
    """A test client logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


@contextmanager
def instances_made() -> Iterator[Counter]:
    """How many instances of each model the database's rows became while inside."""
    made: Counter = Counter()

    def count(sender, **kwargs):
        made[sender] += 1

    post_init.connect(count, weak=False)
    try:
        yield made
    finally:
        post_init.disconnect(count)


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at ``at``)."""
    moment = time.time() if at is None else at
    return format_hotp_value(hotp_value(secret, int(moment // mfa_settings.TOTP_PERIOD)))


def link_in(body: str, path_prefix: str) -> str:
    """The path of the first link in ``body`` whose path starts with ``path_prefix``."""
    for word in body.split():
        if "://" in word and urlsplit(word).path.startswith(path_prefix):
            return urlsplit(word).path
    raise AssertionError(f"no link to {path_prefix} in:\n{body}")


def outbox_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


class Output:
    """Lines a process prints, which a test can wait for."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        regex = re.compile(pattern)
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((line for line in self.lines if regex.search(line)), None),
                timeout=timeout,
            )
        assert found, f"never printed {pattern!r}:\n" + "".join(self.lines[-40:])
        return found


def run_together(works: list) -> list:
    """Run each of ``works`` in its own thread, all released at the same moment (each connected
    to the database first, so they really race); each closes its connection. Returns their
    results in order; fails the test if any raised."""
    barrier = threading.Barrier(len(works))
    results: list = [None] * len(works)
    errors: list = []

    def run(index):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=20)
            results[index] = works[index]()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def wait_until(predicate: Callable[[], object], timeout: float = 10, interval: float = 0.1):
    """Call ``predicate`` until it returns something true (returned) or ``timeout`` seconds
    have passed (the test fails). For what no event announces: a row written by another
    process, a browser's statistics; anything a page shows is ``expect``'s job."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"still not true after {timeout} s: {predicate}"
        time.sleep(interval)


# --- Settings as a deployment sees them ---------------------------------------------------------

# A production-like environment (DEBUG off, every secret given), for ``manage``.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 30 + "-production-like-secret-for-this-test-only-" + "y" * 20,
    "MESSAGE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "therapy.example.org",
    "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587",
    "DATABASE_URL": "postgres://app:secret@db.example.org:5432/app",
    "REDIS_URL": "redis://cache.example.org:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``manage.py *args`` in a process of its own whose environment is the test run's, less
    what ``PRODUCTION`` sets, plus ``env``: settings read afresh."""
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
