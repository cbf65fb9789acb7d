"""The ICE servers a live session's RTCPeerConnection is given, and its transport policy.

STUN as configured; TURN with short-lived credentials in coturn's ``use-auth-secret`` scheme
(the "TURN REST API"): the username is ``<expiry>:<user id>`` and the password is
base64(HMAC-SHA1(shared secret, username)). coturn recomputes it from the same secret, so no
password is ever stored, and a credential copied out of a browser stops working at its expiry.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.crypto import salted_hmac


def turn_user_id(user) -> str:
    """A stable, opaque id of the user for TURN usernames.

    coturn logs usernames, and whoever runs it knows the shared secret: the primary key would
    be reversible by counting, so the id is keyed with SECRET_KEY, which only the platform
    holds. Stable, so that the platform can still tell which account a TURN log line was.
    """
    return salted_hmac(
        "sessions_video.ice.turn_user_id", str(user.pk), algorithm="sha256"
    ).hexdigest()[:32]


def turn_credential(*, username: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def ice_servers_for(user, *, now: datetime | None = None) -> list[dict]:
    """``iceServers`` for this user's RTCPeerConnection; empty when nothing is configured."""
    servers: list[dict] = []
    if settings.ICE_STUN_URLS:
        servers.append({"urls": list(settings.ICE_STUN_URLS)})
    if settings.ICE_TURN_URLS:
        if not settings.TURN_SHARED_SECRET:
            raise ImproperlyConfigured("ICE_TURN_URLS is set but TURN_SHARED_SECRET is empty")
        now = timezone.now() if now is None else now
        expiry = int(now.timestamp()) + settings.TURN_CREDENTIAL_TTL_SECONDS
        username = f"{expiry}:{turn_user_id(user)}"
        servers.append(
            {
                "urls": list(settings.ICE_TURN_URLS),
                "username": username,
                "credential": turn_credential(
                    username=username, secret=settings.TURN_SHARED_SECRET
                ),
            }
        )
    return servers


def rtc_configuration_for(user, *, now: datetime | None = None) -> dict:
    """The ``RTCConfiguration`` this user's call page opens its peer connections with:
    ``iceTransportPolicy`` "relay" (``ICE_TRANSPORT_POLICY``) gathers TURN candidates only, so
    the media go through the relay and neither party ever sees the other's address."""
    return {
        "iceServers": ice_servers_for(user, now=now),
        "iceTransportPolicy": settings.ICE_TRANSPORT_POLICY,
    }
