"""Group entries in Redis die with the process that made them: each process renews its live
entries, so a short group expiry drops a stopped server's entries without ever dropping a live
socket from its groups."""

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer as PlainLayer
from django.conf import settings
from redis.asyncio import Redis

from core.channel_layer import RedisChannelLayer

GROUP = "renewal-test"


def _layers(group_expiry: int) -> tuple[RedisChannelLayer, PlainLayer]:
    """This project's layer, renewing every 0.1 s, and a plain one (a process that stopped:
    nothing renews what it added)."""
    options = {
        "hosts": [settings.REDIS_URL],
        "prefix": "test-renewal",
        "group_expiry": group_expiry,
    }
    ours = RedisChannelLayer(**options)
    ours.renew_every = 0.1
    return ours, PlainLayer(**options)


async def _scores(layer: PlainLayer) -> dict[str, float]:
    async with Redis.from_url(settings.REDIS_URL) as client:
        entries = await client.zrange(layer._group_key(GROUP), 0, -1, withscores=True)
    scores = {}
    for entry in entries:
        name, score = entry[0], entry[1]
        scores[name.decode() if isinstance(name, bytes) else str(name)] = float(score)
    return scores


async def _age(layer: PlainLayer, channel: str, seconds: int) -> None:
    """As if ``channel`` had been added ``seconds`` ago."""
    async with Redis.from_url(settings.REDIS_URL) as client:
        await client.zadd(layer._group_key(GROUP), {channel: time.time() - seconds})


def test_settings_use_this_layer_with_a_short_expiry():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    assert layer.group_expiry == 900
    assert layer.renew_every == 300


@pytest.mark.asyncio
async def test_a_stopped_servers_entry_expires_and_a_live_one_does_not():
    ours, stopped = _layers(group_expiry=60)
    live = await ours.new_channel()
    gone = await stopped.new_channel()
    await ours.group_add(GROUP, live)
    await stopped.group_add(GROUP, gone)
    await _age(ours, live, 120)  # both long past the expiry...
    await _age(stopped, gone, 120)

    async with asyncio.timeout(5):  # ...but the live one is renewed
        while (await _scores(ours))[live] < time.time() - 60:
            await asyncio.sleep(0.05)
    await ours.group_send(GROUP, {"type": "app.event", "event": {"kind": "ping"}})

    assert list(await _scores(ours)) == [live]
    assert (await ours.receive(live))["event"] == {"kind": "ping"}
    await ours.group_discard(GROUP, live)
    await ours.flush()
    await stopped.flush()


@pytest.mark.asyncio
async def test_renewal_stops_with_the_last_entry():
    ours, _stopped = _layers(group_expiry=60)
    channel = await ours.new_channel()
    await ours.group_add(GROUP, channel)
    renewal = ours._renewals[asyncio.get_running_loop()]
    assert renewal.task is not None
    assert not renewal.task.done()

    await ours.group_discard(GROUP, channel)

    async with asyncio.timeout(5):
        await renewal.task
    assert await _scores(ours) == {}
    await ours.flush()
