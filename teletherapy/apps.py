from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeletherapyConfig(AppConfig):
    name = "teletherapy"
    verbose_name = _("Platform")

    def ready(self):
        from teletherapy import checks  # noqa: F401  (registers the system checks)
