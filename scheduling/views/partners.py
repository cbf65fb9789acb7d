"""Couples sessions: the patient invites a partner to a session (or withdraws the invitation),
the partner opens the emailed link and accepts (making a minimal account, or with the one they
have), then finds the sessions they were invited to on a page of their own."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import UserRequest, patient_required
from accounts.models import User
from accounts.ratelimits import rate_limited
from accounts.selectors import legal_documents_for_role
from scheduling import calendar_files, selectors, services
from scheduling.forms.partners import PartnerAcceptForm, PartnerInviteForm, PartnerSignupForm
from scheduling.selectors import partners as partner_reads
from scheduling.views.booking import _appointment, _detail_context
from scheduling.views.feeds import _calendar_response

# What the invitation page says of a link that no longer works, and with which status.
UNUSABLE = {
    partner_reads.UNKNOWN: (
        404,
        gettext_lazy("This invitation link is not valid. Check that it was copied whole."),
    ),
    partner_reads.EXPIRED: (
        410,
        gettext_lazy(
            "This invitation has expired. Ask the person who invited you to invite you again."
        ),
    ),
    partner_reads.USED: (
        410,
        gettext_lazy(
            "This invitation has been used already. Log in to find the session among your sessions."
        ),
    ),
    partner_reads.WITHDRAWN: (
        410,
        gettext_lazy("This invitation was withdrawn by the person who sent it."),
    ),
    partner_reads.CANCELLED: (410, gettext_lazy("The session of this invitation was cancelled.")),
    partner_reads.OVER: (410, gettext_lazy("The session of this invitation is over.")),
}


def _unusable(request: HttpRequest, reason: str) -> HttpResponse:
    status, text = UNUSABLE[reason]
    return render(
        request, "scheduling/partner_invitation_unusable.html", {"problem": text}, status=status
    )


@patient_required
@require_POST
@rate_limited("booking")  # each invitation sends an email to an address the patient typed
def session_partner_invite(request: UserRequest, pk: int) -> HttpResponse:
    """The session's patient makes it a couples session, inviting their partner's address.
    404 for anyone else's session; 422 with the reason for an address or a session that will
    not do (nothing is written then)."""
    appointment = _appointment(request, pk)
    if appointment.patient_id != request.user.pk:
        raise Http404
    form = PartnerInviteForm(request.POST)
    if form.is_valid():
        try:
            services.partner_invite(
                appointment=appointment, by=request.user, email=form.cleaned_data["email"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(None if not hasattr(error, "error_dict") else "email", _first(error))
        else:
            messages.success(
                request, _("Your partner is invited: they will get an email with a link.")
            )
            return redirect("session_detail", pk=appointment.pk)
    context = _detail_context(request, appointment) | {"partner_form": form}
    return render(request, "scheduling/session.html", context, status=422)


def _first(error: ValidationError) -> str:
    return error.messages[0]


@patient_required
@require_POST
def session_partner_withdraw(request: UserRequest, pk: int) -> HttpResponse:
    """The session's patient withdraws the invitation (and so the partner, if they accepted)."""
    appointment = _appointment(request, pk)
    if appointment.patient_id != request.user.pk:
        raise Http404
    try:
        withdrawn = services.partner_invitation_withdraw(appointment=appointment, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _first(error))
        return redirect("session_detail", pk=appointment.pk)
    if withdrawn is not None:
        messages.success(request, _("The invitation is withdrawn."))
    return redirect("session_detail", pk=appointment.pk)


@never_cache  # the address is a key
@require_http_methods(["GET", "HEAD", "POST"])
def partner_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: what the partner is invited to and what is shared, and how to accept.
    Someone without an account makes a minimal one here; someone logged in with the invited
    address accepts with it. 404 for a link that never was, 410 for one expired, used or
    withdrawn, 404 for someone logged in with another address."""
    now = timezone.now()
    invitation = selectors.partner_invitation_by_token(token=token)
    problem = selectors.partner_invitation_problem(invitation=invitation, now=now)
    if problem is not None:
        return _unusable(request, problem)
    assert invitation is not None
    user = request.user
    context: dict = {"invitation": invitation, "appointment": invitation.appointment}
    if user.is_authenticated:
        assert isinstance(user, User)
        if not selectors.partner_invitation_is_for(invitation=invitation, user=user):
            return render(
                request,
                "scheduling/partner_invitation_unusable.html",
                {
                    "problem": _(
                        "This invitation was sent to another email address. Log out, then "
                        "open the link again."
                    )
                },
                status=404,
            )
        return _accept_logged_in(request, user, token, invitation, context)
    documents = legal_documents_for_role(role=User.Role.PARTNER, now=now)
    form = PartnerSignupForm(request.POST or None, email=invitation.email, documents=documents)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _invitation, partner = services.partner_invitation_accept_new(
                    token=token,
                    nickname=form.cleaned_data["nickname"],
                    password=form.cleaned_data["password1"],
                    language=translation.get_language() or "",
                    time_zone=form.cleaned_data["time_zone"],
                    documents=form.accepted_documents(),
                )
            except services.InvitationUnusable as unusable:
                return _unusable(request, unusable.reason)
            except ValidationError as error:
                form.add_error(None, _first(error))
            else:
                login(request, partner, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome. The session is among your sessions."))
                return redirect("partner_sessions")
        status = 422
    login_url = reverse("account_login") + "?next=" + request.path
    context |= {
        "form": form,
        "login_url": login_url,
        "has_account": selectors.partner_invitation_has_account(invitation=invitation),
    }
    return render(request, "scheduling/partner_invitation.html", context, status=status)


def _accept_logged_in(request, user, token, invitation, context) -> HttpResponse:
    form = PartnerAcceptForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.partner_invitation_accept(
                    token=token, user=user, nickname=form.cleaned_data["nickname"]
                )
            except services.InvitationUnusable as unusable:
                return _unusable(request, unusable.reason)
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                form.add_error(None, _first(error))
            else:
                messages.success(request, _("Accepted. The session is among your sessions."))
                return redirect("partner_sessions")
        context |= {"form": form}
        return render(request, "scheduling/partner_invitation.html", context, status=422)
    context |= {"form": form}
    return render(request, "scheduling/partner_invitation.html", context)


@login_required
@require_safe
def partner_sessions(request: UserRequest) -> HttpResponse:
    """The sessions this person was invited to as a partner and accepted (nothing else)."""
    sessions = selectors.partner_sessions_for(user=request.user, now=timezone.now())
    return render(request, "scheduling/partner_sessions.html", sessions)


@login_required
@require_safe
def partner_session_ics(request: UserRequest, pk: int) -> HttpResponse:
    """One session the partner was invited to, as a file to import; 404 for anyone else."""
    appointment = selectors.appointment_get_for_partner(user=request.user, pk=pk)
    if appointment is None:
        raise Http404
    method = calendar_files.PUBLISH if appointment.is_booked else calendar_files.CANCEL
    content = calendar_files.appointment_ics(appointment, method=method, viewer=request.user)
    return _calendar_response(content, download=True)
