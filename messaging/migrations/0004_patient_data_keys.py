"""Messages, file names and files written before patients had data keys move from the platform
keys to their patient's data key (core.crypto), in place.

Safe on a live database: not one long transaction but a row at a time, each rewritten only if
unchanged since it was read (a file is written under a new name, the row pointed at it, then the
old file removed); anything not moved yet stays readable meanwhile (a token names its key). Safe
to run again: what is under its patient's key already is left alone. Going back needs nothing:
the code of before cannot read the new tokens, but nothing is lost by leaving them.
"""

import uuid

from django.core.files.base import ContentFile
from django.db import migrations

from core import crypto
from core.storage import private_storage


def forward(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    Attachment = apps.get_model("messaging", "Attachment")
    crypto.reencrypt_column_for(Message, "body_encrypted", patient="conversation__patient_id")
    rows = (
        Attachment.objects.exclude(name_encrypted__startswith=crypto.PREFIX)
        .order_by("pk")
        .values_list("pk", "file", "name_encrypted", "message__conversation__patient_id")
    )
    for pk, old_name, name_token, patient_id in rows.iterator(chunk_size=200):
        if not old_name:
            continue
        with private_storage.open(old_name, "rb") as stored:
            moved = crypto.reencrypt_bytes_for(patient_id, stored.read())
        new_name = private_storage.save(
            f"message-attachments/{uuid.uuid4().hex}.bin", ContentFile(moved)
        )
        updated = Attachment.objects.filter(pk=pk, file=old_name, name_encrypted=name_token).update(
            file=new_name, name_encrypted=crypto.reencrypt_text_for(patient_id, name_token)
        )
        private_storage.delete(old_name if updated else new_name)


class Migration(migrations.Migration):
    atomic = False  # a row at a time: no long lock on a live database

    dependencies = [
        ("core", "0003_data_keys"),
        ("messaging", "0003_live_session"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
