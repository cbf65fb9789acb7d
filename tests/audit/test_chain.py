"""Each patient's entries are a hash chain: ``access_log_verify`` (and ``manage.py
audit_verify``) finds a row removed or changed behind the trigger's back; two writers at once
never fork a chain."""

import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection

from audit import services
from audit.models import AccessEntry
from audit.selectors import Break, access_log_verify
from audit.services import access_record
from tests.factories.accounts import TherapistFactory
from tests.factories.audit import entries_of
from tests.helpers import run_together

Kind = AccessEntry.Kind
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def chain(patient, other_patient, therapist, settings) -> list[AccessEntry]:
    """Five reads of the patient's record and two of the other patient's."""
    settings.AUDIT_REPEAT_MINUTES = 0
    for minute, kind in enumerate([Kind.PATIENT_PAGE, Kind.THREAD, Kind.ATTACHMENT] * 2):
        person = other_patient if minute in (1, 4) else patient
        access_record(
            reader=therapist, patient_id=person.pk, kind=kind, now=NOW + timedelta(minutes=minute)
        )
    return entries_of(patient)


def _behind_the_triggers_back(statement: str, params: list) -> None:
    """What someone with the database's keys could do: the trigger off, a statement, the
    trigger on again (all inside the test's transaction, rolled back after it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE audit_accessentry DISABLE TRIGGER audit_accessentry_append_only"
        )
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE audit_accessentry ENABLE TRIGGER audit_accessentry_append_only")


def test_each_link_names_the_one_before(chain):
    assert [entry.seq for entry in chain] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash


def test_intact_chains_verify(chain):
    report = access_log_verify()
    assert (report.entries, report.chains, report.broken) == (6, 2, None)


def test_a_removed_row_shows_at_the_next_link(chain, patient):
    _behind_the_triggers_back("DELETE FROM audit_accessentry WHERE id = %s", [chain[1].pk])

    broken = access_log_verify().broken
    assert broken is not None
    assert (broken.patient_id, broken.seq, broken.entry_id) == (patient.pk, 3, chain[2].pk)
    assert broken.reason == Break.GAP


def test_the_first_row_removed_shows_too(chain, patient):
    _behind_the_triggers_back("DELETE FROM audit_accessentry WHERE id = %s", [chain[0].pk])
    broken = access_log_verify(patient_id=patient.pk).broken
    assert broken is not None
    assert (broken.seq, broken.reason) == (2, Break.GAP)


def test_a_removal_hidden_by_renumbering_shows_by_its_hash(chain):
    _behind_the_triggers_back("DELETE FROM audit_accessentry WHERE id = %s", [chain[1].pk])
    _behind_the_triggers_back(
        "UPDATE audit_accessentry SET seq = seq - 1 WHERE id IN (%s, %s)",
        [chain[2].pk, chain[3].pk],
    )
    broken = access_log_verify().broken
    assert broken is not None
    assert (broken.entry_id, broken.reason) == (chain[2].pk, Break.PREVIOUS)


def test_a_changed_row_shows_at_itself(chain, other_therapist):
    _behind_the_triggers_back(
        "UPDATE audit_accessentry SET accessor_id = %s WHERE id = %s",
        [other_therapist.pk, chain[2].pk],
    )
    broken = access_log_verify().broken
    assert broken is not None
    assert (broken.entry_id, broken.reason) == (chain[2].pk, Break.CHANGED)


def test_another_patients_chain_is_not_theirs_to_break(chain, other_patient):
    _behind_the_triggers_back("DELETE FROM audit_accessentry WHERE id = %s", [chain[1].pk])
    assert access_log_verify(patient_id=other_patient.pk).broken is None


def test_the_command_says_intact_or_fails_at_the_first_break(chain, capsys):
    call_command("audit_verify")
    assert "6 entries in 2 chains: intact." in capsys.readouterr().out

    _behind_the_triggers_back("DELETE FROM audit_accessentry WHERE id = %s", [chain[1].pk])
    with pytest.raises(CommandError, match=f"entry 3 \\(id {chain[2].pk}\\): gap"):
        call_command("audit_verify")


# --- Two writers at once -------------------------------------------------------------------------


@pytest.fixture
def slow_heads(monkeypatch):
    """Each writer dawdles between reading its chain's head and appending: without a lock,
    every one of them would append after the same head."""
    read_heads = services._chain_heads

    def slow(patient_ids):
        heads = read_heads(patient_ids)
        time.sleep(0.2)
        return heads

    monkeypatch.setattr(services, "_chain_heads", slow)


@pytest.mark.django_db(transaction=True)
def test_writers_at_once_take_turns_and_never_fork_the_chain(slow_heads, settings):
    settings.AUDIT_REPEAT_MINUTES = 0
    from tests.factories import PatientFactory

    patient = PatientFactory.create()
    readers = TherapistFactory.create_batch(4)
    run_together(
        [
            lambda reader=reader: access_record(
                reader=reader, patient_id=patient.pk, kind=Kind.PATIENT_PAGE
            )
            for reader in readers
        ]
    )
    assert [entry.seq for entry in entries_of(patient)] == [1, 2, 3, 4]
    assert access_log_verify().broken is None


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_database_still_refuses_a_fork(slow_heads, monkeypatch, settings):
    settings.AUDIT_REPEAT_MINUTES = 0
    from tests.factories import PatientFactory

    monkeypatch.setattr(services, "_lock_chains", lambda patient_ids: None)
    patient = PatientFactory.create()
    readers = TherapistFactory.create_batch(2)
    refused = []

    def read(reader):
        try:
            access_record(reader=reader, patient_id=patient.pk, kind=Kind.PATIENT_PAGE)
        except IntegrityError:
            refused.append(reader)

    run_together([lambda reader=reader: read(reader) for reader in readers])
    assert len(refused) == 1
    assert [entry.seq for entry in entries_of(patient)] == [1]
