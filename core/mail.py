"""Emails from templates: the one renderer every app sends through, into the outbox.

A template's first line is the subject, the rest the body. Whatever a template says, keep it
free of clinical content: emails are read on shared screens and kept by mail providers.
Nothing here talks to the mail server: ``send_templated_mail`` writes one outbox row per
recipient in the caller's transaction, and a worker sends it once that commits
(``core.outbox``).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core import tasks
from core.outbox import outbox_email_write


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str | bytes
    mimetype: str


def site_link(name: str, *args) -> str:
    """An absolute link for an email sent outside a request."""
    return settings.SITE_URL + reverse(name, args=args)


def render_email(template: str, context: dict) -> tuple[str, str]:
    """Subject (with the site's prefix) and body of ``template``, in the active language."""
    context = {"site_name": settings.SITE_NAME, **context}
    subject, _sep, body = render_to_string(template, context).strip().partition("\n")
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject.strip(), body.strip() + "\n"


def send_templated_mail(
    *,
    template: str,
    to: list[str],
    language: str,
    context: dict,
    time_zone: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    key: str | None = None,
    even_if_suppressed: bool = False,
    forget_when_done: bool = False,
) -> None:
    """Send one email from ``template`` in ``language`` (and times in ``time_zone``, when
    given), with ``attachments``, to each address of ``to``: written to the outbox now, sent
    after the current transaction commits. ``key``: the same key again (per address) sends
    nothing more, e.g. a reminder's id, so a sweep that runs twice emails once.

    Nothing goes to a suppressed address (``core.outbox.mail_suppress``) unless
    ``even_if_suppressed``; ``forget_when_done``: the outbox keeps no trace of it once sent."""
    if not to:
        return
    zone = ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    with translation.override(language), timezone.override(zone):
        subject, body = render_email(template, context)
    files = [(a.filename, a.content, a.mimetype) for a in attachments]
    for address in to:
        row = outbox_email_write(
            template=template,
            to=address,
            subject=subject,
            body=body,
            attachments=files,
            key=f"{key}:{address}" if key else None,
            even_if_suppressed=even_if_suppressed,
            forget_when_done=forget_when_done,
        )
        if row is not None:
            _deliver_after_commit(row.pk)


def send_message(message: EmailMessage, *, template: str) -> None:
    """Send an email another library rendered (allauth's) through the outbox, to each of its
    recipients. Its HTML alternative, if any, is dropped: the platform sends plain text."""
    for address in message.to:
        row = outbox_email_write(
            template=template,
            to=address,
            subject=str(message.subject),
            body=str(message.body),
        )
        if row is not None:
            _deliver_after_commit(row.pk)


def _deliver_after_commit(email_id: int) -> None:
    # Robust: should the broker be down, the outbox sweep sends it within a minute.
    transaction.on_commit(lambda: tasks.deliver_email.delay(email_id), robust=True)


def send_plain(*, template: str, to: list[str], subject: str, body: str) -> None:
    """An email written here rather than from a template (the server-error notice to ADMINS):
    through the outbox like every other. ``template`` names it for staff."""
    for address in to:
        row = outbox_email_write(template=template, to=address, subject=subject, body=body)
        if row is not None:
            _deliver_after_commit(row.pk)
