"""Known devices, and the login limits they change (issue 15: no targeted lock-out).

Failed logins are limited twice (``ACCOUNT_RATE_LIMITS``; docs/features.md, "Privacy and
security"):

- per network address (``login_failed``, allauth's own; the client's address is the one the
  trusted proxy saw, ``TRUSTED_PROXIES``): strict, and nobody is exempt;
- per account (``login_failed_account`` for passwords, ``mfa_failed_account`` for two-factor
  codes): a stranger failing from many addresses fills the account's bucket, which stops
  further guesses from any device that never logged in to it. A device the account's owner
  logged in from before has a bucket of its own, of the same size, that nobody else fills: a
  stranger cannot lock the owner out of their own phone or computer.

A device is known by a cookie each successful login sets (or renews): one per user, named by a
keyed digest of the user's id, holding the user's id and a random device id, signed with the
secret key, ``HttpOnly``, ``Secure`` in production, ``SameSite=Lax``. It holds no email address
and grants nothing by itself: it only picks which bucket a failure counts in. One user's cookie
is of no use for another account (another name, and the id inside must match).
"""

from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import get_random_string, salted_hmac

SALT = "accounts.devices.known"
DEVICE_ID_LENGTH = 22
PASSWORD_LIMIT = "login_failed_account"  # noqa: S105 (an action, not a password)
CODE_LIMIT = "mfa_failed_account"


def cookie_name(user_pk: int) -> str:
    """The user's own cookie: a digest of their id (no id, no address in the name)."""
    digest = salted_hmac(f"{SALT}.name", str(user_pk), algorithm="sha256").hexdigest()[:16]
    return f"{settings.KNOWN_DEVICE_COOKIE_PREFIX}{digest}"


def _max_age() -> int:
    return settings.KNOWN_DEVICE_DAYS * 24 * 3600


def known_device(request: HttpRequest, user_pk: int | None) -> str | None:
    """This device's id if the user logged in from it before (their signed cookie), else
    None."""
    if user_pk is None:
        return None
    value = request.get_signed_cookie(
        cookie_name(user_pk), default=None, salt=SALT, max_age=_max_age()
    )
    if not value:
        return None
    owner, _colon, device = value.partition(":")
    if owner != str(user_pk) or len(device) != DEVICE_ID_LENGTH:
        return None
    return device


def remember_device(request: HttpRequest, response: HttpResponseBase, user_pk: int) -> None:
    """After a successful login: this device is known for the user (for another
    ``KNOWN_DEVICE_DAYS``), with the id it had or a new one."""
    device = known_device(request, user_pk) or get_random_string(DEVICE_ID_LENGTH)
    response.set_signed_cookie(
        cookie_name(user_pk),
        f"{user_pk}:{device}",
        salt=SALT,
        max_age=_max_age(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def bucket(account: str, device: str | None) -> str:
    """Where a failure for ``account`` counts: the account's shared bucket, or the known
    device's own."""
    return f"{account}:device:{device}" if device else account


def limit_reached(request: HttpRequest, *, action: str, key: str) -> bool:
    """Whether ``key``'s bucket of ``action`` is full (checks only, counts nothing)."""
    return not ratelimit.consume(request, action=action, key=key, dry_run=True)


def count_failure(request: HttpRequest, *, action: str, key: str) -> None:
    ratelimit.consume(request, action=action, key=key)


def forget_failures(request: HttpRequest, *, action: str, key: str) -> None:
    ratelimit.clear(request, action=action, key=key)
