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
"""

import asyncio
import contextlib
import logging
from weakref import WeakKeyDictionary

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

logger = logging.getLogger(__name__)


class _Renewal:
    """The entries one event loop's consumers hold, and the task that renews them."""

    def __init__(self) -> None:
        self.members: dict[tuple[str, str], None] = {}  # (group, channel), in order
        self.emptied = asyncio.Event()
        self.task: asyncio.Task | None = None


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.renew_every = max(1.0, self.group_expiry / 3)
        self._renewals: WeakKeyDictionary[asyncio.AbstractEventLoop, _Renewal] = WeakKeyDictionary()

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        renewal = self._renewals.get(asyncio.get_running_loop())
        if renewal is None:
            renewal = self._renewals[asyncio.get_running_loop()] = _Renewal()
        renewal.members[group, channel] = None
        renewal.emptied.clear()
        if renewal.task is None or renewal.task.done():
            renewal.task = asyncio.create_task(self._renew(renewal), name="group-renewal")

    async def group_discard(self, group, channel):
        await super().group_discard(group, channel)
        renewal = self._renewals.get(asyncio.get_running_loop())
        if renewal is not None:
            renewal.members.pop((group, channel), None)
            if not renewal.members:
                renewal.emptied.set()

    async def _renew(self, renewal: _Renewal) -> None:
        """Until this loop holds no entry: every ``renew_every`` seconds, add each live entry
        again (a new timestamp; the group's key lives ``group_expiry`` more)."""
        while renewal.members:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(renewal.emptied.wait(), self.renew_every)
            for group, channel in list(renewal.members):
                if (group, channel) not in renewal.members:
                    continue  # discarded meanwhile
                try:
                    await super().group_add(group, channel)
                except Exception:  # Redis away: the next round tries again
                    logger.warning("could not renew a channel group entry", exc_info=True)
                    break
