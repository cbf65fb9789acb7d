"""The patient's therapist: who they are and why, and changing therapist in a few clicks."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import UserRequest, patient_required
from matching import forms, selectors, services
from matching.presenters.reasons import reason_texts
from matching.presenters.switching import switch_done_message


@patient_required
@require_safe
def my_therapist(request: UserRequest) -> HttpResponse:
    match = selectors.patient_matching_state(patient=request.user)["match"]
    if match is None:
        return redirect("home")
    context = {
        "match": match,
        "profile": match.therapist,
        "reasons": reason_texts(match.reasons),
        "bio": match.therapist.bio_for(translation.get_language()),
        "facts": selectors.therapist_page_facts(match=match),
    }
    return render(request, "matching/my_therapist.html", context)


@patient_required
@require_http_methods(["GET", "POST"])
def match_switch(request: UserRequest) -> HttpResponse:
    """What changing therapist will do (asked of the apps above, before anything happens), the
    choices, and the change itself."""
    patient = request.user
    match = selectors.patient_matching_state(patient=patient)["match"]
    if match is None:
        return redirect("home")
    proposed = selectors.switch_candidates(patient=patient)
    names = selectors.therapist_display_names([ranked.therapist_id for ranked in proposed])
    candidates = [
        (
            ranked.therapist_id,
            " · ".join([names[ranked.therapist_id], *reason_texts(ranked.reasons)]),
        )
        for ranked in proposed
    ]
    form = forms.SwitchForm(request.POST or None, candidates=candidates)
    context = {
        "form": form,
        "match": match,
        "proposed": proposed,
        "consequences": selectors.match_end_preview(match=match),
    }
    if request.method == "GET":
        return render(request, "matching/switch.html", context)
    if not form.is_valid():
        return render(request, "matching/switch.html", context, status=422)
    chosen = form.chosen_therapist_id()
    try:
        search = services.match_switch(
            patient=patient,
            reason=form.cleaned_data["reason"],
            share_earlier_history=form.cleaned_data["share_earlier_history"],
            chosen_therapist_id=chosen,
        )
    except services.SwitchError:
        messages.error(
            request, _("This therapist cannot be proposed any more. Please choose again.")
        )
        return redirect("match_switch")
    messages.success(
        request,
        switch_done_message(
            chosen_name=names.get(chosen) if chosen else None,
            waiting=search.waiting_since is not None,
        ),
    )
    return redirect("home")
