from django.urls import path

from messaging import views

urlpatterns = [
    path("messages/", views.conversation_list, name="conversations"),
    path("messages/unread/", views.unread_badge, name="unread_badge"),
    path("messages/<int:pk>/", views.conversation, name="conversation"),
    path("messages/<int:pk>/send/", views.message_send, name="message_send"),
    path("messages/<int:pk>/voice/", views.voice_send, name="voice_send"),
    path(
        "messages/<int:pk>/voice/<int:attachment_pk>/",
        views.voice_file,
        name="voice_file",
    ),
    path(
        "messages/<int:pk>/voice/<int:attachment_pk>/played/",
        views.voice_played,
        name="voice_played",
    ),
    path(
        "messages/<int:pk>/voice/<int:attachment_pk>/delete/",
        views.voice_delete,
        name="voice_delete",
    ),
    path(
        "messages/<int:pk>/files/<int:attachment_pk>/",
        views.attachment,
        name="message_attachment",
    ),
]
