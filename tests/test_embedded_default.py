"""The README's first command: the platform runs on the embedded default (SQLite, in-memory
channel layer, filesystem broker) with web, worker and beat, and Ctrl-C stops them all."""

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.helpers import Output

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "VAR_DIR": str(tmp_path),
        "DEBUG": "true",
        "WEB_PORT": str(free_port()),
        "PATH": f"{BIN}{os.pathsep}{env['PATH']}",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def test_the_platform_runs_on_the_embedded_default(embedded_env):
    manage("migrate", "--noinput", env=embedded_env)
    first = manage("demo_data", env=embedded_env).stdout
    again = manage("demo_data", env=embedded_env).stdout
    assert "patient@example.org" in first
    assert first == again  # idempotent

    honcho = subprocess.Popen(
        [BIN / "honcho", "--procfile", "Procfile", "start"],
        cwd=settings.BASE_DIR,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(honcho.stdout)
    base = f"http://127.0.0.1:{embedded_env['WEB_PORT']}"
    try:
        output.wait_for(r"web.*Listening on TCP address")
        status, body = get(f"{base}/healthz/")
        assert status == 200
        assert json.loads(body)["down"] == []
        assert get(f"{base}/")[0] == 200
        output.wait_for(r"beat.*[Ss]tarting")
        output.wait_for(r"worker.*ready")

        manage(
            "shell",
            "-c",
            "from accounts.tasks import sweep_unverified_accounts as t; t.delay()",
            env=embedded_env,
        )

        output.wait_for(r"Task accounts\.tasks\.sweep_unverified_accounts\[.*\] succeeded")
    finally:
        honcho.send_signal(signal.SIGINT)  # what Ctrl-C sends
        honcho.wait(timeout=60)
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        get(f"{base}/healthz/")
    leftover = subprocess.run(
        ["pgrep", "-s", str(honcho.pid)], capture_output=True, text=True, check=False
    )
    assert leftover.stdout == ""
