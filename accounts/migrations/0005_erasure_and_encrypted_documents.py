"""Delete my account: when a patient asked, when they are due to be erased, when they were
(issue 17, item 3). Credential documents (their files and names) and therapists' photos, kept in
clear until now, are encrypted with the platform keys like every other private file (item 7).

Safe on a live database: a file at a time, written encrypted under a new name, the row pointed
at it only if unchanged since it was read, then the old file removed; safe to run again (a file
already encrypted is a Fernet token, which no PDF, JPEG or PNG starts like). The clear name
column is dropped last.
"""

import uuid

from django.core.files.base import ContentFile
from django.db import migrations, models

import accounts.models
import core.storage
from core import crypto
from core.storage import private_storage

FERNET = b"gAAAAA"  # how every Fernet token starts (version byte 0x80, base64)


def _seal(name: str, folder: str) -> str | None:
    """The file encrypted under a new name, or None when it is already (or gone)."""
    if not name or not private_storage.exists(name):
        return None
    with private_storage.open(name, "rb") as stored:
        data = stored.read()
    if data.startswith(FERNET):
        return None
    return private_storage.save(
        f"{folder}/{uuid.uuid4().hex}.bin", ContentFile(crypto.encrypt_bytes(data))
    )


def forward(apps, schema_editor):
    TherapistDocument = apps.get_model("accounts", "TherapistDocument")
    TherapistProfile = apps.get_model("accounts", "TherapistProfile")
    rows = TherapistDocument.objects.order_by("pk").values_list("pk", "file", "original_name")
    for pk, name, original in rows.iterator(chunk_size=200):
        if original:
            TherapistDocument.objects.filter(pk=pk, original_name=original).update(
                original_name="", original_name_encrypted=crypto.encrypt_text(original)
            )
        new = _seal(name, "therapist-documents")
        if new is not None:
            moved = TherapistDocument.objects.filter(pk=pk, file=name).update(file=new)
            private_storage.delete(name if moved else new)
    photos = TherapistProfile.objects.exclude(photo="").order_by("pk").values_list("pk", "photo")
    for pk, name in photos.iterator(chunk_size=200):
        new = _seal(name, "therapist-photos")
        if new is not None:
            moved = TherapistProfile.objects.filter(pk=pk, photo=name).update(photo=new)
            private_storage.delete(name if moved else new)


class Migration(migrations.Migration):
    atomic = False  # a file at a time: no long lock on a live database

    dependencies = [
        ("core", "0003_data_keys"),
        ("accounts", "0004_legal_documents_first_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientprofile",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="erased at"),
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="erasure_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="to be erased at"),
        ),
        migrations.AddField(
            model_name="patientprofile",
            name="erasure_requested_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="deletion asked at"),
        ),
        migrations.AddField(
            model_name="therapistdocument",
            name="original_name_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="therapistdocument",
            name="file",
            field=models.FileField(
                max_length=200,
                storage=core.storage.PrivateStorage(),
                upload_to=accounts.models._therapist_document_path,
                verbose_name="file (encrypted)",
            ),
        ),
        migrations.AddIndex(
            model_name="patientprofile",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", True), ("erasure_due_at__isnull", False)),
                fields=["erasure_due_at"],
                name="patient_erasure_due_idx",
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="therapistdocument",
            name="original_name",
        ),
    ]
