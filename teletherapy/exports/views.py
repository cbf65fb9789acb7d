"""The Privacy page's *Download my data*: asking for a copy, following its progress, and
downloading it. Thin: the selectors say which export is whose (None is a 404 here), the
services write."""

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import UserRequest
from core.htmx import is_htmx
from teletherapy.exports import selectors, services
from teletherapy.exports.models import DataExport

STATUS = "exports/privacy/_export.html#export-status"
# The section's place on the Privacy page (teletherapy/privacy.py).
ANCHOR = "download-my-data"


def _status(request: UserRequest) -> HttpResponse:
    now = timezone.now()
    data = selectors.privacy_section(user=request.user, now=now)
    return render(request, STATUS, {"data": data})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_export(request: UserRequest) -> HttpResponse:
    """A POST asks for a copy (or shows the one under way: one at a time): htmx gets the
    section's status in place, a plain form goes back to the Privacy page. A GET is the
    section, on the Privacy page."""
    if request.method == "POST":
        services.export_request(user=request.user)
        if is_htmx(request):
            return _status(request)
    return redirect(reverse("privacy") + f"#{ANCHOR}")


@login_required
@require_safe
def privacy_export_status(request: UserRequest) -> HttpResponse:
    """The section's status alone, fetched again when the events socket says the export moved
    (or every few seconds while it is under way, should the socket be down)."""
    return _status(request)


@require_safe
def export_download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The zip, to its owner only, while it is kept: 404 for anyone else (staff included, and
    someone not logged in, who learns nothing from a login page either), for an expired copy
    and for one that never was. Streamed, decrypted a chunk at a time; never cached."""
    user = request.user
    now = timezone.now()
    export = selectors.export_downloadable_for_user(user=user, now=now, pk=pk)
    if export is None:
        raise Http404("no such export for this user")
    services.export_downloaded(export=export, now=now)
    response = StreamingHttpResponse(_stream(request, export), content_type="application/zip")
    day = timezone.localdate(export.ready_at)
    name = f"{slugify(settings.SITE_NAME)}-data-{day:%Y-%m-%d}.zip"
    response["Content-Disposition"] = content_disposition_header(True, name)
    if export.size is not None:
        response["Content-Length"] = str(export.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _stream(request: HttpRequest, export: DataExport) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The chunks as the server wants them: under ASGI an asynchronous iterator (a synchronous
    one would be read whole into memory first), under WSGI (gunicorn) a plain one."""
    chunks = selectors.export_chunks(export)
    if not isinstance(request, ASGIRequest):
        return chunks

    def read() -> bytes | None:
        return next(chunks, None)

    async def each() -> AsyncIterator[bytes]:
        while (chunk := await sync_to_async(read, thread_sensitive=False)()) is not None:
            yield chunk

    return each()
