"""A device described by its user agent alone: the common browsers and systems are named, what
a user agent does not say stays unknown, and no text makes the parser fail."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.presenters import device_words
from accounts.useragents import Device, device_from_user_agent

AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36": Device("Chrome", "Windows", "computer"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0": Device("Edge", "Windows", "computer"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15": Device("Safari", "macOS", "computer"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0": Device(
        "Firefox", "Linux", "computer"
    ),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": Device("Safari", "iOS", "phone"),
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/126.0 Mobile/15E148 Safari/604.1": Device("Chrome", "iPadOS", "tablet"),
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36": Device("Chrome", "Android", "phone"),
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36": Device(
        "Samsung Internet", "Android", "tablet"
    ),
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36": Device("Chrome", "ChromeOS", "computer"),
    "curl/8.5.0": Device("", "", "unknown"),
    "": Device("", "", "unknown"),
}


@pytest.mark.parametrize(("agent", "device"), AGENTS.items())
def test_common_devices_are_named(agent, device):
    assert device_from_user_agent(agent) == device


def test_the_words_for_a_page():
    assert device_words(browser="Firefox", system="Windows", device_type="computer") == (
        "Firefox on Windows"
    )
    assert device_words(browser="", system="Android", device_type="phone") == "Android"
    assert device_words(browser="", system="", device_type="phone") == "Phone"
    assert device_words(browser="", system="", device_type="nonsense") == "Device"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_user_agent_gives_a_device(agent):
    device = device_from_user_agent(agent)

    assert device.kind in {"computer", "phone", "tablet", "unknown"}
    assert len(device.browser) <= 40
    assert len(device.system) <= 40
