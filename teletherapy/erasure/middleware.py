"""A patient whose account is to be deleted (the grace period) and who logs in again reaches
only what the grace period is for: the page where they keep their account or let it go, the
rest of their Privacy page (a copy of their data stays theirs to download), logging out,
switching language, the legal documents and static files. The session says so (set at login:
``receivers``), so no page costs a query for it."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from teletherapy.erasure.selectors import ERASURE_PENDING_SESSION_KEY


class ErasurePendingMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None
        # Asked once: ``iscoroutinefunction`` at every request cost more than some middlewares.
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open is None:
            self._open = (
                "/privacy/",
                reverse("account_logout"),
                reverse("session_status"),
                reverse("session_stay"),
                reverse("ping"),
                "/privacy-policy/",
                "/terms/",
                "/telehealth-consent/",
                "/i18n/",
                "/healthz/",
                settings.STATIC_URL,
            )
        return self._open

    def __call__(self, request):
        if self.async_mode:
            return self._acall(request)
        if request.session.get(ERASURE_PENDING_SESSION_KEY) and not self._open_path(request):
            return redirect("privacy_delete")
        return self.get_response(request)

    async def _acall(self, request):
        pending = await request.session.aget(ERASURE_PENDING_SESSION_KEY)
        if pending and not self._open_path(request):
            return redirect("privacy_delete")
        return await self.get_response(request)

    def _open_path(self, request) -> bool:
        return request.path.startswith(self.open_prefixes())
