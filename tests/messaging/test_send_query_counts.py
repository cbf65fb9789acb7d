"""What one message costs the database (issue 16): the sender's POST and the reader's
``?after=`` fetch, each pinned to its count, for each side. Counted with the session's first
use behind it (a warm-up of each request), as on a page already open; the access log's read
of the thread is then a repeat (one query, tests/audit/test_query_counts.py).

Inside a test's transaction a message is kept between a savepoint and its release (two of the
counts); in production a message without a file is one INSERT in autocommit, no transaction
of its own (``test_a_message_alone_needs_no_transaction_of_its_own``)."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import TherapistProfile
from messaging import services
from messaging.models import Message
from tests.factories.accounts import PDF, StaffFactory
from tests.factories.messaging import AttachmentFactory, ConversationFactory, MessageFactory

HTMX = {"HX-Request": "true"}


def _send(client, conversation, body="Hello"):
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    response = client.post(url, {"body": body, "client_id": str(uuid.uuid4())}, headers=HTMX)
    assert response.status_code == 200
    return response


def _fetch(client, conversation, after):
    url = reverse("conversation", kwargs={"pk": conversation.pk})
    return client.get(url, {"after": after}, headers=HTMX)


def _last() -> Message:
    message = Message.objects.order_by("pk").last()
    assert message is not None
    return message


@pytest.fixture
def warm(patient_client, therapist_client, conversation):
    """Each side has sent and fetched once: sessions used, the therapist's read logged."""
    for client in (patient_client, therapist_client):
        _send(client, conversation, "Warm-up")
        _fetch(client, conversation, _last().pk - 1)


def _sql(queries) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


# The session comes from Redis (core.sessions), not from PostgreSQL: no query for it.
# The user, the conversation, the message (savepoint, INSERT, release).
PATIENT_SENDS = 5
# The user, the conversation (the therapist's approval in the same query), the message (the
# two-factor set-up was found at login and kept in the session).
THERAPIST_SENDS = 5
# The user, the conversation, the new messages (whether each has files in the same query), the
# read mark.
PATIENT_FETCHES = 4
# And for a therapist: the access log's repeat (asked of the database until the read's entry
# is committed: in a test's transaction, always; in production, once per visit and process,
# ``test_a_committed_visit_costs_no_query_at_the_next_fetch``).
THERAPIST_FETCHES = 5


def test_sessions_are_read_from_redis(settings):
    assert settings.REDIS_URL
    assert settings.SESSION_ENGINE == "core.sessions"


@pytest.mark.usefixtures("warm")
def test_a_patients_message_and_its_fetch(
    patient_client, therapist_client, conversation, django_assert_num_queries
):
    with django_assert_num_queries(PATIENT_SENDS) as sent:
        _send(patient_client, conversation, "Counted")
    after = _last().pk - 1
    with django_assert_num_queries(THERAPIST_FETCHES) as fetched:
        response = _fetch(therapist_client, conversation, after)
    assert "Counted" in response.text
    for queries in (sent, fetched):  # no message here has a file: none asked for
        assert 'SELECT "messaging_attachment"' not in _sql(queries)
    assert _last().read_at is not None


@pytest.mark.usefixtures("warm")
def test_a_therapists_message_and_its_fetch(
    patient_client, therapist_client, conversation, django_assert_num_queries
):
    with django_assert_num_queries(THERAPIST_SENDS):
        _send(therapist_client, conversation, "Counted")
    after = _last().pk - 1
    with django_assert_num_queries(PATIENT_FETCHES):
        response = _fetch(patient_client, conversation, after)
    assert "Counted" in response.text


