"""System checks run at every start: development-only secrets are announced, and an encryption
key that cannot work stops the start before any data is touched."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from teletherapy.env import DEV_DEFAULTS_USED


@register(Tags.security, deploy=False)
def development_defaults(app_configs, **kwargs):
    return [
        Warning(
            f"{name} is a development-only default.",
            hint=f"Set {name} in the environment before this platform holds real data.",
            id="teletherapy.W001",
        )
        for name in DEV_DEFAULTS_USED
    ]


@register(Tags.security)
def message_encryption_keys(app_configs, **kwargs):
    if not settings.MESSAGE_ENCRYPTION_KEYS:
        return [Error("MESSAGE_ENCRYPTION_KEYS is empty.", id="teletherapy.E001")]
    errors = []
    for position, key in enumerate(settings.MESSAGE_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"Key {position} of MESSAGE_ENCRYPTION_KEYS is not a Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'",
                    id="teletherapy.E002",
                )
            )
    return errors


@register()
def ice_server_urls(app_configs, **kwargs):
    # A typo here only shows when a call cannot connect; say it at start-up instead.
    schemes = {"ICE_STUN_URLS": ("stun:", "stuns:"), "ICE_TURN_URLS": ("turn:", "turns:")}
    return [
        Error(
            f"{name} has {url!r}, which does not start with {' or '.join(prefixes)}",
            hint="Comma-separated URLs such as stun:turn.example.org:3478 or "
            "turn:turn.example.org:3478?transport=udp",
            id="teletherapy.E003",
        )
        for name, prefixes in schemes.items()
        for url in getattr(settings, name)
        if not url.startswith(prefixes)
    ]


@register()
def ice_transport_policy(app_configs, **kwargs):
    # Relay only with no relay to go through: every call would fail to connect.
    if settings.ICE_TRANSPORT_POLICY == "relay" and not settings.ICE_TURN_URLS:
        return [
            Error(
                "ICE_TRANSPORT_POLICY is relay but ICE_TURN_URLS is empty: no call could connect.",
                hint="Set ICE_TURN_URLS (and TURN_SHARED_SECRET), or ICE_TRANSPORT_POLICY=all.",
                id="teletherapy.E004",
            )
        ]
    return []
