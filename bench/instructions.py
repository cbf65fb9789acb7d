"""``--instructions``: CPU instructions per unit of work, counted by valgrind's callgrind.

CPU time on a shared machine moves by a third between runs; the count of instructions that a
process executes moves by a few percent (the same binary, inputs and environment). A benchmark
module that offers it answers ``python -m <module> units <JSON>``: its warm-up, then
``JSON["count"]`` units of the work that JSON names, and nothing else. Each kind of work runs
twice, with the two counts given; one unit is the difference in instructions over the
difference in units, so the start-up and the warm-up cancel out. Every thread of the process
counts. All the runs go at once (a count does not depend on what else runs).
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.errors import BenchError
from bench.servers import ROOT

RUN_TIMEOUT_SECONDS = 3600


def per_unit(
    env: dict[str, str], module: str, works: dict[str, dict], counts: tuple[int, int]
) -> dict[str, float]:
    """For each name of ``works``: the instructions of one unit of ``python -m <module> units``
    given that work's JSON (and a ``count``)."""
    if shutil.which("valgrind") is None:
        raise BenchError("--instructions needs valgrind: apt-get install -y valgrind")
    low, high = counts
    collected: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as logs:
        runs: dict[tuple[str, int], tuple[subprocess.Popen, Path]] = {}
        try:
            for number, (name, work) in enumerate(works.items()):
                for count in counts:
                    log = Path(logs, f"{number}-{count}.log")
                    command = [
                        "valgrind",
                        "--tool=callgrind",
                        "--callgrind-out-file=/dev/null",
                        f"--log-file={log}",
                        sys.executable,
                        "-m",
                        module,
                        "units",
                        json.dumps(work | {"count": count}),
                    ]
                    # Their output to nothing: a full pipe nobody reads yet would stall a run.
                    process = subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    runs[name, count] = (process, log)
            for (name, count), (process, log) in runs.items():
                process.wait(timeout=RUN_TIMEOUT_SECONDS)
                text = log.read_text(errors="replace")
                found = re.search(r"Collected : (\d+)", text)
                if process.returncode != 0 or found is None:
                    tail = "\n".join(text.strip().splitlines()[-10:])
                    raise BenchError(f"callgrind of {name} x{count} failed:\n{tail}")
                collected[name, count] = int(found.group(1))
        finally:
            for process, _log in runs.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
    return {name: (collected[name, high] - collected[name, low]) / (high - low) for name in works}


def words(counts: tuple[int, int]) -> str:
    """How the counts were made, for a table's heading."""
    low, high = counts
    return (
        f"callgrind: every thread of the process; runs of {low} and {high} units after the "
        "warm-up, the difference per unit; independent of the machine's load"
    )
