"""Every route of the erasure."""

from django.urls import path

from teletherapy.erasure import views

urlpatterns = [
    path("privacy/delete/", views.privacy_delete, name="privacy_delete"),
    path("privacy/delete/cancel/", views.privacy_delete_cancel, name="privacy_delete_cancel"),
]
