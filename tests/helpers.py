import re
import threading
import time
from urllib.parse import urlsplit

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.db import connection

from tests.factories import TOTP_SECRET


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
