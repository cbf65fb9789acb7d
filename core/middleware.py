"""What every request goes through before and after the apps see it.

- ``ClientAddressMiddleware``: the client's address, from ``X-Forwarded-For`` only when the
  request comes from a configured proxy (``TRUSTED_PROXIES``), and then the entry that proxy
  wrote, never one the client sent (the first entry is anyone's to forge).
- ``RejectNulMiddleware``: a NUL character anywhere in the path, the query or a form field is
  refused with 400 (PostgreSQL refuses it in text; it would otherwise be a 500).
- ``PrivacyHeadersMiddleware``: ``Cache-Control: no-store`` on every answer that did not say
  otherwise (pages hold health data, and a shared computer's browser cache must not keep them),
  a ``Permissions-Policy`` that keeps camera, microphone and the rest off unless a view (a
  session room: ``CALL_PERMISSIONS_POLICY``) asks for them.
- ``AccessLogMiddleware``: one line per request, with the path's secrets (keys in password
  reset and confirmation links, calendar-feed and room tokens) and the query string left out.
"""

import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

access_logger = logging.getLogger("core.access")

# What a page may use unless its view says otherwise: nothing of the kind. (Only features
# Chromium knows: an unknown one is an error in the console.)
DEFAULT_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), display-capture=(), geolocation=(), payment=(), usb=()"
)
# A session room's page: the camera, the microphone and sharing a screen, for this site only.
CALL_PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"
)


class _Middleware:
    """Sync and async capable: no hop between the event loop and a thread for these under
    ASGI. Subclasses say what to do before (``before``: a response ends the request there) and
    after (``after``)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        # Asked once: ``iscoroutinefunction`` at every request cost more than some middlewares.
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def before(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self._acall(request)
        early = self.before(request)
        if early is not None:
            return early
        return self.after(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        early = self.before(request)
        if early is not None:
            return early
        response: Awaitable[HttpResponse] = self.get_response(request)
        return self.after(request, await response)


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(remote_addr: str, forwarded_for: str | None, trusted: list) -> str:
    """The client's address: ``remote_addr``, unless it is a trusted proxy; then, reading
    ``X-Forwarded-For`` from the right, the first address that is not a trusted proxy (what
    the outermost trusted proxy saw). Unparseable entries stop the walk: anything left of them
    is the client's own words."""
    current = _address(remote_addr)
    if current is None or not any(current in network for network in trusted):
        return remote_addr
    for entry in reversed((forwarded_for or "").split(",")):
        address = _address(entry)
        if address is None:
            break
        current = address
        if not any(address in network for network in trusted):
            return str(address)
    return str(current)


class ClientAddressMiddleware(_Middleware):
    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        super().__init__(get_response)
        self.trusted = _networks(settings.TRUSTED_PROXIES)

    def before(self, request: HttpRequest) -> None:
        if self.trusted:
            request.META["REMOTE_ADDR"] = client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR"),
                self.trusted,
            )


class RejectNulMiddleware(_Middleware):
    def before(self, request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").lower():
            return HttpResponseBadRequest("Bad request.")
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for _name, values in request.POST.lists():
                if any("\x00" in value for value in values):
                    return HttpResponseBadRequest("Bad request.")
        return None


class PrivacyHeadersMiddleware(_Middleware):
    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = DEFAULT_PERMISSIONS_POLICY
        return response


# A path segment that may be a secret: long, of letters, digits and - _ : (an .ics after it).
_LONG_SEGMENT = re.compile(r"(?<=/)([A-Za-z0-9_\-:]{16,})(?=(\.ics)?(/|$))")


def _secret(match: re.Match) -> str:
    segment = match.group(1)
    # Random keys mix digits or cases; the platform's own words ("availabilitysettings") don't.
    looks_random = any(c.isdigit() for c in segment) or (
        any(c.isupper() for c in segment) and any(c.islower() for c in segment)
    )
    return "…" if looks_random else segment


def redact_path(path: str) -> str:
    """The path with every secret-looking segment replaced by ``…`` (the query is never kept)."""
    return _LONG_SEGMENT.sub(_secret, path.split("?", 1)[0])


class AccessLogMiddleware(_Middleware):
    """One line per request: method, redacted path, status, milliseconds. Never the query
    string, a cookie or a body; never a key from a link."""

    def before(self, request: HttpRequest) -> None:
        request._access_log_started = time.monotonic()  # type: ignore[attr-defined]

    def after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        started = getattr(request, "_access_log_started", time.monotonic())
        access_logger.info(
            "%s %s %s %dms",
            request.method,
            redact_path(request.path),
            response.status_code,
            (time.monotonic() - started) * 1000,
            extra={"status_code": response.status_code},
        )
        return response
