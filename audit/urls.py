"""The access log's page for patients (the Privacy page itself is the roof's: it gathers every
app's section)."""

from django.urls import path

from audit import views

urlpatterns = [
    path("privacy/who-saw-my-record/", views.access_log, name="access_log"),
]
