"""The servers a benchmark measures, each in its own process, always stopped on the way out.

``project_server`` serves the real ASGI app with daphne on a fresh database, or, with
``Options.topology``, production's topology (``deploy/serve.py``: nginx, gunicorn, daphne
processes for /ws/) on PostgreSQL and Redis; ``echo_server`` is the baseline. All listen on
127.0.0.1 only.
"""

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from bench.errors import BenchError
from deploy.serve import services_down

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 60
DOWN_GRACE_SECONDS = 5
# What settings read for the services; a `_FILE` variant names a file holding the value.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL")

# Loopback only: never through a proxy from the environment.
_loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Options:
    """What the person running the benchmarks chose on the command line."""

    quick: bool = False
    database_url: str = ""  # empty: a temporary SQLite database
    redis_url: str = ""  # empty: the in-memory channel layer
    # (web workers, ws processes) of production's topology through nginx; None: one daphne
    topology: tuple[int, int] | None = None
    web_server: str = "gunicorn"  # the topology's HTTP processes: "gunicorn" or "daphne"
    profile: bool = False  # py-spy samples the server processes; the top costs are printed
    instructions: bool = False  # send_path also counts instructions per unit (callgrind)
    # Production's settings (DEBUG=false: no query log, no debug templates); always with
    # ``topology``, and for the one daphne that the topology benchmark compares with it.
    production: bool = False

    @property
    def server_words(self) -> str:
        """What serves the project, for the tables' headers."""
        if self.topology is None:
            return "daphne (one process: HTTP and WebSockets)"
        web, ws = self.topology
        return (
            f"nginx -> {web} {self.web_server} web worker(s) + {ws} daphne ws process(es) "
            "(deploy/serve.py)"
        )


@dataclass(frozen=True)
class Server:
    port: int
    log_path: Path  # its output, while the server runs

    def log_tail(self) -> str:
        return _tail(self.log_path)


@dataclass(frozen=True)
class ProjectServer(Server):
    session_cookie: str  # "sessionid=..." of a logged-in patient
    database: str  # for the table header, without passwords
    channel_layer: str
    debug: bool  # settings.DEBUG of the served app: it logs every query when on
    env: dict[str, str] = field(repr=False, compare=False)  # its database, Redis, VAR_DIR
    pid: int = 0  # daphne's, or deploy/serve.py's (its children are the topology's processes)
    words: str = "daphne"  # what serves it, for the tables

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def environment_value(name: str) -> str:
    """A variable as settings would read it, including from the file named by ``<NAME>_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@", 1)
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# daphne's access log and a traceback's ^^^^ markers: noise around the error being looked for.
_NOISE = re.compile(r'^\S+ - - \[[^\]]*\] "|^\s*[\^~]+\s*$')


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.splitlines() if not _NOISE.search(line)]
    return "\n".join(kept[-lines:])


@contextmanager
def _running(args: list[str], *, env: dict[str, str], log: IO[str]) -> Iterator[subprocess.Popen]:
    # A session of its own: Ctrl-C reaches only the bench, which then stops the server itself
    # (otherwise the server would die mid-measurement and print its own traceback).
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _exited(name: str, process: subprocess.Popen, log_path: Path) -> BenchError:
    return BenchError(f"{name} exited with code {process.returncode}:\n{_tail(log_path)}")


def _wait_for_port(name: str, port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise _exited(name, process, log_path)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(
                f"{name} did not listen on port {port} within {START_TIMEOUT_SECONDS}s"
            )
        time.sleep(0.05)


def _wait_for_health(port: int, process: subprocess.Popen, log_path: Path, token: str) -> None:
    """Until /healthz/details/ says every service the server uses answers (Celery's beat and
    worker aside: the benchmarks run none). One it reports down fails fast, naming it."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    first_down = None
    while True:
        if process.poll() is not None:
            raise _exited("the server", process, log_path)
        down = services_down(port, token)
        if down == []:
            return
        if down:
            first_down = first_down or time.monotonic()
            # Each check already waits up to a second: a few seconds more is grace enough.
            if time.monotonic() - first_down > DOWN_GRACE_SECONDS:
                raise BenchError(
                    f"the server answers, but /healthz/details/ says down: {', '.join(down)} "
                    "(are the database and Redis URLs right and reachable?)"
                )
        if time.monotonic() > deadline:
            raise BenchError(
                f"the server did not answer /healthz/details/ within {START_TIMEOUT_SECONDS}s:\n"
                + _tail(log_path)
            )
        time.sleep(0.1)


