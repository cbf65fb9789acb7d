"""The clear column 0010 emptied goes: a questionnaire's answers are now only encrypted."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0010_screening_answers_under_patient_keys"),
    ]

    operations = [
        migrations.RemoveField(model_name="screeningresult", name="answers"),
    ]
