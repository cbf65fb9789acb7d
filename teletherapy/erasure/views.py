"""Privacy → Delete my account: ask (the password again), see the grace period, keep the
account. Patients only (404 for anyone else); each acts on their own account only, never one
named in the address."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import UserRequest, patient_required
from teletherapy.erasure import selectors, services
from teletherapy.erasure.forms import ErasureRequestForm


@patient_required
@require_http_methods(["GET", "POST"])
def privacy_delete(request: UserRequest) -> HttpResponse:
    state = selectors.erasure_state(user=request.user)
    if state.pending:
        return render(request, "erasure/pending.html", {"state": state})
    form = ErasureRequestForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not form.is_valid():
            context = {"form": form, "state": state}
            return render(request, "erasure/delete.html", context, status=422)
        due_at = services.erasure_request(patient=request.user)
        logout(request)  # every other session ended with the request
        return render(request, "erasure/requested.html", {"due_at": due_at})
    return render(request, "erasure/delete.html", {"form": form, "state": state})


@patient_required
@require_POST
def privacy_delete_cancel(request: UserRequest) -> HttpResponse:
    if services.erasure_cancel(patient=request.user):
        request.session.pop(selectors.ERASURE_PENDING_SESSION_KEY, None)
        messages.success(request, _("Your account is yours again: nothing was deleted."))
        return redirect("home")
    messages.info(request, _("Your account is not being deleted: there is nothing to cancel."))
    return redirect("privacy_delete")
