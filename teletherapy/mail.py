"""Emails from templates. Whatever a template says, keep it free of clinical content."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def site_link(name: str, *args) -> str:
    """An absolute link for an email sent outside a request."""
    return settings.SITE_URL + reverse(name, args=args)


def send_templated_mail(*, template: str, to: list[str], language: str, context: dict) -> None:
    """Send one email from a template whose first line is the subject."""
    if not to:
        return
    context = {"site_name": settings.SITE_NAME, **context}
    with translation.override(language):
        subject, _sep, body = render_to_string(template, context).strip().partition("\n")
        send_mail(
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject.strip(),
            body.strip() + "\n",
            None,
            to,
        )


def staff_emails() -> list[str]:
    from accounts.models import User

    return list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
