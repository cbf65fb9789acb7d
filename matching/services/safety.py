"""Signs of risk: a flag for staff to follow up, and one email to staff that says only that a
case needs attention (never who, nor what was answered)."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from accounts.models import User
from accounts.selectors import staff_emails
from core.mail import send_templated_mail, site_link
from matching.models import Intake, SafetyFlag


def safety_flags_raise(
    *, patient: User, reasons: Sequence[str], now: datetime, intake: Intake | None = None
) -> list[SafetyFlag]:
    """Flag the case for each of ``reasons`` (``SafetyFlag.Reason``), answered in ``intake``
    or, without one, in a check-in; staff are emailed once, after commit, whatever the count."""
    flags = [
        SafetyFlag.objects.create(patient=patient, intake=intake, reason=reason, created_at=now)
        for reason in reasons
    ]
    if flags:
        source = "intake" if intake is not None else "checkin"
        _email_staff(source=source)
    return flags


def _email_staff(*, source: str) -> None:
    send_templated_mail(
        template="emails/staff_safety_flag.txt",
        to=staff_emails(),
        language=settings.LANGUAGE_CODE,
        context={"source": source, "link": site_link("admin:matching_safetyflag_changelist")},
    )
