"""``make serve``: production's topology on this machine, on PostgreSQL and Redis.

    nginx (unprivileged, its files under var/serve/nginx/)
      ├─ /static/  served from collectstatic's folder
      ├─ /ws/      → WS_PROCESSES daphne processes (teletherapy.asgi), least connections first
      └─ the rest  → gunicorn, WEB_WORKERS sync workers (teletherapy.wsgi)
    a Celery worker and exactly one beat

Every process's output is printed with its name in front, as honcho does for ``make run``. A
process that exits is started again after a second (nginx skips a ws process while it is
down; the pages' sockets reconnect to another and fetch what they missed). Ctrl-C (or SIGTERM)
stops the proxy first, then the app's processes, then Celery.

Settings come from the environment as for any process of the app (``docs/operations.md``);
this script adds ``STATIC_MANIFEST=true`` (nginx serves the hashed copies) and, unless set,
``TRUSTED_PROXIES=127.0.0.1`` (the proxy's address as the app sees it). It imports nothing of
Django: it only starts, watches and stops processes. ``--ready-json`` prints one JSON line when
the proxy answers ``/healthz/`` (the benchmarks read it).
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATES = Path(__file__).resolve().parent / "nginx"
BIN = Path(sys.executable).parent
RESTART_AFTER_SECONDS = 1.0
STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 90.0
NGINX_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
_loopback = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServeError(Exception):
    """What stops ``serve`` before it serves, in words for the person who started it."""


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ServeError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ServeError(f"{name} must be at least 1")
    return number


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def render(template: Path, values: dict[str, str]) -> str:
    """The template with each ``${NAME}`` replaced; nginx's own ``$name`` are left alone."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise ServeError(f"{template.name}: no value for ${{{name}}}")
        return values[name]

    return _PLACEHOLDER.sub(value, template.read_text(encoding="utf-8"))


@dataclass
class Child:
    """One supervised process: how to start it, and the process while it runs."""

    name: str
    args: list[str]
    env: dict[str, str]
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen | None = None
    restarts: int = 0
    readers: list[threading.Thread] = field(default_factory=list)

    def start(self, out: "Output") -> None:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # A group of its own: Ctrl-C reaches only this script, which stops the children in
            # order; a signal to the group reaches a master and its workers.
            start_new_session=True,
        )
        reader = threading.Thread(target=out.copy, args=(self.name, self.process), daemon=True)
        reader.start()
        self.readers.append(reader)

    def signal(self, sig: int) -> None:
        """To the main process, which stops its own workers (gunicorn's, nginx's, Celery's)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def kill_group(self) -> None:
        """Whatever of its group is left after the grace (a worker stuck in a request)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


