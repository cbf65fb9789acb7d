"""A patient's journal: entries they write for themselves between sessions (a text, a mood
from 1 to 10, a few tags), private unless they share one with their therapist, entry by entry,
and take it back at once.

Raises ``ValidationError`` keyed by form field (``body``, ``mood``, ``tags``) for what a form
would refuse, and with the code ``no_therapist`` when there is nobody to share with.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from matching.models import JournalEntry, JournalShare, Match

BODY_MAX = 10_000
MOOD_MIN, MOOD_MAX = 1, 10


def _details(*, body: str, mood: int | None, tags: list[str]) -> tuple[str, dict]:
    errors = {}
    text = body.strip()
    if not text:
        errors["body"] = ValidationError(
            _("Write something first: an empty entry is not kept."), code="required"
        )
    elif len(text) > BODY_MAX:
        errors["body"] = ValidationError(
            _("An entry holds at most %(max)s characters."),
            code="max_length",
            params={"max": BODY_MAX},
        )
    if mood is not None and not MOOD_MIN <= mood <= MOOD_MAX:
        errors["mood"] = ValidationError(
            _("Choose a mood from %(min)s to %(max)s, or none."),
            code="range",
            params={"min": MOOD_MIN, "max": MOOD_MAX},
        )
    if not set(tags) <= set(JournalEntry.Tag.values):
        errors["tags"] = ValidationError(_("Choose among the tags offered."), code="invalid")
    if errors:
        raise ValidationError(errors)
    return text, {"mood": mood, "tags": sorted(set(tags))}


@transaction.atomic
def journal_entry_write(
    *, patient: User, body: str, mood: int | None, tags: list[str], now: datetime
) -> JournalEntry:
    """A new entry, private."""
    text, details = _details(body=body, mood=mood, tags=tags)
    entry = JournalEntry(patient=patient, written_at=now, changed_at=now)
    entry.body = text
    entry.details = details
    entry.save()
    return entry


@transaction.atomic
def journal_entry_change(
    *, entry: JournalEntry, body: str, mood: int | None, tags: list[str], now: datetime
) -> JournalEntry:
    """The patient rewrites one of their entries (the caller found it among theirs); a
    therapist it is shared with reads the new words."""
    text, details = _details(body=body, mood=mood, tags=tags)
    entry.body = text
    entry.details = details
    entry.changed_at = now
    entry.save(update_fields=["body_encrypted", "details_encrypted", "changed_at"])
    return entry


@transaction.atomic
def journal_entry_delete(*, entry: JournalEntry) -> None:
    """The patient deletes one of their entries: gone for them and for anyone it was shared
    with."""
    entry.delete()


@transaction.atomic
def journal_entry_share(*, entry: JournalEntry, now: datetime) -> JournalShare:
    """Share the entry with the patient's current therapist (again, if taken back before).
    Sharing what is already shared changes nothing."""
    match = Match.objects.filter(patient_id=entry.patient_id, status=Match.Status.ACTIVE).first()
    if match is None:
        raise ValidationError(_("You have no therapist to share it with yet."), code="no_therapist")
    share, _created = JournalShare.objects.get_or_create(
        entry=entry, match=match, unshared_at=None, defaults={"shared_at": now}
    )
    return share


@transaction.atomic
def journal_entry_unshare(*, entry: JournalEntry, now: datetime) -> int:
    """Take the entry back from the current therapist: they lose it at once. Returns how many
    shares ended (0 when it was not shared)."""
    return JournalShare.objects.filter(
        entry=entry, unshared_at__isnull=True, match__status=Match.Status.ACTIVE
    ).update(unshared_at=now)
