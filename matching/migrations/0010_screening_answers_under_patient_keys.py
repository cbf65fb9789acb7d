"""Every PHQ-9 and GAD-7 kept until now with its answers in clear (item 9, thoughts of
self-harm, among them) has them encrypted under the patient's data key (core.crypto) into
``answers_encrypted``; the clear column is emptied (an empty list) as rows go, then dropped
(0011). Score and band stay in clear.

Safe on a live database: a row at a time, each moved only if unchanged since it was read.
Safe to run again: a row already moved has nothing in clear. Undone the same way: the answers
decrypted back into the clear column (while the patient's key exists).
"""

import json

from django.db import migrations

from core import crypto


def _rows(ScreeningResult, **condition):
    """(pk, answers, answers_encrypted, patient_id) of the rows to move, a batch at a time."""
    last = 0
    while batch := list(
        ScreeningResult.objects.filter(pk__gt=last, **condition)
        .order_by("pk")
        .values_list("pk", "answers", "answers_encrypted", "patient_id")[:500]
    ):
        yield from batch
        last = batch[-1][0]


def forward(apps, schema_editor):
    ScreeningResult = apps.get_model("matching", "ScreeningResult")
    for pk, answers, _token, patient_id in _rows(ScreeningResult, answers_encrypted=""):
        if answers == []:
            continue  # nothing in clear (none kept, or emptied by a move cut short)
        token = crypto.encrypt_text_for(patient_id, json.dumps(answers, separators=(",", ":")))
        ScreeningResult.objects.filter(pk=pk, answers=answers, answers_encrypted="").update(
            answers=[], answers_encrypted=token
        )


def backward(apps, schema_editor):
    ScreeningResult = apps.get_model("matching", "ScreeningResult")
    for pk, _answers, token, _patient_id in _rows(ScreeningResult, answers=[]):
        if not token:
            continue
        answers = json.loads(crypto.decrypt_text(token))
        ScreeningResult.objects.filter(pk=pk, answers=[], answers_encrypted=token).update(
            answers=answers, answers_encrypted=""
        )


class Migration(migrations.Migration):
    atomic = False  # a row at a time: no long lock on a live database

    dependencies = [
        ("core", "0003_data_keys"),
        ("matching", "0009_screening_answers_encrypted_field"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=True)]
