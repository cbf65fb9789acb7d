"""The therapist's side of offers: the patients proposed to them, to accept or decline."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.choices import THERAPY_LANGUAGES
from accounts.decorators import approved_therapist_required
from accounts.models import TherapistProfile
from matching import selectors, services
from matching.choices import TimeOfDay, Weekday
from matching.models import Intake, Offer
from matching.reasons import reason_texts


class OfferDeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why are you declining?"),
        help_text=gettext_lazy(
            "Only our team reads it; the person is never told. A few words are enough."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Give a reason for declining; only our team reads it.")
        },
    )


def time_left(remaining: timedelta) -> str:
    """The time left to answer, in words: "3 h 20 min left"."""
    minutes = int(remaining.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute left")
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min left") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min left") % {"hours": hours, "minutes": minutes}


def _offer_state(offer: Offer, now) -> str:
    """The offer's status, with "expired" as soon as its time is up (before the sweep)."""
    if offer.status == Offer.Status.PENDING and offer.expires_at <= now:
        return Offer.Status.EXPIRED
    return offer.status


def _preferences(intake: Intake) -> list[tuple[str, str]]:
    """What the patient asked for, as (label, answer) pairs."""
    languages = dict(THERAPY_LANGUAGES)
    modality = intake.get_modality_display()
    if intake.modality_required:
        modality = _("%(modality)s (only this)") % {"modality": modality}
    days = [Weekday(int(day)).label for day in intake.preferred_days]
    times = [TimeOfDay(code).label for code in intake.preferred_times if code in TimeOfDay.values]
    no_preference = _("No preference")
    return [
        (_("Therapist's gender"), intake.get_therapist_gender_display() or no_preference),
        (_("LGBT+-specialised"), _("Yes") if intake.wants_lgbt_specialist else _("No")),
        (_("Faith-based practice"), intake.get_faith_display() or _("No")),
        (
            _("Languages, in order of preference"),
            ", ".join(str(languages.get(code, code)) for code in intake.languages),
        ),
        (_("Country and time zone"), f"{intake.country.name} · {intake.time_zone}"),
        (_("Modality"), modality),
        (_("Days"), ", ".join(str(day) for day in days) or no_preference),
        (_("Times of day"), ", ".join(str(time) for time in times) or no_preference),
    ]


@approved_therapist_required
@require_safe
def offer_list(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    now = timezone.now()
    offers = selectors.therapist_pending_offers(therapist=profile, now=now)
    rows = [{"offer": offer, "time_left": time_left(offer.expires_at - now)} for offer in offers]
    return render(request, "matching/offers/list.html", {"rows": rows})


def _detail(
    request: HttpRequest, offer: Offer, form: OfferDeclineForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    state = _offer_state(offer, now)
    nickname = offer.request.patient.patient_profile.nickname
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
            "preferences": _preferences(intake),
            "reasons": reason_texts(offer.reasons),
            "form": form or OfferDeclineForm(),
        }
    return render(request, "matching/offers/detail.html", context, status=status)


@approved_therapist_required
@require_safe
def offer_detail(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    return _detail(request, selectors.offer_get_for_therapist(therapist=profile, pk=pk))


@approved_therapist_required
@require_POST
def offer_accept(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_therapist(therapist=profile, pk=pk)
    try:
        match = services.offer_accept(offer_id=offer.pk, therapist=request.user)
    except services.OfferError as error:
        messages.error(request, str(error))
        return redirect("offer_detail", pk=offer.pk)
    messages.success(
        request,
        _("You are now working with %(nickname)s. They have been told.")
        % {"nickname": offer.request.patient.patient_profile.nickname},
    )
    return redirect("therapist_patient", patient_id=match.patient_id)


@approved_therapist_required
@require_POST
def offer_decline(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_therapist(therapist=profile, pk=pk)
    form = OfferDeclineForm(request.POST)
    if not form.is_valid():
        return _detail(request, offer, form=form, status=422)
    try:
        services.offer_decline(
            offer_id=offer.pk, therapist=request.user, reason=form.cleaned_data["reason"]
        )
    except services.OfferError as error:
        messages.error(request, str(error))
        return redirect("offer_detail", pk=offer.pk)
    messages.success(request, _("Thank you for answering. We are proposing them to someone else."))
    return redirect("therapist_offers")
