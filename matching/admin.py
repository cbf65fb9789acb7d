from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.choices import THERAPY_LANGUAGES
from accounts.models import TherapistLanguage
from accounts.selectors import therapists_visible_to_patients
from matching import services
from matching.models import (
    EmergencyResource,
    Intake,
    Match,
    MatchRequest,
    Offer,
    SafetyFlag,
    ScreeningResult,
)


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "country_list", "order"]
    list_editable = ["order"]
    search_fields = ["name", "phone", "countries"]

    @admin.display(description=_("countries"))
    def country_list(self, resource):
        return ", ".join(country.code for country in resource.countries)


def _date_set_filter(field: str, title, parameter: str, *, yes, no):
    """A list filter on whether a date field is set (reviewed, escalated …)."""

    class DateSetFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            return [("no", no), ("yes", yes)]

        def queryset(self, request, queryset):
            if self.value() in ("yes", "no"):
                return queryset.filter(**{f"{field}__isnull": self.value() == "no"})
            return queryset

    DateSetFilter.title = title
    return DateSetFilter


ReviewedFilter = _date_set_filter(
    "reviewed_at", _("reviewed"), "reviewed", yes=_("Yes"), no=_("Not yet")
)


@admin.register(SafetyFlag)
class SafetyFlagAdmin(admin.ModelAdmin):
    """Cases whose answers showed a risk: staff follow each up and mark it reviewed."""

    list_display = [
        "created_at",
        "patient_nickname",
        "patient",
        "reason",
        "answered_in",
        "reviewed_at",
    ]
    list_filter = [ReviewedFilter, "reason"]
    list_select_related = ["patient__patient_profile"]
    readonly_fields = [
        "patient",
        "intake",
        "answered_in",
        "reason",
        "created_at",
        "reviewed_by",
        "reviewed_at",
    ]
    fields = [*readonly_fields, "staff_note"]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("nickname"))
    def patient_nickname(self, flag):
        return flag.patient.patient_profile.nickname

    @admin.display(description=_("answered in"))
    def answered_in(self, flag):
        # A check-in (PHQ-9 and GAD-7 retaken later) has no intake.
        return _("the intake") if flag.intake_id else _("a check-in")

    @admin.action(description=_("Mark as reviewed"))
    def mark_reviewed(self, request, queryset):
        count = queryset.filter(reviewed_at__isnull=True).update(
            reviewed_by=request.user, reviewed_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d case marked as reviewed.", "%(count)d cases marked as reviewed.", count
            )
            % {"count": count},
        )


class ScreeningResultInline(admin.TabularInline):
    model = ScreeningResult
    fields = ["instrument", "score", "band", "taken_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "patient", "country", "modality", "in_danger"]
    list_filter = ["in_danger", "modality", "country"]
    search_fields = ["patient__email", "patient__patient_profile__nickname"]
    inlines = [ScreeningResultInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Matching: requests under the 24-hour promise, offers, matches -----------------------------


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the matching services: staff look, and assign by hand on a request."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


EscalatedFilter = _date_set_filter(
    "escalated_at", _("escalated to staff"), "escalated", yes=_("Yes"), no=_("No")
)


class OfferInline(admin.TabularInline):
    model = Offer
    fields = readonly_fields = [
        "therapist",
        "status",
        "score",
        "created_at",
        "expires_at",
        "responded_at",
        "decline_reason",
    ]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("therapist")

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(MatchRequest).has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TherapistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, profile):
        names = dict(THERAPY_LANGUAGES)
        codes = [row.language for row in profile.languages.all()]
        spoken = ", ".join(str(names.get(code, code)) for code in codes)
        return f"{profile.display_name or profile.user.email} ({spoken})"


class AssignTherapistForm(forms.Form):
    required_css_class = "required"

    therapist = TherapistChoiceField(
        label=_("Therapist"),
        queryset=therapists_visible_to_patients()
        .select_related("user")
        .prefetch_related(Prefetch("languages", TherapistLanguage.objects.order_by("language")))
        .order_by("display_name", "pk"),
        help_text=_(
            "Any approved therapist. Matching's filters (languages, country, caseload) do not "
            "apply here: check that this therapist suits the person."
        ),
        error_messages={"required": _("Choose a therapist.")},
    )


@admin.register(MatchRequest)
class MatchRequestAdmin(admin.ModelAdmin):
    """Searches for a therapist. Read-only, but for assigning a therapist by hand."""

    list_display = ["patient_nickname", "status", "created_at", "deadline", "escalated_at"]
    list_filter = ["status", EscalatedFilter]
    list_select_related = ["patient__patient_profile"]
    search_fields = ["patient__patient_profile__nickname", "patient__email"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "patient",
        "patient_nickname",
        "intake",
        "status",
        "created_at",
        "deadline",
        "escalated_at",
        "preferred_therapist",
        "share_earlier_history",
    ]
    inlines = [OfferInline]
    change_form_template = "admin/matching/matchrequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("nickname"), ordering="patient__patient_profile__nickname")
    def patient_nickname(self, match_request):
        return match_request.patient.patient_profile.nickname

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])  # nothing is edited here
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        assign_url = None
        if (
            obj is not None
            and obj.status == MatchRequest.Status.OPEN
            and self.has_change_permission(request, obj)
        ):
            assign_url = self._assign_url(obj.pk)
        context.update(
            assign_url=assign_url,
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_assign"
        assign = self.admin_site.admin_view(self.assign_view)
        return [path("<path:object_id>/assign/", assign, name=name), *super().get_urls()]

    def _assign_url(self, object_id) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_assign",
            args=[object_id],
        )

    def assign_view(self, request, object_id):
        """Choose a therapist for the request (``services.match_request_assign``)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        match_request = self.get_object(request, unquote(object_id))
        if match_request is None:
            raise Http404
        if not self.has_change_permission(request, match_request):
            raise PermissionDenied
        change_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[match_request.pk],
        )
        form = AssignTherapistForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            therapist = form.cleaned_data["therapist"]
            try:
                services.match_request_assign(
                    request_id=match_request.pk, therapist_id=therapist.pk, actor=request.user
                )
            except services.OfferError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(therapist)s is now the therapist of %(nickname)s.")
                    % {
                        "therapist": therapist.display_name or therapist.user.email,
                        "nickname": match_request.patient.patient_profile.nickname,
                    },
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Assign a therapist"),
            "subtitle": None,
            "form": form,
            "match_request": match_request,
            "nickname": match_request.patient.patient_profile.nickname,
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/matching/matchrequest/assign.html",
            context,
            status=422 if form.is_bound else 200,
        )


@admin.register(Offer)
class OfferAdmin(_ReadOnlyAdmin):
    list_display = [
        "pk",
        "patient_nickname",
        "therapist",
        "status",
        "created_at",
        "expires_at",
        "responded_at",
    ]
    list_filter = ["status"]
    list_select_related = ["request__patient__patient_profile", "therapist"]
    search_fields = ["request__patient__patient_profile__nickname", "therapist__display_name"]

    @admin.display(description=_("nickname"))
    def patient_nickname(self, offer):
        return offer.request.patient.patient_profile.nickname


@admin.register(Match)
class MatchAdmin(_ReadOnlyAdmin):
    list_display = ["patient_nickname", "therapist", "status", "started_at", "ended_at"]
    list_filter = ["status"]
    list_select_related = ["patient__patient_profile", "therapist"]
    search_fields = ["patient__patient_profile__nickname", "therapist__display_name"]

    @admin.display(description=_("nickname"))
    def patient_nickname(self, match):
        return match.patient.patient_profile.nickname
