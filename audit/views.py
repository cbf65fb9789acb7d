"""The patient's *Who saw my record* (Privacy): every read of their record by someone else,
newest first, a page at a time. Patients only; anyone else gets 404."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import UserRequest, patient_required
from audit import presenters, selectors

PER_PAGE = 25


@patient_required
@require_safe
def access_log(request: UserRequest) -> HttpResponse:
    """A fixed number of queries per page: the count, the page's entries, the therapists'
    names. Any ``?page=`` gives a page (the first for nonsense, the last past the end)."""
    paginator = Paginator(selectors.access_log_for_patient(patient=request.user), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    entries = list(page.object_list)
    rows = presenters.access_rows(entries, selectors.therapist_names(entries=entries))
    return render(request, "audit/access_log.html", {"page": page, "rows": rows})
