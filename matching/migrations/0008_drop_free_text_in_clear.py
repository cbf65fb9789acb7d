"""The clear columns 0007 emptied go: what was written in them is now only encrypted."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0007_free_text_under_patient_keys"),
    ]

    operations = [
        migrations.RemoveField(model_name="intake", name="concerns_text"),
        migrations.RemoveField(model_name="intake", name="goals"),
        migrations.RemoveField(model_name="match", name="end_reason"),
        migrations.RemoveField(model_name="offer", name="decline_reason"),
        migrations.RemoveField(model_name="safetyflag", name="staff_note"),
    ]