class Output:
    """Every child's lines, with its name in front, one line at a time."""

    def __init__(self, width: int):
        self.width = width
        self.lock = threading.Lock()

    def say(self, name: str, line: str) -> None:
        with self.lock:
            sys.stdout.write(f"{name:<{self.width}} | {line.rstrip()}\n")
            sys.stdout.flush()

    def copy(self, name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self.say(name, raw.decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Plan:
    host: str
    port: int
    web_workers: int
    web_server: str  # "gunicorn" (production's) or "daphne" (to compare, by measurement)
    ws_processes: int
    worker_concurrency: int
    celery: bool
    var_dir: Path
    max_body: str

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise ServeError("nginx is not installed: apt-get install -y nginx (Debian's package)")
    return found


def _app_env(plan: Plan) -> dict[str, str]:
    env = dict(os.environ)
    if not env.get("DATABASE_URL") and not env.get("DATABASE_URL_FILE"):
        raise ServeError(
            "set DATABASE_URL (PostgreSQL): processes of the topology share one database"
        )
    if not env.get("REDIS_URL") and not env.get("REDIS_URL_FILE"):
        raise ServeError(
            "set REDIS_URL: the ws processes hear events through Redis (the in-memory channel "
            "layer does not cross processes)"
        )
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["STATIC_MANIFEST"] = "true"
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")
    env.setdefault("WEB_PORT", str(plan.port))  # the links in emails
    env["PYTHONUNBUFFERED"] = "1"
    # The detailed health check, for this script's readiness (and monitoring, when set).
    env.setdefault("HEALTH_TOKEN", secrets.token_urlsafe(24))
    return env


def _nginx_files(plan: Plan, web_ports: list[int], ws_ports: list[int]) -> Path:
    prefix = (plan.var_dir / "nginx").resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    for name in NGINX_TEMP_DIRS:
        (prefix / name).mkdir(exist_ok=True)
    values = {
        "PREFIX": str(prefix),
        "LISTEN": f"{plan.host}:{plan.port}",
        "WEB_UPSTREAM": "\n    ".join(f"server 127.0.0.1:{port};" for port in web_ports),
        "WS_UPSTREAM": "\n    ".join(f"server 127.0.0.1:{port};" for port in ws_ports),
        "STATIC_ROOT": str((ROOT / "staticfiles").resolve()),
        "CLIENT_MAX_BODY_SIZE": plan.max_body,
        "ACCESS_LOG": str(prefix / "access.log"),
    }
    site = render(NGINX_TEMPLATES / "site.conf.template", values)
    main = render(NGINX_TEMPLATES / "local.conf.template", values)
    if os.geteuid() == 0:
        # Started as root, nginx's workers would run as nobody: they keep temporary files
        # (large request bodies) in these folders, so nobody owns them.
        main = main.replace("daemon off;", "daemon off;\nuser nobody nogroup;", 1)
        for name in NGINX_TEMP_DIRS:
            shutil.chown(prefix / name, user="nobody", group="nogroup")
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    (prefix / "nginx.conf").write_text(main, encoding="utf-8")
    return prefix


def _daphne(port: int, env: dict[str, str], name: str) -> Child:
    return Child(
        name,
        [
            str(BIN / "daphne"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            # X-Forwarded-For from nginx: one address, the one it saw.
            "--proxy-headers",
            # No access log: room tokens are in the paths (the app logs its own).
            "-v",
            "0",
            "teletherapy.asgi:application",
        ],
        env,
    )


def _web(plan: Plan, env: dict[str, str]) -> tuple[list[Child], list[int]]:
    """The HTTP processes and their ports: gunicorn's sync workers on teletherapy.wsgi (one
    port, the workers share it), or, to compare, as many daphne processes (a port each)."""
    if plan.web_server == "daphne":
        ports = [free_port() for _ in range(plan.web_workers)]
        return [_daphne(port, env, f"web.{n}") for n, port in enumerate(ports, start=1)], ports
    port = free_port()
    gunicorn = Child(
        "web",
        [
            str(BIN / "gunicorn"),
            "teletherapy.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(plan.web_workers),
            "--worker-class",
            "sync",
            # The app writes its own access log, with the secrets of paths redacted.
            "--access-logfile",
            "/dev/null",
            "--graceful-timeout",
            str(int(STOP_GRACE_SECONDS)),
            "--timeout",
            "60",
            "--preload",  # a killed worker is replaced by a fork, in milliseconds
        ],
        env,
    )
    return [gunicorn], [port]


def _children(plan: Plan, env: dict[str, str]) -> tuple[list[Child], Path]:
    web, web_ports = _web(plan, env)
    ws_ports = [free_port() for _ in range(plan.ws_processes)]
    prefix = _nginx_files(plan, web_ports, ws_ports)
    nginx = _nginx()
    checked = subprocess.run(
        [nginx, "-t", "-q", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        raise ServeError(f"nginx refused its configuration:\n{checked.stderr.strip()}")
    python = sys.executable
    children = [
        *web,
        *(_daphne(port, env, f"ws.{n}") for n, port in enumerate(ws_ports, start=1)),
    ]
    if plan.celery:
        children += [
            Child(
                "worker",
                [
                    python,
                    "-m",
                    "celery",
                    "--app",
                    "teletherapy",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    str(plan.worker_concurrency),
                ],
                env,
            ),
            Child(
                "beat",
                [
                    python,
                    "-m",
                    "celery",
                    "--app",
                    "teletherapy",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str((plan.var_dir / "celerybeat-schedule").resolve()),
                ],
                env,
            ),
        ]
    # Last to start, first to stop: nothing reaches a process that is not there yet or any more.
    children.append(
        Child(
            "proxy",
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            env,
            stop_signal=signal.SIGQUIT,  # graceful: finish what is in flight
        )
    )
    return children, prefix


def _collectstatic(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ServeError(f"collectstatic failed:\n{(done.stdout + done.stderr).strip()[-2000:]}")


# Celery's beat and worker are judged by heartbeats that come later (or never, --no-celery):
# the web and ws processes are ready when the services they use answer.
BACKGROUND = ("beat", "worker")


def services_down(port: int, token: str) -> list[str] | None:
    """What ``/healthz/details/`` says is down through the proxy, beat and worker aside; None
    while nothing answers."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz/details/",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with _loopback.open(request, timeout=10) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code != 503:
            return None
        body = json.load(error)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return [name for name in body.get("down", []) if name not in BACKGROUND]


def _wait_ready(plan: Plan, children: list[Child], token: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    down: list[str] | None = None
    while True:
        for child in children:
            if child.process is not None and child.process.poll() is not None:
                raise ServeError(f"{child.name} exited with code {child.process.returncode}")
        down = services_down(plan.port, token)
        if down == []:
            return
        if time.monotonic() > deadline:
            raise ServeError(
                f"not ready within {READY_TIMEOUT_SECONDS:.0f}s: "
                + (f"down: {', '.join(down)}" if down else "/healthz/details/ did not answer")
            )
        time.sleep(0.2)


class Supervisor:
    def __init__(self, children: list[Child], out: Output):
        self.children = children
        self.out = out
        self.stopping = threading.Event()

    def start(self) -> None:
        for child in self.children:
            child.start(self.out)

    def watch(self) -> None:
        """Start again each child that exits, until asked to stop."""
        due: dict[str, float] = {}
        while not self.stopping.is_set():
            now = time.monotonic()
            for child in self.children:
                process = child.process
                if process is None or process.poll() is None:
                    continue
                if child.name not in due:
                    self.out.say(
                        "serve",
                        f"{child.name} exited with code {process.returncode}; "
                        f"starting it again in {RESTART_AFTER_SECONDS:.0f}s",
                    )
                    due[child.name] = now + RESTART_AFTER_SECONDS
                elif now >= due[child.name]:
                    del due[child.name]
                    child.restarts += 1
                    child.start(self.out)
            self.stopping.wait(0.1)

    def stop(self) -> None:
        """The proxy first, then the app's processes, then Celery; killed after a grace."""
        self.stopping.set()
        for child in reversed(self.children):
            child.signal(child.stop_signal)
            if child.name == "proxy" and child.process is not None:
                _wait(child.process, STOP_GRACE_SECONDS)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is not None:
                _wait(child.process, max(0.1, deadline - time.monotonic()))
                child.kill_group()
                child.process.wait()


def _wait(process: subprocess.Popen, seconds: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


def _parser() -> argparse.ArgumentParser:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="deploy/serve.py",
        description="Production's topology on this machine: nginx, gunicorn, daphne, Celery.",
    )
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=None, help="the proxy's port (WEB_PORT)")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=None,
        help=f"gunicorn sync workers (WEB_WORKERS, default {2 * cpus})",
    )
    parser.add_argument(
        "--ws-processes",
        type=int,
        default=None,
        help=f"daphne processes for /ws/ (WS_PROCESSES, default {cpus})",
    )
    parser.add_argument(
        "--web-server",
        choices=("gunicorn", "daphne"),
        default="gunicorn",
        help="HTTP in gunicorn sync workers (production's), or in as many daphne processes "
        "(to compare)",
    )
    parser.add_argument(
        "--no-celery", action="store_true", help="no worker and no beat (benchmarks)"
    )
    parser.add_argument(
        "--var-dir", default="var/serve", help="nginx's files, beat's schedule (default var/serve)"
    )
    parser.add_argument(
        "--preflight",
        action="store_true",
        help="only check that it can run (PostgreSQL and Redis set, nginx installed), then exit",
    )
    parser.add_argument(
        "--ready-json", action="store_true", help="print one JSON line once ready (benchmarks)"
    )
    return parser


def _plan(args: argparse.Namespace) -> Plan:
    cpus = os.cpu_count() or 1
    upload = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    body = env_int("REQUEST_MAX_BYTES", upload + 1024 * 1024)
    return Plan(
        host=args.host,
        port=args.port or env_int("WEB_PORT", 8000),
        web_workers=args.web_workers or env_int("WEB_WORKERS", 2 * cpus),
        web_server=args.web_server,
        ws_processes=args.ws_processes or env_int("WS_PROCESSES", cpus),
        worker_concurrency=env_int("WORKER_CONCURRENCY", 2),
        celery=not args.no_celery,
        var_dir=ROOT / args.var_dir,  # an absolute path stays as it is
        max_body=f"{-(-body // 1024)}k",
    )


def main() -> int:
    args = _parser().parse_args()
    try:
        plan = _plan(args)
        env = _app_env(plan)
        if args.preflight:
            _nginx()
            return 0
        _collectstatic(env)
        children, prefix = _children(plan, env)
    except ServeError as error:
        print(f"serve: {error}", file=sys.stderr)
        return 1
    out = Output(width=max(len(child.name) for child in children))
    supervisor = Supervisor(children, out)

    def stop_on(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on)
    try:
        supervisor.start()
        _wait_ready(plan, children, env["HEALTH_TOKEN"])
        described = (
            f"{plan.web_workers} {plan.web_server} web workers, "
            f"{plan.ws_processes} daphne ws processes"
            + (", a Celery worker and beat" if plan.celery else "")
        )
        out.say("serve", f"ready: {plan.origin}/ ({described}; nginx files in {prefix})")
        if args.ready_json:
            pids = {child.name: child.process.pid for child in children if child.process}
            out.say("serve", "ready-json " + json.dumps({"port": plan.port, "pids": pids}))
        supervisor.watch()
    except ServeError as error:
        out.say("serve", f"stopping: {error}")
        return 1
    except KeyboardInterrupt:
        out.say("serve", "stopping")
    finally:
        supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
