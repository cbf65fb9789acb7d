from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from matching import selectors as matching_selectors
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
        context = {"matching": matching_selectors.patient_matching_state(patient=user)}
        return render(request, "teletherapy/patient_home.html", context)
    if user.is_therapist:
        if not user.therapist_profile.is_approved:
            # Until staff approve them, a therapist's work here is their application.
            return redirect("therapist_application")
        context = {
            "therapist_profile": user.therapist_profile,
            "caseload": matching_selectors.therapist_caseload(therapist=user),
            "pending_offers": matching_selectors.therapist_pending_offer_count(therapist=user),
        }
        return render(request, "teletherapy/therapist_dashboard.html", context)
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
