"""The legal documents in the admin: staff write a new version of the privacy policy, the terms
or the telehealth consent (French and English) and choose when it takes effect; until then it
can be changed or deleted, from then on it is read-only for good, and every user of the roles
it concerns is asked to accept it at their next login. *Write a new version* starts from the
text in effect. Who accepted which version is read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import selectors, services
from accounts.models import LegalAcceptance, LegalDocument
from core.admin import ReadOnlyAdmin


class LegalDocumentForm(forms.ModelForm):
    class Meta:
        model = LegalDocument
        fields = [
            "kind",
            "title_en",
            "title_fr",
            "body_en",
            "body_fr",
            "changes_en",
            "changes_fr",
            "published_at",
        ]
        widgets = {
            "body_en": forms.Textarea(attrs={"rows": 24}),
            "body_fr": forms.Textarea(attrs={"rows": 24}),
            "changes_en": forms.Textarea(attrs={"rows": 4}),
            "changes_fr": forms.Textarea(attrs={"rows": 4}),
        }


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    form = LegalDocumentForm
    list_display = ["__str__", "kind", "version", "published_at", "in_effect", "accepted_by"]
    list_filter = ["kind"]
    ordering = ["kind", "-version"]
    readonly_fields = ["version", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(accepted=Count("acceptances"))

    @admin.display(description=_("in effect"), boolean=True)
    def in_effect(self, document: LegalDocument) -> bool:
        return document.is_published()

    @admin.display(description=_("accepted by"), ordering="accepted")
    def accepted_by(self, document) -> int:
        return document.accepted

    def get_fields(self, request, obj=None):
        fields = list(LegalDocumentForm.Meta.fields)
        return fields if obj is None else ["version", *fields, "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published():
            return self.get_fields(request, obj)  # in effect: never changed again
        if obj is not None:
            return ["kind", "version", "created_at"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published():
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """A new version starts from the text in effect of the kind asked (?kind=terms)."""
        initial: dict = dict(super().get_changeform_initial_data(request))
        initial.setdefault("published_at", timezone.now())
        kind = request.GET.get("kind", "")
        if kind in LegalDocument.Kind.values:
            current = selectors.legal_document_public(kind=kind)
            if current is not None:
                for name in ["title_en", "title_fr", "body_en", "body_fr"]:
                    initial[name] = getattr(current, name)
        return initial

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        if document is not None and document.is_published():
            extra_context = (extra_context or {}) | {
                "subtitle": format_html(
                    '{} <a href="{}?kind={}">{}</a>',
                    _("This version is in effect and can no longer change."),
                    reverse("admin:accounts_legaldocument_add"),
                    document.kind,
                    _("Write a new version"),
                )
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        try:
            services.legal_document_save(document=obj)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return
        if obj.published_at > timezone.now():
            messages.info(
                request,
                _("It takes effect on %(date)s; until then you can still change it.")
                % {"date": obj.published_at},
            )

    def delete_model(self, request, obj):
        services.legal_document_delete(document=obj)


@admin.register(LegalAcceptance)
class LegalAcceptanceAdmin(ReadOnlyAdmin):
    """Who accepted which version, and when (written at sign-up and at login only)."""

    list_display = ["user", "document", "accepted_at"]
    list_filter = ["document__kind", "document"]
    search_fields = ["user__email"]
    list_select_related = ["user", "document"]
    fields = readonly_fields = ("user", "document", "accepted_at")
