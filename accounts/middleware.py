"""Middleware of accounts: every page in the viewer's language and time zone, idle sessions
logged out, new versions of the legal documents accepted and two-factor set-up done before
anything else.

Both are sync and async capable: under ASGI (daphne, ``make run``) a synchronous-only
middleware between async ones costs a hand-off between the event loop and a thread each way,
for every request. In async mode the user is read once (``request.auser()``) and kept as
``request.user``, so the view does not read it again.
"""

import zoneinfo
from urllib.parse import unquote, urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import alogout, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import selectors, services
from accounts.timezones import valid_time_zone


class _SyncAndAsync:
    """A middleware usable in both modes, without a thread hop of its own under ASGI."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        # Asked once: ``iscoroutinefunction`` at every request cost more than some middlewares.
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)


async def _user(request: HttpRequest):
    """The request's user, read once in async mode and kept for the view."""
    user = await request.auser()
    request.user = user
    return user


class UserPreferencesMiddleware(_SyncAndAsync):
    """Show every page in the viewer's language and time zone.

    A logged-in user's saved preferences win; an anonymous visitor gets the language from the
    cookie or browser (LocaleMiddleware) and the time zone their browser reported in a cookie.
    """

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        self._activate(request, request.user)
        return self.get_response(request)

    async def _acall(self, request):
        self._activate(request, await _user(request))
        return await self.get_response(request)

    def _activate(self, request, user) -> None:
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


_MFA_REQUIRED = _(
    "Because you will see patients' data, your account needs two-factor authentication: "
    "a code from an app on your phone in addition to your password. It takes a minute."
)


class MFARequiredMiddleware(_SyncAndAsync):
    """Therapists and staff set up two-factor authentication before any other page.

    Only the account pages (log-in, log-out, two-factor set-up, password), language switching,
    static files and the health check stay reachable without it.
    """

    OPEN_PREFIXES = ("/accounts/", "/i18n/", "/healthz/", settings.STATIC_URL)
    # A session that found the account's authenticator (at login, or here once set up) is not
    # asked again: no query at every request of every therapist.
    SET_UP = selectors.MFA_SET_UP_SESSION_KEY

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        user = request.user
        if self._asked(request, user) and request.session.get(self.SET_UP) != user.pk:
            if selectors.user_needs_mfa_setup(user=user):
                return self._to_setup(request)
            request.session[self.SET_UP] = user.pk
        return self.get_response(request)

    async def _acall(self, request):
        user = await _user(request)
        if self._asked(request, user) and await request.session.aget(self.SET_UP) != user.pk:
            if await selectors.auser_needs_mfa_setup(user=user):
                if not await request.session.aget("mfa_required_explained"):
                    await request.session.aset("mfa_required_explained", True)
                    messages.info(request, _MFA_REQUIRED)
                return redirect("mfa_activate_totp")
            await request.session.aset(self.SET_UP, user.pk)
        return await self.get_response(request)

    def _asked(self, request, user) -> bool:
        """Whether this request is one the check applies to (no query)."""
        return (
            user.is_authenticated
            and user.requires_mfa
            and not request.path.startswith(self.OPEN_PREFIXES)
        )

    def _to_setup(self, request):
        if not request.session.get("mfa_required_explained"):
            request.session["mfa_required_explained"] = True
            messages.info(request, _MFA_REQUIRED)
        return redirect("mfa_activate_totp")


# --- Idle log-out ----------------------------------------------------------------------------


def _idle_message(minutes: float) -> str:
    return gettext(
        "To protect your privacy, you were logged out after %(minutes)s minutes without "
        "activity. Log in again to go on."
    ) % {"minutes": f"{minutes:g}"}