def _python(*args: str, env: dict[str, str], what: str, stdin: str = "") -> str:
    """Run a Python command of the project (cwd: the project root); its stdout, or BenchError."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise BenchError(f"{what} failed (exit code {result.returncode}):\n" + "\n".join(output))
    return result.stdout


def project_command(project: ProjectServer, *args: str, what: str, stdin: str = "") -> str:
    """Run ``python ARGS`` on the served app's database (e.g. ``-m bench.project_user ...``)."""
    return _python(*args, env=project.env, what=what, stdin=stdin)


def _project_env(options: Options, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in SERVICE_VARIABLES:
        env.pop(name, None)
        env.pop(f"{name}_FILE", None)
    env.pop("VAR_DIR_FILE", None)
    env["VAR_DIR"] = var_dir  # the default SQLite file and the Celery broker folder
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
        # The data keys in that database outlive the run: so must the key vault that wraps
        # them (in VAR_DIR, it went with each server, and the next one refused every message).
        env.setdefault("KEY_VAULT_ROOT", str(_vault_for(options.database_url)))
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
        # Keys of their own: a running instance on the same Redis must not deliver its events
        # to the benchmark's sockets (user ids of two databases coincide), nor see its keys.
        env["REDIS_KEY_PREFIX"] = env.get("REDIS_KEY_PREFIX", "teletherapy") + "-bench"
    env.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")
    # Every client of a benchmark is 127.0.0.1, and hundreds of them send at once: the limits
    # per address would refuse them (429). Still counted, as in production, never reached.
    env.setdefault("RATE_LIMIT_MESSAGES", "100000/m/user,100000/m/ip")
    env["PYTHONUNBUFFERED"] = "1"
    env["HEALTH_TOKEN"] = secrets.token_urlsafe(24)  # the detailed health check, for readiness
    if options.topology is not None:  # deploy/serve.py collects its own static files
        env.update(_production_settings(env))
    elif options.production:
        env = production_env(env)
    return env


def production_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with production's settings (see ``_production_settings``), its static files
    collected: what a process of the project run in-process with ``DEBUG=false`` needs."""
    env = env | _production_settings(env)
    _static_collected(env)
    return env


def _static_collected(env: dict[str, str]) -> None:
    """collectstatic, once per run: production's settings render pages through the hashed
    names of its manifest (a fresh clone has none, and every page failed)."""
    global _STATIC_COLLECTED
    if not _STATIC_COLLECTED:
        _python("manage.py", "collectstatic", "--noinput", "-v", "0", env=env, what="collectstatic")
        _STATIC_COLLECTED = True


_STATIC_COLLECTED = False


def _production_settings(env: dict[str, str]) -> dict[str, str]:
    """Production's settings (``DEBUG=false``: no query log, no debug templates), over plain
    HTTP on loopback. The bench's own secrets: a new ``SECRET_KEY`` for each run of the bench
    (every server of the run shares it: their sessions are made in the run), and the
    development message key that the bench's databases were written with, set explicitly (a
    benchmark on throwaway data, never a deployment)."""
    return {
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": env.get("EMAIL_URL") or "console:",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SECRET_KEY": _RUN_SECRET_KEY,
        "MESSAGE_ENCRYPTION_KEYS": env.get("MESSAGE_ENCRYPTION_KEYS") or _DEVELOPMENT_MESSAGE_KEY,
    }


_RUN_SECRET_KEY = secrets.token_urlsafe(50)
# settings.py's development default, which the bench's databases were written with.
_DEVELOPMENT_MESSAGE_KEY = base64.urlsafe_b64encode(b"development-only-key-not-secret!").decode()


def _vault_for(database_url: str) -> Path:
    """A key vault of its own for each database the benchmarks are run on (under var/)."""
    parts = urlsplit(database_url)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{parts.hostname}-{parts.port}-{parts.path.strip('/')}")
    return ROOT / "var" / "bench-keys" / name


def database_ready(options: Options, env: dict[str, str]) -> None:
    """The --database-url database checked to be migrated (someone else's database: the bench
    does not change its schema), or the temporary SQLite one migrated now."""
    if options.database_url:
        _python(
            "manage.py",
            "migrate",
            "--check",
            env=env,
            what=f"The migration check of {redact(options.database_url)} (migrate it first)",
        )
    else:
        _python("manage.py", "migrate", "--noinput", "-v", "0", env=env, what="migrate")


@contextmanager
def project_server(options: Options) -> Iterator[ProjectServer]:
    """daphne serving ``teletherapy.asgi:application``, with one logged-in patient."""
    with tempfile.TemporaryDirectory(prefix="bench-") as var_dir:
        env = _project_env(options, var_dir)
        database_ready(options, env)
        created = _python(
            "-m", "bench.project_user", "create", env=env, what="Logging in a patient"
        )
        patient = json.loads(created.splitlines()[-1])
        try:
            port = free_port()
            log_path = Path(var_dir) / ("serve.log" if options.topology else "daphne.log")
            with (
                log_path.open("w", encoding="utf-8") as log,
                _running(_server_command(options, port, var_dir), env=env, log=log) as process,
            ):
                _wait_for_health(port, process, log_path, env["HEALTH_TOKEN"])
                yield ProjectServer(
                    pid=process.pid,
                    words=options.server_words,
                    port=port,
                    session_cookie=f"{patient['cookie_name']}={patient['session_key']}",
                    database=(
                        redact(options.database_url)
                        if options.database_url
                        else "sqlite (temporary)"
                    ),
                    channel_layer=(
                        f"redis {redact(options.redis_url)}" if options.redis_url else "in-memory"
                    ),
                    debug=patient["debug"],
                    env=env,
                    log_path=log_path,
                )
        finally:
            if options.database_url:  # a temporary database goes away with its folder
                try:
                    _python(
                        "-m",
                        "bench.project_user",
                        "delete",
                        patient["email"],
                        patient["session_key"],
                        env=env,
                        what=f"Deleting the benchmark's patient {patient['email']}",
                    )
                except BenchError as error:  # not to hide why the benchmark itself stopped
                    print(error, file=sys.stderr)


def _server_command(options: Options, port: int, var_dir: str) -> list[str]:
    if options.topology is None:
        return [
            str(BIN / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "teletherapy.asgi:application",
        ]
    if not (options.database_url and options.redis_url):
        raise BenchError(
            "production's topology runs on PostgreSQL and Redis: give --database-url and "
            "--redis-url (or --use-env)"
        )
    web, ws = options.topology
    return [
        sys.executable,
        str(ROOT / "deploy" / "serve.py"),
        "--port",
        str(port),
        "--web-workers",
        str(web),
        "--ws-processes",
        str(ws),
        "--web-server",
        options.web_server,
        "--no-celery",
        "--var-dir",
        str(Path(var_dir) / "serve"),
    ]


@contextmanager
def echo_server() -> Iterator[Server]:
    """The baseline: a plain ``websockets`` echo server in its own process."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-echo-") as folder:
        log_path = Path(folder) / "echo.log"
        with (
            log_path.open("w", encoding="utf-8") as log,
            _running(
                [sys.executable, "-m", "bench.echo_server", str(port)],
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
                log=log,
            ) as process,
        ):
            _wait_for_port("the echo server", port, process, log_path)
            yield Server(port=port, log_path=log_path)


