"""The patient's sessions: book in their therapist's calendar, see, move and cancel them. The
therapist uses the same session page to see and cancel one (with a reason)."""

from datetime import date, datetime, timedelta
from functools import wraps
from itertools import groupby
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from scheduling import selectors, services
from scheduling.forms import BookingForm, CancelForm, MoveForm


def patient_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            raise Http404("patients only")
        return view(request, *args, **kwargs)

    return wrapper


def _week(value: str | None, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in ``zone``, of the week ``value`` names (any of its
    days, YYYY-MM-DD; ``?week=``) or of this week; never a week already over."""
    today = now.astimezone(zone).date()
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        raise Http404("not a date") from None
    monday = max(day, today) - timedelta(days=max(day, today).weekday())
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    return start, end


def _slot_days(slots: list[datetime], zone: ZoneInfo) -> list[tuple[date, list[datetime]]]:
    local = [slot.astimezone(zone) for slot in slots]
    return [(day, list(group)) for day, group in groupby(local, key=lambda s: s.date())]


def _week_context(request, *, therapist, zone, now, exclude_pk=None) -> dict:
    start, end = _week(request.GET.get("week"), zone, now)
    free = selectors.free_slots_between(
        therapist=therapist, now=now, start=start, end=end, exclude_pk=exclude_pk
    )
    this_monday = _week(None, zone, now)[0]
    return {
        "days": _slot_days(free, zone),
        "week_start": start,
        "week_last_day": (end - timedelta(days=1)).date(),
        "previous_week": (start - timedelta(days=7)).date() if start > this_monday else None,
        "next_week": end.date(),
        "zone_name": str(zone),
        "therapist": therapist,
    }


@patient_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    match = selectors.patient_current_match(patient=request.user)
    if match is None:
        messages.info(request, _("You can book sessions once you are matched with a therapist."))
        return redirect("home")
    therapist, now = match.therapist, timezone.now()
    zone = ZoneInfo(request.user.time_zone)
    form = BookingForm(request.POST or None, modalities=therapist.modalities)
    status, nearest = 200, []
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        try:
            appointment = services.appointment_book(
                patient=request.user,
                starts_at=starts_at,
                modality=form.cleaned_data["modality"],
                therapist=therapist,
            )
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
            return redirect("session_detail", pk=appointment.pk)
    if form.errors and status == 200:
        status = 422
    context = _week_context(request, therapist=therapist, zone=zone, now=now)
    context |= {"form": form, "nearest": nearest, "action": reverse("book_session")}
    return render(request, "scheduling/book.html", context, status=status)


@login_required
@require_safe
def my_sessions(request: HttpRequest) -> HttpResponse:
    sessions = selectors.sessions_for_user(user=request.user, now=timezone.now())
    return render(request, "scheduling/sessions.html", sessions)


@login_required
@require_safe
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
    return render(request, "scheduling/session.html", _detail_context(request, appointment))


def _detail_context(request, appointment, cancel_form=None) -> dict:
    options = selectors.appointment_options(
        appointment=appointment, user=request.user, now=timezone.now()
    )
    return options | {
        "appointment": appointment,
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "cancel_form": cancel_form or CancelForm(),
    }


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
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
def session_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    if not selectors.appointment_options(appointment=appointment, user=request.user, now=now)[
        "can_move"
    ]:
        messages.info(request, _("This session can no longer be moved."))
        return redirect("session_detail", pk=appointment.pk)
    zone = ZoneInfo(request.user.time_zone)
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
        request, therapist=appointment.therapist, zone=zone, now=now, exclude_pk=appointment.pk
    )
    context |= {
        "form": form,
        "nearest": nearest,
        "moving": appointment,
        "action": reverse("session_move", kwargs={"pk": appointment.pk}),
    }
    return render(request, "scheduling/book.html", context, status=status)


urlpatterns = [
    path("sessions/", my_sessions, name="my_sessions"),
    path("sessions/book/", book, name="book_session"),
    path("sessions/<int:pk>/", session_detail, name="session_detail"),
    path("sessions/<int:pk>/cancel/", session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/move/", session_move, name="session_move"),
]
