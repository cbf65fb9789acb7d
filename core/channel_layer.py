"""channels-redis's channel layer, whose group entries die with the process that made them.

A socket's consumer joins groups (its user's, its conversation's, its room's); channels-redis
keeps each group as a sorted set of channel names in Redis, dropped ``group_expiry`` seconds
after they were added. A socket closing discards its entries, but a process that is killed,
crashes or loses Redis at the wrong moment leaves them behind, and every event to those groups
is then written for nobody, until the entry expires: a day by default.

Here every process renews its own live entries every ``group_expiry / 3`` seconds (one task per
event loop, started by the first ``group_add``, ended when the process's last entry is
discarded), so ``group_expiry`` can be short (``CHANNEL_LAYER_GROUP_EXPIRY``, 15 minutes by
default): a stopped server's entries are gone within it, and a live socket never drops out of
its groups however long it stays open.

Every event and relayed frame crosses Redis, so the round trips per message are the cost that
counts (a session room relays each ICE candidate as a ``group_send``; measured in
``bench.room_signalling``). channels-redis makes four for a ``group_send`` and four for each
message a process receives, one message at a time under the process's receive lock. Here, on
one Redis host, without encryption, with msgpack and one capacity for all (this project's
settings; otherwise channels-redis's own code runs):

- ``group_send`` is one script (``GROUP_SEND``): drop the group's expired entries, write the
  message once to each member process's queue that has room; ``group_send_many``, several
  (group, message) in one call of it (what one publish of ``core.realtime`` sends). The
  channel list that channels-redis puts in the message for its receiver is appended by the
  script, so what is written is exactly what channels-redis writes (processes of either kind
  read it). ``left_out`` names a member not to write it for: the socket that sent a room's
  frame, whose copy would only be read and dropped. Each message a process sends is queued a
  microsecond after the one before (its score counted in whole microseconds, never two the
  same), so a process reads one sender's messages in the order sent.
- Sent from a socket's consumer, a message is written by the script for the other processes
  only, and handed straight to the group's sockets in the sender's process (``_hand_here``),
  once the script has returned or failed: when both sockets of a session room are in one ws
  process, a frame of the call never goes through Redis and back (and still arrives while
  Redis is away). A socket gets everything one sender sends it by one road, so in order.
  Where a member of the group listens on another event loop of the process (a test's), Redis
  carries it to every process, the sender's included, as before.
- A process's messages are taken up to ``RECEIVE_BATCH`` at a time (``RECEIVE``), kept in a
  backup queue until they are handed to their sockets' buffers, as channels-redis does for
  one: a receive cancelled before that puts them back first, in order, the next time.
- One task per event loop reads them (``_read``) while any socket is receiving, and each
  socket waits on its own buffer: channels-redis makes every waiting socket race for a lock
  with two tasks of its own, for each message.

Both scripts are sent by their digest (EVALSHA), their text only when Redis does not know it.
"""

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from weakref import WeakKeyDictionary

import msgpack
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.serializers import MsgPackSerializer
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

# The key channels-redis reads the target channels of a message from.
CHANNEL_FIELD = "__asgi_channel__"

