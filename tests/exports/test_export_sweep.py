"""A copy lives EXPORT_KEEP_DAYS (7) days: the sweep then deletes its file, once, however often
it runs. A build nothing moved for EXPORT_STALE_MINUTES (its worker died, the broker lost it)
is started again, at most EXPORT_MAX_ATTEMPTS times; a build overtaken that way, or one that
fails, leaves no file behind. Under a controlled clock."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import F

from core.storage import private_storage
from teletherapy.exports import selectors, services
from teletherapy.exports.models import DataExport
from tests.factories.exports import DataExportFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def stored_files() -> list[str]:
    if not private_storage.exists("data-exports"):
        return []
    return private_storage.listdir("data-exports")[1]


def test_a_copy_is_kept_seven_days_from_when_it_is_ready(patient):
    export, _created = services.export_request(user=patient)

    with time_machine.travel(NOW, tick=False):
        built = services.export_build(export_id=export.pk)

    assert built is not None
    assert built.ready_at == NOW
    assert built.expires_at == NOW + timedelta(days=7)
    assert built.progress == 100
    assert built.attempts == 1
    assert len(stored_files()) == 1


def test_the_sweep_deletes_the_file_when_its_time_is_up(
    patient, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        export = DataExportFactory(user=patient, ready=True)
    name = export.file.name
    assert private_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        early = services.exports_sweep(now=export.expires_at - timedelta(seconds=1))
    assert early.expired == 0
    assert private_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        due = services.exports_sweep(now=export.expires_at)
        again = services.exports_sweep(now=export.expires_at + timedelta(minutes=1))

    assert (due.expired, again.expired) == (1, 0)
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED
    assert export.file.name == ""
    assert not private_storage.exists(name)
    assert selectors.export_downloadable_for_user(user=patient, now=NOW) is None


def test_a_new_copy_replaces_the_earlier_one(patient, django_capture_on_commit_callbacks):
    earlier = DataExportFactory(user=patient, ready=True)
    export, _created = services.export_request(user=patient)

    with django_capture_on_commit_callbacks(execute=True):
        services.export_build(export_id=export.pk)

    earlier.refresh_from_db()
    assert earlier.status == DataExport.Status.EXPIRED
    assert not private_storage.exists(earlier.file.name or "nothing")
    assert stored_files() == [export_name(export)]


def export_name(export: DataExport) -> str:
    export.refresh_from_db()
    return (export.file.name or "").removeprefix("data-exports/")


def test_a_running_build_that_went_silent_is_started_again(
    patient, django_capture_on_commit_callbacks, settings
):
    settings.EXPORT_STALE_MINUTES = 10
    silent = DataExportFactory(
        user=patient,
        status=DataExport.Status.RUNNING,
        attempts=1,
        progress=30,
        heartbeat_at=NOW - timedelta(minutes=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        # The worker runs inline in tests: started again, it is built at once.
        result = services.exports_sweep(now=NOW)

    assert result.restarted == 1
    silent.refresh_from_db()
    assert silent.status == DataExport.Status.READY
    assert silent.attempts == 2


def test_a_build_the_broker_lost_is_started_again(
    patient, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[int] = []
    monkeypatch.setattr("teletherapy.exports.tasks.build_export.delay", queued.append)
    lost = DataExportFactory(user=patient, requested_at=NOW - timedelta(minutes=11))
    waiting = DataExportFactory(requested_at=NOW - timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        first = services.exports_sweep(now=NOW)
        second = services.exports_sweep(now=NOW + timedelta(minutes=1))

    assert (first.restarted, second.restarted) == (1, 0)
    assert queued == [lost.pk]
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == waiting.status == DataExport.Status.QUEUED
    assert lost.heartbeat_at == NOW


def test_a_build_that_keeps_dying_fails_for_good(patient, settings):
    settings.EXPORT_MAX_ATTEMPTS = 3
    export = DataExportFactory(
        user=patient,
        status=DataExport.Status.RUNNING,
        attempts=3,
        heartbeat_at=NOW - timedelta(hours=1),
    )

    result = services.exports_sweep(now=NOW)

    assert (result.restarted, result.failed) == (0, 1)
    export.refresh_from_db()
    assert export.status == DataExport.Status.FAILED
    # The person may ask again.
    assert services.export_request(user=patient)[1]


def test_a_build_still_moving_is_left_alone(patient):
    export = DataExportFactory(
        user=patient,
        status=DataExport.Status.RUNNING,
        attempts=1,
        heartbeat_at=NOW - timedelta(minutes=9),
    )

    assert services.exports_sweep(now=NOW) == services.SweepResult(0, 0, 0)
    export.refresh_from_db()
    assert export.status == DataExport.Status.RUNNING


def test_a_build_overtaken_by_a_restart_stops_and_leaves_no_file(patient, monkeypatch):
    export, _created = services.export_request(user=patient)

    def restarted_meanwhile(*, user):
        # What the sweep does to a build it believes dead.
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExport.Status.QUEUED, attempts=F("attempts") + 1
        )
        return {}

    monkeypatch.setattr(
        selectors, "PARTS", (selectors.Part("slow", restarted_meanwhile), *selectors.PARTS)
    )

    assert services.export_build(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.status == DataExport.Status.QUEUED
    assert stored_files() == []


def test_a_build_that_fails_says_so_and_leaves_no_file(patient, monkeypatch, caplog):
    export, _created = services.export_request(user=patient)

    def broken(*, user):
        raise RuntimeError("the storage is down")

    monkeypatch.setattr(selectors, "PARTS", (*selectors.PARTS, selectors.Part("broken", broken)))

    assert services.export_build(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.status == DataExport.Status.FAILED
    assert stored_files() == []
    assert f"data export {export.pk} could not be built" in caplog.text


def test_a_second_worker_given_the_same_export_does_nothing(patient):
    export, _created = services.export_request(user=patient)

    assert services.export_build(export_id=export.pk) is not None
    assert services.export_build(export_id=export.pk) is None
    export.refresh_from_db()
    assert export.attempts == 1
    assert len(stored_files()) == 1


def test_an_account_deleted_takes_its_copies_files_with_it(
    patient, django_capture_on_commit_callbacks
):
    export = DataExportFactory(user=patient, ready=True)
    name = export.file.name

    with django_capture_on_commit_callbacks(execute=True):
        patient.delete()

    assert not DataExport.objects.exists()
    assert not private_storage.exists(name)