def redis_commands(redis_url: str) -> dict[str, int]:
    """How many times Redis ran each command since it started (``INFO commandstats``: those
    run by scripts counted too), to count what the servers asked of it in a timed phase.
    Redis's counts are its own, whatever else the machine does; another client of the same
    Redis counts too."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def redis_cpu_seconds(redis_url: str) -> float:
    """Redis's own CPU time since it started (``INFO cpu``: its user + system time), to count
    what the servers' commands cost it in a timed phase; another client's work counts too."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        cpu = client.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def logged_errors(project: ProjectServer) -> str:
    """What daphne logged as errors, counted by message: a failure no client saw (e.g. in a
    disconnect handler) still shows."""
    try:
        text = project.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "daphne's log: unreadable"
    # deploy/serve.py puts each process's name in front of its lines ("ws.2   | ...").
    errors = Counter(
        match.group(1)
        for match in re.finditer(r"^(?:\S+\s+\| )?\S+ \S+ (?:ERROR|CRITICAL) (.*)$", text, re.M)
        # The readiness probe's 503 while Celery, which the benchmarks do not run, is away.
        if "/healthz/details/" not in match.group(1)
    )
    if not errors:
        return "daphne's log: no errors"
    counted = "; ".join(f"{count} x {message[:120]}" for message, count in errors.most_common(3))
    return f"daphne's log: {errors.total()} errors: {counted}"
