import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Message


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=Message.MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-enter-sends": ""}),
        help_text=_("Enter sends; Shift+Enter starts a new line."),
        error_messages={"required": _("Write something first.")},
    )
    # Each rendered form carries a new id: a double submit or a retry sends one message.
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
