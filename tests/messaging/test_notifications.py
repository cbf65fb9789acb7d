"""The "you have a new message" email: sent by the every-minute sweep when a message is still
unread after 10 minutes, at most once per 30 minutes per conversation and recipient, in the
recipient's language, and saying nothing but that there is a message."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matching.models import Match
from messaging import services, tasks
from messaging.models import Conversation, Message
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.messaging import ConversationFactory
from tests.helpers import link_in, outbox_to, run_together

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BODY = "I drank again last night and I am scared of what I might do."


def minutes(count: float) -> datetime:
    return NOW + timedelta(minutes=count)


def open_conversation(patient, therapist) -> Conversation:
    started = NOW - timedelta(days=3)
    return ConversationFactory.create(
        match__patient=patient,
        match__therapist=therapist.therapist_profile,
        match__started_at=started,
        opened_at=started,
    )


@pytest.fixture
def conversation(patient, therapist) -> Conversation:
    return open_conversation(patient, therapist)


def send(conversation, sender, *, at: datetime, body: str = BODY) -> Message:
    return services.message_send(
        conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4(), now=at
    )


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """One sweep at ``at``, its emails sent as after the commit."""

    def run(at: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.notifications_send(now=at)

    return run


def test_the_defaults_are_ten_and_thirty_minutes():
    assert settings.MESSAGE_NOTIFY_AFTER_MINUTES == 10
    assert settings.MESSAGE_NOTIFY_EVERY_MINUTES == 30


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["messaging.sweep_notifications"]

    assert entry == {"task": "messaging.tasks.sweep_notifications", "schedule": 60.0}
    assert tasks.sweep_notifications.name == entry["task"]


@pytest.mark.parametrize("sender_role", ["patient", "therapist"])
def test_a_message_unread_after_ten_minutes_is_announced_once(
    conversation, patient, therapist, sweep, sender_role
):
    sender, recipient = (patient, therapist) if sender_role == "patient" else (therapist, patient)
    message = send(conversation, sender, at=NOW)

    assert sweep(minutes(10)) == 1

    assert len(outbox_to(recipient.email)) == 1
    assert outbox_to(sender.email) == []
    message.refresh_from_db()
    conversation.refresh_from_db()
    assert message.notified_at == minutes(10)
    emailed = (conversation.patient_notified_at, conversation.therapist_notified_at)
    assert emailed == ((None, minutes(10)) if sender_role == "patient" else (minutes(10), None))


def test_nothing_before_ten_minutes(conversation, patient, sweep):
    send(conversation, patient, at=NOW)

    assert sweep(minutes(10) - timedelta(seconds=1)) == 0
    assert mail.outbox == []


def test_nothing_when_read_within_ten_minutes(conversation, patient, therapist, sweep):
    message = send(conversation, patient, at=NOW)
    services.messages_mark_read(conversation=conversation, reader=therapist, now=minutes(9))

    for at in (10, 11, 45, 120):
        assert sweep(minutes(at)) == 0
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.notified_at is None


def test_a_message_after_an_email_waits_thirty_minutes_then_one_email_covers_it(
    conversation, patient, therapist, sweep
):
    first = send(conversation, patient, at=NOW)
    assert sweep(minutes(10)) == 1
    second = send(conversation, patient, at=minutes(15))

    for at in (25, 30, 39):
        assert sweep(minutes(at)) == 0
    assert sweep(minutes(40) - timedelta(seconds=1)) == 0
    assert len(outbox_to(therapist.email)) == 1

    assert sweep(minutes(40)) == 1
    assert len(outbox_to(therapist.email)) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.notified_at, second.notified_at) == (minutes(10), minutes(40))
    for at in (41, 70, 71, 200):
        assert sweep(minutes(at)) == 0


def test_a_message_read_while_waiting_for_the_thirty_minutes_is_not_announced(
    conversation, patient, therapist, sweep
):
    send(conversation, patient, at=NOW)
    sweep(minutes(10))
    send(conversation, patient, at=minutes(15))
    services.messages_mark_read(conversation=conversation, reader=therapist, now=minutes(30))

    for at in (40, 41, 100):
        assert sweep(minutes(at)) == 0
    assert len(mail.outbox) == 1


def test_quick_messages_give_one_email(conversation, patient, therapist, sweep):
    for second in (0, 30, 60, 90):
        send(conversation, patient, at=NOW + timedelta(seconds=second))

    sent = [sweep(minutes(at)) for at in range(0, 121)]

    assert sum(sent) == 1
    assert sent[10] == 1
    assert len(outbox_to(therapist.email)) == 1
    assert not Message.objects.filter(notified_at__isnull=True).exists()


def test_each_side_hears_of_the_other_once(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=minutes(1))

    assert sweep(minutes(11)) == 2
    assert sweep(minutes(12)) == 0

    assert len(outbox_to(patient.email)) == 1
    assert len(outbox_to(therapist.email)) == 1


def test_two_sweeps_in_a_row_send_once(conversation, patient, sweep):
    send(conversation, patient, at=NOW)

    assert sweep(minutes(10)) == 1
    assert sweep(minutes(10)) == 0
    assert sweep(minutes(11)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("sender_role", ["patient", "therapist"])
def test_the_email_says_nothing_but_that_there_is_a_message(
    conversation, patient, therapist, sweep, sender_role
):
    sender = patient if sender_role == "patient" else therapist
    send(conversation, sender, at=NOW)
    sweep(minutes(10))

    (email,) = mail.outbox
    assert email.subject == f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You have a new message"
    secrets = [
        BODY,
        "drank",
        "scared",
        patient.patient_profile.nickname,
        therapist.therapist_profile.display_name,
        patient.email,
        therapist.email,
    ]
    for text in (email.subject, email.body):
        for secret in secrets:
            assert secret not in text
    assert "never contains the message" in email.body


def test_the_link_is_the_conversation_page(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    sweep(minutes(10))

    (email,) = mail.outbox
    path = reverse("conversation", kwargs={"pk": conversation.pk})
    assert link_in(email.body, "/") == path
    assert f"{settings.SITE_URL}{path}" in email.body


def test_the_email_is_in_the_recipients_language(conversation, patient, therapist, sweep):
    therapist.language = "fr"
    therapist.save(update_fields=["language"])
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=NOW)

    sweep(minutes(10))

    (to_therapist,) = outbox_to(therapist.email)
    (to_patient,) = outbox_to(patient.email)
    assert "Bonjour" in to_therapist.body
    assert "Hello" in to_patient.body


def test_a_closed_conversation_notifies_nobody(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=NOW)
    services.conversation_close(match_id=conversation.match_id, now=minutes(5))

    assert sweep(minutes(10)) == 0
    assert sweep(minutes(60)) == 0
    assert mail.outbox == []


def test_an_ended_match_notifies_nobody(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=NOW)
    Match.objects.filter(pk=conversation.match_id).update(
        status=Match.Status.ENDED, ended_at=minutes(5)
    )

    assert sweep(minutes(10)) == 0
    assert mail.outbox == []


def test_an_inactive_recipient_is_not_emailed(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=NOW)
    for user in (patient, therapist):
        user.is_active = False
        user.save(update_fields=["is_active"])

    assert sweep(minutes(10)) == 0
    assert mail.outbox == []


def test_only_the_inactive_side_is_left_out(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    send(conversation, therapist, at=NOW)
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    assert sweep(minutes(10)) == 1
    assert len(outbox_to(therapist.email)) == 1


def test_a_suspended_therapist_is_not_emailed(conversation, patient, therapist, sweep):
    send(conversation, patient, at=NOW)
    profile = therapist.therapist_profile
    profile.vetting_status = profile.VettingStatus.SUSPENDED
    profile.save(update_fields=["vetting_status"])

    assert sweep(minutes(10)) == 0
    assert mail.outbox == []


def test_the_task_runs_the_sweep(
    conversation, patient, therapist, django_capture_on_commit_callbacks
):
    send(conversation, patient, at=timezone.now() - timedelta(minutes=11))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_notifications.apply().get() == 1

    assert len(outbox_to(therapist.email)) == 1


# --- Two sweeps at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_email_each_recipient_once():
    conversations = []
    for _ in range(6):
        conversation = open_conversation(PatientFactory(), TherapistFactory())
        send(conversation, conversation.patient, at=NOW)
        send(conversation, conversation.therapist.user, at=NOW)
        conversations.append(conversation)

    results = run_together([lambda: services.notifications_send(now=minutes(10))] * 2)

    assert sum(results) == 2 * len(conversations)
    for conversation in conversations:
        assert len(outbox_to(conversation.patient.email)) == 1
        assert len(outbox_to(conversation.therapist.user.email)) == 1
    assert len(mail.outbox) == 2 * len(conversations)
