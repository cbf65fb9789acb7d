"""Is each service the platform needs reachable? Used by /healthz/."""

import asyncio
import logging
import os
import uuid
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

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


CHECKS = {
    "database": _database,
    "cache": _cache,
    "channel_layer": _channel_layer,
    "broker": _broker,
}


def services_status() -> dict[str, bool]:
    """Each service's name and whether it answered."""
    status = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "down"; the reason is for the log only
            logger.warning("health check %s failed: %s", name, type(error).__name__)
            status[name] = False
        else:
            status[name] = True
    return status
