"""Bootstrap markup for Django's form fields, used by the project's form templates."""

from django import template
from django.forms import BoundField

register = template.Library()

# Lists of choices put their attributes on the list's container and on every input alike.
_CHOICE_LIST_WIDGETS = {"radioselect", "checkboxselectmultiple"}
_SELECT_WIDGETS = {"select", "selectmultiple", "nullbooleanselect"}


def _widget_class(field: BoundField) -> str:
    widget_type = field.widget_type
    if widget_type in _CHOICE_LIST_WIDGETS:
        css = "choice-list"
    elif widget_type == "checkbox":
        css = "form-check-input"
    elif widget_type in _SELECT_WIDGETS:
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return f"{existing} {css}".strip()


@register.filter
def with_widget_class(field: BoundField):
    return field.as_widget(attrs={"class": _widget_class(field)})


@register.filter
def label_with_class(field: BoundField, css: str):
    return field.label_tag(attrs={"class": css}, label_suffix="")
