"""Every route of the platform: the roof's own pages (landing, emergency numbers, dashboards,
privacy, health) and each app's urls.py."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from teletherapy import privacy, views

# Staff log in through allauth, with their second factor, never through the admin's own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = admin.site.site_title = "Administration"

urlpatterns = [
    # Routes are tried in order: a conversation's first, the busiest (each message is sent to
    # one and fetched from it, every page asks its unread count), and under their own prefix
    # so that any other path leaves them after one comparison.
    path("messages/", include("messaging.urls")),
    path("", views.landing, name="landing"),
    path("emergency/", views.emergency, name="emergency"),
    path("home/", views.home, name="home"),
    path("home/caseload/", views.dashboard_caseload, name="dashboard_caseload"),
    path(
        "home/caseload/<key:patient_id>/",
        views.dashboard_caseload_row,
        name="dashboard_caseload_row",
    ),
    path("home/sessions/", views.dashboard_sessions, name="dashboard_sessions"),
    path("healthz/", views.healthz, name="healthz"),
    path("healthz/details/", views.healthz_details, name="healthz_details"),
    path("ping/", views.ping, name="ping"),
    path("favicon.ico", views.favicon),
    path("privacy/", privacy.privacy, name="privacy"),
    path("", include("audit.urls")),
    path("", include("accounts.urls")),
    path("", include("matching.urls")),
    path("", include("scheduling.urls")),
    path("", include("sessions_video.urls")),
    path("", include("teletherapy.exports.urls")),
    path("", include("teletherapy.erasure.urls")),
    path("admin/", admin.site.urls),
]
