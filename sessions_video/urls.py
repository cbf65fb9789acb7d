"""The session room's routes: entering a session's room, and the room page by its token."""

from django.urls import path, register_converter

from sessions_video import views


class RoomTokenConverter:
    """A room's token as ``sessions_video.models.new_room_token`` makes it (URL-safe base64):
    anything else (NUL, which PostgreSQL refuses in text, among it) is not a room, 404, before
    any query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RoomTokenConverter, "room_token")

urlpatterns = [
    path("sessions/<key:pk>/room/", views.room_enter, name="session_room_enter"),
    path("sessions/<key:pk>/late/", views.session_late, name="session_late"),
    path("room/<room_token:token>/", views.session_room, name="session_room"),
]
