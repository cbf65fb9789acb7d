"""The README's first command, the way a newcomer runs it: `make run` from a fresh login shell
with no virtualenv on its PATH, on the embedded default (SQLite, in-memory channel layer,
filesystem broker). The demo logins are printed; web answers, the worker runs a task, beat
starts; a verification email printed in the terminal holds a link that works when copied; and
Ctrl-C stops everything.

The installation step (`make install`: pip and npm, which need the network) is taken as done
(`make -o install`): the virtualenv the tests run in is the one it made.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from teletherapy.demo.data import PATIENT_PASSWORD
from tests.factories import PASSWORD
from tests.helpers import Output, wait_until

# What a fresh login shell has: no virtualenv, no project variable.
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def newcomer_env(tmp_path) -> dict[str, str]:
    """A bare environment: a home, the system PATH, and only what keeps this run apart from
    the developer's own (its data folder, a free port)."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "PATH": BARE_PATH,
        "LANG": "C.UTF-8",
        "VAR_DIR": str(tmp_path),
        "WEB_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }


class Browser:
    """Just enough of a browser for a form: cookies and the CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, fields: dict[str, str], *, shown_on: str = "") -> int:
        """Post the form of the page at ``shown_on`` (by default ``path`` itself) to ``path``."""
        _status, page = self.get(shown_on or path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, page
        token = found.group(1)
        # The legal documents the form asks to accept: their versions, as a tick sends them.
        ticks = dict(re.findall(r'type="checkbox" name="(accept_\w+)" value="(\d+)"', page))
        data = urllib.parse.urlencode(fields | ticks | {"csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST")  # noqa: S310
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_make_run_works_from_a_bare_login_shell(newcomer_env):
    command = ["env", "-i", *(f"{k}={v}" for k, v in newcomer_env.items())]
    run = subprocess.Popen(
        [*command, "bash", "-lc", "make -o install run"],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    output = Output(run.stdout)
    base = f"http://127.0.0.1:{newcomer_env['WEB_PORT']}"
    browser = Browser(base)
    try:
        output.wait_for(r"patient@example\.org\s+demo-patient-pass", timeout=240)
        output.wait_for(r"web.*Listening on TCP address", timeout=120)
        status, body = browser.get("/healthz/")
        assert status == 200
        assert json.loads(body) == {"status": "ok"}
        assert browser.get("/")[0] == 200
        output.wait_for(r"beat.*[Ss]tarting")
        output.wait_for(r"worker.*ready")

        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from accounts.tasks import sweep_unverified_accounts as t; t.delay()",
            ],
            cwd=settings.BASE_DIR,
            env=newcomer_env | {"PATH": os.environ["PATH"]},
            capture_output=True,
            timeout=120,
            check=True,
        )
        output.wait_for(r"Task accounts\.tasks\.sweep_unverified_accounts\[.*\] succeeded")

        # Emails are printed in web's output, readable: the link works when copied.
        signed_up = browser.post_form(
            "/accounts/signup/patient/",
            {
                "age": "adult",
                "nickname": "Sacha",
                "email": "newcomer@example.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "time_zone": "Europe/Paris",
            },
        )
        assert signed_up == 200  # after the redirect: "check your email"
        # Printed by the worker, which sends what the outbox holds.
        line = output.wait_for(r"worker.*/accounts/confirm-email/\S+")
        path = line[line.index("/accounts/confirm-email/") :].strip()
        status, page = browser.get(path)
        assert status == 200
        assert "newcomer@example.test" in page

        # The demo patient writes to her therapist, and the thread's live fetch brings it: the
        # message reads as they run on SQLite (core.prepared).
        lea = Browser(base)
        logged_in = lea.post_form(
            "/accounts/login/", {"login": "patient@example.org", "password": PATIENT_PASSWORD}
        )
        assert logged_in == 200
        status, thread = lea.get("/messages/")  # her one conversation: its thread
        found = re.search(r'action="(/messages/\d+/)send/"', thread)
        assert status == 200
        assert found, thread
        said = f"Written on the embedded default {uuid.uuid4().hex[:8]}"
        sent = lea.post_form(
            f"{found.group(1)}send/",
            {"body": said, "client_id": str(uuid.uuid4())},
            shown_on=found.group(1),
        )
        assert sent == 200  # after the redirect to the thread
        status, thread = lea.get(found.group(1))
        last = max(int(pk) for pk in re.findall(r'<li id="message-(\d+)"', thread))
        status, fetched = lea.get(f"{found.group(1)}?after={last - 1}")
        assert status == 200
        assert said in fetched
        assert f'id="message-{last}"' in fetched
    finally:
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's job
        run.wait(timeout=60)
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        urllib.request.urlopen(f"{base}/healthz/", timeout=5)  # noqa: S310 (loopback only)
    leftover = subprocess.run(
        ["pgrep", "-s", str(run.pid)], capture_output=True, text=True, check=False
    )
    assert leftover.stdout == ""


def test_a_frozen_worker_turns_health_down_then_up_again(newcomer_env):
    """Heartbeats every 2 s, stale after 8: a worker that stops (SIGSTOP: honcho would stop
    everything if it died) makes /healthz/ answer 503 within that, and 200 once it is back."""
    env = newcomer_env | {
        "HEARTBEAT_SECONDS": "2",
        "HEALTH_STALE_AFTER_SECONDS": "8",
        "HEALTH_CACHE_SECONDS": "1",
    }
    run = subprocess.Popen(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()), "bash", "-lc", "make -o install run"],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(run.stdout)
    browser = Browser(f"http://127.0.0.1:{env['WEB_PORT']}")
    try:
        output.wait_for(r"web.*Listening on TCP address", timeout=240)
        output.wait_for(r"worker.*ready", timeout=120)
        output.wait_for(r"Task core\.tasks\.heartbeat\[.*\] succeeded", timeout=60)
        wait_until(lambda: browser.get("/healthz/")[0] == 200, timeout=30)
        workers = _processes_of_this_run("teletherapy worker", env["VAR_DIR"])
        assert workers
        for pid in workers:
            os.kill(int(pid), signal.SIGSTOP)
        try:
            wait_until(lambda: browser.get("/healthz/")[0] == 503, timeout=30)
        finally:
            for pid in workers:
                os.kill(int(pid), signal.SIGCONT)
        wait_until(lambda: browser.get("/healthz/")[0] == 200, timeout=60)
    finally:
        os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=60)


def _processes_of_this_run(pattern: str, var_dir: str) -> list[str]:
    """Processes whose command line has ``pattern`` and which run on this test's data folder
    (honcho starts each process in a session of its own)."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    ours = []
    for pid in found.stdout.split():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"VAR_DIR={var_dir}".encode() in environ.split(b"\0"):
            ours.append(pid)
    return ours
