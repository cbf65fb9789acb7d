"""The patient's journal: write, rewrite, delete, share an entry with their therapist and take
it back. Every page and action is the patient's own (404 for anyone else's entry)."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import UserRequest, patient_required
from matching import forms, selectors, services
from matching.models import JournalEntry


def _entry(request: UserRequest, pk: int) -> JournalEntry:
    entry = selectors.journal_entry_get_for_patient(patient=request.user, pk=pk)
    if entry is None:
        raise Http404
    return entry


def _kept(form: forms.JournalEntryForm, save) -> bool:
    """Whether ``save(body=…, mood=…, tags=…, now=…)`` kept the form's entry; if the service
    refused it, its reasons are on the form."""
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data, now=timezone.now())
    except ValidationError as error:
        form.add_error(None, error)  # beside its fields
        return False
    return True


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def journal(request: UserRequest) -> HttpResponse:
    """The journal: a new entry on top, then every entry, newest first, with the mood chart."""
    form = forms.JournalEntryForm(request.POST or None)
    if request.method == "POST" and _kept(
        form, partial(services.journal_entry_write, patient=request.user)
    ):
        messages.success(request, _("Kept in your journal. Only you can read it."))
        return redirect("journal")
    entries = selectors.journal_entries_for_patient(patient=request.user)
    context = {
        "form": form,
        "entries": entries,
        "has_therapist": selectors.patient_has_therapist(patient=request.user),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "matching/journal.html", context, status=status)


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def journal_entry(request: UserRequest, pk: int) -> HttpResponse:
    """Rewrite one entry."""
    entry = _entry(request, pk)
    initial = {"body": entry.body, "mood": entry.mood, "tags": entry.tags}
    form = forms.JournalEntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and _kept(
        form, partial(services.journal_entry_change, entry=entry)
    ):
        messages.success(request, _("Your entry is saved."))
        return redirect("journal")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "matching/journal_entry.html", {"form": form, "entry": entry}, status=status
    )


@patient_required
@require_POST
def journal_entry_delete(request: UserRequest, pk: int) -> HttpResponse:
    services.journal_entry_delete(entry=_entry(request, pk))
    messages.success(request, _("The entry is deleted."))
    return redirect("journal")


@patient_required
@require_POST
def journal_entry_share(request: UserRequest, pk: int) -> HttpResponse:
    """``share=yes`` shares the entry with the patient's therapist; anything else takes it
    back."""
    entry = _entry(request, pk)
    if request.POST.get("share") == "yes":
        try:
            services.journal_entry_share(entry=entry, now=timezone.now())
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("journal")
        messages.success(request, _("Shared with your therapist."))
    else:
        services.journal_entry_unshare(entry=entry, now=timezone.now())
        messages.success(request, _("Taken back: your therapist no longer sees it."))
    return redirect("journal")
