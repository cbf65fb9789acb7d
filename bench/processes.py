"""What the server processes cost, read from /proc (Linux): CPU time, memory, open sockets, and
where their time goes (py-spy).

The served project is a tree of processes: daphne alone, or deploy/serve.py with nginx,
gunicorn and its workers, and the daphne processes under it. Each is named by its command line.
PostgreSQL's backends for the benchmark's database are read the same way (as root, or as the
user PostgreSQL runs as).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str  # "nginx", "gunicorn", "daphne", ... from the command line
    role: str  # "proxy", "web", "ws" or "other"
    cpu_seconds: float  # user + system, since it started
    rss_bytes: int


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds, RSS bytes), or None for a process that is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # after the name: state ppid ... utime(14) stime(15) ... rss(24), counted from 1 with pid
    ppid = int(fields[1])
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    rss = int(fields[21]) * PAGE_BYTES
    return ppid, cpu, rss


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _role(command: str) -> tuple[str, str]:
    if "nginx" in command:
        return "nginx", "proxy"
    if "gunicorn" in command:
        return "gunicorn", "web"
    if "daphne" in command:
        # deploy/serve.py runs web daphnes (--web-server daphne) and ws daphnes alike; nginx
        # routes them, so the bench tells them apart by the port list it was given.
        return "daphne", "ws"
    if "serve.py" in command:
        return "serve", "other"
    return (command.split(" ", 1)[0].rsplit("/", 1)[-1] or "?"), "other"


def tree(root: int) -> list[Proc]:
    """``root`` and every process under it, now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)] = stat[0]
    wanted = {root}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    found = []
    for pid in sorted(wanted):
        stat = _stat(pid)
        if stat is None:
            continue
        name, role = _role(_command(pid))
        found.append(Proc(pid, stat[0], name, role, stat[1], stat[2]))
    return found


def cpu_by_pid(root: int) -> dict[int, float]:
    return {proc.pid: proc.cpu_seconds for proc in tree(root)}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings by the processes alive at the second (a process
    started since counts from zero; one that died is lost: say so where it matters)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``database``, by pid."""
    found = {}
    pattern = re.compile(rf"^postgres: [^:]+: \S+ {re.escape(database)} ")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        if pattern.match(_command(int(entry))):
            stat = _stat(int(entry))
            if stat is not None:
                found[int(entry)] = stat[1]
    return found


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def listening_ports(pid: int) -> set[int]:
    """The TCP ports this process listens on."""
    inodes = _socket_inodes(pid)
    table = _tcp_table()
    return {port for inode, (port, state) in table.items() if inode in inodes and state == "0A"}


def established(pid: int, port: int) -> int:
    """How many established TCP connections this process holds on its port ``port``."""
    inodes = _socket_inodes(pid)
    return sum(
        1
        for inode, (local, state) in _tcp_table().items()
        if inode in inodes and local == port and state == "01"
    )


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _tcp_table() -> dict[str, tuple[int, str]]:
    """inode -> (local port, state) of every TCP socket (IPv4 and IPv6)."""
    table = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            table[fields[9]] = (int(fields[1].rsplit(":", 1)[1], 16), fields[3])
    return table


def profile(pids: list[int], seconds: int) -> "Profile | None":
    """Start py-spy sampling these processes for ``seconds`` (None when py-spy is missing);
    ``top_costs`` reads what it wrote."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    processes = []
    for pid in pids:
        processes.append(
            subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(folder / f"{pid}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return Profile(processes, folder)


class Profile:
    def __init__(self, processes: list[subprocess.Popen], folder: Path):
        self.processes = processes
        self.folder = folder

    def top_costs(self, count: int = 15) -> str:
        """The functions where the sampled processes spent the most time (self time), as a
        share of all samples, with the project's own frames named."""
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for path in self.folder.glob("*.txt"):
            for line in path.read_text(errors="replace").splitlines():
                stack, _, weight = line.rpartition(" ")
                if not weight.isdigit():
                    continue
                samples = int(weight)
                total += samples
                frames = stack.split(";")
                own[_frame(frames[-1])] += samples
                for name in {_frame(frame) for frame in frames if _ours(frame)}:
                    inclusive[name] += samples
        if not total:
            return "profile: no samples (py-spy needs ptrace: run as root)"
        lines = [f"profile: {total:,} samples of the server processes (py-spy, 200/s)"]
        lines.append("  self time:")
        lines += [f"    {share / total:6.1%}  {name}" for name, share in own.most_common(count)]
        lines.append("  the project's own functions, with what they call:")
        lines += [
            f"    {share / total:6.1%}  {name}" for name, share in inclusive.most_common(count)
        ]
        return "\n".join(lines)


_OWN_PACKAGES = ("core/", "accounts/", "messaging/", "matching/", "scheduling/", "teletherapy/")


def _ours(frame: str) -> bool:
    return "site-packages" not in frame and any(package in frame for package in _OWN_PACKAGES)


def _frame(frame: str) -> str:
    """``function (path/file.py:line)`` as ``function (package/file.py)``."""
    match = re.match(r"(.*) \((.*?):\d+\)$", frame.strip())
    if not match:
        return frame.strip()[:100]
    function, path = match.groups()
    short = path.split("site-packages/", 1)[-1]
    if "/work/" in short or short.startswith("/"):
        short = "/".join(short.split("/")[-2:])
    return f"{function} ({short})"
