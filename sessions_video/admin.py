"""Session rooms for staff to look at: attendance records, read only."""

from django.contrib import admin

from sessions_video.models import Attendance, Room


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = readonly_fields = ("user", "joined_at", "left_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Attendance records, read only; the token (a key to the room) is not shown."""

    list_display = ["__str__", "created_at", "started_at", "ended_at"]
    fields = readonly_fields = ("appointment", "created_at", "started_at", "ended_at")
    inlines = [AttendanceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
