from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from matching.models import EmergencyResource, Intake, SafetyFlag, ScreeningResult


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "country_list", "order"]
    list_editable = ["order"]
    search_fields = ["name", "phone", "countries"]

    @admin.display(description=_("countries"))
    def country_list(self, resource):
        return ", ".join(country.code for country in resource.countries)


class ReviewedFilter(admin.SimpleListFilter):
    title = _("reviewed")
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet")), ("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(SafetyFlag)
class SafetyFlagAdmin(admin.ModelAdmin):
    """Cases whose answers showed a risk: staff follow each up and mark it reviewed."""

    list_display = ["created_at", "patient_nickname", "patient", "reason", "reviewed_at"]
    list_filter = [ReviewedFilter, "reason"]
    list_select_related = ["patient__patient_profile"]
    readonly_fields = ["patient", "intake", "reason", "created_at", "reviewed_by", "reviewed_at"]
    fields = [*readonly_fields, "staff_note"]
    actions = ["mark_reviewed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("nickname"))
    def patient_nickname(self, flag):
        return flag.patient.patient_profile.nickname

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
