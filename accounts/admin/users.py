"""Staff's pages on people: every user (patients, therapists, staff) with their role,
preferences and permissions (the staff groups of least privilege among them); a patient's
profile inline. A password set (or removed) here is announced (``password_set_by_staff``) for
the access log, beside the line Django's own admin history keeps."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile, User
from accounts.signals import password_set_by_staff


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

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        # Django answers a saved password with a redirect, and anything else (the form, its
        # errors, a refusal) otherwise.
        if request.method == "POST" and response.status_code == 302:
            password_set_by_staff.send(sender=User, user_id=int(unquote(id)), staff=request.user)
        return response
