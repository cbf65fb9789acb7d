"""The logged-in user of every request is read by key through a prepared read
(``UserManager.get``): the same user as the ORM's, or ``DoesNotExist``; every other ``get`` is
the ORM's own."""

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from tests.factories import PatientFactory, TherapistFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_a_user_by_key_is_the_orms_user_in_one_query():
    patient, therapist = PatientFactory.create(), TherapistFactory.create()
    for user in (patient, therapist):
        with CaptureQueriesContext(connection) as queries:
            found = User.objects.get(pk=user.pk)
        expected = User.objects.filter(pk=user.pk).get()
        assert _fields(found) == _fields(expected)
        assert found._state.db == "default"
        assert not found._state.adding
        assert len(queries) == 1
    assert User.objects.get(pk=patient.pk) != User.objects.get(pk=therapist.pk)


def test_no_such_user_is_does_not_exist():
    patient = PatientFactory.create()
    for pk in (patient.pk + 1000, 0, -1, 2**63):
        with pytest.raises(User.DoesNotExist):
            User.objects.get(pk=pk)


def test_other_gets_are_the_orms():
    patient = PatientFactory.create(email="lea@example.test")
    assert User.objects.get(pk=str(patient.pk)) == patient
    assert User.objects.get(email="lea@example.test") == patient
    assert User.objects.get(pk=patient.pk, is_active=True) == patient
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=patient.pk, is_active=False)
    PatientFactory.create()
    with pytest.raises(User.MultipleObjectsReturned):
        User.objects.get(role=User.Role.PATIENT)


def test_a_deactivated_user_is_logged_out_at_the_next_request():
    """The backend still decides who may be logged in: the user read by key, then refused."""
    patient = PatientFactory.create()
    client = client_for(patient)
    assert client.get(reverse("home")).status_code == 200
    User.objects.filter(pk=patient.pk).update(is_active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_reading_a_user_by_key_builds_no_query_once_compiled(monkeypatch):
    patient = PatientFactory.create()
    User.objects.get(pk=patient.pk)  # compiled by now
    built = []
    build = QuerySet._filter_or_exclude

    def spy(queryset, *args, **kwargs):
        built.append(queryset.model)
        return build(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "_filter_or_exclude", spy)
    assert User.objects.get(pk=patient.pk) == patient
    assert built == []
    assert User.objects.get(email=patient.email) == patient  # the ORM's: built each time
    assert built == [User]
