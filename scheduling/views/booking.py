"""The patient's sessions: book in their therapist's calendar, see, move and cancel them. The
therapist uses the same session page to see and cancel one (with a reason)."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.choices import Modality
from accounts.decorators import UserRequest, patient_required
from accounts.models import TherapistProfile
from accounts.ratelimits import rate_limited
from scheduling import selectors, services, weeks
from scheduling.forms.booking import BookingForm, CancelForm, MoveForm
from scheduling.forms.partners import PartnerInviteForm
from scheduling.models import Appointment
from scheduling.selectors.booking import booking_week


def _week_context(
    request: UserRequest,
    *,
    therapist: TherapistProfile,
    now,
    exclude_pk: int | None = None,
) -> dict:
    try:
        day = weeks.parse_week(request.GET.get("week"))
    except weeks.BadWeek:
        raise Http404("not a week") from None
    zone = ZoneInfo(request.user.time_zone)
    week = booking_week(therapist=therapist, zone=zone, now=now, day=day, exclude_pk=exclude_pk)
    return {"week": week, "zone_name": str(zone), "therapist": therapist}


def _appointment(request: UserRequest, pk: int) -> Appointment:
    """The appointment of the URL if the user may see it, ready for a page; 404 otherwise."""
    appointment = selectors.appointment_get_for_user(user=request.user, pk=pk, now=timezone.now())
    if appointment is None:
        raise Http404
    return appointment


class _PartnerRefused(Exception):
    """The partner could not be invited with the booking: neither is made."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


def _invite_with_booking(appointment: Appointment, patient, email: str) -> None:
    try:
        services.partner_invite(appointment=appointment, by=patient, email=email)
    except ValidationError as error:
        raise _PartnerRefused(error) from error


@patient_required
@require_http_methods(["GET", "POST"])
@rate_limited("booking")
def book(request: UserRequest) -> HttpResponse:
    match = selectors.patient_current_match(patient=request.user)
    if match is None:
        messages.info(request, _("You can book sessions once you are matched with a therapist."))
        return redirect("home")
    therapist, now = match.therapist, timezone.now()
    form = BookingForm(request.POST or None, modalities=therapist.modalities)
    status, nearest = 200, []
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        partner_email = form.cleaned_data.get("partner_email")
        try:
            # A couples session's invitation goes with its booking, or neither is made.
            with transaction.atomic():
                appointment = services.appointment_book(
                    patient=request.user,
                    starts_at=starts_at,
                    modality=form.cleaned_data["modality"],
                    therapist=therapist,
                )
                if partner_email:
                    _invite_with_booking(appointment, request.user, partner_email)
        except _PartnerRefused as refused:
            form.add_error("partner_email", refused.error.messages[0])
        except PermissionDenied:
            messages.info(request, _("Your therapist has changed: book with your new therapist."))
            return redirect("home")
        except services.SlotTaken as taken:
            form.add_error("starts_at", taken)
            nearest = selectors.nearest_free_slots(therapist=therapist, around=starts_at, now=now)
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Your session is booked. A confirmation email is on its way.")
            )
            if partner_email:
                messages.success(
                    request, _("Your partner is invited: they will get an email with a link.")
                )
            return redirect("session_detail", pk=appointment.pk)
    if form.errors and status == 200:
        status = 422
    context = _week_context(request, therapist=therapist, now=now)
    context |= {"form": form, "nearest": nearest, "action": reverse("book_session")}
    return render(request, "scheduling/book.html", context, status=status)


@login_required
@require_safe
def my_sessions(request: UserRequest) -> HttpResponse:
    if request.user.is_partner:
        return redirect("partner_sessions")  # the only sessions a partner has
    sessions = selectors.sessions_for_user(user=request.user, now=timezone.now())
    return render(request, "scheduling/sessions.html", sessions)


@login_required
@require_safe
def session_detail(request: UserRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    return render(request, "scheduling/session.html", _detail_context(request, appointment))


def _detail_context(
    request: UserRequest, appointment: Appointment, cancel_form: CancelForm | None = None
) -> dict:
    options = selectors.appointment_options(
        appointment=appointment, user=request.user, now=timezone.now()
    )
    return options | {
        "appointment": appointment,
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "cancel_form": cancel_form or CancelForm(),
        # A couples session: its invitation, and the form that makes one (its patient's).
        "partner_invitation": selectors.partner_invitation_live(appointment_id=appointment.pk),
        "can_invite_partner": options["is_patient"]
        and options["upcoming"]
        and appointment.modality in (Modality.VIDEO, Modality.PHONE),
        "partner_form": PartnerInviteForm(),
    }


@login_required
@require_POST
def session_cancel(request: UserRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session is cancelled."))
            return redirect("session_detail", pk=appointment.pk)
    context = _detail_context(request, appointment, cancel_form=form)
    return render(request, "scheduling/session.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("booking")
def session_move(request: UserRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    now = timezone.now()
    if not selectors.appointment_options(appointment=appointment, user=request.user, now=now)[
        "can_move"
    ]:
        messages.info(request, _("This session can no longer be moved."))
        return redirect("session_detail", pk=appointment.pk)
    form = MoveForm(request.POST or None)
    status, nearest = 200, []
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        try:
            services.appointment_reschedule(
                appointment=appointment, starts_at=starts_at, by=request.user
            )
        except PermissionDenied:
            raise Http404 from None
        except services.SlotTaken as taken:
            form.add_error("starts_at", taken)
            nearest = selectors.nearest_free_slots(
                therapist=appointment.therapist,
                around=starts_at,
                now=now,
                exclude_pk=appointment.pk,
            )
            status = 409
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The session has moved."))
            return redirect("session_detail", pk=appointment.pk)
    if form.errors and status == 200:
        status = 422
    context = _week_context(
        request, therapist=appointment.therapist, now=now, exclude_pk=appointment.pk
    )
    context |= {
        "form": form,
        "nearest": nearest,
        "moving": appointment,
        "action": reverse("session_move", kwargs={"pk": appointment.pk}),
    }
    return render(request, "scheduling/book.html", context, status=status)
