"""Columns for what patients (and therapists and staff about them) write in their own words,
encrypted under the patient's data key: filled by 0007, the clear columns dropped by 0008."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0005_emergency_numbers_for_every_country"),
    ]

    operations = [
        migrations.AddField(
            model_name="intake",
            name="concerns_text_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="intake",
            name="goals_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="match",
            name="end_reason_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="offer",
            name="decline_reason_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="safetyflag",
            name="staff_note_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
    ]
