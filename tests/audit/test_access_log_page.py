"""Privacy → Who saw my record: the patient reads who saw what and when, in their language and
zone, a page at a time; nobody else reads it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from audit.models import AccessEntry
from audit.services import access_record
from tests.factories.audit import staff_in
from tests.helpers import client_for
from tests.inputs import answers_without_error, field_values

Kind = AccessEntry.Kind
Role = AccessEntry.Role
NOW = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)  # 23:02 in Tokyo
URL = reverse("access_log")
PRIVACY = reverse("privacy")


@pytest.fixture
def reads(patient, therapist, settings):
    """``reads(count)``: that many reads of the patient's record by their therapist, a minute
    apart from NOW on."""
    settings.AUDIT_REPEAT_MINUTES = 0

    def read(count: int) -> None:
        for minute in range(count):
            access_record(
                reader=therapist,
                patient_id=patient.pk,
                kind=Kind.THREAD,
                now=NOW + timedelta(minutes=minute),
            )

    return read


def test_the_patient_sees_their_therapist_by_name_and_staff_by_role(
    patient, patient_client, therapist
):
    therapist.therapist_profile.display_name = "Camille Laurent"
    therapist.therapist_profile.save()
    access_record(reader=therapist, patient_id=patient.pk, kind=Kind.THREAD, now=NOW)
    clinical = staff_in(Role.CLINICAL_SAFETY)
    access_record(
        reader=clinical, patient_id=patient.pk, kind=Kind.SAFETY_FLAG, now=NOW + timedelta(hours=1)
    )

    page = patient_client.get(URL)

    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(row.who, row.what) for row in rows] == [
        ("Havre staff (clinical safety)", "An alert raised by your answers, to follow up"),
        ("Camille Laurent", "Your messages"),
    ]
    assert clinical.email not in page.text  # staff are a role, never a person


def test_in_french_and_in_the_patients_zone(patient, patient_client, therapist):
    patient.language = "fr"
    patient.time_zone = "Asia/Tokyo"
    patient.save()
    access_record(
        reader=staff_in(Role.MATCHING_SUPPORT),
        patient_id=patient.pk,
        kind=Kind.MATCH_REQUEST,
        now=NOW,
    )

    page = patient_client.get(URL).text

    assert "Qui a consulté mon dossier" in page
    assert "Équipe Havre (aide à la mise en relation)" in page
    assert "Votre recherche de thérapeute" in page
    assert "lundi 23 novembre 2026, 23:02" in page.lower()


def test_the_patients_own_reads_are_not_there(patient, patient_client, conversation):
    assert (
        patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk})).status_code
        == 200
    )
    page = patient_client.get(URL)
    assert page.context["rows"] == []
    assert "Nobody but you has seen your record yet." in page.text


def test_another_patient_never_sees_it(patient, other_patient, reads):
    reads(3)
    page = client_for(other_patient).get(URL)
    assert page.status_code == 200
    assert page.context["rows"] == []


@pytest.mark.parametrize("who", ["therapist", "staff"])
def test_only_patients_have_the_page(request, patient, reads, who):
    reads(1)
    assert client_for(request.getfixturevalue(who)).get(URL).status_code == 404


def test_logged_out_it_asks_to_log_in(client):
    for url in (URL, PRIVACY):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_page_at_a_time_newest_first(patient_client, reads):
    reads(30)

    first = patient_client.get(URL)
    second = patient_client.get(URL, {"page": 2})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert first.context["rows"][0].at == NOW + timedelta(minutes=29)
    assert second.context["rows"][-1].at == NOW
    assert "Page 1 of 2" in first.text
    assert 'rel="next"' in first.text
    assert 'rel="prev"' in second.text


@pytest.mark.parametrize(("asked", "shown"), [("abc", 1), ("0", 2), ("-1", 2), ("99999", 2)])
def test_any_page_number_gives_a_page(patient_client, reads, asked, shown):
    reads(30)
    page = patient_client.get(URL, {"page": asked})
    assert page.status_code == 200
    assert page.context["page"].number == shown


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(asked=field_values())
def test_no_page_number_gives_a_500(patient_client, asked):
    answers_without_error(patient_client, "get", URL, {"page": asked})


@pytest.mark.parametrize("size", [3, 60])
def test_the_same_queries_whatever_the_length(
    patient, patient_client, therapist, reads, size, django_assert_num_queries
):
    reads(size)
    patient_client.get(URL)  # the session's first use
    # The user (the session is read from the cache); the count, the page's entries, the
    # therapists' names; the unread badge.
    with django_assert_num_queries(5):
        assert patient_client.get(URL).status_code == 200


def test_the_privacy_page_shows_the_latest_reads(patient_client, reads):
    reads(8)
    page = patient_client.get(PRIVACY)
    assert page.status_code == 200
    sections = page.context["sections"]
    assert [section.anchor for section in sections][:2] == ["who-saw-my-record", "download-my-data"]
    assert len(sections[0].context["rows"]) == 5
    assert "See the whole record (8 lines)" in page.text
    assert f'href="{URL}"' in page.text


def test_the_privacy_page_without_reads(patient_client):
    page = patient_client.get(PRIVACY)
    assert "Nobody but you has seen your record yet." in page.text
    assert "See the whole record" not in page.text


def test_the_privacy_page_of_a_therapist_has_no_access_log(therapist_client):
    page = therapist_client.get(PRIVACY)
    assert page.status_code == 200
    assert "who-saw-my-record" not in [section.anchor for section in page.context["sections"]]
