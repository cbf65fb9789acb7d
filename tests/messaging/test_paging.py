"""Threads of any length open in the same number of queries, latest messages first shown, with
"load earlier messages" paging back through the rest."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core import crypto
from messaging import services
from messaging.views import parse_before
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for

HTMX = {"HX-Request": "true"}


def _fill(conversation, patient, therapist, count: int) -> None:
    start = timezone.now() - timedelta(days=30)
    for n in range(count):
        services.message_send(
            conversation=conversation,
            sender=(patient, therapist)[n % 2],
            body=f"Message number {n}.",
            client_id=uuid.uuid4(),
            now=start + timedelta(minutes=n),
        )


def _url(conversation, **query) -> str:
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Message number (\d+)\.", html)]


def _queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers=headers).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["whole", "live refresh", "earlier"])
def test_the_thread_costs_the_same_queries_at_10_and_at_300_messages(
    conversation, patient, therapist, page, settings
):
    settings.AUDIT_REPEAT_MINUTES = 0  # each page view writes its access log entry
    client = client_for(therapist)

    def cost() -> int:
        crypto.data_keys_forget()  # a process that holds no key yet: the patient's is one query
        if page == "earlier":
            first_shown = conversation.messages.order_by("-created_at")[49].pk
            return _queries(client, _url(conversation, before=first_shown), **HTMX)
        return _queries(client, _url(conversation), **(HTMX if page == "live refresh" else {}))

    _fill(conversation, patient, therapist, 60)
    small = cost()
    _fill(conversation, patient, therapist, 240)
    assert cost() == small


def test_the_latest_fifty_are_shown_then_earlier_ones_on_request(conversation, patient, therapist):
    _fill(conversation, patient, therapist, 120)
    client = client_for(patient)

    page = client.get(_url(conversation)).text
    assert _numbers(page) == list(range(70, 120))
    assert "Load earlier messages" in page

    first = conversation.messages.order_by("created_at")[70]
    earlier = client.get(_url(conversation, before=first.pk), headers=HTMX).text
    assert _numbers(earlier) == list(range(20, 70))
    assert "<html" not in earlier
    assert "Load earlier messages" in earlier

    oldest_shown = conversation.messages.order_by("created_at")[20]
    last = client.get(_url(conversation, before=oldest_shown.pk), headers=HTMX).text
    assert _numbers(last) == list(range(20))
    assert "Load earlier messages" not in last


def test_without_javascript_earlier_messages_are_a_page_of_their_own(
    conversation, patient, therapist
):
    _fill(conversation, patient, therapist, 60)
    tenth = conversation.messages.order_by("created_at")[10]
    page = client_for(patient).get(_url(conversation, before=tenth.pk)).text
    assert _numbers(page) == list(range(10))
    assert "Back to the latest messages" in page


@pytest.mark.parametrize("before", ["abc", "-1", "999999"])
def test_a_bad_or_foreign_cursor_is_not_found(conversation, patient, therapist, before):
    _fill(conversation, patient, therapist, 3)
    assert client_for(patient).get(_url(conversation, before=before)).status_code == 404


def test_a_cursor_from_another_conversation_is_not_found(
    conversation, patient, other_patient, therapist
):
    _fill(conversation, patient, therapist, 3)
    elsewhere = ConversationFactory(
        match__patient=other_patient, match__therapist=therapist.therapist_profile
    )
    _fill(elsewhere, other_patient, therapist, 3)
    foreign = elsewhere.messages.first()
    # The therapist reads both conversations, but a cursor belongs to its own.
    response = client_for(therapist).get(_url(conversation, before=foreign.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("before", ["²", "１２", "1e3", " 1", "99999999999999999999", ""])
def test_odd_cursors_are_not_found_never_an_error(conversation, patient, therapist, before):
    _fill(conversation, patient, therapist, 3)
    assert client_for(patient).get(_url(conversation, before=before)).status_code == 404


@given(st.text(max_size=30))
def test_any_cursor_is_a_message_id_or_not_found(value):
    request = RequestFactory().get("/messages/1/", {"before": value})
    try:
        parsed = parse_before(request)
    except Http404:
        return
    # Only plain ASCII digits get through, as a number a bigint holds.
    assert value.isascii()
    assert value.isdigit()
    assert parsed == int(value) < 2**63
