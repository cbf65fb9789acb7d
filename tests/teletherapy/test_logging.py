"""What the logs say about a refusal: one line for an ordinary 403 or 404 (the client's
business), the whole traceback only for a server error."""

import logging

import pytest
from django.urls import reverse

from tests.factories import StaffFactory, TherapistFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


def test_a_forbidden_page_is_one_line(caplog):
    staff = StaffFactory(is_superuser=False)  # staff, but no permission on anything
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client_for(staff).get(reverse("admin:accounts_therapistprofile_add"))

    assert response.status_code == 403
    [record] = request_records(caplog)
    assert (
        record.getMessage()
        == "Forbidden (Permission denied): /admin/accounts/therapistprofile/add/"
    )
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_page_that_is_not_yours_is_one_line(caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client_for(TherapistFactory()).get(reverse("book_session"))

    assert response.status_code == 404
    [record] = request_records(caplog)
    assert record.getMessage().startswith("Not Found: ")
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback(caplog, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr("teletherapy.views.render", broken)
    client.raise_request_exception = False
    caplog.set_level(logging.ERROR, logger="django.request")

    response = client.get(reverse("landing"))

    assert response.status_code == 500
    [record] = request_records(caplog)
    assert record.exc_info is not None
    assert "RuntimeError: a bug of ours" in caplog.text
