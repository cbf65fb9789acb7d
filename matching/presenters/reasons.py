"""The reasons behind a match, in plain words for the patient, in the active language.

Each reason becomes a short lowercase fragment ("speaks Portuguese", "specialises in burnout");
the caller joins them, e.g. with " · ".
"""

from collections.abc import Iterable, Mapping

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.choices import THERAPY_LANGUAGES, Speciality
from matching.ranking import Reason

_LANGUAGE_NAMES = dict(THERAPY_LANGUAGES)
# Django's language names are capitalised, as menu entries; these interface languages write
# them in lowercase inside a sentence ("parle portugais").
_LOWERCASE_LANGUAGE_NAMES_IN = frozenset({"fr", "es", "it", "pt", "ca", "ro", "pl", "cs", "sv"})

_SPECIALITIES = {
    "depression": _("specialises in depression"),
    "anxiety": _("specialises in anxiety"),
    "stress": _("specialises in stress"),
    "burnout": _("specialises in burnout"),
    "addiction": _("specialises in addiction"),
    "relationships": _("specialises in relationships"),
    "trauma": _("specialises in trauma"),
    "grief": _("specialises in grief"),
    "lgbt": _("specialises in identity and LGBT+ questions"),
    "eating": _("specialises in eating difficulties"),
    "sleep": _("specialises in sleep difficulties"),
    "parenting": _("specialises in parenting"),
}
_GENDERS = {
    "woman": _("a woman, as you asked"),
    "man": _("a man, as you asked"),
    "non_binary": _("a non-binary person, as you asked"),
}
_FAITHS = {
    "christian": _("Christian faith-based practice"),
    "muslim": _("Muslim faith-based practice"),
    "jewish": _("Jewish faith-based practice"),
    "buddhist": _("Buddhist faith-based practice"),
    "hindu": _("Hindu faith-based practice"),
    "other": _("faith-based practice"),
}
_MODALITIES = {
    "video": _("offers video sessions"),
    "phone": _("offers phone sessions"),
    "chat": _("offers live chat"),
}
_TIMES = {
    "morning": _("free in the mornings"),
    "afternoon": _("free in the afternoons"),
    "evening": _("free in the evenings"),
}


def language_name(code: str) -> str:
    """A language's name as it reads inside a sentence of the active language."""
    name = str(_LANGUAGE_NAMES.get(code, code))  # translated lazily (accounts.choices)
    if (get_language() or "").split("-")[0] in _LOWERCASE_LANGUAGE_NAMES_IN:
        name = name.lower()
    return name


def _text(code: str, value: str) -> str | None:
    if code == "language":
        return _("speaks %(language)s") % {"language": language_name(value)}
    if code == "speciality":
        if value in _SPECIALITIES:
            return str(_SPECIALITIES[value])
        if value in Speciality.values:
            return _("specialises in: %(speciality)s") % {"speciality": Speciality(value).label}
        return None
    if code == "abroad":
        if value not in countries:
            return None
        return _("licensed in the country you come from (%(country)s)") % {
            "country": countries.name(value)
        }
    if code == "lgbt":
        return str(_("LGBT+-specialised"))
    table = {"gender": _GENDERS, "faith": _FAITHS, "modality": _MODALITIES, "times": _TIMES}
    text = table.get(code, {}).get(value)
    return None if text is None else str(text)


def reason_texts(reasons: Iterable[Reason | Mapping[str, str]]) -> list[str]:
    """One plain-words fragment per reason, in order.

    Takes ``Reason`` objects or their stored form, ``{"code": ..., "value": ...}``. A reason this
    version does not know (stored by an older one) is left out rather than shown as a code.
    """
    texts = []
    for reason in reasons:
        if isinstance(reason, Mapping):
            code, value = reason.get("code", ""), reason.get("value", "")
        else:
            code, value = reason.code, reason.value
        text = _text(str(code), str(value))
        if text is not None:
            texts.append(text)
    return texts
