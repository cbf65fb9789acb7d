from django.urls import path

from matching import views

urlpatterns = [
    path("start/", views.intake_start, name="intake_start"),
    path("start/safety/", views.intake_safety, name="intake_safety"),
    path("start/done/", views.intake_done, name="intake_done"),
    path("start/send/", views.intake_submit, name="intake_submit"),
    path("start/<slug:step>/", views.intake_step, name="intake_step"),
]
