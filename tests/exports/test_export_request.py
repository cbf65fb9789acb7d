"""Privacy → Download my data: asking for a copy starts one build (a second ask while it runs
shows it, never a second), the page shows its progress and follows it live (events socket, and
polling while it runs), and says when it is ready, failed or deleted."""

import pytest
from django.urls import reverse

from teletherapy.exports import services
from teletherapy.exports.models import DataExport
from tests.factories.exports import DataExportFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PRIVACY = reverse("privacy")
PAGE = reverse("privacy_export")
STATUS = reverse("privacy_export_status")


@pytest.fixture
def built(monkeypatch):
    """The builds the worker was asked for (the signal's receiver queues them)."""
    queued: list[int] = []
    monkeypatch.setattr(
        "teletherapy.exports.tasks.build_export.delay", lambda export_id: queued.append(export_id)
    )
    return queued


@pytest.fixture
def events(monkeypatch):
    sent: list[tuple[list[int], dict]] = []
    monkeypatch.setattr(
        services.realtime, "send_to_users", lambda ids, event: sent.append((list(ids), event))
    )
    return sent


def test_the_privacy_page_offers_to_prepare_a_copy(patient_client):
    response = patient_client.get(PRIVACY)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<section class="card mb-3" id="download-my-data"' in page
    assert "Download my data" in page
    assert f'action="{PAGE}"' in page
    assert "Prepare a copy of my data" in page
    assert 'data-refresh-on="export.progress"' in page
    assert 'hx-trigger="every 10s"' not in page  # nothing under way: nothing to poll
    assert "the notes your therapists wrote about your" in page


def test_asking_queues_one_build_once_committed(
    patient, patient_client, built, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(PAGE, headers={"HX-Request": "true"})

    export = DataExport.objects.get(user=patient)
    assert export.status == DataExport.Status.QUEUED
    assert built == [export.pk]
    assert events == [([patient.pk], {"kind": "export.progress", "export": export.pk})]
    # The status in place, polled while it runs, with its progress bar.
    section = response.content.decode()
    assert response.status_code == 200
    assert section.lstrip().startswith('<div id="export-status"')
    assert 'hx-trigger="every 10s"' in section
    assert '<progress class="w-100" id="export-progress" max="100" value="0"' in section
    assert "Waiting to start" in section
    assert "Prepare a copy" not in section


def test_asking_again_while_it_runs_shows_it(patient, patient_client, built, events):
    running = DataExportFactory(user=patient, status=DataExport.Status.RUNNING, progress=40)

    response = patient_client.post(PAGE, headers={"HX-Request": "true"})

    assert list(DataExport.objects.filter(user=patient)) == [running]
    assert built == []
    section = response.content.decode()
    assert 'value="40"' in section
    assert "Preparing your copy" in section


def test_two_asks_at_once_make_one_export(patient):
    first, created = services.export_request(user=patient)
    second, created_again = services.export_request(user=patient)

    assert created
    assert not created_again
    assert first == second
    assert DataExport.objects.filter(user=patient).count() == 1


def test_the_database_refuses_a_second_export_under_way(patient):
    DataExportFactory(user=patient)

    with pytest.raises(Exception, match="export_one_under_way_per_person"):
        DataExportFactory(user=patient, status=DataExport.Status.RUNNING)


def test_without_javascript_asking_comes_back_to_the_privacy_page(patient, patient_client, built):
    response = patient_client.post(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{PRIVACY}#download-my-data"
    assert DataExport.objects.filter(user=patient).count() == 1
    assert 'value="0"' in patient_client.get(PRIVACY).content.decode()


def test_the_sections_own_address_is_the_privacy_page(patient_client):
    response = patient_client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{PRIVACY}#download-my-data"


def test_a_ready_copy_is_offered_with_its_expiry(patient, patient_client):
    export = DataExportFactory(user=patient, ready=True)

    section = patient_client.get(STATUS).content.decode()

    assert reverse("export_download", kwargs={"pk": export.pk}) in section
    assert "is ready. It will be deleted on" in section
    assert "Prepare a new copy" in section
    assert 'hx-trigger="every 10s"' not in section


def test_a_failed_build_says_so_and_may_be_asked_again(patient, patient_client):
    DataExportFactory(user=patient, status=DataExport.Status.FAILED)

    section = patient_client.get(STATUS).content.decode()

    assert "We could not prepare your copy" in section
    assert "Prepare a copy of my data" in section


def test_an_expired_copy_is_no_longer_offered(patient, patient_client):
    export = DataExportFactory(user=patient, ready=True, status=DataExport.Status.EXPIRED, file="")

    section = patient_client.get(STATUS).content.decode()

    assert "Your last copy was deleted on" in section
    assert reverse("export_download", kwargs={"pk": export.pk}) not in section


def test_someone_logged_out_is_sent_to_log_in(client):
    for response in (client.get(PAGE), client.post(PAGE), client.get(STATUS), client.get(PRIVACY)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not DataExport.objects.exists()


def test_each_person_sees_their_own_export_only(patient, other_patient):
    DataExportFactory(user=patient, status=DataExport.Status.RUNNING, progress=60)

    section = client_for(other_patient).get(STATUS).content.decode()

    assert 'value="60"' not in section
    assert "Prepare a copy of my data" in section


def test_a_therapist_and_staff_may_export_their_own(therapist_client, staff_client, built):
    for client in (therapist_client, staff_client):
        assert client.post(PAGE).status_code == 302
    assert DataExport.objects.count() == 2


def test_a_therapist_reads_what_their_copy_holds_and_lacks(therapist_client):
    page = therapist_client.get(PRIVACY).content.decode()

    assert "It does not hold your patients" in page


def test_only_get_and_post(patient_client):
    assert patient_client.put(PAGE).status_code == 405
    assert patient_client.post(STATUS).status_code == 405
