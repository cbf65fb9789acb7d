"""Login sessions read from the cache (Redis) and kept in the database: Django's ``cached_db``
engine, made safe to end (``SESSION_ENGINE = "core.sessions"`` when ``REDIS_URL`` is set).

Reading a session from Redis spares every request a PostgreSQL round trip. But with Django's
own ``cached_db`` a session can outlive its end on the cached copy: a request of that session
that read the row just before it was deleted, or saved it just before, may write the copy back
to the cache after the deletion removed it, and the copy alone keeps the person logged in.
Ending sessions is how this platform revokes (log-out, idle log-out and its sweep, *Sign out*
and *Sign out everywhere else*, an erasure, a key renewed at login), so here:

- ending a session (``delete``) replaces its cached copy with a tombstone, in the same
  transaction as the row's deletion: a cache that cannot be written keeps the row too (the
  caller gets the error; nothing is half ended);
- a copy read from the database goes to the cache only where there is nothing (``add``), so it
  never replaces a tombstone, and a tombstone found reads as no session at all;
- a save writes its copy to the cache while its UPDATE holds the row's lock, so a deletion
  (waiting on that lock) always sets its tombstone after it;
- the sweep of expired sessions (``clear_expired``) drops their copies with their rows.

Nothing else may delete rows of ``django_session`` (tests/core/test_cached_sessions.py reads the
sources): a bulk delete would leave the cached copies logged in. Without Redis (``make run``)
sessions stay in the database alone: an in-process cache is not shared by other processes.
"""

from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.core.cache.backends.base import BaseCache
from django.db import router, transaction
from django.utils import timezone

# What an ended session's cache entry holds (a live one holds a dict).
ENDED = "ended"
EXPIRED_BATCH = 1000


class SessionStore(cached_db.SessionStore):
    cache_key_prefix = "core.sessions:"
    # Django's own, missing from its type stubs.
    _cache: BaseCache
    _get_session_from_db: Callable[[], Session | None]
    _aget_session_from_db: Callable[[], Awaitable[Session | None]]

    def _kept(self, key: str, data: dict, expiry) -> dict:
        """``data`` read from the row, put in the cache unless something is there already: if
        that is a tombstone, the session ended meanwhile and is none."""
        try:
            added = self._cache.add(key, data, self.get_expiry_age(expiry=expiry))
            ended = not added and self._cache.get(key) == ENDED
        except Exception:  # the cache away: the row was there when read
            return data
        if ended:
            self._session_key = None
            return {}
        return data

    def load(self) -> dict:
        key = self.cache_key
        try:
            data = self._cache.get(key)
        except Exception:
            data = None  # (as Django's: a key the cache refuses is read from the database)
        if data == ENDED:
            self._session_key = None
            return {}
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        return self._kept(key, self.decode(row.session_data), row.expire_date)

    async def aload(self) -> dict:
        key = await self.acache_key()
        try:
            data = await self._cache.aget(key)
        except Exception:
            data = None
        if data == ENDED:
            self._session_key = None
            return {}
        if data is not None:
            return data
        row = await self._aget_session_from_db()
        if row is None:
            return {}
        return await sync_to_async(self._kept)(key, self.decode(row.session_data), row.expire_date)

    def save(self, must_create: bool = False) -> None:
        # The cache is written before the transaction ends, while the UPDATE locks the row.
        with transaction.atomic(using=router.db_for_write(self.model)):
            super().save(must_create)

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        with transaction.atomic(using=router.db_for_write(self.model)):
            DBStore.delete(self, key)
            # Raises if the cache cannot be written: then the row stays too.
            self._cache.set(self.cache_key_prefix + key, ENDED, settings.SESSION_COOKIE_AGE)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    @classmethod
    def clear_expired(cls) -> None:
        """Delete the sessions past their expiry, rows and cached copies (their copies expire
        with them anyway; dropped here so that nothing depends on that)."""
        now = timezone.now()
        model = cls.get_model_class()
        cache = cls()._cache
        expired = model.objects.filter(expire_date__lt=now)
        while keys := list(expired.values_list("session_key", flat=True)[:EXPIRED_BATCH]):
            # Still expired: one renewed since it was listed is not deleted (its copy only).
            model.objects.filter(session_key__in=keys, expire_date__lt=now).delete()
            cache.delete_many([cls.cache_key_prefix + key for key in keys])
