from django.urls import path

from messaging import views

# Under "messages/" (teletherapy/urls.py).

urlpatterns = [
    path("", views.conversation_list, name="conversations"),
    path("unread/", views.unread_badge, name="unread_badge"),
    path("<int:pk>/", views.conversation, name="conversation"),
    path("<int:pk>/send/", views.message_send, name="message_send"),
    path("<int:pk>/voice/", views.voice_send, name="voice_send"),
    path(
        "<int:pk>/voice/<int:attachment_pk>/",
        views.voice_file,
        name="voice_file",
    ),
    path(
        "<int:pk>/voice/<int:attachment_pk>/played/",
        views.voice_played,
        name="voice_played",
    ),
    path(
        "<int:pk>/voice/<int:attachment_pk>/delete/",
        views.voice_delete,
        name="voice_delete",
    ),
    path(
        "<int:pk>/files/<int:attachment_pk>/",
        views.attachment,
        name="message_attachment",
    ),
]
