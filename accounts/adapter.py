"""allauth in the platform's ways: sign-ups saved through ``accounts.services`` with the legal
versions ticked on the form, its emails and messages in the right language, failed logins
limited per account without letting a stranger lock the owner out (``accounts.devices``; a
shared device is never remembered), two-factor secrets encrypted at rest, and therapists and
staff never without their authenticator app."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts import devices, selectors, services
from core import crypto
from core.mail import send_message


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user = services.user_register(
            user=user,
            role=form.role,
            language=get_language(),
            time_zone=form.cleaned_data["time_zone"],
            nickname=form.cleaned_data.get("nickname", ""),
        )
        # The versions ticked on the form, with the moment: in the sign-up's transaction.
        services.legal_accept(user=user, documents=form.accepted_documents())
        return user

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs):
        """allauth's messages are words once rendered: render them in the language of the page
        they will show on. Right after logging in that is the user's own, not the login page's
        ("You are logged in as …" stayed English in French)."""
        user = getattr(request, "user", None)
        language = user.language if user is not None and user.is_authenticated else None
        with translation.override(language or get_language()):
            super().add_message(request, level, message_template, message_context, **kwargs)

    # --- Failed logins: per address (allauth's ``login_failed``), then per account -----------

    def _password_bucket(self, request, credentials) -> str:
        """The account's bucket of failed passwords, or this known device's own."""
        email = str(credentials.get("email", "")).lower()
        device = devices.known_device(request, selectors.user_id_for_email(email=email))
        return devices.bucket(f"password:{email}", device)

    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)  # the network address's limit
        key = self._password_bucket(request, credentials)
        if devices.limit_reached(request, action=devices.PASSWORD_LIMIT, key=key):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials):
        key = self._password_bucket(request, credentials)
        devices.count_failure(request, action=devices.PASSWORD_LIMIT, key=key)

    def _delete_login_attempts_cached_email(self, request, **credentials):
        # A password reset (allauth's only caller) frees the account's shared bucket too.
        super()._delete_login_attempts_cached_email(request, **credentials)
        email = str(credentials.get("email", "")).lower()
        devices.forget_failures(request, action=devices.PASSWORD_LIMIT, key=f"password:{email}")

    def post_login(self, request, user, **kwargs):
        """Logged in (password and, when required, code): this device is now known."""
        response = super().post_login(request, user, **kwargs)
        if not request.session.get(selectors.SHARED_DEVICE_SESSION_KEY):
            devices.remember_device(request, response, user.pk)  # never a shared one
        return response

    def send_mail(self, template_prefix, email, context):
        """allauth's emails (verification, password reset, notices) through the outbox like
        every other: a sign-up never fails because the mail server does."""
        context = {"site_name": settings.SITE_NAME, **context}
        message = self.render_mail(template_prefix, email, context)
        send_message(message, template=template_prefix)


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
