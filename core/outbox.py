"""Sending what the outbox holds: once per row, with retries and backoff.

``outbox_deliver`` sends one row under its row lock (``skip_locked``: two workers never send
the same row), and marks it sent in the same transaction; a worker killed mid-send leaves the
row pending, to be sent again by the sweep. That is at-least-once at the SMTP boundary — the
only kind that exists — and exactly once otherwise. A failure schedules the next attempt
(1, 2, 4 … minutes, at most an hour apart); after OUTBOX_MAX_ATTEMPTS the row is given up and
stays for staff to see.
"""

import base64
import hashlib
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core import crypto
from core.models import MailSuppression, OutboxEmail

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def outbox_email_write(
    *,
    template: str,
    to: str,
    subject: str,
    body: str,
    attachments: list[tuple[str, str | bytes, str]] = (),  # type: ignore[assignment]
    key: str | None = None,
    even_if_suppressed: bool = False,
    forget_when_done: bool = False,
) -> OutboxEmail | None:
    """Keep one email to send, encrypted; None when an email with this ``key`` exists already,
    or when the address is suppressed (``mail_suppress``) and the caller does not insist
    (``even_if_suppressed``). ``forget_when_done``: the row is deleted once sent or given up.

    Call it inside the transaction of what causes the email: it is then written, or not, with
    it. The caller (``core.mail``) asks a worker to send it once the transaction commits."""
    if not even_if_suppressed and mail_is_suppressed(address=to):
        return None
    packed = [
        {
            "filename": filename,
            "mimetype": mimetype,
            "content": base64.b64encode(
                content.encode() if isinstance(content, str) else content
            ).decode(),
        }
        for filename, content, mimetype in attachments
    ]
    row = OutboxEmail(
        template=template,
        to=to,
        key=key,
        subject_encrypted=crypto.encrypt_text(subject),
        body_encrypted=crypto.encrypt_text(body),
        attachments_encrypted=crypto.encrypt_text(json.dumps(packed)) if packed else "",
        forget_when_done=forget_when_done,
    )
    if key is None:
        row.save()
        return row
    with transaction.atomic():
        # A savepoint: a duplicate key must not spoil the caller's transaction.
        _row, created = OutboxEmail.objects.get_or_create(
            key=key,
            defaults={
                name: getattr(row, name)
                for name in (
                    "template",
                    "to",
                    "subject_encrypted",
                    "body_encrypted",
                    "attachments_encrypted",
                    "forget_when_done",
                )
            },
        )
    return _row if created else None


def _message(row: OutboxEmail) -> EmailMessage:
    message = EmailMessage(
        subject=crypto.decrypt_text(row.subject_encrypted),
        body=crypto.decrypt_text(row.body_encrypted),
        to=[row.to],
    )
    if row.attachments_encrypted:
        for item in json.loads(crypto.decrypt_text(row.attachments_encrypted)):
            content = base64.b64decode(item["content"])
            if item["mimetype"].startswith("text/"):
                message.attach(item["filename"], content.decode(), item["mimetype"])
            else:
                message.attach(item["filename"], content, item["mimetype"])
    return message


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def outbox_deliver(*, email_id: int, now: datetime | None = None) -> bool:
    """Send one pending email that is due; True if this call sent it. A row another worker is
    sending, already sent, given up or not due yet is left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, state=OutboxEmail.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return False
        row.attempts += 1
        try:
            _message(row).send()
        except Exception as error:  # any failure of the mail server: try again later
            row.last_error = f"{type(error).__name__}: {getattr(error, 'smtp_code', '')}"[:200]
            if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                row.state = OutboxEmail.State.FAILED
                logger.error("outbox: email %s (%s) given up", row.pk, row.template)
                if row.forget_when_done:
                    row.delete()
                    return False
            else:
                row.next_attempt_at = now + _backoff(row.attempts)
                logger.warning(
                    "outbox: email %s (%s) not sent, attempt %d", row.pk, row.template, row.attempts
                )
            row.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return False
        if row.forget_when_done:
            row.delete()
            return True
        row.state = OutboxEmail.State.SENT
        row.sent_at = now
        row.last_error = ""
        row.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        return True


def outbox_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Pending emails whose (next) attempt is due, oldest first."""
    return list(
        OutboxEmail.objects.filter(state=OutboxEmail.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Send every email that is due (first attempts a worker missed, and retries); returns
    how many were sent. Safe when two sweeps run at once."""
    now = now or timezone.now()
    return sum(outbox_deliver(email_id=pk, now=now) for pk in outbox_due(now=now))


def outbox_retry(*, email_ids: list[int], now: datetime | None = None) -> int:
    """Send these emails again at the next sweep (staff's "try again" on given-up ones), as if
    new. Emails already sent are left alone. Returns how many will be sent."""
    now = now or timezone.now()
    return (
        OutboxEmail.objects.filter(pk__in=email_ids)
        .exclude(state=OutboxEmail.State.SENT)
        .update(state=OutboxEmail.State.PENDING, attempts=0, next_attempt_at=now)
    )


# --- Addresses the platform sends nothing to ---------------------------------------------------


def _digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def mail_suppress(*, address: str) -> None:
    """Send nothing more to ``address`` but what a caller sends ``even_if_suppressed`` (a
    patient who asked to delete their account, during the grace period). Idempotent."""
    MailSuppression.objects.get_or_create(address_digest=_digest(address))


def mail_unsuppress(*, address: str) -> None:
    MailSuppression.objects.filter(address_digest=_digest(address)).delete()


def mail_is_suppressed(*, address: str) -> bool:
    return MailSuppression.objects.filter(address_digest=_digest(address)).exists()


def outbox_forget(*, address: str) -> int:
    """Delete every email kept for ``address`` (an erased person's), but those still to be
    sent that ask to be forgotten once done (the email confirming the erasure); returns how
    many."""
    deleted, _by_model = (
        OutboxEmail.objects.filter(to__iexact=address)
        .exclude(state=OutboxEmail.State.PENDING, forget_when_done=True)
        .delete()
    )
    return deleted
