"""A questionnaire's answers (issue 17: check-ins under the patient's data key): the database
row holds none of them in clear, only a token of the patient's key; the model, the services and
the patient's page read the list back; score and band stay in clear; once the patient is
erased, a copy of the row and of their key's row, as a dump from before holds them, opens
nothing."""

import pytest
from django.db import connection

from core import crypto
from core.models import DataKey
from matching import services
from matching.models import ScreeningResult
from teletherapy.erasure import services as erasure
from tests.factories.erasure import NOW, after_grace
from tests.factories.matching import CheckinFactory

pytestmark = pytest.mark.django_db

SELF_HARM = [0, 0, 0, 0, 0, 0, 0, 0, 2]  # item 9: "more than half the days"


def _row(pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM matching_screeningresult WHERE id = %s", [pk])
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_row_holds_a_token_of_the_patients_key_and_no_answer(patient):
    result = services.screening_record(patient=patient, instrument="phq9", answers=SELF_HARM)

    row = _row(result.pk)
    assert "answers" not in row
    assert row["answers_encrypted"].startswith(f"{crypto.PREFIX}")
    assert "[" not in row["answers_encrypted"]
    slot = int(row["answers_encrypted"].split(".")[1])
    assert slot == DataKey.objects.get(kind="patient", subject_id=patient.pk).pk
    # What charts and risk read stays in clear.
    assert (row["score"], row["band"]) == (2, "minimal")

    stored = ScreeningResult.objects.get(pk=result.pk)
    assert stored.answers == SELF_HARM
    assert stored.self_harm_answer == "More than half the days"


def test_answers_given_with_the_patient_to_the_model(patient):
    """Django sets fields from keyword arguments before properties: the patient is known."""
    result = ScreeningResult(patient=patient, instrument="gad7", answers=[3] * 7, score=21)
    result.band = "severe"
    result.save()

    assert ScreeningResult.objects.get(pk=result.pk).answers == [3] * 7


def test_each_patient_under_their_own_key(patient, other_patient):
    mine = CheckinFactory(patient=patient, answers=[1] * 9)
    theirs = CheckinFactory(patient=other_patient, answers=[1] * 9)

    assert mine.answers_encrypted.split(".")[1] != theirs.answers_encrypted.split(".")[1]
    assert ScreeningResult.objects.get(pk=theirs.pk).answers == [1] * 9


def test_after_the_erasure_a_dump_from_before_opens_no_answer(
    patient, other_patient, django_capture_on_commit_callbacks
):
    """A dump from before the erasure holds the check-in's row and the patient's wrapped key:
    once the erasure has destroyed the key and shredded it from the vault, the row opens
    nothing; another patient's, from the same dump, still does."""
    erased = CheckinFactory(patient=patient, answers=SELF_HARM)
    kept = CheckinFactory(patient=other_patient, answers=[2] * 9)
    dump = {
        "answers": {r.pk: r.answers_encrypted for r in ScreeningResult.objects.all()},
        "keys": {key.pk: key.wrapped for key in DataKey.objects.all()},
    }

    erasure.erasure_request(patient=patient, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):  # the key is shredded on commit
        assert erasure.erasures_sweep(now=after_grace()) == 1
    assert not ScreeningResult.objects.filter(patient=patient).exists()
    # The dump restored, read by a new process with the current keys and vault.
    for pk, wrapped in dump["keys"].items():
        DataKey.objects.filter(pk=pk).update(wrapped=wrapped, destroyed_at=None)
    crypto.data_keys_forget()

    with pytest.raises(crypto.KeyDestroyed, match="shredded"):
        crypto.decrypt_text(dump["answers"][erased.pk])
    assert crypto.decrypt_text(dump["answers"][kept.pk]) == "[2,2,2,2,2,2,2,2,2]"
