"""The questionnaire in words: its steps' titles (the check-in reuses two of them), and what its
last page says when no therapist can see the person yet."""

from django.forms import CheckboxSelectMultiple, Form, RadioSelect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from matching.presenters.reasons import language_name
from matching.selectors import IntakeOutlook

STEP_TITLES = {
    "concerns": _("What brings you"),
    "goals": _("Your goals"),
    "phq9": _("How you have been feeling"),
    "gad7": _("Worry and nerves"),
    "preferences": _("Your therapist"),
    "place": _("Languages and place"),
    "practical": _("How and when"),
    "nickname": _("Your nickname"),
}


def either(names: list[str]) -> str:
    """ "English", "English or French", "English, French or Portuguese"."""
    if len(names) < 2:
        return "".join(names)
    return gettext("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def outlook_words(outlook: IntakeOutlook) -> dict[str, str]:
    """The country, home country and languages of an intake's outlook, as a sentence says them."""
    return {
        "country": str(countries.name(outlook.country)) if outlook.country else "",
        "home_country": (str(countries.name(outlook.home_country)) if outlook.home_country else ""),
        "languages": either([language_name(code) for code in outlook.languages]),
    }


def error_summary(form: Form) -> list[dict[str, str]]:
    """What a step with errors lists at the top of the page, in the order of the form: each
    error with the id of the field it is about (a group's first choice), to link to it."""
    fields = list(form)
    items = []
    for error in form.non_field_errors():
        # Only the languages step has errors of its own (a language chosen twice).
        items.append({"target": fields[0].auto_id if fields else "", "text": str(error)})
    for field in fields:
        target = field.auto_id
        if isinstance(field.field.widget, RadioSelect | CheckboxSelectMultiple):
            target = f"{target}_0"
        for error in field.errors:
            text = gettext("%(label)s: %(error)s") % {"label": field.label, "error": error}
            items.append({"target": target, "text": text})
    return items
