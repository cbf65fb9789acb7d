"""The message pages: list, thread, sending with and without htmx, read receipts, outsiders."""

import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from messaging import services
from messaging.models import Message
from tests.helpers import client_for

HTMX = {"HX-Request": "true"}


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


def test_sending_with_htmx_returns_the_message_and_keeps_paragraphs(patient_client, conversation):
    response = _post(patient_client, conversation, "First.\r\n\r\nSecond.", **HTMX)
    assert response.status_code == 200
    assert f'<li id="message-{Message.objects.get().pk}"' in response.text
    assert "<p>First.</p>\n\n<p>Second.</p>" in response.text
    assert '<div id="thread"' not in response.text
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


def test_a_live_refresh_of_the_list_is_the_list_alone(
    patient_client, therapist_client, patient, conversation
):
    services.message_send(
        conversation=conversation, sender=patient, body="Hello", client_id=uuid.uuid4()
    )
    for client in (therapist_client, patient_client):
        response = client.get(reverse("conversations"), headers=HTMX)
        # Never the redirect a patient's plain visit gets: htmx would swap a thread in.
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="conversation-list"')
        assert "<html" not in response.text
    listing = therapist_client.get(reverse("conversations"), headers=HTMX).text
    assert "Robin" in listing
    assert "1 unread" in listing


def test_the_list_page_listens_for_conversation_activity(therapist_client, conversation):
    page = therapist_client.get(reverse("conversations")).text
    assert 'data-refresh-url="/messages/" data-refresh-on="conversation.activity"' in page


def test_dates_are_written_out_in_the_readers_zone(
    patient_client, therapist, patient, conversation
):
    for user in (patient, therapist):
        user.time_zone = "Europe/Paris"
        user.save(update_fields=["time_zone"])
    sent = datetime(2026, 6, 12, 9, 11, tzinfo=UTC)
    services.message_send(
        conversation=conversation, sender=therapist, body="Hi", client_id=uuid.uuid4(), now=sent
    )
    page = patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk})).text
    # The same form as the session pages, never "12/06/2026 11:11 a.m." (which day? which hour?)
    assert "Friday 12 June 2026, 11:11" in page
    assert "12/06/2026" not in page
    assert "a.m." not in page
