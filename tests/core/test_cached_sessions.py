"""Sessions read from Redis and kept in PostgreSQL (``core.sessions``, issue 16) stay ended once
ended: a deletion leaves a tombstone in the cache in the same transaction as the row's, which
a copy read from the database never replaces; a save writes its copy while the row is locked,
so a deletion waiting on it comes after; a cache that cannot be written keeps the row; the
sweep of expired sessions drops their copies; and nothing else deletes session rows.
Each path that ends a person's session is tested in tests/accounts/test_sessions_ended.py."""

import ast
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connections

from core import sessions, tasks
from core.sessions import ENDED, SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def engine(settings):
    settings.SESSION_ENGINE = "core.sessions"


def _session(**data) -> str:
    store = SessionStore()
    store.update(data or {"who": "someone"})
    store.create()
    assert store.session_key is not None
    return store.session_key


def _copy(key: str):
    return cache.get(SessionStore.cache_key_prefix + key)


def test_a_session_is_read_from_the_cache_without_a_query(django_assert_num_queries):
    key = _session(who="Robin")
    assert _copy(key) == {"who": "Robin"}
    with django_assert_num_queries(0):
        assert SessionStore(key)["who"] == "Robin"


def test_a_copy_lost_is_read_again_from_the_database(django_assert_num_queries):
    key = _session(who="Robin")
    cache.clear()
    with django_assert_num_queries(1):
        assert SessionStore(key)["who"] == "Robin"
    assert _copy(key) == {"who": "Robin"}


def test_an_ended_session_reads_as_none_and_its_key_is_not_used_again():
    key = _session()
    SessionStore(key).delete()

    assert _copy(key) == ENDED
    assert not Session.objects.filter(session_key=key).exists()
    store = SessionStore(key)
    assert "who" not in store
    store["again"] = True
    store.save()
    assert store.session_key != key  # a new session, never the ended one brought back
    assert _copy(key) == ENDED


def test_a_row_read_just_before_the_session_ended_never_replaces_its_tombstone(monkeypatch):
    key = _session()
    cache.clear()  # a copy missing (evicted, Redis restarted): the next read goes to the row
    read_row = SessionStore._get_session_from_db

    def read_then_ended_elsewhere(self):
        row = read_row(self)
        SessionStore(key).delete()  # another request ends it between the read and the copy
        return row

    monkeypatch.setattr(SessionStore, "_get_session_from_db", read_then_ended_elsewhere)

    assert "who" not in SessionStore(key)
    assert _copy(key) == ENDED


def test_a_session_loaded_before_it_ended_cannot_save_it_back():
    key = _session()
    open_elsewhere = SessionStore(key)
    assert open_elsewhere["who"] == "someone"  # loaded

    SessionStore(key).delete()
    open_elsewhere["more"] = True
    with pytest.raises(UpdateError):
        open_elsewhere.save()

    assert _copy(key) == ENDED
    assert not Session.objects.filter(session_key=key).exists()


def test_a_cache_that_cannot_be_written_keeps_the_row_too(monkeypatch):
    key = _session()
    store = SessionStore(key)

    def away(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(store._cache, "set", away)
    with pytest.raises(ConnectionError):
        store.delete()

    assert Session.objects.filter(session_key=key).exists()  # nothing half ended
    assert _copy(key) == {"who": "someone"}


@pytest.mark.django_db(transaction=True)
def test_a_save_under_way_writes_its_copy_before_a_deletion_sets_its_tombstone():
    """The save's UPDATE locks the row until it commits, its copy written before that; the
    deletion waits on that lock, so its tombstone comes last."""
    key = _session()
    saving = SessionStore(key)
    saving["more"] = True
    copy_written, go_on = threading.Event(), threading.Event()
    real_set = saving._cache.set

    class Paused:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, *args, **kwargs):
            real_set(*args, **kwargs)
            copy_written.set()
            go_on.wait(10)

    saving._cache = Paused()  # type: ignore[assignment]
    ended = threading.Event()

    def save():
        try:
            saving.save()
        finally:
            connections.close_all()

    def end():
        try:
            SessionStore(key).delete()
            ended.set()
        finally:
            connections.close_all()

    saver = threading.Thread(target=save)
    saver.start()
    assert copy_written.wait(10)
    ender = threading.Thread(target=end)
    ender.start()
    assert not ended.wait(0.5)  # waiting on the row the save holds
    go_on.set()
    saver.join(10)
    ender.join(10)

    assert ended.is_set()
    assert _copy(key) == ENDED
    assert not Session.objects.filter(session_key=key).exists()


def test_a_row_deleted_behind_the_stores_back_would_stay_logged_in():
    """Why nothing but the store may delete rows of django_session: the copy outlives them."""
    key = _session()
    Session.objects.filter(session_key=key).delete()
    assert SessionStore(key)["who"] == "someone"


def test_the_sweep_deletes_expired_sessions_with_their_copies():
    start = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        old = _session()
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 3600))
        fresh = _session()
        clock.shift(timedelta(hours=2))
        assert _copy(old) is not None  # (the clock moved, not Redis's: its copy is still there)

        tasks.sweep_sessions()

        assert list(Session.objects.values_list("session_key", flat=True)) == [fresh]
        assert _copy(old) is None
        assert "who" not in SessionStore(old)
        assert SessionStore(fresh)["who"] == "someone"


def test_the_sweep_works_in_batches(monkeypatch):
    monkeypatch.setattr(sessions, "EXPIRED_BATCH", 2)
    with time_machine.travel(datetime(2030, 1, 6, 9, 0, tzinfo=UTC), tick=False) as clock:
        keys = [_session() for _ in range(5)]
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        tasks.sweep_sessions()
    assert not Session.objects.exists()
    assert all(_copy(key) is None for key in keys)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_async_paths_end_sessions_the_same_way():
    from asgiref.sync import sync_to_async

    key = await sync_to_async(_session)()
    assert (await SessionStore(key).aget("who")) == "someone"

    await SessionStore(key).adelete()

    assert await cache.aget(SessionStore.cache_key_prefix + key) == ENDED
    assert await SessionStore(key).aget("who") is None
    await sync_to_async(connections.close_all)()


def test_a_key_renewed_at_login_ends_the_old_one():
    key = _session()
    store = SessionStore(key)
    store.cycle_key()
    assert store.session_key != key
    assert _copy(key) == ENDED
    assert SessionStore(store.session_key)["who"] == "someone"


# What may delete a session row: the store alone (and Django's own code through it).
_ROOT = Path(__file__).resolve().parents[2]
_APPS = [
    "accounts",
    "audit",
    "core",
    "matching",
    "messaging",
    "scheduling",
    "sessions_video",
    "teletherapy",
    "bench",
    "deploy",
]


def test_nothing_but_the_store_deletes_session_rows():
    found = []
    for app in _APPS:
        for path in (_ROOT / app).rglob("*.py"):
            if path == _ROOT / "core" / "sessions.py" or "migrations" in path.parts:
                continue
            text = path.read_text()
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "django.contrib.sessions.models"
                ):
                    found.append(f"{path.relative_to(_ROOT)}: imports the Session model")
            if "django_session" in text:
                found.append(f"{path.relative_to(_ROOT)}: names the table")
    assert found == []
