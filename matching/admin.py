"""Matching in the administration: emergency numbers and crisis lines (staff correct them),
safety flags to follow up, intakes, searches (assigning a therapist by hand), the waiting list by
country and language, offers, matches, and therapists' practice abroad.

Staff see what their group allows (audit's migration 0003 makes the groups): *Clinical safety*
the safety flags, intakes and emergency numbers; *Matching support* the searches, offers,
matches and the waiting list, never what a patient or therapist wrote in their own words
(``reads_free_text``). Opening a record about a patient writes an access log entry
(``audit.admin.AccessLoggedAdmin``).
"""

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
from audit.admin import AccessLoggedAdmin
from audit.models import AccessEntry
from core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from matching import services
from matching.models import (
    AbroadPractice,
    EmergencyNumber,
    EmergencyResource,
    Intake,
    Match,
    MatchRequest,
    Offer,
    SafetyFlag,
    ScreeningResult,
    WaitingPatient,
    Worksheet,
)

# What patients (and therapists about them) wrote in their own words: shown to those who may
# read intakes (Clinical safety, superusers) and left out for everyone else.
FREE_TEXT_PERMISSION = "matching.view_intake"


def reads_free_text(request) -> bool:
    return request.user.has_perm(FREE_TEXT_PERMISSION)


class CheckedFilter(admin.SimpleListFilter):
    title = _("checked by staff")
    parameter_name = "checked"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(checked_at__isnull=self.value() == "no")
        return queryset