# KEYS: the groups' sorted sets, one per message (a group may come back, its messages in
# order). ARGV: the first message's time in whole microseconds; entries added before this are
# expired; the channel keys' prefix; expiry and capacity of a channel's queue; messages queued
# before this are expired; the queue of the sender's process, not written to (its sockets get
# the messages from the sender), or an empty string; then, for each key, the message but its
# channel list (msgpack, a map whose last key is CHANNEL_FIELD); then, for each key, the one
# member left out (the sender's own socket) or an empty string.
# Each message is queued a microsecond after the one before, so that a process reads them in
# the order given: its score, in seconds as channels-redis writes them, is written from a whole
# number of microseconds, digit for digit (seconds plus a microsecond's fraction rounded to six
# decimals could give two messages the same score, and a tie orders them by their random
# bytes). Returns how many processes' queues were full (the message not written there).
GROUP_SEND = """
local first, prefix = tonumber(ARGV[1]), ARGV[3]
local expiry, capacity, here = ARGV[4], tonumber(ARGV[5]), ARGV[7]
local full = 0
for n, group in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', group, 0, ARGV[2])
  local members = redis.call('ZRANGE', group, 0, -1)
  local head, left_out = ARGV[7 + n], ARGV[7 + #KEYS + n]
  local tick = first + n - 1
  local seconds = math.floor(tick / 1000000)
  local score = string.format('%d.%06d', seconds, tick - seconds * 1000000)
  local keys, channels = {}, {}
  for _, channel in ipairs(members) do
    if channel ~= left_out then
      local bang = string.find(channel, '!', 1, true)
      local key = prefix .. (bang and string.sub(channel, 1, bang) or channel)
      if channels[key] == nil then
        channels[key] = {}
        keys[#keys + 1] = key
      end
      table.insert(channels[key], channel)
    end
  end
  for _, key in ipairs(keys) do
    if key ~= here then
      redis.call('ZREMRANGEBYSCORE', key, 0, ARGV[6])
      if redis.call('ZCARD', key) < capacity then
        redis.call('ZADD', key, score, head .. cmsgpack.pack(channels[key]))
        redis.call('EXPIRE', key, expiry)
      else
        full = full + 1
      end
    end
  end
end
return full
"""

# KEYS[1]: a process's queue, KEYS[2]: its backup. ARGV: how many to take; the expiry; the
# score and member of a message BZPOPMIN took (or two empty strings); then the members handed
# to their sockets since the last call (out of the backup for good). Whatever else is in the
# backup was taken and never handed over (a receive cancelled): back in the queue, then taken
# again in order. Returns what was taken (member, score, member, score...), now in the backup.
RECEIVE = """
if #ARGV > 4 then
  redis.call('ZREM', KEYS[2], unpack(ARGV, 5))
end
local left = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #left, 2 do
  redis.call('ZADD', KEYS[1], left[i + 1], left[i])
end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
end
local taken = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #taken, 2 do
  redis.call('ZADD', KEYS[2], taken[i + 1], taken[i])
end
if #taken > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
if #left > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return taken
"""

RECEIVE_BATCH = 100
# After Redis failed to answer the reader: wait this long before asking again.
READ_RETRY_SECONDS = 1.0


async def _script(connection, script: str, *keys_and_args):
    """EVALSHA, and EVAL the first time (or after Redis restarted): ``keys_and_args`` as for
    ``eval`` (the number of keys, the keys, the arguments)."""
    digest = _DIGESTS.get(script)
    if digest is None:
        digest = _DIGESTS[script] = hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()
    try:
        return await connection.evalsha(digest, *keys_and_args)
    except NoScriptError:
        return await connection.eval(script, *keys_and_args)


_DIGESTS: dict[str, str] = {}


class _Renewal:
    """How many entries one event loop's consumers hold (the layer's ``_members`` says which),
    and the task that renews them."""

    def __init__(self) -> None:
        self.entries = 0
        self.emptied = asyncio.Event()
        self.task: asyncio.Task | None = None


