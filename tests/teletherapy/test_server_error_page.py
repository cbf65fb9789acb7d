"""A server error (a plain form's post included) answers the static 500 page, in English and
French: what happened, that nothing the person did caused it, how to get back what they typed,
and that a message sent again or a booking made again is not doubled."""

import pytest
from django.test import Client

from teletherapy import views

pytestmark = pytest.mark.django_db


def test_a_server_error_says_what_happened_and_how_to_get_back_what_was_typed(patient, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.dashboards, "patient_home", broken)
    client = Client(raise_request_exception=False)
    client.force_login(patient)

    response = client.get("/home/")

    assert response.status_code == 500
    page = response.text
    assert "Something went wrong on our side" in page
    assert "Go back with your browser's Back button: what you typed is usually still there." in page
    assert "A message sent again arrives only once" in page
    assert "Revenez en arrière avec le bouton Précédent" in page
    assert "112" in page
    assert "3114" in page
    assert "<script" not in page
    assert "style=" not in page
    assert "database" not in page
