from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from teletherapy import views

# Staff log in through allauth, with their second factor, never through the admin's own form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = admin.site.site_title = "Administration"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("emergency/", views.emergency, name="emergency"),
    path("home/", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("", include("accounts.urls")),
    path("", include("matching.urls")),
    path("", include("messaging.urls")),
    path("", include("scheduling.urls")),
    path("", include("sessions_video.urls")),
    path("admin/", admin.site.urls),
]
