from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import services
from teletherapy import crypto


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        return services.user_register(
            user=user,
            role=form.role,
            language=get_language(),
            time_zone=form.cleaned_data["time_zone"],
            nickname=form.cleaned_data.get("nickname", ""),
        )

    def send_mail(self, template_prefix, email, context):
        context = {"site_name": settings.SITE_NAME, **context}
        super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets are encrypted at rest like messages."""

    error_messages = DefaultMFAAdapter.error_messages | {
        "cannot_delete_authenticator": _(
            "Therapists and staff keep two-factor authentication on, because they see "
            "patients' data. To move it to a new phone, ask our team to reset it; your "
            "recovery codes let you log in meanwhile."
        ),
    }

    def encrypt(self, text: str) -> str:
        return crypto.encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt_text(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Therapists and staff may replace their authenticator app, never go without one.
        return not (
            authenticator.type == Authenticator.Type.TOTP and authenticator.user.requires_mfa
        )
