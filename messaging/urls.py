from django.urls import path

from messaging import views

urlpatterns = [
    path("messages/", views.conversation_list, name="conversations"),
    path("messages/unread/", views.unread_badge, name="unread_badge"),
    path("messages/<int:pk>/", views.conversation, name="conversation"),
    path("messages/<int:pk>/send/", views.message_send, name="message_send"),
    path(
        "messages/<int:pk>/files/<int:attachment_pk>/",
        views.attachment,
        name="message_attachment",
    ),
]
