"""How the exports react to events: their own (a build to queue) and a deleted export's file."""

import logging
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from kombu.exceptions import OperationalError

from core.storage import private_storage
from teletherapy.exports import tasks
from teletherapy.exports.models import DataExport
from teletherapy.exports.signals import export_requested

logger = logging.getLogger(__name__)


@receiver(export_requested)
def build_at_once(sender, export_id, **kwargs):
    """An export asked for is built now, by a worker, not at the next sweep."""
    try:
        tasks.build_export.delay(export_id)
    except OperationalError:
        # Never let a broker outage spoil the request: the sweep starts it later.
        logger.warning("data export %s not queued; the sweep will start it", export_id)


@receiver(post_delete, sender=DataExport)
def delete_file(sender, instance: DataExport, **kwargs):
    """A deleted export (its owner's account deleted with it) leaves no file behind."""
    if instance.file.name:
        transaction.on_commit(partial(private_storage.delete, instance.file.name))
