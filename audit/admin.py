"""The access log in the admin (read-only: nobody adds, changes or deletes an entry), and the
mixin that logs staff opening a patient's record in the admin (``AccessLoggedAdmin``)."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import services
from audit.models import AccessEntry
from core.admin import ReadOnlyAdmin


class AccessLoggedAdmin(admin.ModelAdmin):
    """For the admin pages of a record about a patient (an intake, a safety flag …): opening
    one writes an access log entry of ``audit_kind``. Written where the admin has just let the
    staff member in: its change page is only rendered once their permission to view this
    object was checked (a refusal is a 403 and logs nothing)."""

    audit_kind: str

    def audit_patient_id(self, obj) -> int:
        """Whose record ``obj`` is."""
        return obj.patient_id

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            services.access_record(
                reader=request.user,
                patient_id=self.audit_patient_id(obj),
                kind=self.audit_kind,
                record_id=obj.pk,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def _email_of(field: str) -> Subquery:
    return Subquery(User.objects.filter(pk=OuterRef(field)).values("email")[:1])


@admin.register(AccessEntry)
class AccessEntryAdmin(ReadOnlyAdmin):
    """Who read which patient's record, what kind, when, from which session (a digest). Never
    the content. Filter by kind, role and date; search by a patient's or reader's user id.
    Only superusers, or staff given "Can view access log entry", see it."""

    list_display = [
        "at",
        "patient_email",
        "reader_email",
        "role",
        "kind",
        "record_id",
        "session",
        "seq",
    ]
    list_filter = ["kind", "role", "at"]
    date_hierarchy = "at"
    search_fields = ["=patient_id", "=accessor_id"]
    search_help_text = _("A patient's or a reader's user id.")
    fields = readonly_fields = (
        "at",
        "patient_id",
        "patient_email",
        "accessor_id",
        "reader_email",
        "role",
        "kind",
        "record_id",
        "session_digest",
        "seq",
        "prev_hash",
        "hash",
    )
    show_full_result_count = False  # no second COUNT over a table that only grows

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(patient_email=_email_of("patient_id"), reader_email=_email_of("accessor_id"))
        )

    @admin.display(description=_("patient"))
    def patient_email(self, entry):
        return entry.patient_email or f"#{entry.patient_id} ({_('account deleted')})"

    @admin.display(description=_("reader"))
    def reader_email(self, entry):
        if entry.accessor_id is None:
            return _("the platform")
        return entry.reader_email or f"#{entry.accessor_id} ({_('account deleted')})"

    @admin.display(description=_("session"))
    def session(self, entry):
        return entry.session_digest[:12] or "—"
