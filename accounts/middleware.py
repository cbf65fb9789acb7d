import zoneinfo
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.timezones import valid_time_zone


class UserPreferencesMiddleware:
    """Show every page in the viewer's language and time zone.

    A logged-in user's saved preferences win; an anonymous visitor gets the language from the
    cookie or browser (LocaleMiddleware) and the time zone their browser reported in a cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            zone = user.time_zone
        else:
            cookie = request.COOKIES.get(settings.TIME_ZONE_COOKIE_NAME, "")
            zone = valid_time_zone(unquote(cookie))  # site.js encodes it (encodeURIComponent)
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


_MFA_REQUIRED = _(
    "Because you will see patients' data, your account needs two-factor authentication: "
    "a code from an app on your phone in addition to your password. It takes a minute."
)


class MFARequiredMiddleware:
    """Therapists and staff set up two-factor authentication before any other page.

    Only the account pages (log-in, log-out, two-factor set-up, password), language switching,
    static files and the health check stay reachable without it.
    """

    OPEN_PREFIXES = ("/accounts/", "/i18n/", "/healthz/", settings.STATIC_URL)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.requires_mfa
            and not request.path.startswith(self.OPEN_PREFIXES)
            and selectors.user_needs_mfa_setup(user=user)
        ):
            if not request.session.get("mfa_required_explained"):
                request.session["mfa_required_explained"] = True
                messages.info(request, _MFA_REQUIRED)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