@admin.register(EmergencyNumber)
class EmergencyNumberAdmin(admin.ModelAdmin):
    """One row per country: what the emergency pages show first. Correct a number, then set
    the date you checked it."""

    list_display = ["country", "emergency", "police", "checked_at"]
    list_filter = [CheckedFilter]
    search_fields = ["country", "emergency", "police"]
    fields = ["country", "emergency", "police", "source", "checked_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["country"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # every country keeps a row


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(admin.ModelAdmin):
    """Crisis lines and other numbers, shown after the emergency services of their countries."""

    list_display = ["name", "phone", "country_list", "order", "source"]
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


class SafetyFlagForm(forms.ModelForm):
    """The staff note is written about the patient: kept under their data key (the model's
    ``staff_note`` encrypts), edited here as plain text."""

    staff_note = forms.CharField(label=_("staff note"), required=False, widget=forms.Textarea)

    class Meta:
        model = SafetyFlag
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["staff_note"] = self.instance.staff_note if self.instance.pk else ""

    def save(self, commit=True):
        self.instance.staff_note = self.cleaned_data["staff_note"].strip()
        return super().save(commit)


@admin.register(SafetyFlag)
class SafetyFlagAdmin(AccessLoggedAdmin):
    """Cases whose answers showed a risk: staff follow each up and mark it reviewed."""

    audit_kind = AccessEntry.Kind.SAFETY_FLAG
    form = SafetyFlagForm

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
    readonly_fields = (
        "patient",
        "intake",
        "answered_in",
        "reason",
        "created_at",
        "reviewed_by",
        "reviewed_at",
    )
    fields = (*readonly_fields, "staff_note")
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
    fields = readonly_fields = ("instrument", "score", "band", "taken_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Intake)
class IntakeAdmin(AccessLoggedAdmin):
    audit_kind = AccessEntry.Kind.INTAKE
    # The patient's own words, decrypted for those who may read intakes (Clinical safety).
    readonly_fields = ["concerns_text", "goals"]
    list_display = ["created_at", "patient", "country", "modality", "in_danger"]
    list_filter = ["in_danger", "modality", "country"]
    search_fields = ["patient__email", "patient__patient_profile__nickname"]
    inlines = [ScreeningResultInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Matching: requests under the 24-hour promise, offers, matches -----------------------------


EscalatedFilter = _date_set_filter(
    "escalated_at", _("escalated to staff"), "escalated", yes=_("Yes"), no=_("No")
)


class OfferInline(ReadOnlyTabularInline):
    model = Offer
    fields = readonly_fields = (
        "therapist",
        "status",
        "score",
        "created_at",
        "expires_at",
        "responded_at",
        "decline_reason",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("therapist")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if reads_free_text(request) else [f for f in fields if f != "decline_reason"]

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(MatchRequest).has_view_permission(request, obj)


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
class MatchRequestAdmin(AccessLoggedAdmin):
    """Searches for a therapist. Read-only, but for assigning a therapist by hand."""

    audit_kind = AccessEntry.Kind.MATCH_REQUEST

    list_display = [
        "patient_nickname",
        "status",
        "created_at",
        "deadline",
        "escalated_at",
        "waiting_since",
    ]
    list_filter = ["status", EscalatedFilter]
    list_select_related = ["patient__patient_profile"]
    search_fields = ["patient__patient_profile__nickname", "patient__email"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "patient",
        "patient_nickname",
        "intake",
        "status",
        "created_at",
        "deadline",
        "escalated_at",
        "waiting_since",
        "preferred_therapist",
        "share_earlier_history",
    )
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


class _FreeTextHidden:
    """Leaves ``free_text_fields`` out of the page for staff who may not read free text."""

    free_text_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        if reads_free_text(request):
            return fields
        return [field for field in fields if field not in self.free_text_fields]


@admin.register(Offer)
class OfferAdmin(_FreeTextHidden, AccessLoggedAdmin, ReadOnlyAdmin):
    audit_kind = AccessEntry.Kind.OFFER
    free_text_fields = ("decline_reason",)
    readonly_fields = ["decline_reason"]  # decrypted: the model's attribute
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

    def audit_patient_id(self, offer):
        return offer.request.patient_id

    @admin.display(description=_("nickname"))
    def patient_nickname(self, offer):
        return offer.request.patient.patient_profile.nickname


@admin.register(Match)
class MatchAdmin(_FreeTextHidden, AccessLoggedAdmin, ReadOnlyAdmin):
    audit_kind = AccessEntry.Kind.MATCH
    free_text_fields = ("end_reason",)
    readonly_fields = ["end_reason"]  # decrypted: the model's attribute
    list_display = ["patient_nickname", "therapist", "status", "started_at", "ended_at"]
    list_filter = ["status"]
    list_select_related = ["patient__patient_profile", "therapist"]
    search_fields = ["patient__patient_profile__nickname", "therapist__display_name"]

    @admin.display(description=_("nickname"))
    def patient_nickname(self, match):
        return match.patient.patient_profile.nickname


# --- The waiting list and practice abroad -------------------------------------------------------


class LanguageFilter(admin.SimpleListFilter):
    """Waiting patients who speak a language (any of the ones they gave)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        codes = {
            code
            for languages in model_admin.get_queryset(request).values_list(
                "intake__languages", flat=True
            )
            for code in languages or ()
        }
        names = dict(THERAPY_LANGUAGES)
        return sorted(((code, names.get(code, code)) for code in codes), key=lambda c: str(c[1]))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # A list of a few languages per row, and a short list: filtered here, the same on
        # PostgreSQL and SQLite.
        rows = queryset.values_list("pk", "intake__languages")
        return queryset.filter(pk__in=[pk for pk, codes in rows if self.value() in (codes or ())])


@admin.register(WaitingPatient)
class WaitingPatientAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    """Patients no approved therapist can see yet, by country and language: who to recruit.
    They leave the list by themselves once a therapist who can see them is approved (or opts in
    to see patients abroad)."""

    list_display = [
        "patient_nickname",
        "country",
        "home_country",
        "languages",
        "waiting_since",
    ]
    list_filter = ["intake__country", "intake__home_country", LanguageFilter]
    list_select_related = ["patient__patient_profile", "intake"]
    search_fields = ["patient__patient_profile__nickname", "patient__email"]
    ordering = ["intake__country", "waiting_since"]
    audit_kind = AccessEntry.Kind.MATCH_REQUEST

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=MatchRequest.Status.OPEN, waiting_since__isnull=False)
        )

    @admin.display(description=_("nickname"), ordering="patient__patient_profile__nickname")
    def patient_nickname(self, waiting):
        return waiting.patient.patient_profile.nickname

    @admin.display(description=_("lives in"), ordering="intake__country")
    def country(self, waiting):
        return waiting.intake.country.name

    @admin.display(description=_("comes from"), ordering="intake__home_country")
    def home_country(self, waiting):
        return waiting.intake.home_country.name if waiting.intake.home_country else "—"

    @admin.display(description=_("languages"))
    def languages(self, waiting):
        names = dict(THERAPY_LANGUAGES)
        return ", ".join(str(names.get(code, code)) for code in waiting.intake.languages)


@admin.register(AbroadPractice)
class AbroadPracticeAdmin(admin.ModelAdmin):
    """Therapists who see people from their licence countries living abroad; they choose it on
    their own page (Practice → Patients living abroad), staff may correct it here."""

    list_display = ["therapist", "serves_citizens_abroad", "changed_at"]
    list_filter = ["serves_citizens_abroad"]
    list_select_related = ["therapist"]
    search_fields = ["therapist__display_name", "therapist__user__email"]
    raw_id_fields = ["therapist"]
    readonly_fields = ["changed_at"]

    def save_model(self, request, obj, form, change):
        # Through the service: opting someone in may let a patient off the waiting list.
        services.abroad_practice_set(
            therapist=obj.therapist, serves_citizens_abroad=obj.serves_citizens_abroad
        )


# --- The worksheet library (issue 18, item 3) ---------------------------------------------
# Staff write the exercises therapists give; no page here shows a goal, a worksheet given or an
# answer: those are the patient's and their therapist's only (no admin is registered for them).


class WorksheetAdminForm(forms.ModelForm):
    class Meta:
        model = Worksheet
        fields = [
            "slug",
            "active",
            "order",
            "title_en",
            "instructions_en",
            "row_label_en",
            "title_fr",
            "instructions_fr",
            "row_label_fr",
            "fields",
            "rows",
        ]
        widgets = {"fields": forms.Textarea(attrs={"rows": 16, "cols": 100})}


@admin.register(Worksheet)
class WorksheetAdmin(admin.ModelAdmin):
    form = WorksheetAdminForm
    list_display = ["title_en", "title_fr", "rows", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["title_en", "title_fr", "slug"]
    prepopulated_fields = {"slug": ["title_en"]}
    fieldsets = [
        (None, {"fields": ["slug", "active", "order"]}),
        (_("English"), {"fields": ["title_en", "instructions_en", "row_label_en"]}),
        (_("French"), {"fields": ["title_fr", "instructions_fr", "row_label_fr"]}),
        (_("Fields"), {"fields": ["fields", "rows"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # A worksheet once given stays, for the answers that name it: retire it instead.
        if obj is not None and obj.assignments.exists():
            return False
        return super().has_delete_permission(request, obj)
