from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsVideoConfig(AppConfig):
    name = "sessions_video"
    verbose_name = _("Live sessions")

    def ready(self):
        from sessions_video import receivers  # noqa: F401  (connects the signal receivers)
