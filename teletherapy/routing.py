from django.urls import path

from messaging.consumers import ConversationConsumer
from sessions_video.consumers import RoomConsumer
from teletherapy.consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/conversations/<key:pk>/", ConversationConsumer.as_asgi()),
    path("ws/room/<str:token>/", RoomConsumer.as_asgi()),
]
