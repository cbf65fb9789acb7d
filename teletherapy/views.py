from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from teletherapy import dashboards
from teletherapy.health import services_status


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "teletherapy/landing.html")


@require_safe
def emergency(request: HttpRequest) -> HttpResponse:
    return render(request, "teletherapy/emergency.html")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("teletherapy/favicon.svg"), permanent=True)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
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
    return redirect("admin:index")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    status = services_status()
    down = sorted(name for name, up in status.items() if not up)
    body = {
        "status": "down" if down else "ok",
        "services": {name: "ok" if up else "down" for name, up in status.items()},
        "down": down,
    }
    return JsonResponse(body, status=503 if down else 200)
