"""Browser tests: Playwright drives Debian's Chromium against the ASGI app served by daphne.

pytest-django's live server speaks WSGI only, so the app runs in a daphne process of its own
(tests/e2e/serve.py) started once the test database exists; it shares that database (tests
commit their data with ``transactional_db``) and Redis. Emails are written to files, where
tests read the links.
"""

import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
from contextlib import contextmanager
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from tests.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.e2e.browser import REFUSED, watch, watch_opened_pages
from tests.helpers import Output, wait_until

# Assertions wait for what a busy machine (two CPUs shared by the server, the database, Redis
# and Chromium) may take; they still pass as soon as the page shows it.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # to arrange and check data are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def outbox_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture(scope="session")
def private_media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("private")


@contextmanager
def daphne_server(outbox_dir: Path, private_media_dir: Path, **extra_env: str):
    """The app served by daphne in a process of its own, on the test database: its address.
    ``extra_env``: more of the server's environment (``E2E_CELERY_EAGER="false"``)."""
    env = (
        {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        | {
            "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
            "E2E_OUTBOX": str(outbox_dir),
            "PRIVATE_MEDIA_ROOT": str(private_media_dir),
            "PYTHONUNBUFFERED": "1",
        }
        | extra_env
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.serve"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(server.stdout)
    try:
        ready = output.wait_for(r"Listening on TCP address 127\.0\.0\.1:\d+")
        port = re.search(r":(\d+)\s*$", ready)
        assert port is not None, ready
        yield f"http://127.0.0.1:{port.group(1)}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, outbox_dir, private_media_dir):
    with daphne_server(outbox_dir, private_media_dir) as url:
        yield url


@pytest.fixture(scope="session")
def second_server_url(django_db_setup, outbox_dir, private_media_dir):
    """Another daphne process on the same database and Redis: what production runs."""
    with daphne_server(outbox_dir, private_media_dir) as url:
        yield url


@pytest.fixture(scope="session")
def workerless_server_url(django_db_setup, outbox_dir, private_media_dir):
    """A server whose tasks wait in the broker instead of running inline: the test plays the
    worker itself, to watch a long task's progress from the page (an export)."""
    with daphne_server(outbox_dir, private_media_dir, E2E_CELERY_EAGER="false") as url:
        yield url


@pytest.fixture(scope="session")
def short_idle_server_url(django_db_setup, outbox_dir, private_media_dir):
    """A server whose patients are logged out after 15 seconds without activity, warned 10
    seconds before (the idle log-out's browser test: a clock of its own would not reach the
    browser's timers)."""
    idle = {"IDLE_LOGOUT_MINUTES_PATIENT": "0.25", "IDLE_LOGOUT_WARNING_SECONDS": "10"}
    with daphne_server(outbox_dir, private_media_dir, **idle) as url:
        yield url


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (coturn listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def stun_answers(port: int) -> bool:
    """Whether a STUN server on 127.0.0.1:``port`` answers a Binding request (RFC 5389)."""
    transaction = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.5)
        try:
            udp.sendto(request, ("127.0.0.1", port))
            answer = udp.recv(2048)
        except OSError:
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == transaction


class TurnServer:
    """coturn's ``turnserver`` on loopback, for the relay-only calls: its address, the secret
    the app signs credentials with, and what it logged. ``stop()`` and ``start()`` again on the
    same port cut a call's relay and bring it back (its allocations are gone)."""

    def __init__(self, command: str, folder: Path, port: int, secret: str):
        self.url = f"turn:127.0.0.1:{port}?transport=udp"
        self.secret = secret
        self.folder = folder
        self.port = port
        # Its own log file: written line by line, where its stdout to a pipe is not.
        self.log_file = folder / "turnserver.log"
        self.arguments = [
            command,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=havre.test",
            "--no-tls",
            "--no-dtls",
            "--allow-loopback-peers",
            "--no-cli",
            f"--log-file={self.log_file}",
            "--simple-log",
            "--verbose",  # each allocation and permission, for the test to read
            f"--pidfile={folder / 'turnserver.pid'}",
            f"--userdb={folder / 'turndb'}",
        ]
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def start(self) -> None:
        with open(self.folder / "turnserver.out", "a") as out:
            self.process = subprocess.Popen(self.arguments, stdout=out, stderr=subprocess.STDOUT)
        server = self.process
        wait_until(lambda: stun_answers(self.port) or server.poll() is not None, timeout=30)
        assert server.poll() is None, f"turnserver stopped:\n{self.log()}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(scope="session")
def turn_server(tmp_path_factory):
    """A TURN server accepting only the app's time-limited credentials (``use-auth-secret``, as
    in docker-compose.yml), relaying on 127.0.0.1; loopback peers allowed, as both parties'
    relay addresses are loopback ones here. No configuration file; its log, pid file and user
    database in a folder of the test session's, never the system's. A missing coturn fails the
    run at collection (tests/conftest.py)."""
    command = shutil.which("turnserver")
    if command is None:
        pytest.fail("coturn's turnserver is missing: apt-get install -y coturn")
    turn = TurnServer(
        command, tmp_path_factory.mktemp("coturn"), free_port(), secrets.token_urlsafe(24)
    )
    try:
        turn.start()
        yield turn
    finally:
        turn.stop()


@pytest.fixture(scope="session")
def relay_only_server_url(django_db_setup, outbox_dir, private_media_dir, turn_server):
    """A server whose calls may only go through ``turn_server`` (``ICE_TRANSPORT_POLICY=relay``),
    with TURN credentials it signs itself, as in production."""
    relay_only = {
        "ICE_STUN_URLS": "",
        "ICE_TURN_URLS": turn_server.url,
        "TURN_SHARED_SECRET": turn_server.secret,
        "ICE_TRANSPORT_POLICY": "relay",
    }
    with daphne_server(outbox_dir, private_media_dir, **relay_only) as url:
        yield url


class Outbox:
    """The emails the server wrote, one ``EmailMessage`` each, decoded."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages_to(self, address: str) -> list[EmailMessage]:
        messages = []
        for path in sorted(self.folder.glob("*.log")):
            for raw in path.read_text().split("-" * 79):
                if raw.strip():
                    messages.append(message_from_string(raw.strip(), policy=policy.default))
        return [m for m in messages if m["To"] == address]

    def link(self, address: str, path_prefix: str) -> str:
        for message in reversed(self.messages_to(address)):
            body = message.get_content()
            match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", body)
            if match:
                return match.group(1)
        raise AssertionError(f"no email to {address} links to {path_prefix}")


@pytest.fixture
def outbox(outbox_dir) -> Outbox:
    for path in outbox_dir.glob("*.log"):
        path.unlink()
    return Outbox(outbox_dir)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return browser_type_launch_args | {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server_url):
    return browser_context_args | {
        "base_url": live_server_url,
        "locale": "en-GB",
        "timezone_id": "America/Sao_Paulo",
        "viewport": {"width": 1280, "height": 860},
    }


@pytest.fixture
def page(page, browser, monkeypatch, request):
    """Pytest-playwright's page, failing the test on any console error (a CSP violation, a
    script error) of this page or of any page the test opens besides it; in a test marked
    ``forms_refused``, but a form sent back with its errors (422)."""
    problems = watch(page)
    watch_opened_pages(browser, page, problems, monkeypatch)
    yield page
    if request.node.get_closest_marker("forms_refused"):
        problems = [problem for problem in problems if not problem.startswith(REFUSED)]
    assert problems == [], "the browser reported errors"


@pytest.fixture
def screenshot():
    """Save a screenshot for the README when SCREENSHOTS_DIR is set (`make screenshots`)."""
    folder = os.environ.get("SCREENSHOTS_DIR")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=Path(folder, f"{name}.png"), full_page=True)

    return take
