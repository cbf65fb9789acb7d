"""Logs and error reports that an operator can use and a reader of them cannot abuse.

- ``JsonFormatter``: one JSON object per line (production), with the record's own fields only.
- ``RedactPathsFilter``: link keys and tokens out of the paths Django's own records carry.
- ``scrub_event``: what an error report (Sentry, GlitchTip) may carry of a request: the
  method and the path with its secrets redacted. Never a body, a cookie, a header value, the
  query string, the user's address or email, or a local variable's value.
- ``error_reports_init``: the opt-in Sentry-compatible integration (``SENTRY_DSN``).
- ``AdminsNotifyHandler``: the fallback, a content-free email to ``ADMINS`` per server error.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from core.middleware import redact_path

# Extra fields a log call may add that are safe and useful in a JSON line.
_EXTRA_FIELDS = ("status_code", "task", "email_id")


class RedactPathsFilter(logging.Filter):
    """Django logs the path of a failed or refused request ("Internal Server Error: /calendar/
    <token>.ics"): the path's secrets are redacted before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def scrub_event(event: Any, hint: Any = None) -> Any:
    """An error report stripped of everything a request may carry of a person."""
    request = event.get("request")
    if isinstance(request, dict):
        url = request.get("url") or ""
        scheme, sep, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        event["request"] = {
            "method": request.get("method"),
            "url": f"{scheme}{sep}{host}{redact_path(slash + path)}" if sep else redact_path(url),
        }
    event.pop("user", None)
    event.pop("server_name", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        crumb.pop("data", None)
        # A Redis command names its key, and a session's names the session (core.sessions).
        if crumb.get("category") in ("query", "http", "redis"):
            crumb["message"] = None
    return event


def error_reports_init(*, dsn: str, environment: str, release: str = "", transport=None) -> None:
    """Send unhandled errors to a Sentry-compatible service, with nothing personal in them.
    (``transport``: where events go instead, for tests.)"""
    sentry_sdk.init(
        transport=transport,
        dsn=dsn,
        environment=environment,
        release=release or None,
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        # No tracing: errors only. (Its signal spans would wrap every receiver of the app.)
        integrations=[DjangoIntegration(signals_spans=False)],
        traces_sample_rate=0.0,
    )


class AdminsNotifyHandler(logging.Handler):
    """A short email to ADMINS for each server error: which route failed and with what kind of
    error, never the request, its body or the traceback (those stay in the logs). At most one
    per route and error kind every ``quiet_minutes``; sent through the outbox."""

    def __init__(self, quiet_minutes: int = 10):
        super().__init__(level=logging.ERROR)
        self.quiet_seconds = quiet_minutes * 60

    def emit(self, record: logging.LogRecord) -> None:
        # Logging is configured before Django's apps are loaded: what needs them is read here.
        from django.conf import settings
        from django.core.cache import cache

        from core.mail import send_plain

        status = getattr(record, "status_code", 500) or 500
        if status < 500 or not settings.ADMINS:
            return
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "error"
        path = redact_path(str(getattr(getattr(record, "request", None), "path", "") or ""))
        key = "admins-notified:" + hashlib.sha256(f"{path}|{kind}".encode()).hexdigest()
        try:
            if not cache.add(key, 1, timeout=self.quiet_seconds):
                return
            send_plain(
                template="server_error",
                to=list(settings.ADMINS),
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Server error ({status})",
                body=(
                    f"A request to {path or 'a page'} failed with {kind} ({status}).\n"
                    "The logs of the web processes say more; nothing of the request is in "
                    "this email.\n"
                ),
            )
        except Exception:  # never let reporting an error raise another
            self.handleError(record)
