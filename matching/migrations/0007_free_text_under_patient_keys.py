"""What patients wrote in their own words (an intake's free text and goals, why they changed
therapist), and what therapists and staff wrote about them (why an offer was declined, a safety
flag's note), kept in clear until now, are encrypted under the patient's data key
(core.crypto) into the new columns; the clear ones are emptied as they go, then dropped (0008).

Safe on a live database: a row at a time, each moved only if unchanged since it was read.
Safe to run again: a row already moved has nothing in clear. Nothing to undo.
"""

from django.db import migrations

from core import crypto


def forward(apps, schema_editor):
    moves = [
        ("Intake", "concerns_text", "patient_id"),
        ("Intake", "goals", "patient_id"),
        ("Match", "end_reason", "patient_id"),
        ("Offer", "decline_reason", "request__patient_id"),
        ("SafetyFlag", "staff_note", "patient_id"),
    ]
    for model, column, patient in moves:
        crypto.encrypt_column_for(
            apps.get_model("matching", model), column, f"{column}_encrypted", patient=patient
        )


class Migration(migrations.Migration):
    atomic = False  # a row at a time: no long lock on a live database

    dependencies = [
        ("core", "0003_data_keys"),
        ("matching", "0006_free_text_encrypted_fields"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)]
