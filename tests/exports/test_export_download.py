"""Downloading a copy: its owner only, logged in, while it is kept; 404 for anyone else (another
patient, their therapist, staff, someone logged out), for an expired copy, one still being
prepared and one that never was. Streamed as a download, never cached."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEntry
from teletherapy.exports.models import DataExport
from tests.factories.audit import entries_of
from tests.factories.exports import DataExportFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def url(export: DataExport) -> str:
    return reverse("export_download", kwargs={"pk": export.pk})


def test_the_owner_downloads_the_zip(patient, patient_client, record, build_export):
    export = build_export(patient).export

    response = patient_client.get(url(export))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    day = timezone.localdate(export.ready_at)
    assert response["Content-Disposition"] == f'attachment; filename="havre-data-{day}.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    data = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("data.json"))
    assert data["profile"]["nickname"] == "Robin"
    export.refresh_from_db()
    assert export.downloaded_at is not None
    # In the patient's access log, as every download of their data.
    [entry] = entries_of(patient)
    assert (entry.kind, entry.accessor_id, entry.record_id) == ("export", patient.pk, export.pk)
    assert entry.role == "patient"
    patient_client.get(url(export))
    assert len(entries_of(patient)) == 2


def test_a_therapists_download_is_in_no_patients_log(therapist, therapist_client, build_export):
    export = build_export(therapist).export

    assert therapist_client.get(url(export)).status_code == 200
    assert not AccessEntry.objects.exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_zip_is_streamed_as_it_is_decrypted():
    """Under daphne a plain iterator would be read whole into memory before the first byte."""
    export = await database_sync_to_async(DataExportFactory)(ready=True)
    client = AsyncClient()
    await client.aforce_login(await database_sync_to_async(lambda: export.user)())

    response = await client.get(url(export))

    assert response.status_code == 200
    assert response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    assert zipfile.ZipFile(io.BytesIO(body)).read("data.json") == b"{}"
    # The connection of the thread the view ran in goes before the test database does.
    await sync_to_async(connections.close_all)()


@pytest.mark.parametrize("who", ["other_patient", "therapist", "staff", "other_therapist"])
def test_nobody_else_downloads_it(who, request, patient):
    export = DataExportFactory(user=patient, ready=True)
    outsider = request.getfixturevalue(who)

    response = client_for(outsider).get(url(export))

    assert response.status_code == 404
    assert DataExport.objects.get(pk=export.pk).downloaded_at is None
    assert entries_of(patient) == []


def test_someone_logged_out_gets_404_not_a_login_page(client, patient):
    export = DataExportFactory(user=patient, ready=True)

    assert client.get(url(export)).status_code == 404


def test_a_copy_being_prepared_or_failed_is_not_there(patient, patient_client):
    for status in (DataExport.Status.QUEUED, DataExport.Status.FAILED):
        export = DataExportFactory(user=patient, status=status)
        assert patient_client.get(url(export)).status_code == 404
        export.delete()


def test_an_expired_copy_is_not_there_even_before_the_sweep(patient, patient_client):
    export = DataExportFactory(user=patient, ready=True)

    with time_machine.travel(export.expires_at - timedelta(seconds=1), tick=False):
        assert patient_client.get(url(export)).status_code == 200
    with time_machine.travel(export.expires_at, tick=False):
        assert patient_client.get(url(export)).status_code == 404


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "-1", "²", "1.0", "x"])
def test_any_other_address_is_404(patient_client, pk):
    assert patient_client.get(f"/privacy/export/{pk}/download/").status_code == 404


def test_only_get(patient, patient_client):
    export = DataExportFactory(user=patient, ready=True)

    assert patient_client.post(url(export)).status_code == 405
