"""The message form: text, one optional file, and the id that makes a retry send once."""

import uuid

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from core.uploads import DOCUMENT_TYPES
from messaging.models import Message


def _attachment_help() -> str:
    return gettext_lazy("Optional: one PDF, JPEG or PNG file, up to %(limit)s.") % {
        "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
    }


class MessageForm(forms.Form):
    """What is written; the service decides what may be kept (length, an empty message with a
    file, the file's real type), so the rules live in one place."""

    body = forms.CharField(
        label=gettext_lazy("Your message"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "data-enter-sends": "", "maxlength": Message.MAX_LENGTH}
        ),
        help_text=gettext_lazy("Enter sends; Shift+Enter starts a new line."),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attach a file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ",".join(DOCUMENT_TYPES)}),
        help_text=lazy(_attachment_help, str)(),
    )
    # Each rendered form carries a new id: a double submit or a retry sends one message.
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class VoiceMessageForm(forms.Form):
    """A recording sent by the thread's recorder (static/messaging/voice.js); the service
    checks what it is and how long it lasts."""

    voice = forms.FileField(label=gettext_lazy("Voice message"), allow_empty_file=True)
    client_id = forms.UUIDField(widget=forms.HiddenInput)
