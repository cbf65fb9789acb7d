"""Which login session the code running now serves, for the access log.

A selector is given the reader (a user) but never the request; the session a read came from is
set here by ``audit.middleware.ReadingSessionMiddleware`` for the length of each request (a
context variable: right under ASGI and in threads alike) and read by ``audit.services`` when it
writes an entry. Outside a request (a task, a command) there is none.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.sessions.backends.base import SessionBase

_session: ContextVar[SessionBase | None] = ContextVar("audit_reading_session", default=None)


def current_session_key() -> str | None:
    session = _session.get()
    return session.session_key if session is not None else None


@contextmanager
def reading_session(session: SessionBase | None) -> Iterator[None]:
    """Reads made inside come from ``session``."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)
