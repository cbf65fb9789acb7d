"""Development emails in the terminal: headers a reader needs and the decoded text body, so a
long link is copied whole (quoted-printable broke it in two) and accents read as written."""

import io

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse

from teletherapy.console_mail import EmailBackend
from teletherapy.env import mailer_config
from tests.factories import PASSWORD
from tests.factories.accounts import signup_consents

LINK = "http://127.0.0.1:8000/accounts/confirm-email/MTM:1vR0aB:" + "x" * 60 + "/"


def printed(*messages: EmailMessage) -> str:
    stream = io.StringIO()
    EmailBackend(stream=stream).send_messages(list(messages))
    return stream.getvalue()


def test_a_long_link_and_accents_are_printed_as_written():
    message = EmailMessage(
        subject="[Havre] Confirmez votre adresse e-mail",
        body=f"Bonjour Léa,\n\nOuvrez ce lien pour confirmer : {LINK}\n\nÀ bientôt.",
        from_email="Havre <no-reply@localhost>",
        to=["lea@example.test"],
    )

    out = printed(message)

    assert LINK in out.splitlines()[-4]  # whole, on its own line
    assert "Bonjour Léa," in out
    assert "Subject: [Havre] Confirmez votre adresse e-mail" in out
    assert "To: lea@example.test" in out
    assert "=\n" not in out  # no soft line breaks
    assert "quoted-printable" not in out


def test_attachments_are_named_not_dumped():
    message = EmailMessage(subject="Session", body="See the file.", to=["a@example.test"])
    message.attach("session.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")

    out = printed(message)

    assert "[attachment: session.ics (text/calendar, 32 bytes)]" in out
    assert "BEGIN:VCALENDAR" not in out


def test_each_message_is_followed_by_a_rule():
    first = EmailMessage(subject="One", body="1", to=["a@example.test"])
    second = EmailMessage(subject="Two", body="2", to=["b@example.test"])

    out = printed(first, second)

    assert out.count("-" * 79) == 2
    assert out.index("Subject: One") < out.index("Subject: Two")


def test_the_development_default_prints_them(settings, capsys):
    settings.MAILERS = {"default": mailer_config("console:")}

    EmailMessage(subject="Hello", body=f"Link: {LINK}", to=["a@example.test"]).send()

    assert f"Link: {LINK}\n" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)  # the email leaves the outbox once the sign-up commits
def test_a_sign_up_link_copied_from_the_terminal_works(settings, capsys, client):
    settings.MAILERS = {"default": mailer_config("console:")}
    client.post(
        reverse("signup_patient"),
        {
            "nickname": "Sacha",
            "email": "new.person@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "Europe/Paris",
        }
        | signup_consents(),
    )

    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "/accounts/confirm-email/" in line]
    path = "/accounts/confirm-email/" + line.split("/accounts/confirm-email/", 1)[1].strip()

    response = client.get(path)

    assert response.status_code == 200
    assert "Confirm" in response.content.decode()
