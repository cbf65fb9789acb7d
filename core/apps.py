from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.urls import register_converter

        from core.converters import KeyConverter

        # ``<key:pk>`` in every app's routes (read once the apps are loaded, after this).
        register_converter(KeyConverter, "key")
