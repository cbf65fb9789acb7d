"""The message pages: list, thread, sending with and without htmx, read receipts, outsiders."""

import uuid

import pytest
from django.urls import reverse

from messaging import services
from messaging.models import Conversation, Message
from tests.conftest import client_for
from tests.messaging.test_conversations import match  # noqa: F401  (fixture)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def conversation(match):  # noqa: F811
    return Conversation.objects.get(match=match)


def _post(client, conversation, body, client_id=None, **headers):
    return client.post(
        reverse("message_send", kwargs={"pk": conversation.pk}),
        {"body": body, "client_id": str(client_id or uuid.uuid4())},
        headers=headers,
    )


def test_a_patient_goes_straight_to_their_conversation(patient_client, conversation):
    response = patient_client.get(reverse("conversations"))
    assert response.url == reverse("conversation", kwargs={"pk": conversation.pk})


def test_the_therapist_lists_conversations_with_unread_counts(
    therapist_client, patient, conversation
):
    services.message_send(
        conversation=conversation, sender=patient, body="Hello", client_id=uuid.uuid4()
    )
    page = therapist_client.get(reverse("conversations"))
    assert "Robin" in page.text
    assert "1 unread" in page.text
    assert '<span class="visually-hidden"> unread</span>' in page.text  # the navigation badge


def test_sending_with_htmx_returns_the_thread_and_keeps_paragraphs(patient_client, conversation):
    response = _post(patient_client, conversation, "First.\r\n\r\nSecond.", **HTMX)
    assert response.status_code == 200
    assert '<div id="thread"' in response.text
    assert "<p>First.</p>\n\n<p>Second.</p>" in response.text
    assert "<html" not in response.text


def test_sending_without_javascript_redirects_to_the_thread(patient_client, conversation):
    response = _post(patient_client, conversation, "Hello")
    assert response.url == reverse("conversation", kwargs={"pk": conversation.pk})


def test_a_double_submit_sends_one_message(patient_client, conversation):
    client_id = uuid.uuid4()
    _post(patient_client, conversation, "Once", client_id=client_id)
    _post(patient_client, conversation, "Once", client_id=client_id)
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write something first."),
        ("x" * 10_001, "at most 10,000 characters; this one has 10,001"),
    ],
)
def test_bad_messages_are_refused(patient_client, conversation, body, message):
    response = _post(patient_client, conversation, body, **HTMX)
    assert response.status_code == 422
    assert message in response.text
    assert not Message.objects.exists()


def test_opening_the_thread_marks_the_other_sides_messages_seen(
    patient_client, therapist_client, patient, conversation
):
    _post(patient_client, conversation, "Are you there?")
    assert (
        "Seen at"
        not in patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk})).text
    )
    therapist_client.get(reverse("conversation", kwargs={"pk": conversation.pk}))
    page = patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk}))
    assert "Seen at" in page.text


def test_outsiders_get_404(conversation, other_patient, other_therapist, unvetted_therapist):
    for outsider in (other_patient, other_therapist, unvetted_therapist):
        client = client_for(outsider)
        url = reverse("conversation", kwargs={"pk": conversation.pk})
        assert client.get(url).status_code == 404
        assert _post(client, conversation, "Hi").status_code == 404
    assert not Message.objects.exists()


def test_message_bodies_appear_only_in_the_thread(patient_client, conversation):
    _post(patient_client, conversation, "Only once on the page")
    page = patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk}))
    assert page.text.count("Only once on the page") == 1


def test_a_live_refresh_returns_the_list_only_and_marks_it_read(
    therapist_client, patient, conversation
):
    services.message_send(
        conversation=conversation, sender=patient, body="New", client_id=uuid.uuid4()
    )
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    response = therapist_client.get(url, headers=HTMX)
    assert response.text.lstrip().startswith('<ol id="message-list"')
    assert "<form" not in response.text
    assert Message.objects.get().read_at is not None


def test_the_navigation_badge_is_fetched_alone_for_live_updates(
    patient_client, therapist_client, other_patient, conversation
):
    url = reverse("unread_badge")
    assert '<span id="unread-badge"' in therapist_client.get(url).text
    assert "badge text-bg-primary" not in therapist_client.get(url).text
    _post(patient_client, conversation, "Hello")

    badge = therapist_client.get(url)

    assert badge.status_code == 200
    assert (
        '<span class="badge text-bg-primary">1<span class="visually-hidden"> unread' in badge.text
    )
    assert "<html" not in badge.text
    assert "badge text-bg-primary" not in client_for(other_patient).get(url).text


def test_the_badge_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("unread_badge"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
