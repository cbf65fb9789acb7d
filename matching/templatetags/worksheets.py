"""Worksheets in pages: a worksheet's words in the reader's language, and an assignment's
status as a badge (``{% worksheet_status assignment today %}``)."""

from datetime import date

from django import template

from matching.models import Worksheet, WorksheetAssignment
from matching.presenters.worksheets import language

register = template.Library()

BADGES = {
    WorksheetAssignment.Status.NOT_STARTED: "text-bg-light border",
    WorksheetAssignment.Status.IN_PROGRESS: "text-bg-info",
    WorksheetAssignment.Status.DONE: "text-bg-success",
    WorksheetAssignment.Status.OVERDUE: "text-bg-warning",
}


@register.simple_tag
def sheet_title(sheet: Worksheet) -> str:
    return sheet.title_for(language())


@register.simple_tag
def sheet_instructions(sheet: Worksheet) -> str:
    return sheet.instructions_for(language())


@register.simple_tag
def sheet_row_label(sheet: Worksheet) -> str:
    return sheet.row_label_for(language())


@register.inclusion_tag("matching/worksheet_status.html")
def worksheet_status(assignment: WorksheetAssignment, today: date) -> dict:
    return status_badge(assignment.status_on(today))


@register.inclusion_tag("matching/worksheet_status.html")
def status_badge(code: str) -> dict:
    """A worksheet's status (``WorksheetAssignment.Status``) as a badge."""
    status = WorksheetAssignment.Status(code)
    return {"status": status.value, "label": status.label, "badge": BADGES[status]}