class IdleLogoutMiddleware(_SyncAndAsync):
    """A session left without activity for ``IDLE_LOGOUT_MINUTES`` (its role's, shorter on a
    shared device) is logged out at its next request, through Django's ``logout`` like the
    button: its sockets close at once (``accounts.receivers``), the page then shows the login
    page with a word about why. The idle time is kept in the session itself, so checking it
    costs no query; a request the person made (not a page's own refresh in the background, an
    htmx or fetch GET) starts it again, written at most once a minute (a session write).

    The server decides; the page's idle module (``static/teletherapy/idle.js``) only warns a
    minute before and offers to stay. Sessions nobody sends a request from are ended by the
    sweep (``accounts.tasks.sweep_idle_sessions``), and their sockets refuse them at the next
    check.
    """

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        user = request.user
        if user.is_authenticated:
            now = timezone.now()
            session = request.session
            if selectors.session_is_idle(data=session, user=user, now=now.timestamp()):
                minutes = self._minutes(user, session)
                logout(request)
                return self._logged_out(request, minutes) or self.get_response(request)
            if self._by_person(request) and selectors.session_activity_due(
                user=user, data=session, session_key=session.session_key, now=now.timestamp()
            ):
                self._record(request, user, now)
        return self.get_response(request)

    async def _acall(self, request):
        user = await _user(request)
        if user.is_authenticated:
            now = timezone.now()
            session = request.session
            data = dict(await session.aitems())
            if selectors.session_is_idle(data=data, user=user, now=now.timestamp()):
                minutes = self._minutes(user, data)
                await alogout(request)
                return self._logged_out(request, minutes) or await self.get_response(request)
            if self._by_person(request) and selectors.session_activity_due(
                user=user, data=data, session_key=session.session_key, now=now.timestamp()
            ):
                await sync_to_async(self._record)(request, user, now)
        return await self.get_response(request)

    @staticmethod
    def _minutes(user, data) -> float:
        shared = bool(data.get(selectors.SHARED_DEVICE_SESSION_KEY))
        return selectors.idle_timeout_seconds(user=user, shared_device=shared) / 60

    @staticmethod
    def _by_person(request) -> bool:
        """A request the person made: a page, a form, a click; not a page refreshing a part of
        itself in the background (htmx or fetch GETs carry HX-Request), nor the idle module
        asking how long is left."""
        if request.path == reverse("session_status"):
            return False
        return not (request.method in ("GET", "HEAD") and request.headers.get("HX-Request"))

    @staticmethod
    def _record(request, user, now) -> None:
        services.session_activity_record(
            user=user,
            session=request.session,
            user_agent=request.headers.get("User-Agent", ""),
            time_zone=unquote(request.COOKIES.get(settings.TIME_ZONE_COOKIE_NAME, "")),
            now=now,
        )

    @staticmethod
    def _logged_out(request, minutes: float) -> HttpResponse | None:
        """After the log-out: a word for the login page; a part of a page asked by htmx or
        fetch reloads the whole page (which shows the login page); anything else goes on as a
        visitor's request (a page behind the login redirects to it)."""
        messages.info(request, _idle_message(minutes))
        if request.headers.get("HX-Request"):
            return HttpResponse(status=401, headers={"HX-Refresh": "true"})
        return None


# --- Legal documents: new versions accepted before anything else --------------------------------


class LegalConsentMiddleware(_SyncAndAsync):
    """A logged-in person with versions of the legal documents still to accept (set at login:
    ``accounts.receivers``) reaches only the page that asks for them, logging out, the public
    documents themselves, their Privacy pages (downloading or deleting their data never waits
    for an acceptance), switching language, and static files. A session from before this
    existed is asked once."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self._open: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open is None:
            self._open = (
                reverse("legal_consent"),
                reverse("account_logout"),
                reverse("session_status"),
                reverse("session_stay"),
                "/privacy/",
                "/privacy-policy/",
                "/terms/",
                "/telehealth-consent/",
                "/i18n/",
                "/healthz/",
                reverse("ping"),
                settings.STATIC_URL,
            )
        return self._open

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.open_prefixes()):
            pending = request.session.get(selectors.LEGAL_PENDING_SESSION_KEY)
            if pending is None:
                pending = self._ask_once(request, user)
            if pending:
                return self._to_consent(request)
        return self.get_response(request)

    async def _acall(self, request):
        user = await _user(request)
        if user.is_authenticated and not request.path.startswith(self.open_prefixes()):
            pending = await request.session.aget(selectors.LEGAL_PENDING_SESSION_KEY)
            if pending is None:
                pending = await sync_to_async(self._ask_once)(request, user)
            if pending:
                return self._to_consent(request)
        return await self.get_response(request)

    @staticmethod
    def _ask_once(request, user) -> list[int]:
        documents = selectors.legal_documents_pending(user=user)
        services.legal_pending_remember(session=request.session, documents=documents)
        return [document.pk for document in documents]

    @staticmethod
    def _to_consent(request) -> HttpResponse:
        url = reverse("legal_consent")
        if request.headers.get("HX-Request"):
            return HttpResponse(status=401, headers={"HX-Redirect": url})
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
