"""The one place that reads the environment.

Every knob is an environment variable; a secret may instead come from the file named by
``<NAME>_FILE`` (Docker secrets). A development default is recorded in ``DEV_DEFAULTS_USED`` so
that settings can refuse to run production on it and a system check can say it out loud.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEV_DEFAULTS_USED: list[str] = []

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    value = os.environ.get(name)
    return default if value is None else value


def env_secret(name: str, *, dev_default: str) -> str:
    """A secret: from the environment, else a development-only default that is recorded."""
    value = env_str(name)
    if value:
        return value
    DEV_DEFAULTS_USED.append(name)
    return dev_default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name, str(default)).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def mailer_config(url: str) -> dict:
    """Django's default mailer (MAILERS["default"]) from one URL.

    ``console:`` (printed, readable), ``locmem:``, ``file:///path/to/folder``,
    ``smtp://user:password@host:587`` (STARTTLS), ``smtps://user:password@host:465`` (TLS).
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    backends = "django.core.mail.backends"
    if scheme == "console":
        # Decoded, so that a link in a development email can be copied whole.
        return {"BACKEND": "teletherapy.console_mail.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": f"{backends}.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "BACKEND": f"{backends}.filebased.EmailBackend",
            "OPTIONS": {"file_path": unquote(parts.path)},
        }
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        return {
            "BACKEND": f"{backends}.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if scheme == "smtps" else 587),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": scheme == "smtps",
                "use_tls": scheme == "smtp" and query.get("tls", ["true"])[0] != "false",
                "timeout": int(query.get("timeout", ["10"])[0]),
            },
        }
    raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {scheme!r}")
