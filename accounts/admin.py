from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile, TherapistLanguage, TherapistProfile, User


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "role"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password", "role"]}),
        (_("Preferences"), {"fields": ["language", "time_zone"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "role", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_inlines(self, request, obj):
        return [PatientProfileInline] if obj is not None and obj.is_patient else []


class TherapistLanguageInline(admin.TabularInline):
    model = TherapistLanguage
    extra = 0


@admin.register(TherapistProfile)
class TherapistProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "vetting_status", "accepting_new_patients"]
    list_filter = ["vetting_status", "accepting_new_patients", "languages__language"]
    search_fields = ["display_name", "user__email"]
    inlines = [TherapistLanguageInline]
    raw_id_fields = ["user"]
