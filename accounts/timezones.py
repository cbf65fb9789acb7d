"""IANA time zones: validation and the choices offered to people."""

import zoneinfo
from datetime import UTC, datetime
from functools import cache

_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_time_zone(name: str) -> str:
    """``name`` if it is a real IANA time zone, else an empty string."""
    return name if name in _zone_names() else ""


def time_zone_choices() -> list[tuple[str, str]]:
    """Regional zones with their current offset: "Europe/Paris (UTC+01:00)"."""
    now = datetime.now(UTC)
    names = [*sorted(name for name in _zone_names() if name.startswith(_REGIONS)), "UTC"]
    choices = []
    for name in names:
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
        label = f"{name.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"
        choices.append((name, label))
    return choices
