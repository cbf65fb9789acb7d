"""The therapist's usual reply time: the median, over the last 30 days, of the time from a
patient's first unanswered message to the therapist's next message; live session chat and older
messages do not count; too few answers say nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from matching.selectors import therapist_page_facts
from messaging.selectors import _reply_time_median, _reply_time_walk, therapist_reply_time
from messaging.templatetags import replies
from messaging.templatetags.replies import replies_within
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.messaging import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)


def conversation_of(therapist, patient=None):
    return ConversationFactory(
        match__patient=patient or PatientFactory(), match__therapist=therapist.therapist_profile
    )


def say(conversation, sender, at, live=False):
    MessageFactory(
        conversation=conversation, sender=sender, body="…", created_at=at, live_session=live
    )


def test_the_median_of_the_waits_from_the_first_unanswered_message(therapist):
    first, second = conversation_of(therapist), conversation_of(therapist)
    start = NOW - timedelta(days=10)
    # Two questions, one answer 6 h after the first of them: one wait of 6 h.
    say(first, first.patient, start)
    say(first, first.patient, start + timedelta(hours=4))
    say(first, therapist, start + timedelta(hours=6))
    say(first, therapist, start + timedelta(hours=7))  # a second word, not an answer
    # In another conversation: 1 h, then 2 h.
    say(second, second.patient, start)
    say(second, therapist, start + timedelta(hours=1))
    say(second, second.patient, start + timedelta(days=1))
    say(second, therapist, start + timedelta(days=1, hours=2))

    assert therapist_reply_time(therapist_id=therapist.pk, now=NOW) == timedelta(hours=2)


def test_live_chat_older_messages_and_other_therapists_do_not_count(therapist, other_therapist):
    mine, theirs = conversation_of(therapist), conversation_of(other_therapist)
    for days in (2, 3, 4):
        asked = NOW - timedelta(days=days)
        say(mine, mine.patient, asked)
        say(mine, therapist, asked + timedelta(hours=1))
    old = NOW - timedelta(days=40)
    say(mine, mine.patient, old)
    say(mine, therapist, old + timedelta(days=5))
    live = NOW - timedelta(days=1)
    say(mine, mine.patient, live, live=True)
    say(mine, therapist, live + timedelta(minutes=1), live=True)
    say(theirs, theirs.patient, live)
    say(theirs, other_therapist, live + timedelta(days=3))

    assert therapist_reply_time(therapist_id=therapist.pk, now=NOW) == timedelta(hours=1)


def test_with_fewer_than_three_answers_there_is_nothing_to_say(therapist):
    conversation = conversation_of(therapist)
    for days in (2, 3):
        say(conversation, conversation.patient, NOW - timedelta(days=days))
        say(conversation, therapist, NOW - timedelta(days=days, hours=-1))
    say(conversation, conversation.patient, NOW - timedelta(hours=1))  # not answered yet

    assert therapist_reply_time(therapist_id=therapist.pk, now=NOW) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own query")
def test_postgresql_finds_the_same_median_as_the_walk(therapist, other_therapist):
    """On PostgreSQL the median is computed in one query (the dashboard's cost); elsewhere the
    messages are walked here. Both read the same conversations the same way: runs of questions,
    repeated answers, two messages at the same instant, live chat, the window's edges."""
    conversations = [conversation_of(therapist) for _ in range(3)]
    start = NOW - timedelta(days=29)
    for n, conversation in enumerate(conversations):
        patient = conversation.patient
        say(conversation, therapist, start)  # a first word, answering nothing
        for k in range(6):
            asked = start + timedelta(days=4 * k + 1, minutes=7 * n)
            say(conversation, patient, asked)
            if k % 2:
                say(conversation, patient, asked + timedelta(hours=1))
            if k != 5:  # the last question waits
                say(conversation, therapist, asked + timedelta(hours=2 + n + k, minutes=13))
            if k == 3:
                say(conversation, therapist, asked + timedelta(hours=9))
            if k == 4:
                say(conversation, patient, asked + timedelta(hours=10), live=True)
                say(conversation, therapist, asked + timedelta(hours=10), live=True)
    same_instant = NOW - timedelta(days=3)
    say(conversations[0], conversations[0].patient, same_instant)
    say(conversations[0], therapist, same_instant)
    say(conversations[1], conversations[1].patient, NOW - timedelta(days=31))  # before
    say(conversations[1], therapist, NOW - timedelta(days=29, hours=23))
    theirs = conversation_of(other_therapist)
    say(theirs, theirs.patient, start)
    say(theirs, other_therapist, start + timedelta(days=2))

    for days in (1, 5, 30, 60):
        since = NOW - timedelta(days=days)
        asked = {"therapist_id": therapist.pk, "since": since, "now": NOW}
        assert _reply_time_median(**asked) == _reply_time_walk(**asked), days
    median, answers = _reply_time_median(therapist_id=therapist.pk, since=start, now=NOW)
    assert answers == 3 * 5 + 1  # the first conversation's last question, answered at once
    assert median is not None


@pytest.mark.parametrize(
    ("wait", "words"),
    [
        (timedelta(minutes=5), "Usually replies within an hour"),
        (timedelta(hours=1), "Usually replies within an hour"),
        (timedelta(hours=1, minutes=1), "Usually replies within 2 hours"),
        (timedelta(hours=23, minutes=30), "Usually replies within a day"),
        (timedelta(hours=25), "Usually replies within 2 days"),
        (None, ""),
    ],
)
def test_the_words(wait, words):
    assert replies_within(wait) == words


# --- Where it shows: the patient's "My therapist" page asks messaging (matching's event) ------


def test_my_therapist_page_is_told_how_soon_the_therapist_answers(patient, therapist):
    conversation = conversation_of(therapist, patient)
    for days in (2, 3, 4):
        asked = NOW - timedelta(days=days)
        say(conversation, patient, asked)
        say(conversation, therapist, asked + timedelta(hours=2))

    with time_machine.travel(NOW, tick=False):
        facts = therapist_page_facts(match=conversation.match)
        quiet = therapist_page_facts(match=conversation_of(TherapistFactory()).match)

    assert facts == ["Usually replies within 2 hours"]
    assert quiet == []


def test_no_template_queries_the_database_for_it():
    # The tag that did is gone; the words are a pure filter fed by a view or a composer.
    assert set(replies.register.tags) == set()
    assert set(replies.register.filters) == {"replies_within"}
