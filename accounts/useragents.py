"""A device described by its user agent alone, for *Where you are signed in*: the browser, the
system and the kind of device, in a few words. No database of user agents, no lookup of the
network address (no IP geolocation service): a person recognises "Firefox on Windows" or
"Safari on iPhone"; what the text does not say stays unknown. Only these words are stored,
never the user agent itself.
"""

import re
from dataclasses import dataclass

# The longest user agent read: anything beyond is ignored (they are a few hundred characters).
MAX_LENGTH = 512

# Order matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bVersion/[0-9.]+.*\bSafari/")),
]

_SYSTEMS = [
    ("iPadOS", re.compile(r"\biPad\b")),
    ("iOS", re.compile(r"\b(iPhone|iPod)\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]

_TABLET = re.compile(r"\biPad\b|\bTablet\b|Android(?!.*\bMobile\b)")
_PHONE = re.compile(r"\biPhone\b|\biPod\b|\bMobile\b|\bPhone\b")


@dataclass(frozen=True)
class Device:
    browser: str  # "" when the user agent does not say
    system: str
    kind: str  # "computer", "phone", "tablet" or "unknown" (UserSession.DeviceType)


def device_from_user_agent(user_agent: str) -> Device:
    """What a user agent says about the device (any text: never raises)."""
    text = user_agent[:MAX_LENGTH]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), "")
    if _TABLET.search(text) and system in {"iPadOS", "Android"}:
        kind = "tablet"
    elif _PHONE.search(text) and system in {"iOS", "Android", ""}:
        kind = "phone" if system else "unknown"
    elif system in {"Windows", "macOS", "Linux", "ChromeOS"}:
        kind = "computer"
    else:
        kind = "unknown"
    return Device(browser=browser, system=system, kind=kind)
