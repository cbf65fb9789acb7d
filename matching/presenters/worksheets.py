"""Goals and worksheets in words for pages: a worksheet's rows of fields in the reader's language,
with the answers kept; what a therapist's pages show of one match (``care_for_therapist``)."""

from datetime import date

from django.utils.translation import get_language

from accounts.models import User
from matching import selectors, worksheet_fields
from matching.models import Match, WorksheetAssignment


def language() -> str:
    """The page's language as the library writes it: "en" or "fr"."""
    return (get_language() or "en")[:2]


def sheet_rows(assignment: WorksheetAssignment, values: dict[str, str], errors: dict[str, str]):
    """The worksheet's rows of fields, each with its value and error, for the templates."""
    sheet = assignment.worksheet
    return [
        [
            {"field": field, "value": values.get(field.name, ""), "error": errors.get(field.name)}
            for field in row
        ]
        for row in worksheet_fields.worksheet_fields(sheet.fields, sheet.rows, language())
    ]


def stored_values(assignment: WorksheetAssignment) -> dict[str, str]:
    """The answers kept, by form name (``a-<row>-<key>``)."""
    values = {}
    for stored, value in (assignment.answers or {}).items():
        row, _sep, key = stored.partition(":")
        values[worksheet_fields.form_name(int(row), key)] = value
    return values


def care_for_therapist(*, match: Match, reader: User, today: date) -> dict:
    """The goals and worksheets (with their answers by row) of ``match``, for its therapist's
    pages (``templates/matching/goals_therapist_block.html``); the caller has checked that
    ``reader`` is that therapist. The reads are logged for the patient (the selectors)."""
    given = selectors.assignments_read_by_therapist(match=match, reader=reader)
    return {
        "match": match,
        "goals": selectors.goals_read_by_therapist(match=match, reader=reader),
        "given": [{"assignment": a, "rows": sheet_rows(a, stored_values(a), {})} for a in given],
        "today": today,
    }
