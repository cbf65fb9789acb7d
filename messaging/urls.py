from django.urls import path

from messaging import views

# Under "messages/" (teletherapy/urls.py).

urlpatterns = [
    path("", views.conversation_list, name="conversations"),
    path("unread/", views.unread_badge, name="unread_badge"),
    path("<key:pk>/", views.conversation, name="conversation"),
    path("<key:pk>/send/", views.message_send, name="message_send"),
    path("<key:pk>/voice/", views.voice_send, name="voice_send"),
    path(
        "<key:pk>/voice/<key:attachment_pk>/",
        views.voice_file,
        name="voice_file",
    ),
    path(
        "<key:pk>/voice/<key:attachment_pk>/played/",
        views.voice_played,
        name="voice_played",
    ),
    path(
        "<key:pk>/voice/<key:attachment_pk>/delete/",
        views.voice_delete,
        name="voice_delete",
    ),
    path(
        "<key:pk>/files/<key:attachment_pk>/",
        views.attachment,
        name="message_attachment",
    ),
]
