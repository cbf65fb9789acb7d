"""No room address gives a 500 (issue 15: ``/room/%00/`` reached PostgreSQL): any token, and
session ids past the database's range. Property tests."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import client_for
from tests.inputs import answers_without_error

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(token=st.text(min_size=1, max_size=100).filter(lambda t: "/" not in t))
def test_no_room_token_gives_a_500(patient, token):
    url = reverse("session_room", kwargs={"token": "x"}).replace(
        "/x/", f"/{quote(token, safe='')}/"
    )
    response = answers_without_error(client_for(patient), "get", url)
    assert response.status_code in (400, 404)


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_session_ids_past_the_database_range_are_not_found(patient, pk):
    url = reverse("session_room_enter", kwargs={"pk": pk})
    assert answers_without_error(client_for(patient), "get", url).status_code == 404


@pytest.fixture
def without_the_nul_guard(settings):
    """The app without core.middleware.RejectNulMiddleware: the parsers' own refusal."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RejectNulMiddleware")]


@pytest.mark.parametrize("token", ["%00", "abc%00def", "%C2%B2", "a" * 65, "a.b"])
def test_a_room_address_no_token_could_be_is_not_found_by_the_address_itself(
    without_the_nul_guard, patient, token
):
    response = client_for(patient).get(f"/room/{token}/")

    assert response.status_code == 404
