"""Therapist vetting in the admin: staff review an application (credentials, documents, the
approval check, the history) and decide with a reason, one therapist or a selection at a time,
through ``accounts.services.therapist_vetting_decide``. Nothing here is edited by hand."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from accounts import selectors, services
from accounts.choices import THERAPY_LANGUAGES, Approach, Modality, Speciality
from accounts.models import (
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    VettingDecision,
)
from core.admin import ReadOnlyTabularInline

# The staff decisions of ``services.VETTING_ACTIONS``: (button and page title, changelist
# action, what the success message says).
DECISIONS = {
    "approve": (
        _("Approve"),
        _("Approve the selected applications"),
        _("%(name)s is approved."),
    ),
    "request_changes": (
        _("Request changes"),
        _("Request changes to the selected applications"),
        _("Changes were requested from %(name)s."),
    ),
    "reject": (
        _("Reject"),
        _("Reject the selected applications"),
        _("%(name)s is rejected."),
    ),
    "suspend": (
        _("Suspend"),
        _("Suspend the selected therapists"),
        _("%(name)s is suspended."),
    ),
    "reinstate": (
        _("Reinstate"),
        _("Reinstate the selected therapists"),
        _("%(name)s is reinstated."),
    ),
}

# Each decision is weighed one therapist at a time: a selection larger than this is refused.
DECISION_MAX_SELECTED = 100


def _therapist_name(profile: TherapistProfile) -> str:
    return profile.display_name or profile.user.email


def _labels(codes: list[str], choices) -> str:
    names = dict(choices)
    return ", ".join(str(names.get(code, code)) for code in codes) or admin.site.empty_value_display


class VettingReasonForm(forms.Form):
    required_css_class = "required"

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "Required. The therapist reads it on their application page (never in an email); "
            "it stays in the audit trail."
        ),
        error_messages={
            "required": _("Give a reason: the therapist and the audit trail need one.")
        },
    )


class SpecialityFilter(admin.SimpleListFilter):
    title = _("speciality")
    parameter_name = "speciality"

    def lookups(self, request, model_admin):
        return Speciality.choices

    def queryset(self, request, queryset):
        if self.value() in Speciality.values:
            # The quotes match one whole element of the JSON list, on SQLite and PostgreSQL.
            return queryset.filter(specialities__icontains=f'"{self.value()}"')
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """The languages some therapist speaks, not all that could be spoken."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        spoken = set(TherapistLanguage.objects.values_list("language", flat=True).distinct())
        return [(code, name) for code, name in THERAPY_LANGUAGES if code in spoken]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(languages__language=self.value())
        return queryset


class _ApplicationPartInline(ReadOnlyTabularInline):
    """A read-only part of the application: whoever may see the application sees it."""

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(TherapistProfile).has_view_permission(request, obj)


class TherapistLanguageInline(_ApplicationPartInline):
    model = TherapistLanguage
    fields = readonly_fields = ("language", "level")


class TherapistDocumentInline(_ApplicationPartInline):
    model = TherapistDocument
    fields = readonly_fields = ("download", "kind", "content_type", "file_size", "uploaded_at")

    @admin.display(description=_("document"))
    def download(self, document):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("therapist_document", args=[document.pk]),
            document.original_name,
        )

    @admin.display(description=_("size"))
    def file_size(self, document):
        return filesizeformat(document.size)


class VettingDecisionInline(_ApplicationPartInline):
    model = VettingDecision
    verbose_name_plural = _("vetting history")
    fields = readonly_fields = ("created_at", "by", "from_status", "to_status", "reason")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("by"))
    def by(self, decision):
        if decision.actor is None:
            return gettext("system")
        return decision.actor.email


def _decision_action(action: str):
    """A changelist action that takes the selected therapists to the reason page."""

    def decide_selected(modeladmin, request, queryset):
        return modeladmin._decide_selected(request, queryset, action)

    decide_selected.__name__ = action
    return admin.action(description=DECISIONS[action][1], permissions=["change"])(decide_selected)


