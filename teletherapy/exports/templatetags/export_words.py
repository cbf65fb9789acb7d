"""Filters of a readable export (``exports/summary.html``): codes in words
(``teletherapy.exports.presenters``)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from teletherapy.exports import presenters

register = template.Library()


@register.filter
def label(value: Any, vocabulary: str) -> str:
    """``{{ match.status|label:"match_status" }}``"""
    return presenters.label(vocabulary, value)


@register.filter
def labels(values: Iterable[Any], vocabulary: str) -> str:
    """``{{ intake.concerns|labels:"concern" }}``"""
    return presenters.labels(vocabulary, values or [])


@register.filter
def severity(band: str, questionnaire: str) -> str:
    """``{{ result.severity|severity:result.questionnaire }}``"""
    return presenters.severity(questionnaire, band)


@register.filter
def reasons(stored: Iterable[Mapping[str, str]]) -> str:
    return presenters.reasons(stored or [])


@register.filter
def access_reader(entry: Mapping[str, Any]) -> str:
    """``{{ entry|access_reader }}``: who read, as the Privacy page says it."""
    return presenters.access_reader(entry)


@register.filter
def country(code: str) -> str:
    return presenters.country(code)


@register.filter
def countries(codes: Iterable[str]) -> str:
    return ", ".join(presenters.country(code) for code in codes or [])


@register.filter
def other_parts(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The parts of ``data.json`` the summary has no section of its own for (one that landed
    after it was written): shown as they are, under their key."""
    return [(key, value) for key, value in data.items() if key not in presenters.SUMMARY_PARTS]


@register.filter
def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


@register.filter
def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)
