"""A column for a questionnaire's answers, encrypted under the patient's data key: filled by
0010, the clear column dropped by 0011. The clear column gets a default (an empty list), which
0010 leaves in it once a row has moved, and which lets 0011 be undone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0008_drop_free_text_in_clear"),
    ]

    operations = [
        migrations.AddField(
            model_name="screeningresult",
            name="answers_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="screeningresult",
            name="answers",
            field=models.JSONField(default=list, verbose_name="answers"),
        ),
    ]
