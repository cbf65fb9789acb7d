"""Browser tests: Playwright drives Debian's Chromium against the ASGI app served by daphne.

pytest-django's live server speaks WSGI only, so the app runs in a daphne process of its own
(tests/e2e/serve.py) started once the test database exists; it shares that database (tests
commit their data with ``transactional_db``) and Redis. Emails are written to files, where
tests read the links.
"""

import os
import re
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
from tests.factories import PASSWORD
from tests.helpers import Output, totp_code

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
def daphne_server(outbox_dir: Path, private_media_dir: Path):
    """The app served by daphne in a process of its own, on the test database: its address."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "E2E_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "E2E_OUTBOX": str(outbox_dir),
        "PRIVATE_MEDIA_ROOT": str(private_media_dir),
        "PYTHONUNBUFFERED": "1",
    }
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
        port = re.search(r":(\d+)\s*$", ready).group(1)
        yield f"http://127.0.0.1:{port}"
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


def log_in(page, email: str, code: bool = False) -> None:
    """Log in through the login page; ``code``: then give the two-factor code (therapists and
    staff). A code works once: log a therapist in once per test."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if code:
        page.get_by_label("Code").fill(totp_code())
        page.get_by_role("button", name="Sign In").click()


def watch(page) -> list[str]:
    """Collect what would show in the console as an error: CSP violations, script errors."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def page(page):
    problems = watch(page)
    yield page
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
