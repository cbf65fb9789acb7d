"""Session notes and addenda move from the platform keys to their patient's data key, and the
reasons people gave for cancelling a session, kept in clear until now, are encrypted under it
(core.crypto); automatic cancellations keep their codes.

Safe on a live database: a row at a time, each rewritten only if unchanged since it was read;
what is not moved yet stays readable meanwhile. Safe to run again. Nothing to undo.
"""

from django.db import migrations

from core import crypto

AUTOMATIC = ("match ended", "therapist unavailable", "patient left")


def forward(apps, schema_editor):
    SessionNote = apps.get_model("scheduling", "SessionNote")
    SessionNoteAddendum = apps.get_model("scheduling", "SessionNoteAddendum")
    Appointment = apps.get_model("scheduling", "Appointment")
    crypto.reencrypt_column_for(SessionNote, "body_encrypted", patient="appointment__patient_id")
    crypto.reencrypt_column_for(
        SessionNoteAddendum, "body_encrypted", patient="note__appointment__patient_id"
    )
    crypto.encrypt_column_for(
        Appointment,
        "cancel_reason",
        "cancel_reason_encrypted",
        patient="patient_id",
        keep=AUTOMATIC,
    )


class Migration(migrations.Migration):
    atomic = False  # a row at a time: no long lock on a live database

    dependencies = [
        ("core", "0003_data_keys"),
        ("scheduling", "0004_cancel_reason_encrypted"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
