"""Privacy → Delete my account: ask (the password again), see the grace period, keep the
account. Patients, and partners (whose account goes at once); 404 for anyone else. Each acts on
their own account only, never one named in the address."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import UserRequest, patient_required
from teletherapy.erasure import selectors, services
from teletherapy.erasure.forms import ErasureRequestForm


@login_required
@require_http_methods(["GET", "POST"])
def privacy_delete(request: UserRequest) -> HttpResponse:
    if request.user.is_partner:
        return _partner_delete(request)
    if not request.user.is_patient:
        raise Http404("patients and partners only")
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


def _partner_delete(request: UserRequest) -> HttpResponse:
    """A partner's account goes at once (``services.partner_erasure``)."""
    form = ErasureRequestForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "erasure/delete_partner.html", {"form": form}, status=422)
        services.partner_erasure(partner=request.user)
        logout(request)
        return render(request, "erasure/partner_deleted.html")
    return render(request, "erasure/delete_partner.html", {"form": form})
