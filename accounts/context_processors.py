"""What every page of a logged-in person carries for the idle warning (``idle.js``): how long
this session may stay idle (a page is itself activity, so the whole time) and how long before
the end the warning shows."""

from django.conf import settings
from django.http import HttpRequest

from accounts import selectors


def idle(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not settings.IDLE_LOGOUT_ENABLED:
        return {}
    shared = bool(request.session.get(selectors.SHARED_DEVICE_SESSION_KEY))
    return {
        "idle_timeout": selectors.idle_timeout_seconds(user=user, shared_device=shared),
        "idle_warning": settings.IDLE_LOGOUT_WARNING_SECONDS,
    }
