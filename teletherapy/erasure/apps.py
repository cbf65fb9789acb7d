from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErasureConfig(AppConfig):
    name = "teletherapy.erasure"
    label = "erasure"
    verbose_name = _("Account deletion")

    def ready(self):
        from teletherapy.erasure import receivers  # noqa: F401
