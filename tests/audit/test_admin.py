"""Staff read the access log in the admin, read-only, with filters; setting a user's password
in the admin is written to that user's access log."""

import pytest
from django.urls import reverse

from audit.models import AccessEntry
from audit.services import access_record
from tests.factories import PASSWORD
from tests.factories.audit import entries_of, staff_in
from tests.helpers import client_for

Kind = AccessEntry.Kind
Role = AccessEntry.Role
CHANGELIST = reverse("admin:audit_accessentry_changelist")


@pytest.fixture
def entry(patient, therapist) -> AccessEntry:
    written = access_record(reader=therapist, patient_id=patient.pk, kind=Kind.THREAD)
    assert written is not None
    return written


def test_superusers_read_the_log_with_filters(entry, staff_client, patient, therapist):
    page = staff_client.get(CHANGELIST)
    assert page.status_code == 200
    assert patient.email in page.text
    assert therapist.email in page.text
    for query in ({"kind__exact": "thread"}, {"role__exact": "therapist"}, {"q": patient.pk}):
        filtered = staff_client.get(CHANGELIST, query)
        assert filtered.status_code == 200
        assert list(filtered.context["cl"].result_list) == [entry], query
    assert (
        list(staff_client.get(CHANGELIST, {"kind__exact": "intake"}).context["cl"].result_list)
        == []
    )


def test_an_entry_is_read_only(entry, staff_client):
    url = reverse("admin:audit_accessentry_change", args=[entry.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert staff_client.post(url, {"kind": "intake"}).status_code == 403
    delete = reverse("admin:audit_accessentry_delete", args=[entry.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert staff_client.get(reverse("admin:audit_accessentry_add")).status_code == 403
    assert AccessEntry.objects.get(pk=entry.pk).kind == Kind.THREAD


@pytest.mark.parametrize("role", [Role.VETTING, Role.MATCHING_SUPPORT, Role.CLINICAL_SAFETY])
def test_no_group_reads_the_log(entry, role):
    assert client_for(staff_in(role)).get(CHANGELIST).status_code == 403


def test_a_deleted_account_shows_as_its_id(entry, staff_client, patient):
    patient_id = patient.pk
    patient.delete()  # the log stays: ids, no foreign key
    page = staff_client.get(CHANGELIST)
    assert f"#{patient_id} (account deleted)" in page.text
    assert AccessEntry.objects.filter(patient_id=patient_id).count() == 1


def _set_password(client, user, password: str, confirm: str | None = None):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    return client.post(
        url,
        {"password1": password, "password2": confirm or password, "usable_password": "true"},
    )


def test_a_password_set_by_staff_is_logged_for_that_user(patient, staff, staff_client):
    response = _set_password(staff_client, patient, "A-new-long-passphrase-1")
    assert response.status_code == 302
    [entry] = entries_of(patient)
    assert (entry.kind, entry.accessor_id, entry.role) == (
        Kind.PASSWORD_SET,
        staff.pk,
        Role.ADMINISTRATOR,
    )
    patient.refresh_from_db()  # its new password
    rows = client_for(patient).get(reverse("access_log")).context["rows"]
    assert [(row.who, row.what) for row in rows] == [
        ("Havre staff (administrator)", "A new password set on your account")
    ]


def test_a_refused_password_is_not_logged(patient, staff_client):
    response = _set_password(staff_client, patient, "A-new-long-passphrase-1", "something else")
    assert response.status_code == 200  # the form again, with its error
    assert entries_of(patient) == []
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
