"""Bases for the admin pages of records that only the apps' services write, and the outbox's
own page."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.models import OutboxEmail
from core.outbox import outbox_retry


class ReadOnly:
    """Staff look; nobody adds, changes or deletes here (the services own every write)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """What the platform is sending and where each email stands: its kind (template), to whom,
    attempts and the kind of the last failure. Never the subject or the body."""

    list_display = ["template", "to", "state", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["state", "template"]
    search_fields = ["to"]
    fields = readonly_fields = (
        "template",
        "to",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    actions = ["try_again"]

    @admin.action(description=_("Try the selected emails again now"))
    def try_again(self, request, queryset):
        count = outbox_retry(email_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d email will be sent again.",
                "%(count)d emails will be sent again.",
                count,
            )
            % {"count": count},
        )
