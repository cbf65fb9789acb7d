"""The therapist's side of offers: the patients proposed to them, to accept or decline."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import UserRequest, approved_therapist_required
from accounts.models import TherapistProfile
from core.htmx import is_htmx
from matching import selectors, services
from matching.forms import OfferDeclineForm
from matching.models import Offer
from matching.presenters.offers import offer_card_context, offer_preferences, time_left
from matching.presenters.reasons import reason_texts


def _own_offer(profile: TherapistProfile, pk: int) -> Offer:
    offer = selectors.offer_get_for_therapist(therapist=profile, pk=pk)
    if offer is None:
        raise Http404
    return offer


@approved_therapist_required
@require_safe
def offer_list(request: UserRequest, profile: TherapistProfile) -> HttpResponse:
    now = timezone.now()
    offers = selectors.therapist_pending_offers(therapist=profile, now=now)
    rows = [{"offer": offer, "time_left": time_left(offer.expires_at - now)} for offer in offers]
    return render(request, "matching/offers/list.html", {"rows": rows})


def _detail(
    request: UserRequest, offer: Offer, form: OfferDeclineForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    state = offer.state_at(now)
    nickname = offer.request.patient.patient_profile.display_name
    context = {"offer": offer, "state": state, "nickname": nickname}
    # What the patient told us is shown only while the therapist is deciding; once the offer
    # is answered, expired or withdrawn, the page says only what became of it.
    if state == Offer.Status.PENDING:
        intake = offer.request.intake
        context |= {
            "time_left": time_left(offer.expires_at - now),
            "concerns": intake.concern_labels,
            "goals": intake.goals,
            "screenings": selectors.intake_screenings(intake=intake),
            "preferences": offer_preferences(intake),
            "reasons": reason_texts(offer.reasons),
            "form": form or OfferDeclineForm(),
        }
    return render(request, "matching/offers/detail.html", context, status=status)


@approved_therapist_required
@require_safe
def offer_detail(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    return _detail(request, _own_offer(profile, pk))


def _card(request: UserRequest, offer: Offer, status: int = 200, **extra) -> HttpResponse:
    """The offer's dashboard card again, answered, refused or with the form's errors."""
    intake = offer.request.intake
    brief = {
        "offer": offer,
        "intake": intake,
        "screenings": selectors.intake_screenings(intake=intake) if intake else [],
    }
    context = offer_card_context(brief, timezone.now()) | extra
    return render(request, "matching/offers/_card.html", context, status=status)


@approved_therapist_required
@require_POST
def offer_accept(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    offer = _own_offer(profile, pk)
    try:
        match = services.offer_accept(offer_id=offer.pk, therapist=request.user)
    except services.OfferError as error:
        if is_htmx(request):
            return _card(request, offer, status=422, error=str(error))
        messages.error(request, str(error))
        return redirect("offer_detail", pk=offer.pk)
    accepted = _("You are now working with %(nickname)s. They have been told.") % {
        "nickname": offer.request.patient.patient_profile.display_name
    }
    if is_htmx(request):
        return _card(request, offer, answered=accepted, accepted=True)
    messages.success(request, accepted)
    return redirect("therapist_patient", patient_id=match.patient_id)


@approved_therapist_required
@require_POST
def offer_decline(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    offer = _own_offer(profile, pk)
    form = OfferDeclineForm(request.POST)
    if not form.is_valid():
        if is_htmx(request):
            return _card(request, offer, status=422, form=form)
        return _detail(request, offer, form=form, status=422)
    try:
        services.offer_decline(
            offer_id=offer.pk, therapist=request.user, reason=form.cleaned_data["reason"]
        )
    except services.OfferError as error:
        if is_htmx(request):
            return _card(request, offer, status=422, error=str(error))
        messages.error(request, str(error))
        return redirect("offer_detail", pk=offer.pk)
    thanks = _("Thank you for answering. We are proposing them to someone else.")
    if is_htmx(request):
        return _card(request, offer, answered=thanks)
    messages.success(request, thanks)
    return redirect("therapist_offers")
