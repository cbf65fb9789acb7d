"""Calendar files: one session to download, the private feed a calendar app subscribes to, and
the page where a patient or therapist turns that feed on, renews or revokes it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import UserRequest
from core.mail import site_link
from scheduling import calendar_files, selectors, services
from scheduling.selectors import feeds

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(content: bytes, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=CALENDAR_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    if download:
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename="session.ics"
        )
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed, for calendar apps: no session, the token is the key; 404 for a wrong or
    revoked one, the same as for an address that never existed."""
    user = feeds.calendar_feed_user(token=token)
    if user is None:
        raise Http404
    return _calendar_response(calendar_files.feed_ics(user), download=False)


@login_required
@require_safe
def appointment_ics(request: UserRequest, pk: int) -> HttpResponse:
    """One session as a file to import: the appointment's patient, or its approved therapist."""
    appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
    if appointment is None:
        raise Http404
    method = calendar_files.PUBLISH if appointment.is_booked else calendar_files.CANCEL
    content = calendar_files.appointment_ics(appointment, method=method, viewer=request.user)
    return _calendar_response(content, download=True)


@never_cache  # the page may show the new feed's address, which is a key
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request: UserRequest) -> HttpResponse:
    """Turn the private feed on (or renew it: the old address stops working) and off.

    The address is shown once, in the answer to the POST that made it: only its digest is
    kept. Patients and approved therapists only; anyone else gets 404.
    """
    user = request.user
    if not feeds.calendar_feed_allowed(user=user):
        raise Http404
    feed_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "renew":
            token = services.calendar_feed_renew(user=user)
            feed_url = site_link("calendar_feed", token)
        elif action == "revoke":
            services.calendar_feed_revoke(user=user)
            messages.success(request, _("Your calendar link is turned off."))
            return redirect("calendar_settings")
        else:
            return redirect("calendar_settings")
    return render(
        request,
        "scheduling/calendar/settings.html",
        {
            "feed": feeds.calendar_feed_live(user=user),
            "feed_url": feed_url,
            # Calendar apps open webcal:// addresses as a subscription.
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else "",
        },
    )
