"""The Privacy page (``/privacy/``): one page gathering what each app lets a person see and do
about their data, a section per right. The roof composes it, as it does the dashboards, so any
app (below or above the access log) can add a section.

To add one: write a function ``(request) -> Section | None`` (None: not for this user), and a
template that reads its ``context`` as ``data``; add the function to ``SECTIONS`` in the order
the page shows them. docs/features.md, *Privacy and security*, lists them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts import presenters as accounts_presenters
from accounts import selectors as accounts
from accounts.decorators import UserRequest
from audit import presenters as audit_presenters
from audit import selectors as audit
from teletherapy.erasure import selectors as erasure
from teletherapy.exports import selectors as exports
from teletherapy.exports.views import ANCHOR as EXPORT_ANCHOR

# How many of the latest reads the Privacy page shows before "See the whole record".
ACCESS_LOG_LATEST = 5
# How many sessions it lists before "See them and sign them out".
SESSIONS_LATEST = 3


@dataclass(frozen=True)
class Section:
    anchor: str  # the section's id in the page (a link to /privacy/#anchor opens it)
    title: str
    template: str  # included with ``data`` = ``context``
    context: dict = field(default_factory=dict)


def who_saw_my_record(request: UserRequest) -> Section | None:
    """Patients: the latest reads of their record by anyone else (three queries)."""
    if not request.user.is_patient:
        return None
    log = audit.access_log_for_patient(patient=request.user)
    entries = list(log[:ACCESS_LOG_LATEST])
    rows = audit_presenters.access_rows(entries, audit.therapist_names(entries=entries))
    total = len(entries) if len(entries) < ACCESS_LOG_LATEST else log.count()
    return Section(
        anchor="who-saw-my-record",
        title=_("Who saw my record"),
        template="audit/privacy/_access_log.html",
        context={"rows": rows, "total": total},
    )


def download_my_data(request: UserRequest) -> Section:
    """Everyone: a copy of their data, its progress, its download (two queries)."""
    return Section(
        anchor=EXPORT_ANCHOR,
        title=_("Download my data"),
        template="exports/privacy/_export.html",
        context=exports.privacy_section(user=request.user, now=timezone.now()),
    )


def where_you_are_signed_in(request: UserRequest) -> Section:
    """Everyone: the browsers logged in to the account (one query, and one per other session,
    to check it is still good), this one first."""
    sessions = accounts.login_sessions_for_user(
        user=request.user, current_key=request.session.session_key
    )
    return Section(
        anchor="where-you-are-signed-in",
        title=_("Where you are signed in"),
        template="accounts/privacy/_sessions.html",
        context={
            "rows": accounts_presenters.login_session_rows(sessions[:SESSIONS_LATEST]),
            "count": len(sessions),
        },
    )


def what_you_accepted(request: UserRequest) -> Section | None:
    """Patients and therapists: the versions of the legal documents they accepted, and when
    (one query)."""
    acceptances = accounts.legal_acceptances_for_user(user=request.user)
    if not acceptances:
        return None
    language = translation.get_language() or settings.LANGUAGE_CODE
    return Section(
        anchor="what-you-accepted",
        title=_("What you accepted"),
        template="accounts/privacy/_accepted.html",
        context={"rows": accounts_presenters.accepted_rows(acceptances, language=language)},
    )


def delete_my_account(request: UserRequest) -> Section | None:
    """Patients: deleting their account, or the grace period under way (one query); partners:
    deleting theirs, at once."""
    if request.user.is_partner:
        return Section(
            anchor="delete-my-account",
            title=_("Delete my account"),
            template="erasure/privacy/_delete_partner.html",
            context={},
        )
    if not request.user.is_patient:
        return None
    return Section(
        anchor="delete-my-account",
        title=_("Delete my account"),
        template="erasure/privacy/_delete.html",
        context={"state": erasure.erasure_state(user=request.user)},
    )


SECTIONS: list[Callable[[UserRequest], Section | None]] = [
    who_saw_my_record,
    download_my_data,
    where_you_are_signed_in,
    what_you_accepted,
    delete_my_account,
]


@login_required
@require_safe
def privacy(request: UserRequest) -> HttpResponse:
    sections = [section for build in SECTIONS if (section := build(request)) is not None]
    return render(request, "audit/privacy.html", {"sections": sections})
