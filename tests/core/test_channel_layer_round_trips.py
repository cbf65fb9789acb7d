"""A ``group_send`` is one round trip to Redis, and a process takes its waiting messages in
batches, one round trip for many: what channels-redis does in several, with the same result
(every member of the group in every process, expired entries and messages dropped, a full
queue skipped), in the format channels-redis itself reads and writes."""

import asyncio
import threading
import time
import uuid

import pytest
import pytest_asyncio
from channels_redis.core import RedisChannelLayer as PlainLayer
from django.conf import settings
from redis.asyncio import Redis

from core import channel_layer
from core.channel_layer import GROUP_SEND, RECEIVE, RedisChannelLayer

GROUP = "room.round-trips"
MESSAGE = {"type": "room.relay", "message": {"type": "candidate", "candidate": None}}


@pytest_asyncio.fixture
async def layers():
    """Two processes of this project (each its own layer) and one of plain channels-redis,
    on a prefix of their own, emptied afterwards; Redis knows the scripts (the first time, a
    script is sent whole: a round trip more)."""
    options = {"hosts": [settings.REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"}
    async with Redis.from_url(settings.REDIS_URL) as client:
        for script in (GROUP_SEND, RECEIVE):
            await client.script_load(script)
    made = (RedisChannelLayer(**options), RedisChannelLayer(**options), PlainLayer(**options))
    yield made
    for layer in made:
        await layer.flush()


class RoundTrips:
    """The commands sent to Redis, by name (a pipeline's count as one)."""

    def __init__(self, monkeypatch) -> None:
        self.names: list[str] = []
        original = Redis.execute_command

        async def counted(client, *args, **options):
            self.names.append(str(args[0]).upper())
            return await original(client, *args, **options)

        monkeypatch.setattr(Redis, "execute_command", counted)


async def _receive(layer, channel: str) -> dict:
    async with asyncio.timeout(5):
        return await layer.receive(channel)


async def _nothing_for(layer, channel: str) -> bool:
    try:
        async with asyncio.timeout(0.3):
            await layer.receive(channel)
    except TimeoutError:
        return True
    return False


@pytest.mark.asyncio
async def test_one_round_trip_reaches_every_member_of_every_process(layers, monkeypatch):
    first, second, plain = layers
    assert first.scripted
    a, b = await first.new_channel(), await first.new_channel()  # two sockets of one process
    c = await second.new_channel()
    d = await plain.new_channel()  # a process still on plain channels-redis
    outsider = await second.new_channel()
    for layer, channel in ((first, a), (first, b), (second, c), (plain, d)):
        await layer.group_add(GROUP, channel)

    trips = RoundTrips(monkeypatch)
    await first.group_send(GROUP, MESSAGE)
    assert trips.names == ["EVALSHA"]

    for layer, channel in ((first, a), (first, b), (second, c), (plain, d)):
        assert await _receive(layer, channel) == MESSAGE
    assert await _nothing_for(second, outsider)


@pytest.mark.asyncio
async def test_several_groups_in_one_round_trip_each_in_order(layers, monkeypatch):
    """One publish (a new message: its conversation's pages, both parties' own pages) is one
    round trip; a socket in two of the groups gets each message, a group's come in order."""
    first, second, plain = layers
    page, own = await first.new_channel(), await first.new_channel()
    other_process = await second.new_channel()
    old = await plain.new_channel()
    await first.group_add("conversation.7", page)
    await first.group_add("user.1", page)  # the same socket in two groups
    await first.group_add("user.1", own)
    await second.group_add("user.2", other_process)
    await plain.group_add("user.2", old)
    event = {"type": "app.event", "event": {"kind": "message.new"}}
    sends = [
        ("conversation.7", event),
        ("user.1", event),  # the same message, the same socket: two entries, not one
        ("user.2", {"type": "app.event", "n": 1}),
        ("user.2", {"type": "app.event", "n": 2}),
        ("user.2", {"type": "app.event", "n": 3}),
    ]

    trips = RoundTrips(monkeypatch)
    await first.group_send_many(sends)
    assert trips.names == ["EVALSHA"]

    assert [await _receive(first, page) for _ in range(2)] == [event, event]
    assert await _receive(first, own) == event
    for layer, channel in ((second, other_process), (plain, old)):
        assert [(await _receive(layer, channel))["n"] for _ in range(3)] == [1, 2, 3]
    assert await _nothing_for(first, page)


# A time at which a microsecond's steps added to the seconds and rounded to six decimals gave
# two messages the same score (…427459 twice): a tie, which Redis orders by the messages'
# random bytes. CI saw a group's messages arrive 1, 3, 2 that way.
TIED_BY_ROUNDING = 1796515901.4274576


@pytest.mark.asyncio
async def test_a_groups_messages_keep_their_order_in_the_same_microsecond(layers, monkeypatch):
    """Each message queued gets a score of its own, later than the one before, also within one
    microsecond and across two sends of the process: read in the order sent."""
    first, second, _plain = layers
    socket = await second.new_channel()
    await second.group_add("user.2", socket)
    monkeypatch.setattr(channel_layer.time, "time", lambda: TIED_BY_ROUNDING)

    await first.group_send_many([("user.2", {"type": "app.event", "n": n}) for n in (1, 2, 3)])
    await first.group_send("user.2", {"type": "app.event", "n": 4})
    await first.group_send("user.2", {"type": "app.event", "n": 5})

    queue = second.prefix + second.non_local_name(socket)
    async with Redis.from_url(settings.REDIS_URL) as client:
        scores = [score for _member, score in await client.zrange(queue, 0, -1, withscores=True)]
    assert len(scores) == 5
    assert scores == sorted(set(scores))  # five, each after the one before
    assert scores[0] == pytest.approx(TIED_BY_ROUNDING, abs=1e-6)  # seconds, as channels-redis
    assert [(await _receive(second, socket))["n"] for _ in range(5)] == [1, 2, 3, 4, 5]


@pytest.mark.asyncio
async def test_scripts_redis_forgot_are_sent_again(layers):
    first, second, _plain = layers
    a = await second.new_channel()
    await second.group_add(GROUP, a)
    async with Redis.from_url(settings.REDIS_URL) as client:
        await client.script_flush()  # as after a restart of Redis
    await first.group_send(GROUP, MESSAGE)
    assert await _receive(second, a) == MESSAGE


@pytest.mark.asyncio
async def test_what_plain_channels_redis_sends_is_received(layers):
    first, _second, plain = layers
    a = await first.new_channel()
    await first.group_add(GROUP, a)
    await plain.group_send(GROUP, {"type": "x", "n": 1})
    await plain.send(a, {"type": "x", "n": 2})
    assert [(await _receive(first, a))["n"] for _ in range(2)] == [1, 2]


@pytest.mark.asyncio
async def test_a_batch_is_taken_in_one_round_trip_and_handed_over_in_order(layers, monkeypatch):
    first, second, _plain = layers
    a, b = await first.new_channel(), await first.new_channel()
    await first.group_add(GROUP, a)
    await first.group_add("room.other", b)
    for n in range(30):
        await second.group_send(GROUP if n % 3 else "room.other", {"type": "x", "n": n})

    trips = RoundTrips(monkeypatch)
    got_a = [(await _receive(first, a))["n"] for _ in range(20)]
    got_b = [(await _receive(first, b))["n"] for _ in range(10)]
    assert got_a == [n for n in range(30) if n % 3]
    assert got_b == list(range(0, 30, 3))
    # One round trip took all 30; the reader may have started its next round (finding
    # nothing, then waiting), where channels-redis makes four round trips for each message.
    assert trips.names[0] == "EVALSHA"
    assert len(trips.names) <= 3


@pytest.mark.asyncio
async def test_a_group_entry_past_its_expiry_is_dropped_and_not_sent_to(layers):
    first, second, _plain = layers
    live, stale = await first.new_channel(), await second.new_channel()
    await first.group_add(GROUP, live)
    async with Redis.from_url(settings.REDIS_URL) as client:
        # Added by a process that stopped, longer ago than the group expiry.
        old = time.time() - first.group_expiry - 10
        await client.zadd(first._group_key(GROUP), {stale: old})

        await first.group_send(GROUP, MESSAGE)

        assert await client.zrange(first._group_key(GROUP), 0, -1) == [live.encode()]
        stale_queue = first.prefix + second.non_local_name(stale)
        assert await client.exists(stale_queue) == 0
    assert await _receive(first, live) == MESSAGE


@pytest.mark.asyncio
async def test_a_full_queue_is_skipped_and_expired_messages_do_not_count(layers, caplog):
    first, second, _plain = layers
    first.capacity = 3
    busy, free = await second.new_channel(), await first.new_channel()
    await second.group_add(GROUP, busy)
    await first.group_add(GROUP, free)
    busy_queue = first.prefix + second.non_local_name(busy)
    async with Redis.from_url(settings.REDIS_URL) as client:
        # Three waiting already in the busy process's queue: one expired long ago.
        now = time.time()
        await client.zadd(busy_queue, {b"expired": now - first.expiry - 10, b"w1": now, b"w2": now})

        await first.group_send(GROUP, {"type": "x", "n": 1})  # the expired one is dropped
        await first.group_send(GROUP, {"type": "x", "n": 2})  # full: not written there

        assert await client.zcard(busy_queue) == 3
        assert b"expired" not in await client.zrange(busy_queue, 0, -1)
    assert [(await _receive(first, free))["n"] for _ in range(2)] == [1, 2]
    assert "1 channel queues full in group" in caplog.text


@pytest.mark.asyncio
async def test_messages_taken_by_a_receive_that_was_cancelled_come_back_first(layers):
    """Taken from the queue into the backup and never handed over (the receive that took
    them was cancelled): the next receive hands them over, in order, before the others."""
    first, second, _plain = layers
    a = await first.new_channel()
    await first.group_add(GROUP, a)
    for n in range(4):
        await second.group_send(GROUP, {"type": "x", "n": n})
    queue = first.prefix + first.non_local_name(a)
    async with Redis.from_url(settings.REDIS_URL) as client:
        # What the script does for a receive whose answer never arrived: two taken.
        taken = await client.eval(RECEIVE, 2, queue, queue + "$inflight", 2, 60, "", "")
        assert len(taken) == 4
    await second.group_send(GROUP, {"type": "x", "n": 4})

    assert [(await _receive(first, a))["n"] for _ in range(5)] == [0, 1, 2, 3, 4]
    # What was handed over is never handed over again.
    await second.group_send(GROUP, {"type": "x", "n": 5})
    assert (await _receive(first, a))["n"] == 5
    assert await _nothing_for(first, a)


@pytest.mark.asyncio
async def test_a_message_that_cannot_be_read_is_dropped_and_the_rest_arrive(layers, caplog):
    first, second, _plain = layers
    a = await first.new_channel()
    await first.group_add(GROUP, a)
    queue = first.prefix + first.non_local_name(a)
    await second.group_send(GROUP, {"type": "x", "n": 1})
    async with Redis.from_url(settings.REDIS_URL) as client:
        await client.zadd(queue, {b"\x00" * 12 + b"\xc1 not msgpack": time.time()})
    await second.group_send(GROUP, {"type": "x", "n": 2})

    assert [(await _receive(first, a))["n"] for _ in range(2)] == [1, 2]
    assert "could not be read" in caplog.text


def test_encrypted_or_sharded_layers_keep_channels_redis_code():
    redis_url = settings.REDIS_URL
    encrypted = RedisChannelLayer(hosts=[redis_url], symmetric_encryption_keys=["k"])
    sharded = RedisChannelLayer(hosts=[redis_url, redis_url])
    assert not encrypted.scripted
    assert not sharded.scripted
    assert channel_layer.RECEIVE_BATCH > 1


@pytest.mark.asyncio
async def test_many_sockets_of_one_process_each_get_their_own_in_order(layers):
    """One reader per process fills each socket's buffer: 50 sockets waiting at once, each
    told only what its group was sent, in the order sent."""
    first, second, _plain = layers
    channels = [await first.new_channel() for _ in range(50)]
    for n, channel in enumerate(channels):
        await first.group_add(f"room.{n}", channel)

    async def socket(n: int) -> list[int]:
        return [(await _receive(first, channels[n]))["n"] for _ in range(5)]

    sockets = [asyncio.create_task(socket(n)) for n in range(50)]
    await asyncio.sleep(0.1)  # all waiting
    for round_ in range(5):
        for n in range(50):
            await second.group_send(f"room.{n}", {"type": "x", "n": round_ * 100 + n})

    got = await asyncio.gather(*sockets)
    assert got == [[round_ * 100 + n for round_ in range(5)] for n in range(50)]


@pytest.mark.asyncio
async def test_the_reader_stops_when_no_socket_listens_and_nothing_is_lost(layers):
    first, second, _plain = layers
    first.brpop_timeout = 0.2
    a = await first.new_channel()
    await first.group_add(GROUP, a)
    waiting = asyncio.create_task(first.receive(a))
    await asyncio.sleep(0.1)
    reader = first._readers[asyncio.get_running_loop()]
    waiting.cancel()  # the socket closed
    with pytest.raises(asyncio.CancelledError):
        await waiting

    async with asyncio.timeout(2):
        await asyncio.wait({reader})
    await second.group_send(GROUP, MESSAGE)  # kept in Redis until someone reads
    assert await _receive(first, a) == MESSAGE


async def _queued(layer, channel: str) -> int:
    """How many messages wait in Redis for the process ``channel`` belongs to."""
    async with Redis.from_url(settings.REDIS_URL) as client:
        return await client.zcard(layer.prefix + layer.non_local_name(channel))


@pytest.mark.asyncio
async def test_the_sender_is_left_out_and_its_process_gets_it_without_redis(layers, monkeypatch):
    """A room's frame goes to the other sockets only: the sender's own copy is not written
    (in its process's queue, or alone in a queue of its own). Another socket of the
    sender's process (a session room's two sockets in one ws process) gets it without it
    being written to Redis and read back; another process's member through Redis; nobody
    twice."""
    first, second, _plain = layers
    sender, neighbour = await first.new_channel(), await first.new_channel()
    other = await second.new_channel()
    for layer, channel in ((first, sender), (first, neighbour), (second, other)):
        await layer.group_add(GROUP, channel)

    trips = RoundTrips(monkeypatch)
    await first.group_send(GROUP, MESSAGE, left_out=sender)
    assert await _receive(first, neighbour) == MESSAGE
    assert trips.names == ["EVALSHA"]  # the send alone: the neighbour read nothing from Redis
    assert await _queued(first, neighbour) == 0
    assert await _queued(second, other) == 1
    assert await _receive(second, other) == MESSAGE
    for layer, channel in ((first, sender), (first, neighbour), (second, other)):
        assert await _nothing_for(layer, channel)

    alone = await second.new_channel()
    await second.group_add("room.alone", alone)
    await second.group_send_many([("room.alone", MESSAGE), (GROUP, MESSAGE)], left_out=alone)
    assert await _receive(second, other) == MESSAGE
    assert await _nothing_for(second, alone)


@pytest.mark.asyncio
async def test_handed_within_the_process_in_order_as_read_from_redis(layers):
    """What one sender sends a socket of its process comes in the order sent, whether to
    the others or to all, as it would have been read from Redis (a tuple comes as a list,
    as in another process), never the sender's own dict."""
    first, second, _plain = layers
    sender, a, b = [await first.new_channel() for _ in range(3)]
    other = await second.new_channel()
    for layer, channel in ((first, sender), (first, a), (first, b), (second, other)):
        await layer.group_add(GROUP, channel)

    sent = []
    for n in range(6):
        sent.append({"type": "room.relay", "n": n, "pair": (n, n)})
        await first.group_send(GROUP, sent[-1], left_out=sender if n % 2 else "")
        sent[-1]["n"] = "changed by the sender"

    got_a = [await _receive(first, a) for _ in range(6)]
    got_b = [await _receive(first, b) for _ in range(6)]
    from_redis = [await _receive(second, other) for _ in range(6)]
    assert got_a == got_b == from_redis
    assert [message["n"] for message in got_a] == list(range(6))
    assert got_a[0]["pair"] == [0, 0]
    assert [(await _receive(first, sender))["n"] for _ in range(3)] == [0, 2, 4]


@pytest.mark.asyncio
async def test_a_member_on_another_loop_of_the_process_is_reached_through_redis(layers):
    """A socket of the process listening on another event loop (its buffer is that loop's)
    is not handed anything from this one: the message goes through Redis for the whole
    process, and the socket on this loop gets it once, from there."""
    first, _second, _plain = layers
    here, elsewhere = await first.new_channel(), await first.new_channel()
    await first.group_add(GROUP, here)
    loop = asyncio.new_event_loop()

    async def leave() -> None:
        renewal = first._renewals[asyncio.get_running_loop()]
        await first.group_discard(GROUP, elsewhere)
        await renewal.task

    def on_that_loop(work, *args) -> None:
        thread = threading.Thread(target=work, args=args)
        thread.start()
        thread.join(timeout=5)

    try:
        on_that_loop(loop.run_until_complete, first.group_add(GROUP, elsewhere))
        await first.group_send(GROUP, MESSAGE)
        assert await _queued(first, here) == 1  # one entry, for both sockets of the process
        assert await _receive(first, here) == MESSAGE
        assert await _nothing_for(first, here)
    finally:
        on_that_loop(loop.run_until_complete, leave())
        on_that_loop(loop.close)  # channels-redis closes the loop's connections on it


@pytest.mark.asyncio
async def test_with_redis_away_the_senders_process_still_gets_it_and_the_sender_is_told(
    layers, monkeypatch
):
    """Redis not answering: the other sockets of the sender's process still get the frame
    (a call between two sockets of one ws process goes on), and the sender hears the error
    (the other processes' sockets got nothing)."""
    first, _second, _plain = layers
    sender, neighbour = await first.new_channel(), await first.new_channel()
    for channel in (sender, neighbour):
        await first.group_add(GROUP, channel)

    async def away(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(channel_layer, "_script", away)
    with pytest.raises(ConnectionError):
        await first.group_send(GROUP, MESSAGE, left_out=sender)
    assert first.receive_buffer[neighbour].get_nowait() == MESSAGE
    assert first.receive_buffer[sender].empty()
