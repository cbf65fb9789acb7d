"""/ping/: what a page asks before sending a plain form (site.js), to say in place, rather than
on the browser's error page, that the server or the network is down. It answers 204 with
nothing in it, to anyone, never from a cache."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["head", "get"])
def test_the_application_answers_204_with_nothing(client, patient_client, method):
    for asker in (client, patient_client):
        response = getattr(asker, method)(reverse("ping"))

        assert response.status_code == 204
        assert response.content == b""
        assert "no-store" in response["Cache-Control"]


def test_it_takes_no_post(client):
    assert client.post(reverse("ping")).status_code == 405