def test_a_committed_visit_costs_no_query_at_the_next_fetch(
    patient_client,
    therapist_client,
    conversation,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _send(patient_client, conversation, "Warm-up")
        _fetch(therapist_client, conversation, _last().pk - 1)  # the visit logged, committed
    _send(patient_client, conversation, "Counted")
    after = _last().pk - 1

    with django_assert_num_queries(THERAPIST_FETCHES - 1) as fetched:
        response = _fetch(therapist_client, conversation, after)
    assert "Counted" in response.text
    assert 'FROM "audit_accessentry"' not in _sql(fetched)


@pytest.mark.usefixtures("warm")
def test_the_two_parties_conversation_is_found_by_its_key(
    patient_client, therapist_client, conversation, django_assert_num_queries
):
    """Not through the rule of who else may read it (a later therapist's shared history)."""
    for client in (patient_client, therapist_client):
        with CaptureQueriesContext(connection) as queries:
            _send(client, conversation, "Counted")
        (found,) = [
            q["sql"]
            for q in queries.captured_queries
            if 'FROM "messaging_conversation"' in q["sql"]
        ]
        assert "matching_match" not in found
        assert f'"messaging_conversation"."id" = {conversation.pk}' in found


@pytest.mark.usefixtures("warm")
def test_files_are_fetched_for_the_messages_that_have_some_only(
    therapist_client, conversation, patient, django_assert_num_queries
):
    before = _last()
    with_file = AttachmentFactory.create(
        message=MessageFactory.create(conversation=conversation, sender=patient), name="scan.pdf"
    ).message
    without = MessageFactory.create(conversation=conversation, sender=patient, body="No file")

    with django_assert_num_queries(THERAPIST_FETCHES + 1) as fetched:  # + the one's files
        response = _fetch(therapist_client, conversation, before.pk)

    assert "scan.pdf" in response.text
    assert response.text.count("/files/") == 1
    assert f'id="message-{without.pk}"' in response.text
    (files_query,) = [
        q["sql"]
        for q in fetched.captured_queries
        if q["sql"].startswith('SELECT "messaging_attachment"')
    ]
    assert f"IN ({with_file.pk})" in files_query


@pytest.mark.usefixtures("warm")
def test_a_file_sent_comes_back_in_the_senders_answer(patient_client, conversation):
    url = reverse("message_send", kwargs={"pk": conversation.pk})
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = patient_client.post(
        url,
        {"body": "", "client_id": str(uuid.uuid4()), "attachment": upload},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "letter.pdf" in response.text
    assert "idempotency" not in response.text  # the template's comment stays in the template


@pytest.mark.usefixtures("warm")
def test_a_suspended_therapist_fetches_nothing_at_the_next_request(
    therapist, therapist_client, conversation, patient, write
):
    """The approval is asked with the conversation, in every request (not remembered)."""
    shown = _last()
    write(conversation, patient, body="After the suspension")
    accounts_services.therapist_vetting_decide(
        profile=TherapistProfile.objects.get(user=therapist),
        action="suspend",
        actor=StaffFactory.create(),
        reason="Complaint under review",
    )
    response = _fetch(therapist_client, conversation, shown.pk)
    assert response.status_code == 404
    assert "After the suspension" not in response.text


@pytest.mark.django_db(transaction=True)
def test_a_message_alone_needs_no_transaction_of_its_own(write):
    """Outside a transaction (a request in production), one INSERT in autocommit: no BEGIN and
    COMMIT round trips; a refused repeat is found after. Inside the caller's transaction, a
    savepoint keeps that transaction usable after a refused repeat."""
    conversation = ConversationFactory.create()
    patient = conversation.patient
    write(conversation, patient, body="Warm-up")  # the patient's data key made
    in_a_transaction: list[bool] = []

    def note(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "messaging_message"'):
            in_a_transaction.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note), CaptureQueriesContext(connection) as queries:
        first = write(conversation, patient, body="Alone")
        again = write(conversation, patient, body="Alone, again", client_id=first.client_id)
    assert in_a_transaction == [False, False]
    assert again.pk == first.pk  # the repeat, refused by the constraint, found after
    assert "SAVEPOINT" not in _sql(queries)

    with transaction.atomic(), connection.execute_wrapper(note):
        inside = write(conversation, patient, body="In the caller's transaction")
        write(conversation, patient, body="Repeat", client_id=inside.client_id)
        assert Message.objects.filter(pk=inside.pk).exists()  # the transaction still usable
    assert in_a_transaction[2:] == [True, True]
    assert services.selectors.message_sent(conversation=conversation, client_id=inside.client_id)
