"""Delete my account: the password again, and a plain yes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ErasureRequestForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To be sure it is you who asks."),
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that after the grace period my account and my data are deleted "
            "for good, and cannot be brought back."
        ),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_partner:  # deleted at once: no grace period
            self.fields["understood"].label = _(
                "I understand that my account is deleted at once, for good, and cannot be "
                "brought back."
            )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password
