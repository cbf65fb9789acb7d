"""``python -m bench``: run every benchmark (or those named with --only) and print their tables."""

import argparse
import importlib
import sys
import time

from bench.errors import BenchError
from bench.servers import SERVICE_VARIABLES, Options, environment_value

# One module of this package each, with TITLE and run(options) -> the table as text.
BENCHMARKS = [
    "ws_roundtrip",
    "matching_rank",
    "scheduling_slots",
    "scheduling_booking",
    "messaging_delivery",
    "room_signalling",
    "couples_room",
    "page_rates",
    "audit_log",
    "send_path",
    "topology",
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Run the benchmarks and print one table each. Nothing passes or fails: the "
            "project is compared with a baseline measured in the same run. By default the "
            "project runs on a temporary SQLite database and the in-memory channel layer."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few round trips only: a smoke check, not numbers"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="serve the project on this database (already migrated) instead of a temporary "
        "SQLite file; e.g. postgres://postgres@127.0.0.1:5432/teletherapy",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="use Redis for the channel layer and cache, e.g. redis://127.0.0.1:6379/1",
    )
    parser.add_argument(
        "--topology",
        metavar="WEB,WS",
        default="",
        help="serve through production's topology (deploy/serve.py: nginx, WEB gunicorn workers, "
        "WS daphne processes for /ws/) instead of one daphne; needs PostgreSQL and Redis",
    )
    parser.add_argument(
        "--web-server",
        choices=("gunicorn", "daphne"),
        default="gunicorn",
        help="with --topology: HTTP in gunicorn sync workers (production's) or daphne processes",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the server processes with py-spy while measuring and print the top costs "
        "(topology and messaging_delivery)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="send_path and page_rates: also count each unit's (message's, page's) CPU "
        "instructions under valgrind's callgrind, "
        "a count that the machine's load does not change (several minutes more)",
    )
    parser.add_argument(
        "--use-env",
        action="store_true",
        help="take DATABASE_URL and REDIS_URL from the environment (the options above win)",
    )
    return parser


def _options(args: argparse.Namespace) -> Options:
    database_url, redis_url = args.database_url, args.redis_url
    if args.use_env:
        database_url = database_url or environment_value("DATABASE_URL")
        redis_url = redis_url or environment_value("REDIS_URL")
    else:
        ignored = [name for name in SERVICE_VARIABLES if environment_value(name)]
        if ignored:
            print(f"(not using {' and '.join(ignored)} from the environment; --use-env would)")
    topology = None
    if args.topology:
        try:
            web, ws = (int(part) for part in args.topology.split(","))
        except ValueError:
            raise SystemExit("--topology takes two numbers, WEB,WS (e.g. 2,2)") from None
        topology = (web, ws)
    return Options(
        quick=args.quick,
        database_url=database_url,
        redis_url=redis_url,
        topology=topology,
        web_server=args.web_server,
        profile=args.profile,
        instructions=args.instructions,
    )


def main() -> int:
    args = _parser().parse_args()
    options = _options(args)
    failed = []
    for name in args.only or BENCHMARKS:
        benchmark = importlib.import_module(f"bench.{name}")
        print(f"\n== {name}: {benchmark.TITLE} ...", flush=True)
        started = time.monotonic()
        try:
            table = benchmark.run(options)
        except BenchError as error:
            failed.append(name)
            print(f"FAILED, nothing measured: {error}", flush=True)
            continue
        print(f"{table}\n({time.monotonic() - started:.0f}s)", flush=True)
    if failed:
        print(f"\nNot measured: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted; the servers were stopped.", file=sys.stderr)
        sys.exit(130)
