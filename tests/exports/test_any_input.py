"""No input to the export's pages gives a 500 (issue 15): any body sent to ask for a copy (it
reads none: one copy is asked for, or the one under way shown), any id of a copy to download,
past the database's range included. Property tests with tests/inputs.py."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teletherapy.exports.models import DataExport
from tests.helpers import client_for
from tests.inputs import answers_without_error, form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=form_data({"csrfmiddlewaretoken": None, "export": ["1"]}), htmx=st.booleans())
def test_no_body_gives_a_500_and_one_copy_is_asked_for(patient, monkeypatch, data, htmx):
    monkeypatch.setattr("teletherapy.exports.tasks.build_export.delay", lambda export_id: None)
    headers = {"HX-Request": "true"} if htmx else None
    client = client_for(patient)

    answers_without_error(client, "post", reverse("privacy_export"), data, headers=headers)

    assert DataExport.objects.filter(user=patient).count() == 1


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_ids_past_the_database_range_are_not_found(patient, pk):
    url = reverse("export_download", kwargs={"pk": pk})

    assert client_for(patient).get(url).status_code == 404
