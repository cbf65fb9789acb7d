"""Reads compiled once (core.prepared): the same rows and the same model instances as the ORM
gives for the same keys, one query each, the QuerySet built once; keys in their own places; and
anything it cannot do the same way refused when it is compiled, not answered wrong."""

import uuid

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.prepared import CannotPrepare, Prepared
from messaging.models import Attachment, Conversation, Message
from tests.factories.messaging import AttachmentFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

# Keys as a 64-bit column holds them, and beyond (a URL's digits have no bound).
KEYS = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.integers(min_value=2**63)
    | st.integers(max_value=-(2**63) - 1)
)


def _after(conversation_id: int, after: int) -> QuerySet[Message]:
    files = Attachment.objects.filter(message=OuterRef("pk"))
    messages = Message.objects.filter(conversation_id=conversation_id, pk__gt=after)
    return messages.annotate(has_files=Exists(files)).order_by("created_at", "pk")[:50]


_PREPARED_AFTER = Prepared(_after, "conversation_id", "after")


def _fields(message: Message) -> dict:
    values = {field.attname: getattr(message, field.attname) for field in Message._meta.fields}
    has_files = message.has_files  # type: ignore[attr-defined]
    return values | {"has_files": has_files, "state": message._state.db}


@pytest.fixture
def thread():
    """A conversation with messages of every kind of column: read and unread, one with a file,
    one said in a session's chat."""
    conversation = ConversationFactory.create()
    first = MessageFactory.create(conversation=conversation, body="Bonjour")
    AttachmentFactory.create(message=first)
    MessageFactory.create(
        conversation=conversation,
        sender=conversation.therapist.user,
        read_at=timezone.now(),
        live_session=True,
    )
    MessageFactory.create(conversation=conversation, client_id=uuid.uuid4())
    MessageFactory.create()  # another conversation's
    return conversation


def test_the_same_messages_as_the_orm_in_one_query_built_once(thread):
    built = []

    def build(conversation_id: int, after: int) -> QuerySet[Message]:
        built.append((conversation_id, after))
        return _after(conversation_id, after)

    prepared = Prepared(build, "conversation_id", "after")
    first_id = thread.messages.order_by("pk").first().pk
    for after in (0, first_id, first_id + 2):
        with CaptureQueriesContext(connection) as queries:
            found = prepared.all(conversation_id=thread.pk, after=after)
        expected = list(_after(thread.pk, after))
        assert [_fields(m) for m in found] == [_fields(m) for m in expected]
        assert len(queries) == 1
    assert [m.has_files for m in prepared.all(conversation_id=thread.pk, after=0)] == [
        True,
        False,
        False,
    ]
    assert len(built) == 1  # with stand-ins, never with a caller's keys
    assert built[0] != (thread.pk, 0)
    saved = prepared.all(conversation_id=thread.pk, after=0)[0]
    saved.read_at = timezone.now()
    saved.save(update_fields=["read_at"])  # an instance the ORM can write back
    assert Message.objects.get(pk=saved.pk).read_at == saved.read_at


def _unread(conversation_id: int, reader_id: int) -> QuerySet[Message]:
    return Message.objects.filter(conversation_id=conversation_id, read_at__isnull=True).exclude(
        sender_id=reader_id
    )


def test_a_count_is_the_orms_in_one_query(thread):
    """``count``: what ``QuerySet.count()`` answers, ordered or sliced, in one query; the rows
    of the same read still found by ``all``."""
    unread = Prepared(_unread, "conversation_id", "reader_id")
    first_id = thread.messages.order_by("pk").first().pk
    for reader_id in (thread.patient_id, thread.therapist_id):
        with CaptureQueriesContext(connection) as queries:
            counted = unread.count(conversation_id=thread.pk, reader_id=reader_id)
        assert counted == _unread(thread.pk, reader_id).count()
        assert len(queries) == 1
        assert "ORDER BY" not in queries[0]["sql"]  # Message's default ordering left out
    assert unread.count(conversation_id=thread.pk, reader_id=thread.patient_id) == 0
    assert unread.count(conversation_id=thread.pk, reader_id=thread.therapist_id) == 2
    assert len(unread.all(conversation_id=thread.pk, reader_id=thread.therapist_id)) == 2
    for after in (0, first_id, first_id + 2):
        counted = _PREPARED_AFTER.count(conversation_id=thread.pk, after=after)
        assert counted == _after(thread.pk, after).count() == len(_after(thread.pk, after))


def test_each_key_goes_to_its_own_place(thread):
    """A conversation found by its key and its patient: another patient's key, or another
    conversation's, finds nothing."""
    prepared = Prepared(
        lambda pk, patient_id: Conversation.objects.filter(pk=pk, patient_id=patient_id)[:1],
        "pk",
        "patient_id",
    )
    other = ConversationFactory.create()

    assert prepared.first(pk=thread.pk, patient_id=thread.patient_id) == thread
    assert prepared.first(pk=thread.pk, patient_id=other.patient_id) is None
    assert prepared.first(pk=other.pk, patient_id=thread.patient_id) is None


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, 10**30])
def test_a_key_no_column_holds_gets_the_orms_answer_without_the_database(thread, pk):
    """A URL's digits have no bound; SQLite refuses such a value (a 500 on the embedded
    default): the ORM's answer instead, which knows that no row has it."""
    prepared = Prepared(
        lambda pk, patient_id: Conversation.objects.filter(pk=pk, patient_id=patient_id)[:1],
        "pk",
        "patient_id",
    )
    with CaptureQueriesContext(connection) as queries:
        assert prepared.first(pk=pk, patient_id=thread.patient_id) is None
        assert prepared.count(pk=pk, patient_id=thread.patient_id) == 0
    assert len(queries) == 0


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(conversation_id=KEYS, after=KEYS)
def test_any_keys_find_what_the_orm_finds(thread, conversation_id, after):
    prepared = _PREPARED_AFTER
    for keys in ((conversation_id, after), (thread.pk, after), (thread.pk, min(after, 0))):
        found = prepared.all(conversation_id=keys[0], after=keys[1])
        assert [_fields(m) for m in found] == [_fields(m) for m in _after(*keys)]
        assert prepared.count(conversation_id=keys[0], after=keys[1]) == _after(*keys).count()


@pytest.mark.parametrize(
    "keys",
    [
        {"pk": "1", "patient_id": 1},  # a string, though it reads as a key
        {"pk": 1.0, "patient_id": 1},
        {"pk": True, "patient_id": 1},
        {"pk": 1},  # one missing
        {"pk": 1, "patient_id": 1, "therapist_id": 1},  # one too many
    ],
)
def test_keys_that_are_not_its_ints_are_refused(keys):
    prepared = Prepared(
        lambda pk, patient_id: Conversation.objects.filter(pk=pk, patient_id=patient_id)[:1],
        "pk",
        "patient_id",
    )
    with pytest.raises(TypeError):
        prepared.all(**keys)
    with pytest.raises(TypeError):
        prepared.count(**keys)


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Conversation.objects.filter(pk=pk).select_related("therapist"),
        lambda pk: Conversation.objects.filter(pk=pk).values("pk"),
        lambda pk: Conversation.objects.filter(pk=pk).prefetch_related("messages"),
        lambda pk: Conversation.objects.all(),  # the key unused
        lambda pk: [pk],
    ],
    ids=["select_related", "values", "prefetch", "key unused", "not a QuerySet"],
)
def test_what_it_cannot_read_the_same_way_is_refused_when_compiled(build):
    with pytest.raises(CannotPrepare):
        Prepared(build, "pk").all(pk=1)
