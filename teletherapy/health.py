"""Is each service and process the platform needs alive? Used by /healthz/.

Every check runs at once in a thread of its own and has HEALTH_TIMEOUT_SECONDS to answer: a
database that does not answer (its pool waits 10 s for a connection) makes the answer "down"
within that time, not after it. Celery beat and the workers are judged by their heartbeats
(``core.heartbeat``); a process started less than HEALTH_STALE_AFTER_SECONDS ago gives them
that long to beat first. The answer is kept HEALTH_CACHE_SECONDS, so a flood of health checks
costs one round of checks.
"""

import asyncio
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from datetime import timedelta
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.utils import timezone

from core.heartbeat import BEAT, WORKER, heartbeats
from core.storage import private_storage
from teletherapy.celery import app as celery_app

TIMEOUT_SECONDS = 2.0
logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


async def _channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), TIMEOUT_SECONDS)
    if message.get("type") != "health.ping":
        raise RuntimeError("channel layer returned another message")


def _channel_layer() -> None:
    async_to_sync(_channel_layer_round_trip)()


def _broker() -> None:
    conf = celery_app.conf
    if conf.broker_url == "filesystem://":
        folder = Path(conf.broker_transport_options["data_folder_in"])
        if not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise RuntimeError("broker folder missing or read-only")
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        conn.default_channel.client.ping()


_STARTED = time.monotonic()  # when this process started answering health checks


def _background(name: str):
    def check() -> None:
        beaten = heartbeats().get(name)
        if beaten is None:
            # Never beaten: a platform just deployed gets the time of one heartbeat.
            if time.monotonic() - _STARTED > settings.HEALTH_STALE_AFTER_SECONDS:
                raise RuntimeError(f"no heartbeat of {name} yet")
        elif timezone.now() - beaten > timedelta(seconds=settings.HEALTH_STALE_AFTER_SECONDS):
            raise RuntimeError(f"the last heartbeat of {name} is too old")

    return check


def _private_storage() -> None:
    private_storage.exists("healthz-probe")  # a stat on disk, a HEAD in a bucket


CHECKS = {
    "database": _database,
    "cache": _cache,
    "channel_layer": _channel_layer,
    "broker": _broker,
    "private_storage": _private_storage,
    BEAT: _background(BEAT),
    WORKER: _background(WORKER),
}

# Enough threads for one round while a round before it may still hang on a dead service.
_executor = ThreadPoolExecutor(max_workers=3 * len(CHECKS), thread_name_prefix="healthz")
_cached: tuple[float, dict[str, bool]] | None = None
_cached_lock = threading.Lock()


def _run(name: str) -> bool:
    try:
        CHECKS[name]()
    except Exception as error:  # any failure means "down"; the reason is for the log only
        logger.warning("health check %s failed: %s", name, type(error).__name__)
        return False
    finally:
        close_old_connections()  # each thread's own connection goes back
    return True


def services_status() -> dict[str, bool]:
    """Each service's and process's name and whether it answered in time (cached a little)."""
    global _cached
    with _cached_lock:
        if _cached is not None and time.monotonic() - _cached[0] < settings.HEALTH_CACHE_SECONDS:
            return dict(_cached[1])
        futures = {name: _executor.submit(_run, name) for name in CHECKS}
        deadline = time.monotonic() + settings.HEALTH_TIMEOUT_SECONDS
        status = {}
        for name, future in futures.items():
            try:
                status[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FuturesTimeout:
                logger.warning("health check %s did not answer in time", name)
                status[name] = False
        _cached = (time.monotonic(), status)
        return dict(status)


def status_forget() -> None:
    """Check again at the next request (tests, and after a change an operator made)."""
    global _cached
    with _cached_lock:
        _cached = None
