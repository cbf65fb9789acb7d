"""Rate limits of the actions people repeat — sending a message, uploading a file, booking, the
intake — per person and per network address, counted in the cache (Redis in production, so
every process counts together) and set in ``RATE_LIMITS``.

A rate is ``N/period/scope``: at most N in each window of the period (``s``, ``m``, ``h``, ``d``,
or a number of them: ``10m``), per ``user`` (a visitor not logged in has none: only their
address counts) or per ``ip`` (the address the trusted proxy saw, ``TRUSTED_PROXIES``; an IPv6
address counts with its /64 network, which one device can change at will). Windows are fixed
and named by their start, so a clock moved to the next window starts a new count. The action
past a limit is answered ``429`` with ``Retry-After``: a page saying how long to wait, or for
htmx a short answer that ``site.js`` turns into its "Too many attempts" words beside the form.

    @login_required
    @require_POST
    @rate_limited("message")
    @rate_limited("upload", when=sends_files)
    def message_send(request, pk): ...
"""

import ipaddress
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

_RATE = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]*)\s*([smhd])\s*/\s*(user|ip)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# What each action is called on the page that refuses it.
ACTION_WORDS = {
    "message": _("messages"),
    "upload": _("files"),
    "booking": _("bookings"),
    "intake": _("answers to the questionnaire"),
}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds
    scope: str  # "user" or "ip"


def parse_rates(text: str) -> list[Rate]:
    """The rates of a setting ("20/m/user,100/m/ip"); ImproperlyConfigured for anything else."""
    rates = []
    for part in text.split(","):
        if not part.strip():
            continue
        match = _RATE.match(part)
        if match is None:
            raise ImproperlyConfigured(f"Not a rate (N/period/user|ip): {part!r}")
        limit, count, unit, scope = match.groups()
        rates.append(Rate(int(limit), int(count or 1) * _SECONDS[unit], scope))
    return rates


def _rates(action: str) -> list[Rate]:
    if action not in settings.RATE_LIMITS:
        raise ImproperlyConfigured(f"RATE_LIMITS has no {action!r}")
    return parse_rates(settings.RATE_LIMITS[action])


def client_network(request: HttpRequest) -> str:
    """Who counts as one address: an IPv4 address, or an IPv6 address's /64 network."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _identity(request: HttpRequest, scope: str) -> str | None:
    if scope == "user":
        user = getattr(request, "user", None)
        return str(user.pk) if user is not None and user.is_authenticated else None
    return client_network(request)


def consume(request: HttpRequest, action: str, *, now: float | None = None) -> int | None:
    """Count one ``action`` of this request's person and address. None when allowed; past a
    limit, the seconds until it may be tried again (the refused attempt still counts, so that
    hammering does not shorten the wait)."""
    now = time.time() if now is None else now
    counted = []  # (rate, its window, its key)
    for rate in _rates(action):
        identity = _identity(request, rate.scope)
        if identity is not None:
            window = int(now // rate.period)
            key = f"ratelimit:{action}:{rate.scope}:{identity}:{rate.period}:{window}"
            counted.append((rate, window, key))
    counts = _count([(key, rate.period + 60) for rate, _window, key in counted])
    wait = 0.0
    for (rate, window, _key), count in zip(counted, counts, strict=True):
        if count > rate.limit:
            wait = max(wait, (window + 1) * rate.period - now)
    return math.ceil(wait) if wait else None


def _count(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (``key``, kept ``timeout`` seconds from its first count): their
    new values. On Redis, every counter in one round trip (a message's send is counted per
    person and per address: the cache's ``add`` and ``incr`` took five); elsewhere (the
    embedded default's local memory), through the cache's own API."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # Django's Redis cache has no batch increment: its client, and its own key naming.
        client = backend._cache.get_client(write=True)
        with client.pipeline(transaction=False) as pipe:
            for key, timeout in keys:
                name = backend.make_and_validate_key(key)
                pipe.set(name, 0, nx=True, ex=timeout)
                pipe.incr(name)
            return pipe.execute()[1::2]
    counts = []
    for key, timeout in keys:
        cache.add(key, 0, timeout=timeout)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            counts.append(1)
    return counts


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def too_many(request: HttpRequest, action: str, retry_after: int) -> HttpResponse:
    """The 429 answer: a page (or, for htmx, its part) saying what and how long to wait."""
    context = {"action_words": ACTION_WORDS.get(action, ""), "wait": _wait_words(retry_after)}
    template = "accounts/rate_limited.html"
    if request.headers.get("HX-Request"):
        template += "#rate-limited"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    action: str,
    *,
    methods: tuple[str, ...] = ("POST",),
    when: Callable[[HttpRequest], bool] | None = None,
):
    """Limit a view's ``action`` (requests of ``methods``, and only those ``when`` says count)
    to ``RATE_LIMITS[action]``."""
    _rates(action)  # a mistyped action fails at import, not at the first request

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and (when is None or when(request)):
                retry_after = consume(request, action)
                if retry_after is not None:
                    return too_many(request, action, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def sends_files(request: HttpRequest) -> bool:
    """A request carrying at least one file (an upload)."""
    return bool(request.FILES)
