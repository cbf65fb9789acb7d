"""``core.crypto.patient_encrypted_json``: a JSON value (a questionnaire's answers) kept
encrypted under the row's patient's data key, compact; reading an empty column gives None,
setting None empties it, an empty list or 0 are encrypted like any value; a value needs the
patient first; once the patient's key is destroyed it reads nothing."""

import json

import pytest
from django.db import transaction

from core import crypto

pytestmark = pytest.mark.django_db

PATIENT = 10_101


class Row:
    """Anything with the column and the patient's id will do: a model row, here a plain one."""

    answers = crypto.patient_encrypted_json(
        "answers_encrypted", patient="patient_id", description="answers"
    )

    def __init__(self, patient_id: int | None = PATIENT):
        self.patient_id = patient_id
        self.answers_encrypted = ""


class Reason:
    """Whose value it is, found along a dotted path (``request.patient_id``)."""

    detail = crypto.patient_encrypted_json(
        "detail_encrypted", patient="request.patient_id", description="detail"
    )

    def __init__(self):
        self.request = Row()
        self.detail_encrypted = ""


@pytest.fixture(autouse=True)
def _fresh_process():
    crypto.data_keys_forget()
    yield
    crypto.data_keys_forget()


def test_a_value_is_kept_under_the_patients_key_compact_and_reads_back():
    row = Row()
    row.answers = [0, 1, 2, 3, 0, 0, 0, 0, 3]

    token = row.answers_encrypted
    assert token.startswith(crypto.PREFIX)
    assert "[" not in token
    assert "," not in token
    assert crypto.decrypt_text(token) == "[0,1,2,3,0,0,0,0,3]"  # compact JSON
    assert row.answers == [0, 1, 2, 3, 0, 0, 0, 0, 3]
    assert token == crypto.reencrypt_text_for(PATIENT, token)  # the patient's own key


@pytest.mark.parametrize("value", [[], 0, "", {"phq9": [1, 2]}, False])
def test_any_json_value_is_encrypted_even_an_empty_one(value):
    row = Row()
    row.answers = value

    assert row.answers_encrypted.startswith(crypto.PREFIX)
    assert row.answers == value
    assert json.loads(crypto.decrypt_text(row.answers_encrypted)) == value


def test_an_empty_column_reads_none_and_none_empties_it():
    row = Row()
    assert row.answers is None

    row.answers = [1] * 7
    row.answers = None

    assert row.answers_encrypted == ""
    assert row.answers is None


def test_the_patient_is_found_along_a_dotted_path():
    reason = Reason()
    reason.detail = {"why": "moved abroad"}

    assert reason.detail == {"why": "moved abroad"}
    assert crypto.reencrypt_text_for(PATIENT, reason.detail_encrypted) == reason.detail_encrypted


def test_a_value_needs_the_patient_first():
    row = Row(patient_id=None)
    with pytest.raises(ValueError, match="set the patient before the value"):
        row.answers = [1] * 9
    assert row.answers_encrypted == ""


def test_once_the_patients_key_is_destroyed_the_value_reads_nothing():
    row = Row()
    row.answers = [0] * 8 + [3]

    with transaction.atomic():
        crypto.data_key_destroy(kind="patient", subject_id=PATIENT)

    with pytest.raises(crypto.KeyDestroyed):
        row.answers  # noqa: B018
