"""The therapist's private notes on one session: ``/practice/sessions/<pk>/notes/``. The
appointment's own approved therapist only; anyone else gets 404.

The note and its addenda each post to their own URL. With htmx the answer is the notes part of
the page and a status line swapped out of band; a saved note only changes its version, when it
was saved and the status line, so the editor keeps its text and caret. The site's htmx swaps
2xx and 422 answers only, so with htmx every refusal answers 422. Without JavaScript: a redirect
back with a message, or the whole page (422 for what was typed; 409 when the note locked or was
saved elsewhere since the page was opened). A refused text is always shown back, never lost.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import approved_therapist_required
from accounts.models import TherapistProfile
from core.htmx import is_htmx
from scheduling.forms.notes import AddendumForm, SessionNoteForm
from scheduling.models import Appointment
from scheduling.selectors import notes as selectors
from scheduling.services import notes as services

TEMPLATE = "scheduling/practice/notes.html"
PART = "notes"  # the section holding the partial "notes-body" and the status line "notes-status"


def _context(
    profile: TherapistProfile,
    appointment: Appointment,
    *,
    note_form: SessionNoteForm | None = None,
    addendum_form: AddendumForm | None = None,
    refusal: str = "",
    kept: str = "",
    show_saved: bool = False,
) -> dict:
    """``refusal``: why the last post was refused; ``kept``: its text when no form shows it;
    ``show_saved``: show the saved note above the editor (it changed under the editor)."""
    notes = selectors.session_notes_for(
        therapist=profile, appointment=appointment, now=timezone.now()
    )
    return {
        "appointment": appointment,
        "notes": notes,
        "time_zone": profile.user.time_zone,
        "editable_hours": settings.SESSION_NOTES_EDITABLE_HOURS,
        "note_form": note_form
        or SessionNoteForm(initial={"body": notes.body, "version": notes.version}),
        "addendum_form": addendum_form or AddendumForm(),
        "refusal": refusal,
        "kept": kept,
        "show_saved": show_saved,
    }


def _answer(
    request: HttpRequest,
    profile: TherapistProfile,
    appointment: Appointment,
    *,
    status: int,
    **extra,
) -> HttpResponse:
    context = _context(profile, appointment, **extra)
    if is_htmx(request):
        return render(request, f"{TEMPLATE}#{PART}-answer", context, status=422)
    return render(request, TEMPLATE, context, status=status)


def _done(
    request: HttpRequest, profile: TherapistProfile, appointment: Appointment, message: str
) -> HttpResponse:
    if is_htmx(request):
        context = _context(profile, appointment) | {"status_message": message}
        return render(request, f"{TEMPLATE}#{PART}-answer", context)
    messages.success(request, message)
    return redirect(reverse("session_notes", kwargs={"pk": appointment.pk}) + "#" + PART)


def _appointment(profile: TherapistProfile, pk: int) -> Appointment:
    appointment = selectors.appointment_get_for_notes(therapist=profile, pk=pk)
    if appointment is None:
        raise Http404
    return appointment


def _saved_at(profile: TherapistProfile) -> str:
    return time_format(timezone.localtime(timezone=ZoneInfo(profile.user.time_zone)), "H:i")


@approved_therapist_required
@never_cache
@require_safe
def session_notes(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    appointment = _appointment(profile, pk)
    return render(request, TEMPLATE, _context(profile, appointment))


@approved_therapist_required
@never_cache
@require_POST
def session_note_save(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    appointment = _appointment(profile, pk)
    form = SessionNoteForm(request.POST)
    if not form.is_valid():  # only the hidden version can be wrong: a form from elsewhere
        refusal = _("This form is out of date: reload the page. Your text is kept below.")
        return _answer(
            request, profile, appointment, status=422, refusal=refusal, kept=form.data.get("body")
        )
    body = form.cleaned_data["body"]
    try:
        services.session_note_save(
            therapist=profile,
            appointment=appointment,
            body=body,
            version=form.cleaned_data["version"],
        )
    except services.NoteLocked as locked:
        # What they typed goes into the addendum form: one click adds it, dated.
        return _answer(
            request,
            profile,
            appointment,
            status=409,
            refusal=locked.messages[0],
            addendum_form=AddendumForm(initial={"body": body}),
        )
    except services.NoteChanged as changed:
        editor = SessionNoteForm(initial={"body": body, "version": changed.note.version})
        return _answer(
            request,
            profile,
            appointment,
            status=409,
            refusal=changed.messages[0],
            note_form=editor,
            show_saved=True,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):  # the text itself: beside the editor
            form.add_error(None, error)
            return _answer(request, profile, appointment, status=422, note_form=form)
        return _answer(
            request, profile, appointment, status=422, refusal=error.messages[0], kept=body
        )
    message = _("Note saved at %(time)s.") % {"time": _saved_at(profile)}
    if is_htmx(request):
        # The editor stays as it is (its text, the caret, the focus): only its version, when it
        # was saved and the status line change.
        context = {
            "notes": selectors.session_notes_for(
                therapist=profile, appointment=appointment, now=timezone.now()
            ),
            "time_zone": profile.user.time_zone,
            "status_message": message,
        }
        response = render(request, f"{TEMPLATE}#note-saved", context)
        response["HX-Reswap"] = "none"
        return response
    return _done(request, profile, appointment, message)


@approved_therapist_required
@never_cache
@require_POST
def session_note_addendum_add(
    request: HttpRequest, profile: TherapistProfile, pk: int
) -> HttpResponse:
    appointment = _appointment(profile, pk)
    form = AddendumForm(request.POST)
    form.is_valid()  # one optional text field: always valid; the service judges it
    body = form.cleaned_data["body"]
    try:
        services.session_note_addendum_add(therapist=profile, appointment=appointment, body=body)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            form.add_error(None, error)
            return _answer(request, profile, appointment, status=422, addendum_form=form)
        return _answer(
            request, profile, appointment, status=422, refusal=error.messages[0], kept=body
        )
    return _done(request, profile, appointment, _("Addendum added."))
