"""A therapist's choice to see people from their licence countries who live abroad."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_countries import countries

from accounts.decorators import UserRequest, therapist_required
from accounts.models import TherapistProfile
from matching import forms, selectors, services


@therapist_required
@require_http_methods(["GET", "POST"])
def abroad_practice(request: UserRequest, profile: TherapistProfile) -> HttpResponse:
    allowed = settings.MATCHING_SERVE_CITIZENS_ABROAD
    current = selectors.abroad_practice_of(therapist=profile)
    form = forms.AbroadPracticeForm(
        request.POST if request.method == "POST" else None,
        initial={"serves_citizens_abroad": current},
    )
    context = {
        "form": form,
        "allowed": allowed,
        "current": current,
        "countries": [countries.name(str(code)) for code in profile.licensed_countries],
    }
    if request.method == "GET":
        return render(request, "matching/abroad_practice.html", context)
    if not allowed:  # the page says that the platform does not offer it
        return render(request, "matching/abroad_practice.html", context, status=409)
    if not form.is_valid():
        return render(request, "matching/abroad_practice.html", context, status=422)
    serves = form.cleaned_data["serves_citizens_abroad"]
    services.abroad_practice_set(therapist=profile, serves_citizens_abroad=serves)
    if serves:
        messages.success(
            request,
            _(
                "Saved. We may now propose you people from the countries where you are "
                "licensed who live abroad."
            ),
        )
    else:
        messages.success(
            request, _("Saved. We propose you only people who live where you are licensed.")
        )
    return redirect("abroad_practice")