class _Queue:
    """What a receive of one process queue (its ``!`` channels) leaves for the next: members
    handed over but maybe still in the backup, and a message BZPOPMIN took but not yet backed
    up. Kept on the layer, so that a receive cancelled meanwhile loses nothing."""

    def __init__(self) -> None:
        self.handed_over: list[bytes] = []
        self.held: tuple[bytes, bytes] | None = None  # (member, score)
        self.drained = False  # the last round took fewer than a batch


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.renew_every = max(1.0, self.group_expiry / 3)
        self._renewals: WeakKeyDictionary[asyncio.AbstractEventLoop, _Renewal] = WeakKeyDictionary()
        # This process's members of each group, and the event loop each listens on (whose
        # renewal keeps their entries alive).
        self._members: dict[str, dict[str, asyncio.AbstractEventLoop]] = {}
        serializer = self._serializer
        # One round trip per group_send and per batch received, where the scripts can do what
        # channels-redis does (see the module's docstring).
        self.scripted = (
            self.ring_size == 1
            and type(serializer) is MsgPackSerializer
            and serializer.crypter is None
            and not self.channel_capacity
        )
        self._queues: dict[str, _Queue] = {}
        self._readers: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task] = (
            WeakKeyDictionary()
        )
        # The microsecond after the last one this process's ``GROUP_SEND`` used: a send in the
        # same microsecond as the one before (or after the clock stepped back) still comes
        # after it.
        self._next_tick = 0

    async def group_add(self, group, channel):
        await self._group_add(group, channel)
        loop = asyncio.get_running_loop()
        renewal = self._renewals.get(loop)
        if renewal is None:
            renewal = self._renewals[loop] = _Renewal()
        members = self._members.setdefault(group, {})
        if channel not in members:
            renewal.entries += 1
        members[channel] = loop
        renewal.emptied.clear()
        if renewal.task is None or renewal.task.done():
            renewal.task = asyncio.create_task(self._renew(renewal), name="group-renewal")

    async def group_discard(self, group, channel):
        await super().group_discard(group, channel)
        members = self._members.get(group, {})
        loop = members.pop(channel, None)
        if not members:
            self._members.pop(group, None)
        renewal = self._renewals.get(loop) if loop is not None else None
        if renewal is not None:
            renewal.entries -= 1
            if not renewal.entries:
                renewal.emptied.set()

    async def _renew(self, renewal: _Renewal) -> None:
        """Until this loop holds no entry: every ``renew_every`` seconds, add each live entry
        again (a new timestamp; the group's key lives ``group_expiry`` more)."""
        loop = asyncio.get_running_loop()
        while renewal.entries:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(renewal.emptied.wait(), self.renew_every)
            entries = [
                (group, channel)
                for group, members in self._members.items()
                for channel, listening in members.items()
                if listening is loop
            ]
            for group, channel in entries:
                if self._members.get(group, {}).get(channel) is not loop:
                    continue  # discarded meanwhile
                try:
                    await self._group_add(group, channel)
                except Exception:  # Redis away: the next round tries again
                    logger.warning("could not renew a channel group entry", exc_info=True)
                    break

    async def _group_add(self, group, channel) -> None:
        """channels-redis's ``group_add`` (a new timestamp; the group's key lives
        ``group_expiry`` more), in one round trip."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        key = self._group_key(group)
        async with self.connection(self.consistent_hash(group)).pipeline() as pipe:
            pipe.zadd(key, {channel: time.time()})
            pipe.expire(key, self.group_expiry)
            await pipe.execute()

    # -- sending --------------------------------------------------------------------------------

    async def group_send(self, group, message, *, left_out: str = ""):
        """channels-redis's ``group_send``; ``left_out``: a member not to send it to (the
        socket that sent a room's frame: written for it, it would only be read and ignored)."""
        if not self.scripted:
            return await super().group_send(group, message)
        await self.group_send_many([(group, message)], left_out=left_out)

    async def group_send_many(self, sends: list[tuple[str, dict]], *, left_out: str = "") -> None:
        """Each (group, message) as ``group_send`` sends it, in one round trip for them all
        (a new message is told to its conversation's pages and to both parties' own: four
        groups), each group's messages in the order given. ``left_out`` as for
        ``group_send``: without the scripts, every member gets them."""
        if not sends:
            return
        if not self.scripted:
            for group, message in sends:
                await super().group_send(group, message)
            return
        for group, _message in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
        here = self._here([group for group, _message in sends])
        try:
            full = await self._group_send_script(sends, self._queue_of(here), left_out)
        finally:
            # After the script, whether it reached Redis or not: the sockets here get it even
            # while Redis is away, and a sender's messages reach them in the order sent.
            if here:
                self._hand_here(sends, here, left_out)
        if full:
            groups = sorted({group for group, _message in sends})
            logger.info("%s channel queues full in groups %s: not sent there", full, groups)

    async def _group_send_script(
        self,
        sends: list[tuple[str, dict]],
        here_queue: str,
        left_out: str,
    ) -> int:
        """``GROUP_SEND`` for ``sends``, not written to ``here_queue`` (this process's, when
        its sockets get them from here): how many processes' queues were full."""
        now = time.time()
        tick = max(int(now * 1_000_000), self._next_tick)  # in microseconds
        self._next_tick = tick + len(sends)
        return await _script(
            self.connection(0),  # one host (``scripted``)
            GROUP_SEND,
            len(sends),
            *(self._group_key(group) for group, _message in sends),
            tick,
            int(now) - self.group_expiry,
            self.prefix,
            int(self.expiry),
            self.capacity,
            int(now) - int(self.expiry),
            here_queue,
            # Each its own random prefix: the same message to two groups with the same
            # members is two entries of a queue, not one.
            *(self._message_head(message) for _group, message in sends),
            *(left_out for _send in sends),
        )

    def _here(self, groups: list[str]) -> dict[str, list[str]] | None:
        """This process's members of each group, when all of them listen on the running
        loop (a socket's consumer sends from the loop its socket receives on); None when one
        listens on another loop of the process (a publishing thread's, a test's): only
        through Redis does a message reach it."""
        loop = asyncio.get_running_loop()
        here: dict[str, list[str]] = {}
        for group in groups:
            if members := self._members.get(group):
                if any(other is not loop for other in members.values()):
                    return None
                here[group] = list(members)
        return here

    def _queue_of(self, here: dict[str, list[str]] | None) -> str:
        """The key of this process's queue, or an empty string when ``here`` names none of
        its sockets (nothing of this process to leave out)."""
        for channels in (here or {}).values():
            return self.prefix + self.non_local_name(channels[0])
        return ""

    def _hand_here(self, sends: list[tuple[str, dict]], here: dict[str, list[str]], left_out: str):
        """Each message straight into the buffers of its group's sockets in this process, in
        the order given, as the reader would have put it there: read back from what Redis
        would have held (not the sender's own dict), one copy for the process's sockets.
        ``left_out`` gets none."""
        for group, message in sends:
            still = self._members.get(group, {})  # a socket may have gone meanwhile
            channels = [
                channel
                for channel in here.get(group, ())
                if channel != left_out and channel in still
            ]
            if channels:
                copy = self.deserialize(self.serialize(message))
                for channel in channels:
                    self.receive_buffer[channel].put_nowait(copy)

    def _message_head(self, message: dict) -> bytes:
        """``message`` as channels-redis serializes it for a group's member (a random prefix,
        then a msgpack map), all but the value of its last key, CHANNEL_FIELD, which the
        script appends: the members' names, a msgpack array."""
        fields = {key: value for key, value in message.items() if key != CHANNEL_FIELD}
        packer = msgpack.Packer()
        parts = [packer.pack_map_header(len(fields) + 1)]
        for key, value in fields.items():
            parts += [packer.pack(key), packer.pack(value)]
        parts.append(packer.pack(CHANNEL_FIELD))
        length = self._serializer.random_prefix_length
        prefix = random.getrandbits(8 * length).to_bytes(length, "big") if length else b""
        return prefix + b"".join(parts)

    # -- receiving ------------------------------------------------------------------------------

    async def receive(self, channel):
        """The next message of ``channel``. A ``!`` channel (a socket's) waits on its buffer,
        filled by this loop's reader; others are channels-redis's."""
        if "!" not in channel or not self.scripted:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        queue = self.non_local_name(channel)
        assert queue.endswith(self.client_prefix + "!"), "Wrong client prefix"
        loop = asyncio.get_running_loop()
        if self.receive_count and self.receive_event_loop is not loop:
            raise RuntimeError("Two event loops are trying to receive() on one channel layer")
        self.receive_count += 1
        self.receive_event_loop = loop
        try:
            buffer = self.receive_buffer[channel]
            if buffer.empty():
                reader = self._readers.get(loop)
                if reader is None or reader.done():
                    self._readers[loop] = loop.create_task(self._read(queue), name="layer-reader")
            try:
                message = await buffer.get()
            except asyncio.CancelledError:
                # The socket is going: what was left for it goes too (as channels-redis).
                self.receive_buffer.pop(channel, None)
                raise
            # The buffer stays while its socket is open (made again for each message, it
            # would cost more than the message); it goes with the socket's last receive.
            return message
        finally:
            self.receive_count -= 1
            if self.receive_count == 0:
                self.receive_event_loop = None

    async def _read(self, queue: str) -> None:
        """This process's messages into their channels' buffers, in order, while any of its
        sockets is receiving (it notices within ``brpop_timeout`` when none is). Redis away:
        logged, asked again a second later; the sockets wait."""
        drained = False  # a reader that starts looks first (a reader before may have left some)
        while self.receive_count:
            try:
                received = await self._take(queue, drained=drained)
                drained = self._queues[self.prefix + queue].drained
            except Exception:
                if not self.receive_count:
                    return  # nobody listens any more (the loop's pools may be closing)
                logger.warning(
                    "channel layer: could not read this process's messages", exc_info=True
                )
                await asyncio.sleep(READ_RETRY_SECONDS)
                drained = False
                continue
            if received is None:
                continue
            self._to_buffers(*received)

    async def receive_single(self, channel):
        """The next message of ``channel``; for this process's queue (a ``!`` channel, read
        by one task at a time), the messages taken with it are handed to their sockets'
        buffers first, in order (the one returned is the last)."""
        if "!" not in channel or not self.scripted:
            return await super().receive_single(channel)
        while (received := await self._take(channel)) is None:
            pass
        return received

    async def _take(self, channel: str, *, drained: bool = False) -> tuple | None:
        """One round of ``receive_single``: None when nothing came within ``brpop_timeout``.
        ``drained``: the last round found fewer than a batch, so this one starts by waiting
        (a round trip fewer per round when messages come one by one)."""
        assert self.require_valid_channel_name(channel, receive=True), "Channel name invalid"
        assert channel.endswith("!")
        connection = self.connection(self.consistent_hash(channel))
        key = self.prefix + channel
        queue = self._queues.setdefault(key, _Queue())
        taken = [] if drained else await self._take_waiting(connection, key, queue)
        if not taken:
            # Nothing waiting: wait for the next one (backed up by the next round).
            popped = await connection.bzpopmin(key, timeout=self.brpop_timeout)
            if popped is None:
                return None
            queue.held = (popped[1], str(float(popped[2])).encode())
            taken = await self._take_waiting(connection, key, queue)
        queue.handed_over = taken[::2]
        queue.drained = len(queue.handed_over) < RECEIVE_BATCH
        return self._hand_over(channel, taken[::2])

    async def _take_waiting(self, connection, key: str, queue: _Queue) -> list[bytes]:
        held = queue.held or (b"", b"")
        taken = await _script(
            connection,
            RECEIVE,
            2,
            key,
            self._backup_channel_name(key),
            RECEIVE_BATCH,
            int(self.expiry),
            held[1],
            held[0],
            *queue.handed_over,
        )
        queue.held, queue.handed_over = None, []
        return taken

    def _hand_over(self, channel: str, members: list[bytes]) -> tuple | None:
        """Every message but the last into its channels' buffers; the last, returned as
        channels-redis's ``receive_single`` does: (its channel or channels, the message)."""
        messages = []
        for member in members:
            try:
                message = self.deserialize(member)
            except Exception:  # never the content: it may be someone's words
                logger.error("a channel layer message could not be read: dropped")
                continue
            messages.append((message.pop(CHANNEL_FIELD, channel), message))
        if not messages:
            return None
        for target, message in messages[:-1]:
            self._to_buffers(target, message)
        return messages[-1]

    def _to_buffers(self, target: str | list[str], message: dict) -> None:
        """A message into the buffer of its channel, or of each of its channels (a group's
        members in this process)."""
        for name in target if isinstance(target, list) else [target]:
            self.receive_buffer[name].put_nowait(message)
