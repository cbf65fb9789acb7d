"""The benchmark's patient: ``python -m bench.project_user create`` prints a logged-in session.

Run with the project's environment (cwd: the project root), in its own process so that the
bench itself never imports Django.
"""

import json
import secrets
import sys

import django


def create() -> dict[str, str | bool]:
    from django.conf import settings
    from django.test import Client

    from accounts.models import PatientProfile, User

    email = f"bench-{secrets.token_hex(6)}@example.invalid"
    patient = User.objects.create_user(
        email=email, password=secrets.token_urlsafe(), role="patient", time_zone="UTC"
    )
    PatientProfile.objects.create(user=patient, nickname="Bench")
    client = Client()
    client.force_login(patient)
    cookie_name = settings.SESSION_COOKIE_NAME
    return {
        "email": email,
        "cookie_name": cookie_name,
        "session_key": client.cookies[cookie_name].value,
        "debug": settings.DEBUG,
    }


def delete(email: str, session_key: str) -> None:
    from importlib import import_module

    from django.conf import settings

    from accounts.models import User

    import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()
    User.objects.filter(email=email).delete()


if __name__ == "__main__":
    django.setup()
    match sys.argv[1:]:
        case ["create"]:
            print(json.dumps(create()))
        case ["delete", email, session_key]:
            delete(email, session_key)
        case _:
            sys.exit("usage: python -m bench.project_user create | delete EMAIL SESSION_KEY")
