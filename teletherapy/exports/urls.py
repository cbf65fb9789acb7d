"""Every route of the exports."""

from django.urls import path

from teletherapy.exports import views

urlpatterns = [
    path("privacy/export/", views.privacy_export, name="privacy_export"),
    path("privacy/export/status/", views.privacy_export_status, name="privacy_export_status"),
    path("privacy/export/<key:pk>/download/", views.export_download, name="export_download"),
]
