"""The fields of a worksheet and the answers a patient gives them: pure functions, no database.

A worksheet (``matching.models.Worksheet``) lists its fields once; a diary repeats them
``rows`` times. Each answer is a string, named ``a-<row>-<key>`` in a form and ``<row>:<key>``
in the stored answers, checked by its field's kind: a line of text, a paragraph, a number from
0 to 10, or a date. An empty answer is no answer (it clears the field).
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

KINDS = ("text", "longtext", "scale", "date")
TEXT_MAX = 500
LONGTEXT_MAX = 5_000
SCALE_MIN, SCALE_MAX = 0, 10
ROWS_MAX = 31
FIELDS_MAX = 20

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_FORM_NAME = re.compile(r"a-([0-9]{1,2})-([a-z][a-z0-9_]{0,39})")
_NUMBER = re.compile(r"[0-9]{1,2}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Field:
    row: int
    key: str
    label: str
    kind: str

    @property
    def name(self) -> str:
        """Its name in a form."""
        return form_name(self.row, self.key)

    @property
    def stored(self) -> str:
        """Its key in the stored answers."""
        return f"{self.row}:{self.key}"


def form_name(row: int, key: str) -> str:
    return f"a-{row}-{key}"


def fields_problems(fields: object) -> list[str]:
    """What is wrong with a worksheet's list of fields, as staff would read it (empty: none)."""
    if not isinstance(fields, list) or not fields:
        return [str(_("Give a list of at least one field."))]
    if len(fields) > FIELDS_MAX:
        return [str(_("At most %(max)s fields.") % {"max": FIELDS_MAX})]
    problems = []
    seen = set()
    for number, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            problems.append(str(_("Field %(n)s is not an object.") % {"n": number}))
            continue
        key = field.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key) or key in seen:
            problems.append(
                str(
                    _(
                        "Field %(n)s needs a key of its own: lowercase letters, digits and "
                        "underscores, starting with a letter."
                    )
                    % {"n": number}
                )
            )
        seen.add(key)
        for label in ("label_en", "label_fr"):
            if not isinstance(field.get(label), str) or not field[label].strip():
                problems.append(
                    str(_("Field %(n)s needs %(label)s.") % {"n": number, "label": label})
                )
        if field.get("kind") not in KINDS:
            problems.append(
                str(
                    _("Field %(n)s: kind is one of %(kinds)s.")
                    % {"n": number, "kinds": ", ".join(KINDS)}
                )
            )
    return problems


def worksheet_fields(fields: list[dict], rows: int, language: str) -> list[list[Field]]:
    """The fields to fill, row by row, labelled in ``language`` (English when missing)."""
    label = "label_fr" if language == "fr" else "label_en"
    return [
        [
            Field(row=row, key=f["key"], label=f.get(label) or f["label_en"], kind=f["kind"])
            for f in fields
        ]
        for row in range(max(1, rows))
    ]


def parse_form_name(name: str) -> tuple[int, str] | None:
    """``(row, key)`` of a form field's name, or None for any other name."""
    found = _FORM_NAME.fullmatch(name)
    return (int(found.group(1)), found.group(2)) if found else None


def clean_answer(kind: str, value: str) -> str:
    """The answer as kept ("" to clear it); ``ValidationError`` saying why it is refused."""
    if "\x00" in value:
        raise ValidationError(_("This text holds a character that cannot be kept."), code="null")
    text = value.strip()
    if not text:
        return ""
    if kind == "scale":
        if not _NUMBER.fullmatch(text) or not SCALE_MIN <= int(text) <= SCALE_MAX:
            raise ValidationError(
                _("Give a whole number from %(min)s to %(max)s."),
                code="range",
                params={"min": SCALE_MIN, "max": SCALE_MAX},
            )
        return str(int(text))
    if kind == "date":
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError(_("Give a date, such as 2026-12-31."), code="date") from None
    limit = LONGTEXT_MAX if kind == "longtext" else TEXT_MAX
    if len(text) > limit:
        raise ValidationError(
            _("At most %(max)s characters here."), code="max_length", params={"max": limit}
        )
    return text
