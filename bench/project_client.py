"""The benchmarks' side of the served project: data made in its database by
``bench.project_user`` (deleted afterwards), and keep-alive HTTP connections carrying cookies.
"""

import asyncio
import json
import secrets
import sys
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, NamedTuple
from urllib.parse import urlencode

from bench.errors import BenchError
from bench.servers import Options, ProjectServer, project_command
from bench.ws_roundtrip import OPEN_TIMEOUT_SECONDS, describe


@contextmanager
def project_data(
    project: ProjectServer, options: Options, command: str, *sizes: int, what: str
) -> Iterator[tuple[str, Any]]:
    """What ``python -m bench.project_user COMMAND TAG SIZES...`` made in the served database,
    as the JSON of its last line, and the fresh TAG its accounts are named after.

    Deleted afterwards (``pairs-delete``, with every ``*_session`` printed) from a database of
    someone else's; a temporary one goes away with its folder.
    """
    tag = secrets.token_hex(4)
    made: Any = []
    try:
        printed = project_command(
            project, "-m", "bench.project_user", command, tag, *map(str, sizes), what=what
        )
        made = json.loads(printed.splitlines()[-1])
        yield tag, made
    finally:
        if options.database_url:
            rows = made if isinstance(made, list) else [made]
            sessions = [
                value for row in rows for key, value in row.items() if key.endswith("_session")
            ]
            try:
                project_command(
                    project,
                    "-m",
                    "bench.project_user",
                    "pairs-delete",
                    tag,
                    what=f"Deleting the benchmark's data (bench-{tag}-*)",
                    stdin=json.dumps(sessions),
                )
            except BenchError as error:  # not to hide why the benchmark itself stopped
                print(error, file=sys.stderr)


class Response(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class HttpConnection:
    """A keep-alive HTTP/1.1 connection to the served project and its cookies, as a browser tab
    holds them: opened at the first request, opened again if the server closes it.

    No async HTTP client is installed and urllib would hold a thread per request; this is the
    little a tab does, over asyncio streams.
    """

    def __init__(self, project: ProjectServer, cookies: dict[str, str]):
        self.project = project
        self.cookies = dict(cookies)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.project.port), OPEN_TIMEOUT_SECONDS
            )
        body = urlencode(fields).encode() if fields is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.project.port}",
            f"Origin: {self.project.origin}",
            "Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        if fields is not None:
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        assert self.writer is not None  # connected above
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        response, keep_alive = await self._response()
        if not keep_alive:
            await self.close()
        return response

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError):
                await self.writer.wait_closed()
            self.reader = self.writer = None

    async def _response(self) -> tuple[Response, bool]:
        reader = self.reader
        assert reader is not None  # a request was just written on this connection
        status_line = await reader.readline()
        if not status_line:
            raise BenchError("the server closed the HTTP connection without answering")
        version, status, *_ = status_line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        body: bytes
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = bytearray()
            while size := int((await reader.readline()).split(b";")[0], 16):
                chunks += await reader.readexactly(size)
                await reader.readexactly(2)
            body = bytes(chunks)
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif int(status) in (204, 304) or int(status) < 200:
            body = b""
        else:
            body, keep_alive = await reader.read(), False
        return Response(int(status), headers, bytes(body)), keep_alive


async def gather_all(what: str, coroutines: Sequence[Coroutine]) -> list[Any]:
    """Every coroutine's result; if any failed, a BenchError naming the first failure."""
    outcomes = await asyncio.gather(*coroutines, return_exceptions=True)
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    for failure in failures:
        if not isinstance(failure, Exception):  # Ctrl-C, cancellation: not a measurement
            raise failure
    if failures:
        raise BenchError(
            f"{what} failed for {len(failures)} of {len(outcomes)}; first: {describe(failures[0])}"
        )
    return outcomes
