"""Worksheets a therapist gives their patient from the library, the answers the patient saves as
they type, "done", and the one reminder email before the due date.

Only within an active match: the caller found the match (or the assignment) among the acting
person's (``matching.selectors``); once the match ends, what was given in it stays as it was
(the former therapist's record). Raises ``ValidationError`` keyed by form field for what a
form would refuse, nothing written; with the code ``ended`` when the match is over.

Reminders say that an exercise is due and link to the site: never its title, the therapist's
note or an answer.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.mail import send_templated_mail, site_link
from matching import selectors, worksheet_fields
from matching.models import Match, Worksheet, WorksheetAssignment

NOTE_MAX = 2_000


def _active(match: Match) -> None:
    if match.status != Match.Status.ACTIVE:
        raise ValidationError(
            _("This exercise was given by your former therapist: it is kept as it was."),
            code="ended",
        )


@transaction.atomic
def worksheet_assign(
    *,
    match: Match,
    worksheet: Worksheet,
    due_date: date | None,
    note: str,
    today: date,
    now: datetime,
) -> WorksheetAssignment:
    """Give the patient of ``match`` (active) a worksheet of the library (offered now), with
    an optional due date (from ``today`` on: the therapist's date) and note."""
    _active(match)
    errors = {}
    if not worksheet.active:
        errors["worksheet"] = ValidationError(
            _("Choose an exercise of the library."), code="retired"
        )
    if due_date is not None and due_date < today:
        errors["due_date"] = ValidationError(
            _("Choose a due date from today on, or none."), code="past"
        )
    note = note.strip()
    if "\x00" in note:
        errors["note"] = ValidationError(
            _("This text holds a character that cannot be kept."), code="null"
        )
    elif len(note) > NOTE_MAX:
        errors["note"] = ValidationError(
            _("At most %(max)s characters here."), code="max_length", params={"max": NOTE_MAX}
        )
    if errors:
        raise ValidationError(errors)
    assignment = WorksheetAssignment(
        match=match,
        patient_id=match.patient_id,
        worksheet=worksheet,
        due_date=due_date,
        assigned_at=now,
    )
    assignment.note = note
    assignment.save()
    return assignment


@transaction.atomic
def worksheet_answers_save(
    *, assignment: WorksheetAssignment, answers: dict[str, str], now: datetime
) -> WorksheetAssignment:
    """Keep some of the patient's answers (by form name, ``a-<row>-<key>``), the others as they
    were: what the page sends as the patient types. All or nothing: one refused answer keeps
    none of them (``ValidationError`` keyed by form name). An empty answer clears its field.
    Allowed while the match is active, done or not (a patient may add a line afterwards)."""
    assignment = (
        WorksheetAssignment.objects.select_for_update()
        .select_related("match", "worksheet")
        .get(pk=assignment.pk)
    )
    _active(assignment.match)
    sheet = assignment.worksheet
    kinds = {f["key"]: f["kind"] for f in sheet.fields}
    errors = {}
    cleaned = {}
    for name, value in answers.items():
        parsed = worksheet_fields.parse_form_name(name)
        if parsed is None or parsed[1] not in kinds or parsed[0] >= max(1, sheet.rows):
            errors[name] = ValidationError(_("This exercise has no such field."), code="unknown")
            continue
        try:
            cleaned[f"{parsed[0]}:{parsed[1]}"] = worksheet_fields.clean_answer(
                kinds[parsed[1]], value
            )
        except ValidationError as error:
            errors[name] = error
    if errors:
        raise ValidationError(errors)
    kept = dict(assignment.answers or {})
    for key, value in cleaned.items():
        if value:
            kept[key] = value
        else:
            kept.pop(key, None)
    assignment.answers = kept or None
    assignment.changed_at = now
    assignment.save(update_fields=["answers_encrypted", "changed_at"])
    return assignment


@transaction.atomic
def worksheet_mark_done(
    *, assignment: WorksheetAssignment, done: bool, now: datetime
) -> WorksheetAssignment:
    """The patient says they are done with it (or not yet, to go on). Twice changes
    nothing."""
    assignment = (
        WorksheetAssignment.objects.select_for_update()
        .select_related("match")
        .get(pk=assignment.pk)
    )
    _active(assignment.match)
    if done and assignment.done_at is None:
        assignment.done_at = now
    elif not done:
        assignment.done_at = None
    assignment.save(update_fields=["done_at"])
    return assignment


def worksheet_reminders_sweep(*, now: datetime | None = None) -> int:
    """Email each patient whose exercise is due tomorrow or today (their date) and not done,
    once per exercise; returns how many were emailed.

    Idempotent and safe when two sweeps run at once: each reminder is claimed by a conditional
    update (``reminded_at`` still empty) in the transaction that queues its email; the sweep
    that loses the race updates no row and sends nothing. The outbox key says the same again.
    """
    now = now or timezone.now()
    sent = 0
    for due in selectors.worksheet_reminders_due(now=now):
        with transaction.atomic():
            claimed = WorksheetAssignment.objects.filter(
                pk=due.assignment_id, reminded_at__isnull=True, done_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            _email_reminder(
                patient_id=due.patient_id, assignment_id=due.assignment_id, tomorrow=due.tomorrow
            )
        sent += 1
    return sent


def _email_reminder(*, patient_id: int, assignment_id: int, tomorrow: bool) -> None:
    patient = User.objects.get(pk=patient_id)
    send_templated_mail(
        template="emails/worksheet_reminder.txt",
        to=[patient.email],
        language=patient.language,
        context={"link": site_link("exercises"), "tomorrow": tomorrow},
        key=f"worksheet-reminder:{assignment_id}",
    )
