"""Fixtures of the room tests: the clock, stopped five minutes into the session of
``tests.factories.sessions_video.a_room`` (its room open)."""

import copy

import pytest
import time_machine

from tests.factories.sessions_video import DURING


@pytest.fixture
def clock(settings):
    """Five minutes into the room's session; ``clock.move_to`` / ``clock.shift`` travel on.

    channels-redis dates a socket's group entries by this clock, and drops those older than
    ``group_expiry`` when it sends to the group; the process renews live ones
    (``core.channel_layer``) on the real clock, which travels nowhere. A test that jumps hours
    ahead keeps its sockets in their groups with entries that last a week."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "group_expiry" in layers["default"].get("CONFIG", {}):
        layers["default"]["CONFIG"]["group_expiry"] = 7 * 24 * 3600
        settings.CHANNEL_LAYERS = layers
    with time_machine.travel(DURING, tick=False) as traveller:
        yield traveller
