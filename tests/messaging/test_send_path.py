"""The send path made cheap (issue 16): the sender gets the message alone and a fresh form, the
receiver fetches only what is new (?after=), a repeat is answered by the unique constraint
(no SELECT before the INSERT), one publish per message, the parties' names not joined when
nothing shown needs them."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging import selectors, services
from messaging.models import Message
from tests.helpers import client_for

HTMX = {"HX-Request": "true"}


def _send_url(conversation) -> str:
    return reverse("message_send", kwargs={"pk": conversation.pk})


def _thread_url(conversation) -> str:
    return reverse("conversation", kwargs={"pk": conversation.pk})


def _post(client, conversation, body, client_id=None):
    return client.post(
        _send_url(conversation),
        {"body": body, "client_id": str(client_id or uuid.uuid4())},
        headers=HTMX,
    )


def _client_ids(html: str) -> list[str]:
    return re.findall(r'name="client_id" value="([0-9a-f-]+)"', html)


def test_the_sender_gets_the_message_alone_and_the_next_key(
    patient_client, therapist, conversation, write
):
    earlier = write(conversation, therapist, body="An earlier message")
    sent_id = uuid.uuid4()

    response = _post(patient_client, conversation, "Just this one", client_id=sent_id)

    assert response.status_code == 200
    message = Message.objects.get(client_id=sent_id)
    assert response.text.count('<li id="message-') == 1
    assert f'<li id="message-{message.pk}" class="message message-mine"' in response.text
    assert "Just this one" in response.text
    assert "An earlier message" not in response.text
    assert f"message-{earlier.pk}" not in response.text
    # Not the whole form again: its next idempotency key, out of band.
    assert "<form" not in response.text
    assert "<textarea" not in response.text
    next_key = re.search(
        r'<input type="hidden" name="client_id" value="([0-9a-f-]+)" id="id_client_id" '
        r'hx-swap-oob="true">',
        response.text,
    )
    assert next_key is not None
    assert next_key.group(1) != str(sent_id)


def test_a_refused_message_comes_back_in_its_form_in_place_of_the_form(
    patient_client, conversation
):
    client_id = uuid.uuid4()
    response = _post(patient_client, conversation, "x" * 10_001, client_id=client_id)

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#message-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith('<form id="message-form"')
    assert "at most 10,000 characters" in response.text
    assert "x" * 10_001 in response.text  # what was typed is kept
    assert _client_ids(response.text) == [str(client_id)]  # a retry keeps its key
    assert 'hx-swap-oob="true"' not in response.text
    assert not Message.objects.exists()


def test_a_closed_conversation_says_so_in_the_form(patient_client, conversation):
    services.conversation_close(match_id=conversation.match_id)
    response = _post(patient_client, conversation, "Still there?")
    assert response.status_code == 422
    assert "This conversation is closed" in response.text
    assert not Message.objects.exists()


def test_the_receiver_fetches_only_the_messages_after_the_last_it_shows(
    therapist_client, patient, conversation, write
):
    shown = write(conversation, patient, body="Already on the page")
    new = write(conversation, patient, body="The new one")

    response = therapist_client.get(_thread_url(conversation), {"after": shown.pk}, headers=HTMX)

    assert response.status_code == 200
    assert response.text.count('<li id="message-') == 1
    assert f'<li id="message-{new.pk}" class="message message-theirs"' in response.text
    assert "Already on the page" not in response.text
    assert "<form" not in response.text
    assert "<html" not in response.text
    new.refresh_from_db()
    assert new.read_at is not None  # the reader has it on screen


def test_a_fetch_after_a_read_brings_the_senders_messages_back_seen(
    patient_client, therapist_client, conversation
):
    _post(patient_client, conversation, "Are you there?")
    message = Message.objects.get()
    therapist_client.get(_thread_url(conversation), {"after": message.pk - 1}, headers=HTMX)

    response = patient_client.get(_thread_url(conversation), {"after": message.pk - 1})

    assert f'<li id="message-{message.pk}" class="message message-mine" data-seen>' in (
        response.text
    )
    assert "Seen at" in response.text


@pytest.mark.parametrize("after", ["", "²", "-1", "1.5", "1" * 19])
def test_a_fetch_after_something_not_a_message_id_is_a_404(therapist_client, conversation, after):
    response = therapist_client.get(_thread_url(conversation), {"after": after}, headers=HTMX)
    assert response.status_code == 404


def test_outsiders_fetch_nothing_after(
    conversation, patient, other_patient, other_therapist, unvetted_therapist, write
):
    write(conversation, patient, body="Private words")
    for outsider in (other_patient, other_therapist, unvetted_therapist):
        response = client_for(outsider).get(_thread_url(conversation), {"after": 0}, headers=HTMX)
        assert response.status_code == 404
        assert "Private words" not in response.text
    assert Message.objects.get().read_at is None


def test_a_repeat_is_answered_by_the_constraint_without_a_select_first(
    conversation, patient, write
):
    client_id = uuid.uuid4()
    with CaptureQueriesContext(connection) as first_send:
        first = write(conversation, patient, body="Once", client_id=client_id)
    statements = [query["sql"] for query in first_send.captured_queries]
    assert not any(
        sql.startswith("SELECT") and 'FROM "messaging_message"' in sql for sql in statements
    )
    assert any(sql.startswith('INSERT INTO "messaging_message"') for sql in statements)

    again = write(conversation, patient, body="Once, again", client_id=client_id)

    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_a_repeat_after_the_conversation_closed_still_finds_the_message(
    conversation, patient, write
):
    client_id = uuid.uuid4()
    first = write(conversation, patient, client_id=client_id)
    services.conversation_close(match_id=conversation.match_id)
    conversation.refresh_from_db()
    assert write(conversation, patient, client_id=client_id).pk == first.pk


def test_one_publish_per_message(conversation, patient, write, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        write(conversation, patient)
    # (core.crypto remembers the patient's data key once the message commits: not a publish.)
    assert len([c for c in callbacks if c.__module__ != "core.crypto"]) == 1


def test_sending_needs_no_names(conversation, patient):
    with CaptureQueriesContext(connection) as queries:
        found = selectors.conversation_get_for_user(user=patient, pk=conversation.pk, names=False)
    assert found == conversation
    assert len(queries) == 1
    assert "accounts_patientprofile" not in queries[0]["sql"]
    assert "accounts_therapistprofile" not in queries[0]["sql"]
