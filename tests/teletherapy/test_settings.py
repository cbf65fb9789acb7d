"""Settings from the environment: production passes the deployment checks and refuses to start
without its secrets, development defaults announce themselves, secrets from files, mailers from
URLs."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from teletherapy.env import mailer_config
from tests.helpers import PRODUCTION, manage


def test_a_production_configuration_passes_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "MESSAGE_ENCRYPTION_KEYS", "EMAIL_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "Production (DEBUG=false) needs these environment variables" in result.stderr
    assert missing in result.stderr


def test_development_defaults_are_announced():
    result = manage("check", env={"DEBUG": "true"})

    assert "teletherapy.W001" in result.stderr
    assert "SECRET_KEY is a development-only default" in result.stderr


def test_a_broken_encryption_key_stops_the_start():
    result = manage("check", env={"DEBUG": "true", "MESSAGE_ENCRYPTION_KEYS": "not-a-key"})

    assert result.returncode != 0
    assert "teletherapy.E002" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = manage("check", "--deploy", env=env | {"SECRET_KEY_FILE": str(key_file)})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console:", {"BACKEND": "teletherapy.console_mail.EmailBackend"}),
        (
            "file:///var/mail/outbox",
            {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": "/var/mail/outbox"},
            },
        ),
        (
            "smtp://user%40example.org:p%40ss@smtp.example.org",
            {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "smtp.example.org",
                    "port": 587,
                    "username": "user@example.org",
                    "password": "p@ss",
                    "use_ssl": False,
                    "use_tls": True,
                    "timeout": 10,
                },
            },
        ),
    ],
)
def test_mailer_from_url(url, expected):
    assert mailer_config(url) == expected


def test_smtps_uses_implicit_tls():
    options = mailer_config("smtps://u:p@smtp.example.org")["OPTIONS"]

    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


def test_an_unknown_mail_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured):
        mailer_config("carrier-pigeon://coop")
