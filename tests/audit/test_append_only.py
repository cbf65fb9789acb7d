"""The access log cannot be changed or emptied row by row: the model refuses on any database,
and PostgreSQL's trigger refuses whatever sends the statement (a shell, psql)."""

import pytest
from django.db import IntegrityError, connection, transaction

from audit.models import AccessEntry, AppendOnlyError
from audit.services import access_record
from tests.factories.audit import entries_of


@pytest.fixture
def entry(patient, therapist) -> AccessEntry:
    written = access_record(
        reader=therapist, patient_id=patient.pk, kind=AccessEntry.Kind.PATIENT_PAGE
    )
    assert written is not None
    return AccessEntry.objects.get(pk=written.pk)


def test_the_model_refuses_a_change(entry):
    entry.kind = AccessEntry.Kind.PROGRESS
    with pytest.raises(AppendOnlyError):
        entry.save()


@pytest.mark.parametrize(
    "attempt",
    [
        lambda entry: entry.delete(),
        lambda entry: AccessEntry.objects.filter(pk=entry.pk).delete(),
        lambda entry: AccessEntry.objects.filter(pk=entry.pk).update(accessor_id=None),
        lambda entry: AccessEntry.objects.bulk_update([entry], ["accessor_id"]),
    ],
)
def test_the_model_refuses_updates_and_deletes(entry, attempt):
    with pytest.raises(AppendOnlyError):
        attempt(entry)
    assert AccessEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_accessentry SET accessor_id = NULL WHERE id = %s",
        "UPDATE audit_accessentry SET kind = 'progress' WHERE id = %s",
        "DELETE FROM audit_accessentry WHERE id = %s",
        # Even a statement that matches no row is refused: an attempt is never harmless.
        "DELETE FROM audit_accessentry WHERE id = -%s",
    ],
)
def test_postgresql_refuses_a_raw_update_or_delete(entry, statement):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])
    assert AccessEntry.objects.get(pk=entry.pk).accessor_id == entry.accessor_id


def test_appending_still_works(entry, patient, therapist, settings):
    settings.AUDIT_REPEAT_MINUTES = 0
    access_record(reader=therapist, patient_id=patient.pk, kind=AccessEntry.Kind.PATIENT_PAGE)
    assert [e.seq for e in entries_of(patient)] == [1, 2]
