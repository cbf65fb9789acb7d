from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "teletherapy.exports"
    label = "exports"
    verbose_name = _("Data exports")

    def ready(self):
        from teletherapy.exports import receivers  # noqa: F401
