"""Writing the access log (``audit.services``): what an entry holds and never holds, who is
recorded in which role, repeats merged, exports and erasures always written."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction

from audit.chain import GENESIS, link_hash, session_digest
from audit.context import reading_session
from audit.models import AccessEntry
from audit.services import access_record, access_record_many
from tests.factories.audit import entries_of, staff_in

Kind = AccessEntry.Kind
Role = AccessEntry.Role
NOW = datetime(2026, 11, 23, 14, 2, 31, 123456, tzinfo=UTC)


@pytest.fixture
def session(db):
    store = SessionStore()
    store.create()
    return store


def test_an_entry_says_who_whose_what_when_and_from_which_session(patient, therapist, session):
    with reading_session(session):
        entry = access_record(
            reader=therapist, patient_id=patient.pk, kind=Kind.THREAD, record_id=7, now=NOW
        )

    assert entry is not None
    stored = AccessEntry.objects.get(pk=entry.pk)
    assert (stored.patient_id, stored.accessor_id, stored.role) == (
        patient.pk,
        therapist.pk,
        Role.THERAPIST,
    )
    assert (stored.kind, stored.record_id, stored.at) == (Kind.THREAD, 7, NOW)
    # The session's digest, never its key (a key would let a reader of the log take it over).
    assert stored.session_digest == session_digest(session.session_key)
    assert session.session_key not in stored.session_digest
    assert (stored.seq, stored.prev_hash) == (1, GENESIS)
    assert stored.hash == link_hash(
        patient_id=patient.pk,
        seq=1,
        accessor_id=therapist.pk,
        role=Role.THERAPIST,
        kind=Kind.THREAD,
        record_id=7,
        session_digest=stored.session_digest,
        at=NOW,
        prev_hash=GENESIS,
    )


def test_an_entry_has_no_field_for_content():
    names = {field.name for field in AccessEntry._meta.get_fields()}
    assert names == {
        "id",
        "patient_id",
        "seq",
        "accessor_id",
        "role",
        "kind",
        "record_id",
        "session_digest",
        "at",
        "prev_hash",
        "hash",
    }


def test_outside_a_request_there_is_no_session(patient, therapist):
    entry = access_record(reader=therapist, patient_id=patient.pk, kind=Kind.PATIENT_PAGE)
    assert entry is not None
    assert entry.session_digest == ""


def test_a_patient_reading_their_own_record_is_not_logged(patient):
    assert access_record(reader=patient, patient_id=patient.pk, kind=Kind.THREAD) is None
    assert entries_of(patient) == []


@pytest.mark.parametrize("kind", [Kind.EXPORT, Kind.ERASURE])
def test_exports_and_erasures_are_logged_whoever_does_them(patient, kind):
    by_patient = access_record(reader=patient, patient_id=patient.pk, kind=kind, now=NOW)
    again = access_record(reader=patient, patient_id=patient.pk, kind=kind, now=NOW)
    by_platform = access_record(reader=None, patient_id=patient.pk, kind=kind, now=NOW)

    assert by_patient is not None
    assert again is not None
    assert by_platform is not None
    assert [e.role for e in entries_of(patient)] == [Role.PATIENT, Role.PATIENT, Role.SYSTEM]
    assert by_platform.accessor_id is None


def test_a_repeat_within_the_window_merges_into_the_last_visit(patient, therapist, settings):
    settings.AUDIT_REPEAT_MINUTES = 15
    read = {"reader": therapist, "patient_id": patient.pk, "kind": Kind.THREAD, "record_id": 3}

    assert access_record(**read, now=NOW) is not None
    assert access_record(**read, now=NOW + timedelta(minutes=14)) is None
    # Another record, another kind: new entries.
    assert access_record(**read | {"record_id": 4}, now=NOW + timedelta(minutes=1)) is not None
    assert access_record(**read | {"kind": Kind.SESSION_NOTE}, now=NOW) is not None
    # The window counts from the last entry of that read.
    assert access_record(**read, now=NOW + timedelta(minutes=15, seconds=1)) is not None
    assert len(entries_of(patient)) == 4


def test_a_committed_visit_is_remembered_by_the_process(
    patient, therapist, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """An open thread's live fetches: once the visit's entry is committed, its repeats within
    the window cost no query; past the window, the database is asked and a new visit logged."""
    settings.AUDIT_REPEAT_MINUTES = 15
    read = {"reader": therapist, "patient_id": patient.pk, "kind": Kind.THREAD, "record_id": 5}
    with django_capture_on_commit_callbacks(execute=True):
        assert access_record(**read, now=NOW) is not None

    with django_assert_num_queries(0):
        assert access_record(**read, now=NOW + timedelta(minutes=14)) is None
    with django_capture_on_commit_callbacks(execute=True):
        later = access_record(**read, now=NOW + timedelta(minutes=15, seconds=1))
    assert later is not None
    with django_assert_num_queries(0):
        assert access_record(**read, now=NOW + timedelta(minutes=20)) is None
    assert len(entries_of(patient)) == 2


def test_a_visit_rolled_back_is_not_remembered(
    patient, therapist, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_REPEAT_MINUTES = 15
    read = {"reader": therapist, "patient_id": patient.pk, "kind": Kind.THREAD, "record_id": 6}

    def read_then_fail() -> None:
        with transaction.atomic():
            assert access_record(**read, now=NOW) is not None
            raise RuntimeError("the request failed after the read")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        read_then_fail()

    assert entries_of(patient) == []
    assert access_record(**read, now=NOW + timedelta(minutes=1)) is not None  # logged after all


def test_a_repeat_from_another_session_is_another_visit(patient, therapist, db):
    sessions = [SessionStore(), SessionStore()]
    for store in sessions:
        store.create()
    written = []
    for store in sessions:
        with reading_session(store):
            written.append(
                access_record(reader=therapist, patient_id=patient.pk, kind=Kind.THREAD, now=NOW)
            )
    assert all(written)
    assert len({entry.session_digest for entry in written if entry}) == 2


def test_without_a_window_every_read_is_logged(patient, therapist, settings):
    settings.AUDIT_REPEAT_MINUTES = 0
    for _ in range(3):
        access_record(reader=therapist, patient_id=patient.pk, kind=Kind.THREAD, now=NOW)
    assert len(entries_of(patient)) == 3


def test_one_page_of_several_patients_is_one_entry_each(
    patient, other_patient, therapist, django_assert_num_queries
):
    with django_assert_num_queries(4):  # repeats, locks, chains' heads, one insert
        written = access_record_many(
            reader=therapist,
            kind=Kind.CASELOAD,
            records=[(patient.pk, 1), (other_patient.pk, 2), (patient.pk, 1)],
            now=NOW,
        )
    assert [(e.patient_id, e.record_id, e.seq) for e in written] == [
        (patient.pk, 1, 1),
        (other_patient.pk, 2, 1),
    ]


def test_nothing_to_log_costs_nothing(therapist, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert access_record_many(reader=therapist, kind=Kind.CASELOAD, records=[]) == []


@pytest.mark.parametrize(
    ("role", "kind", "recorded"),
    [
        (Role.CLINICAL_SAFETY, Kind.SAFETY_FLAG, Role.CLINICAL_SAFETY),
        (Role.MATCHING_SUPPORT, Kind.MATCH_REQUEST, Role.MATCHING_SUPPORT),
        (Role.VETTING, Kind.PASSWORD_SET, Role.VETTING),
    ],
)
def test_staff_are_recorded_by_the_group_that_let_them_in(patient, role, kind, recorded):
    member = staff_in(role)
    entry = access_record(reader=member, patient_id=patient.pk, kind=kind)
    assert entry is not None
    assert entry.role == recorded


def test_in_several_groups_the_one_for_this_kind_of_record_wins(patient):
    from django.contrib.auth.models import Group

    member = staff_in(Role.MATCHING_SUPPORT)
    member.groups.add(Group.objects.get(name="Clinical safety"))
    flag = access_record(reader=member, patient_id=patient.pk, kind=Kind.SAFETY_FLAG)
    search = access_record(reader=member, patient_id=patient.pk, kind=Kind.MATCH_REQUEST)
    assert flag is not None
    assert search is not None
    assert (flag.role, search.role) == (Role.CLINICAL_SAFETY, Role.MATCHING_SUPPORT)


def test_a_superuser_is_an_administrator_and_a_groupless_staffer_staff(patient, staff):
    groupless = staff_in(Role.VETTING)
    groupless.groups.clear()
    by_admin = access_record(reader=staff, patient_id=patient.pk, kind=Kind.INTAKE)
    by_staff = access_record(reader=groupless, patient_id=patient.pk, kind=Kind.INTAKE)
    assert by_admin is not None
    assert by_staff is not None
    assert (by_admin.role, by_staff.role) == (Role.ADMINISTRATOR, Role.STAFF)


def test_the_clock_of_the_entry_is_the_moment_of_the_read(patient, therapist):
    with time_machine.travel(NOW, tick=False):
        entry = access_record(reader=therapist, patient_id=patient.pk, kind=Kind.PROGRESS)
    assert entry is not None
    assert entry.at == NOW
