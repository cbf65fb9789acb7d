"""The roof's pages: the landing and emergency pages, each role's home (the therapist's
dashboard and its caseload fragment, the patient's home), the health check, and the ping a
page sends before a plain form."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.decorators import UserRequest, approved_therapist_required
from accounts.models import TherapistProfile
from matching import selectors as matching
from teletherapy import dashboards
from teletherapy.health import services_status


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "teletherapy/landing.html")


@require_safe
def emergency(request: HttpRequest) -> HttpResponse:
    """The numbers to call for where the person lives first, from the table staff keep (every
    country); without any country known, the EU's 112 and France's lines."""
    zone = timezone.get_current_timezone_name()  # the profile's, or the browser's
    countries = matching.emergency_countries(
        user=request.user if request.user.is_authenticated else None,
        session=request.session,
        time_zone="" if zone == timezone.get_default_timezone_name() else zone,
    )
    resources = matching.emergency_numbers_for(
        countries=countries, language=translation.get_language()
    )
    return render(request, "teletherapy/emergency.html", {"resources": resources})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("teletherapy/favicon.svg"), permanent=True)


@login_required
@require_safe
def home(request: UserRequest) -> HttpResponse:
    """Each role's own start page."""
    user = request.user
    if user.is_patient:
        home = dashboards.patient_home(patient=user, now=timezone.now())
        return render(request, "teletherapy/patient_home.html", {"home": home})
    if user.is_therapist:
        if not user.therapist_profile.is_approved:
            # Until staff approve them, a therapist's work here is their application.
            return redirect("therapist_application")
        dashboard = dashboards.therapist_dashboard(therapist=user, now=timezone.now())
        return render(request, "teletherapy/therapist_dashboard.html", {"dashboard": dashboard})
    if user.is_partner:
        # A partner reaches only the couples sessions they were invited to.
        return redirect("partner_sessions")
    return redirect("admin:index")


@approved_therapist_required
@require_safe
def dashboard_caseload(request: UserRequest, profile: TherapistProfile) -> HttpResponse:
    """The dashboard's caseload alone, fetched again when a live event says it changed."""
    section = dashboards.therapist_caseload_section(therapist=request.user, now=timezone.now())
    return render(request, "teletherapy/therapist_dashboard.html#caseload", {"dashboard": section})


@approved_therapist_required
@require_safe
def dashboard_caseload_row(
    request: UserRequest, profile: TherapistProfile, patient_id: int
) -> HttpResponse:
    """One patient's row of the caseload alone, fetched again when a live event says their
    conversation changed (a message, a read). A patient who has just moved on (their
    conversation closed) gets an empty answer, which takes the row away; anyone else not a
    current patient of this therapist, a 404."""
    row = dashboards.therapist_caseload_row(
        therapist=request.user, patient_id=patient_id, now=timezone.now()
    )
    if row is not None:
        template = "teletherapy/therapist_dashboard.html#caseload-row-alone"
        return render(request, template, {"row": row})
    if matching.is_former_patient_of(therapist=request.user, patient_id=patient_id):
        return HttpResponse("")
    raise Http404("not a current patient of this therapist")


@approved_therapist_required
@require_safe
def dashboard_sessions(request: UserRequest, profile: TherapistProfile) -> HttpResponse:
    """The dashboard's sessions alone, fetched again when a live event says a patient came to
    (or left) a waiting room, or after the therapist said they are late."""
    section = dashboards.therapist_sessions_section(therapist=request.user, now=timezone.now())
    return render(request, "teletherapy/therapist_dashboard.html#sessions", {"dashboard": section})


@never_cache
@require_safe
def ping(request: HttpRequest) -> HttpResponse:
    """That the application answers at all: asked by a page about to send a plain form
    (site.js), which says so in place instead of leaving for the browser's error page when
    the server or the network is down. Nothing in the answer."""
    return HttpResponse(status=204)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Up or down, and nothing more, for anyone (a load balancer, a status page)."""
    down = [name for name, up in services_status().items() if not up]
    return JsonResponse({"status": "down" if down else "ok"}, status=503 if down else 200)


@never_cache
@require_safe
def healthz_details(request: HttpRequest) -> JsonResponse:
    """Which service or process is down: for staff, or monitoring holding HEALTH_TOKEN; 404
    for anyone else (which parts make the platform is nobody else's business)."""
    token = settings.HEALTH_TOKEN
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    allowed = (token and constant_time_compare(bearer, token)) or (
        request.user.is_authenticated and request.user.is_staff
    )
    if not allowed:
        raise Http404
    status = services_status()
    down = sorted(name for name, up in status.items() if not up)
    body = {
        "status": "down" if down else "ok",
        "services": {name: "ok" if up else "down" for name, up in status.items()},
        "down": down,
    }
    return JsonResponse(body, status=503 if down else 200)
