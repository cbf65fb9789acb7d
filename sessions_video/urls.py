from django.urls import path

from sessions_video import views

urlpatterns = [
    path("sessions/<int:pk>/room/", views.room_enter, name="session_room_enter"),
    path("room/<str:token>/", views.session_room, name="session_room"),
]
