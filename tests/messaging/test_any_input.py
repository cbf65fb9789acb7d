"""No input to the message form or the thread's query gives a 500, and a refused one writes
nothing (issue 15): the text, the client id that makes a retry send once, ``?before=``, and the
ids of conversations and files. Property tests with tests/inputs.py."""

import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.models import Message
from tests.helpers import client_for
from tests.inputs import answers_without_error, field_values, form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Ids past the database's range: a few examples say it (the converter is the same for all).
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HTMX = {"HX-Request": "true"}


@FUZZ
@given(
    data=form_data({"body": ["Hello", "x" * 5001], "client_id": [str(uuid.uuid4()), "0" * 32]}),
    htmx=st.booleans(),
)
def test_no_message_input_gives_a_500(conversation, patient, data, htmx):
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    answers_without_error(client_for(patient), "post", url, data, headers=HTMX if htmx else None)


def test_a_resend_with_the_same_client_id_is_one_message(conversation, patient):
    client, client_id = client_for(patient), str(uuid.uuid4())
    url = reverse("message_send", kwargs={"pk": conversation.pk})

    for _attempt in range(3):
        response = client.post(url, {"body": "Are we on Tuesday?", "client_id": client_id})
        assert response.status_code == 302

    assert Message.objects.filter(conversation=conversation).count() == 1


@FUZZ
@given(before=field_values(["1", "18446744073709551616"]))
def test_no_cursor_gives_a_500(conversation, patient, before):
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    for name in ("before", "after"):
        for headers in (None, HTMX):
            answers_without_error(client_for(patient), "get", url, {name: before}, headers=headers)


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_ids_past_the_database_range_are_not_found(conversation, patient, pk):
    client = client_for(patient)
    for name, kwargs, method in (
        ("conversation", {"pk": pk}, "get"),
        ("message_send", {"pk": pk}, "post"),
        ("message_attachment", {"pk": conversation.pk, "attachment_pk": pk}, "get"),
        ("message_attachment", {"pk": pk, "attachment_pk": 1}, "get"),
    ):
        response = answers_without_error(client, method, reverse(name, kwargs=kwargs))
        assert response.status_code == 404
    # A live fetch finds its conversation through a prepared read (core.prepared).
    url = reverse("conversation", kwargs={"pk": pk})
    response = answers_without_error(client, "get", url, {"after": "1"}, headers=HTMX)
    assert response.status_code == 404
