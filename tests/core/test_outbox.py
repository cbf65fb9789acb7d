"""The outbox: an email is a row first, sent by a worker once, retried with backoff when the
mail server fails, never lost, never sent twice by two workers, and unreadable at rest."""

from datetime import UTC, datetime, timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.db import connection

from core import crypto, outbox
from core.models import OutboxEmail
from tests.helpers import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.outbox_rows]

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
SECRET_LINK = "https://therapy.example.org/accounts/password/reset/key/secret-key-123/"


def write(**overrides) -> OutboxEmail:
    fields = {
        "template": "emails/example.txt",
        "to": "someone@example.test",
        "subject": "[Havre] A subject",
        "body": f"Open {SECRET_LINK}\n",
    } | overrides
    row = outbox.outbox_email_write(**fields)
    assert row is not None
    return row


class FailingBackend:
    """A mail server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise SMTPServerDisconnected("connection refused")


@pytest.fixture
def mail_server_down(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}


def test_a_row_is_sent_once_and_marked():
    row = write(attachments=[("session.ics", "BEGIN:VCALENDAR", "text/calendar")])

    assert outbox.outbox_deliver(email_id=row.pk, now=NOW + timedelta(seconds=1))
    assert not outbox.outbox_deliver(email_id=row.pk, now=NOW + timedelta(seconds=2))

    [message] = mail.outbox
    assert message.to == ["someone@example.test"]
    assert message.subject == "[Havre] A subject"
    assert SECRET_LINK in message.body
    assert message.attachments[0][0] == "session.ics"
    row.refresh_from_db()
    assert row.state == OutboxEmail.State.SENT
    assert row.attempts == 1


def test_the_content_is_encrypted_at_rest():
    row = write()

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_outboxemail WHERE id = %s", [row.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())
    assert "secret-key-123" not in raw
    assert "A subject" not in raw
    assert crypto.decrypt_text(row.body_encrypted).startswith("Open ")


def test_a_failure_is_retried_later_with_backoff(mail_server_down, settings):
    row = write()

    assert not outbox.outbox_deliver(email_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert row.state == OutboxEmail.State.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert row.last_error.startswith("SMTPServerDisconnected")
    assert "refused" not in row.last_error  # the kind of failure only

    assert outbox.outbox_sweep(now=NOW + timedelta(seconds=30)) == 0  # not due yet
    assert outbox.outbox_sweep(now=NOW + timedelta(minutes=1)) == 0  # due, fails again
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at == NOW + timedelta(minutes=1) + timedelta(minutes=2)

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert outbox.outbox_sweep(now=NOW + timedelta(minutes=3)) == 1
    assert len(mail.outbox) == 1


def test_the_backoff_is_at_most_an_hour_and_the_row_is_given_up_at_last(mail_server_down, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 9
    row = write()
    moment = NOW
    for _ in range(8):
        outbox.outbox_deliver(email_id=row.pk, now=moment)
        row.refresh_from_db()
        assert row.next_attempt_at - moment <= timedelta(hours=1)
        moment = row.next_attempt_at
    outbox.outbox_deliver(email_id=row.pk, now=moment)

    row.refresh_from_db()
    assert row.state == OutboxEmail.State.FAILED
    assert row.attempts == 9
    assert outbox.outbox_sweep(now=moment + timedelta(days=1)) == 0


def test_the_same_key_is_one_email():
    first = outbox.outbox_email_write(
        template="t", to="a@example.test", subject="s", body="b", key="reminder:1:a"
    )
    again = outbox.outbox_email_write(
        template="t", to="a@example.test", subject="s", body="b", key="reminder:1:a"
    )

    assert first is not None
    assert again is None
    assert OutboxEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_email_once():
    for number in range(6):
        write(to=f"person{number}@example.test")

    sent = run_together([lambda: outbox.outbox_sweep(now=NOW + timedelta(seconds=5))] * 2)

    assert sum(sent) == 6
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{n}@example.test" for n in range(6)]
    assert set(OutboxEmail.objects.values_list("state", flat=True)) == {"sent"}


def test_staff_see_where_emails_stand_but_never_their_content(staff_client, mail_server_down):
    row = write(template="emails/password_reset.txt")
    outbox.outbox_deliver(email_id=row.pk)

    changelist = staff_client.get("/admin/core/outboxemail/")
    page = staff_client.get(f"/admin/core/outboxemail/{row.pk}/change/")

    for response in (changelist, page):
        assert response.status_code == 200
        content = response.content.decode()
        assert "emails/password_reset.txt" in content
        assert "SMTPServerDisconnected" in content
        assert "secret-key-123" not in content
        assert "A subject" not in content
    assert staff_client.get("/admin/core/outboxemail/add/").status_code == 403


def test_staff_try_given_up_emails_again(staff_client, settings):
    row = write()
    OutboxEmail.objects.filter(pk=row.pk).update(state="failed", attempts=12)
    sent = write(to="other@example.test")
    outbox.outbox_deliver(email_id=sent.pk)

    staff_client.post(
        "/admin/core/outboxemail/",
        {"action": "try_again", "_selected_action": [row.pk, sent.pk]},
    )

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 0)
    assert outbox.outbox_sweep() == 1
    assert [m.to for m in mail.outbox] == [["other@example.test"], ["someone@example.test"]]


def test_patients_and_therapists_have_no_outbox_page(patient_client, therapist_client):
    for client in (patient_client, therapist_client):
        response = client.get("/admin/core/outboxemail/")
        assert response.status_code == 302  # to the login: the admin is for staff only
