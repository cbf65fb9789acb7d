"""The session room page, and the way in from a session (the room's address is its token)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import UserRequest, approved_therapist_required
from accounts.models import TherapistProfile
from core.htmx import is_htmx
from core.middleware import CALL_PERMISSIONS_POLICY
from scheduling.models import RoomState
from scheduling.selectors import appointment_get_for_partner, appointment_get_for_user
from sessions_video import selectors, services
from sessions_video.forms import LateForm
from sessions_video.ice import rtc_configuration_for


@login_required
@require_safe
def room_enter(request: UserRequest, pk: int) -> HttpResponse:
    """From a booked session of this user (or a couples session they are the invited partner
    of) to its room (made on first use); 404 otherwise."""
    appointment = appointment_get_for_user(user=request.user, pk=pk) or appointment_get_for_partner(
        user=request.user, pk=pk
    )
    if appointment is None or not appointment.is_booked:
        raise Http404
    room = services.room_for(appointment=appointment)
    return redirect("session_room", token=room.token)


@never_cache  # the address is a key to the room
@login_required
@require_safe
def session_room(request: UserRequest, token: str) -> HttpResponse:
    """The room while it is open; before, when it opens; after, that the session has ended.
    Its two parties only (404 for anyone else, and for a cancelled session)."""
    room = selectors.room_get_for_user(user=request.user, token=token)
    if room is None:
        raise Http404
    appointment = room.appointment
    state = appointment.room_state_at(timezone.now())
    is_open = state == RoomState.OPEN
    role = selectors.room_role(room=room, user_id=request.user.pk)
    other_party = (
        appointment.therapist.display_name
        if role != selectors.THERAPIST
        else appointment.patient.patient_profile.display_name
    )
    couples = (
        selectors.room_couples(appointment_id=appointment.pk) if room.has_waiting_room else None
    )
    names = {
        selectors.THERAPIST: appointment.therapist.display_name,
        selectors.PATIENT: appointment.patient.patient_profile.display_name,
        selectors.PARTNER: (couples.nickname if couples else "") or _("The partner"),
    }
    context = {
        "room": room,
        "appointment": appointment,
        "is_open": is_open,
        "not_yet": state == RoomState.LATER,
        "opens_at": appointment.room_opens_at,
        "opens_minutes_before": int(appointment.room_opens_before().total_seconds() // 60),
        "other_party": other_party,
        "socket_path": f"/ws/room/{room.token}/",
        # For call.js, through json_script (a data block, which CSP does not execute).
        "rtc_configuration": rtc_configuration_for(request.user) if is_open else {},
        "chat_lines": selectors.room_chat_lines(room=room, user=request.user) if is_open else [],
        "role": role,
        # A couples session: three in the room, each shown by their name for the others.
        "couples": couples,
        "names": names,
        # The two others of a couples session, in a fixed order: (role, name).
        "others": [(other, name) for other, name in names.items() if other != role],
        # For the waiting room (call.js, through json_script): what the patient is told when
        # the therapist says they are late, by delay.
        "late_texts": {
            minutes: ngettext(
                "%(name)s is running late: they will be with you in about %(minutes)s minute. "
                "Thank you for waiting.",
                "%(name)s is running late: they will be with you in about %(minutes)s minutes. "
                "Thank you for waiting.",
                minutes,
            )
            % {"name": other_party, "minutes": minutes}
            for minutes in services.LATE_MINUTES
        },
    }
    response = render(request, "sessions_video/room.html", context)
    response["Referrer-Policy"] = "no-referrer"
    # The one kind of page that may ask for the camera and the microphone.
    response["Permissions-Policy"] = CALL_PERMISSIONS_POLICY
    return response


@approved_therapist_required
@require_POST
def session_late(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    """The therapist tells the patient waiting for a session whose room is open that they will
    be a few minutes late (the dashboard's buttons). 404 for a session not theirs; 400 with
    the reason for a delay not offered, a room not open, a session already started."""
    appointment = appointment_get_for_user(user=request.user, pk=pk)
    if appointment is None or appointment.therapist_id != request.user.pk:
        raise Http404
    form = LateForm(request.POST)
    problem: str | None = None
    if not form.is_valid():
        problem = str(form.errors["minutes"][0])
    else:
        try:
            services.room_late(
                appointment=appointment,
                user=request.user,
                minutes=form.cleaned_data["minutes"],
                now=timezone.now(),
            )
        except ValidationError as error:
            problem = error.messages[0]
    if problem is not None:
        if is_htmx(request):
            return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, problem)
        return redirect("home")
    if is_htmx(request):
        return HttpResponse(status=204)  # the dashboard's sessions follow (htmx.changed)
    messages.success(request, _("Your patient is told."))
    return redirect("home")