@admin.register(TherapistProfile)
class TherapistProfileAdmin(admin.ModelAdmin):
    """Therapist applications. Everything is read-only: staff review credentials and decide
    with the vetting actions (``services.therapist_vetting_decide``), each with a reason."""

    list_display = [
        "name",
        "email",
        "vetting_status",
        "license_country",
        "license_expiry",
        "vetting_status_changed_at",
    ]
    list_select_related = ["user"]
    list_filter = [
        "vetting_status",
        ("license_country", CountryFilter),
        ("licensed_countries", CountryFilter),
        LanguageFilter,
        SpecialityFilter,
    ]
    search_fields = ["display_name", "user__email", "license_number"]
    ordering = [F("vetting_status_changed_at").desc(nulls_last=True), "display_name"]
    actions = [_decision_action(action) for action in DECISIONS]
    inlines = [TherapistLanguageInline, TherapistDocumentInline, VettingDecisionInline]
    fieldsets = [
        (
            _("About"),
            {"fields": ["user", "display_name", "gender", "photo_preview", "biographies"]},
        ),
        (
            _("Practice"),
            {
                "fields": [
                    "speciality_labels",
                    "approach_labels",
                    "modality_labels",
                    "faith",
                    "accepting_new_patients",
                    "caseload_limit",
                ]
            },
        ),
        (
            _("Credentials"),
            {
                "fields": [
                    "degree_level",
                    "degree_field",
                    "degree_institution",
                    "degree_year",
                    "license_number",
                    "license_issuer",
                    "license_country",
                    "license_expiry",
                    "license_valid_today",
                    "licensed_country_names",
                    "practising_since",
                    "experience_years",
                    "clinical_hours",
                ]
            },
        ),
        (
            _("Vetting"),
            {"fields": ["vetting_status", "vetting_status_changed_at", "approval_check"]},
        ),
    ]
    # vetting_status above all: it changes only through the decisions.
    readonly_fields = [str(name) for _title, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request):
        return False  # profiles are created at sign-up

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Read-only displays ------------------------------------------------------------------

    @admin.display(description=_("display name"), ordering="display_name")
    def name(self, profile):
        return profile.display_name or gettext("(no name yet)")

    @admin.display(description=_("email address"), ordering="user__email")
    def email(self, profile):
        return profile.user.email

    @admin.display(description=_("photo"))
    def photo_preview(self, profile):
        if not profile.photo:
            return self.get_empty_value_display()
        return format_html(
            '<img src="{}" alt="{}" width="160">',
            reverse("therapist_photo", args=[profile.pk]),
            gettext("Photo of %(name)s") % {"name": _therapist_name(profile)},
        )

    @admin.display(description=_("biographies"))
    def biographies(self, profile):
        names = dict(THERAPY_LANGUAGES)
        bios = [(names.get(code, code), text) for code, text in profile.bios.items() if text]
        if not bios:
            return self.get_empty_value_display()
        return format_html_join(
            "", '<p><strong>{}</strong><br><span class="bio">{}</span></p>', bios
        )

    @admin.display(description=_("specialities"))
    def speciality_labels(self, profile):
        return _labels(profile.specialities, Speciality.choices)

    @admin.display(description=_("approaches"))
    def approach_labels(self, profile):
        return _labels(profile.approaches, Approach.choices)

    @admin.display(description=_("modalities"))
    def modality_labels(self, profile):
        return _labels(profile.modalities, Modality.choices)

    @admin.display(description=_("countries where licensed to practise"))
    def licensed_country_names(self, profile):
        names = [country.name for country in profile.licensed_countries]
        return ", ".join(names) or self.get_empty_value_display()

    @admin.display(description=_("license valid today"), boolean=True)
    def license_valid_today(self, profile):
        return selectors.license_is_valid(profile=profile, today=selectors.vetting_today())

    @admin.display(description=_("years of clinical experience"))
    def experience_years(self, profile):
        years = selectors.therapist_experience_years(
            profile=profile, today=selectors.vetting_today()
        )
        return self.get_empty_value_display() if years is None else years

    @admin.display(description=_("approval check"))
    def approval_check(self, profile):
        shortfalls = selectors.therapist_approval_shortfalls(
            profile=profile, today=selectors.vetting_today()
        )
        if not shortfalls:
            return gettext("All criteria met")
        return format_html(
            '{}<ul class="approval-shortfalls">{}</ul>',
            gettext("Missing:"),
            format_html_join("", "<li>{}</li>", ((item,) for item in shortfalls)),
        )

    # --- The change page: review only, with a button per decision allowed now ----------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # Nothing on this page is edited; decisions have their own page.
            return HttpResponseNotAllowed(["GET"])
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        decisions = []
        if obj is not None and self.has_change_permission(request, obj):
            decisions = [
                {
                    "label": DECISIONS[action][0],
                    "url": self._decide_url(action, obj.pk),
                    "action": action,
                }
                for action in services.vetting_actions_allowed(profile=obj)
            ]
        context.update(
            title=gettext("Review %(therapist)s") % {"therapist": self.opts.verbose_name},
            vetting_decisions=decisions,
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Decisions: from the changelist or the change page, to a page asking for a reason ----

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:object_id>/decide/<slug:action>/", decide, name=f"{prefix}_decide"),
            path("decide/<slug:action>/", decide, name=f"{prefix}_decide_selected"),
            *super().get_urls(),
        ]

    def _url(self, view: str, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=args,
        )

    def _decide_url(self, action: str, object_id: int | None = None) -> str:
        if object_id is None:
            return self._url("decide_selected", action)
        return self._url("decide", object_id, action)

    def _decide_selected(self, request, queryset, action: str):
        """The changelist action: go to the reason page for the selected therapists."""
        ids = list(queryset.order_by().values_list("pk", flat=True)[: DECISION_MAX_SELECTED + 1])
        if len(ids) > DECISION_MAX_SELECTED:
            self.message_user(
                request,
                gettext("Select at most %(count)d therapists at a time.")
                % {"count": DECISION_MAX_SELECTED},
                messages.ERROR,
            )
            return None
        query = urlencode([("ids", pk) for pk in ids])
        preserved = self.get_preserved_filters(request)
        return HttpResponseRedirect(
            f"{self._decide_url(action)}?{query}" + (f"&{preserved}" if preserved else "")
        )

    def _back_url(self, request, object_id: int | None) -> str:
        url = self._url("changelist") if object_id is None else self._url("change", object_id)
        context: dict[str, Any] = {
            "preserved_filters": self.get_preserved_filters(request),
            "opts": self.opts,
        }
        return add_preserved_filters(context, url)

    def decide_view(self, request, action: str, object_id: int | None = None):
        """Ask for the reason, then decide for each therapist and report each outcome."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if action not in DECISIONS:
            raise Http404
        if object_id is None:
            try:
                ids = [int(pk) for pk in request.GET.getlist("ids")]
            except ValueError:
                raise Http404 from None
        else:
            ids = [object_id]
        profiles = list(
            self.get_queryset(request).filter(pk__in=ids[:DECISION_MAX_SELECTED]).order_by("pk")
        )
        if not profiles:
            raise Http404
        if not all(self.has_change_permission(request, profile) for profile in profiles):
            raise PermissionDenied

        title, _description, done = DECISIONS[action]
        form = VettingReasonForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            for profile in profiles:
                self._decide(request, profile, action, form.cleaned_data["reason"], done)
            return HttpResponseRedirect(self._back_url(request, object_id))

        needs_criteria = services.VETTING_ACTIONS[action].needs_criteria
        today = selectors.vetting_today()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "subtitle": None,
            "action": action,
            "action_label": title,
            "form": form,
            "object_id": object_id,
            "back_url": self._back_url(request, object_id),
            "preserved_filters": self.get_preserved_filters(request),
            "therapists": [
                {
                    "profile": profile,
                    "name": _therapist_name(profile),
                    "change_url": self._url("change", profile.pk),
                    "allowed": action in services.vetting_actions_allowed(profile=profile),
                    "shortfalls": (
                        selectors.therapist_approval_shortfalls(profile=profile, today=today)
                        if needs_criteria
                        else []
                    ),
                }
                for profile in profiles
            ],
            "needs_criteria": needs_criteria,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/accounts/therapistprofile/decide.html",
            context,
            status=422 if form.is_bound else 200,
        )

    def _decide(self, request, profile, action: str, reason: str, done) -> None:
        name = _therapist_name(profile)
        try:
            services.therapist_vetting_decide(
                profile=profile, action=action, actor=request.user, reason=reason
            )
        except services.VettingError as error:
            self.message_user(request, str(error), messages.ERROR)  # it names the therapist
        else:
            # Also in the admin's own history of the object, beside the vetting history.
            self.log_change(request, profile, [{"changed": {"fields": ["Vetting status"]}}])
            self.message_user(request, done % {"name": name}, messages.SUCCESS)
