"""The therapist's session notes forms: they carry what was typed, whatever its length (the
browser cuts nothing), and ``scheduling.services.notes`` decides what may be saved."""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy

from scheduling.services.notes import BODY_MAX_CHARS


def _limit() -> str:
    return number_format(BODY_MAX_CHARS, force_grouping=True)


class SessionNoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your note"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    # The note's version this edit began from (0: none yet), to refuse overwriting a newer one.
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = gettext("Up to %(limit)s characters.") % {"limit": _limit()}


class AddendumForm(forms.Form):
    prefix = "addendum"  # the note's editor, on the same page, has its own "body"

    body = forms.CharField(
        label=gettext_lazy("Addendum"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = gettext(
            "Dated when you add it, and never changed after. Up to %(limit)s characters."
        ) % {"limit": _limit()}
