"""Serve the platform for the browser tests: daphne in a fresh process (started, not forked,
so it shares no thread, socket or event loop with the tests), on the test database.

    E2E_DATABASE_NAME=test_teletherapy E2E_OUTBOX=/tmp/outbox python -m tests.e2e.serve

It prints daphne's "Listening on TCP address 127.0.0.1:<port>" when ready.
"""

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = os.environ["E2E_DATABASE_NAME"]

    import django

    django.setup()

    from tests.settings_overrides import apply_test_settings

    apply_test_settings(settings)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ["E2E_OUTBOX"]},
        }
    }

    from teletherapy.celery import app as celery_app

    # As in the tests, the worker runs inline; E2E_CELERY_EAGER=false: tasks wait in the broker
    # for a worker the test plays itself (to watch a long task's progress).
    celery_app.conf.task_always_eager = os.environ.get("E2E_CELERY_EAGER", "true") != "false"

    from channels.routing import get_default_application
    from daphne.server import Server

    Server(
        application=get_default_application(),
        # E2E_PORT: a test that stops the server and starts it again at the same address.
        endpoints=[f"tcp:port={int(os.environ.get('E2E_PORT', '0'))}:interface=127.0.0.1"],
    ).run()


if __name__ == "__main__":
    main()
