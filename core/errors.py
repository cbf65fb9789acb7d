"""Domain errors shared by the apps' services."""

from django.core.exceptions import ValidationError


def field_error(field: str, message, code: str, params: dict | None = None) -> ValidationError:
    """An error a form shows beside ``field``; ``.error_dict[field][0].code`` says which."""
    return ValidationError({field: ValidationError(message, code=code, params=params)})
