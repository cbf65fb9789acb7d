"""What the logs of a journey hold: events, routes and ids, never a link's key, a token, an
email address typed in a form or a clinical word — read from the log handler the settings
configure, with its filters and formatter. And the server-error email to ADMINS: one line per
route and kind, nothing of the request."""

import io
import logging
import re
import uuid

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import path

from core.observability import AdminsNotifyHandler
from messaging import services as messaging_services
from scheduling.services import calendar_feed_renew
from tests.factories.accounts import signup_consents
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CLINICAL = "I have been thinking about ending it since the layoff"


@pytest.fixture
def log_lines(settings):
    """Everything the configured console handler writes while the test runs, at DEBUG."""
    root = logging.getLogger()
    [console] = [h for h in root.handlers if getattr(h, "name", "") == "console"] or [
        h for h in root.handlers if isinstance(h, logging.StreamHandler)
    ][:1]
    buffer = io.StringIO()
    previous_stream, previous_level = console.stream, root.level
    console.setStream(buffer)
    root.setLevel(logging.DEBUG)
    yield buffer
    console.setStream(previous_stream)
    root.setLevel(previous_level)


def test_a_journey_leaves_no_secret_in_the_logs(log_lines, client, patient):
    secrets = []
    # A sign-up: its confirmation key travels in a link.
    client.post(
        "/accounts/signup/patient/",
        {
            "nickname": "Sacha",
            "email": "planted.address@example.test",
            "password1": "correct-horse-battery-staple",
            "password2": "correct-horse-battery-staple",
            "time_zone": "Europe/Paris",
        }
        | signup_consents(),
    )
    [email] = [m for m in mail.outbox if "planted.address@example.test" in m.to]
    confirm = re.search(r"/accounts/confirm-email/\S+", email.body).group(0)
    secrets += [confirm.split("/")[3], "planted.address@example.test"]
    client.get(confirm)
    # A password reset: its key too.
    client.post("/accounts/password/reset/", {"email": patient.email})
    [reset] = [m for m in mail.outbox if patient.email in m.to and "/password/reset/key/" in m.body]
    reset_path = re.search(r"/accounts/password/reset/key/\S+", reset.body).group(0)
    secrets.append(reset_path.split("/key/")[1].strip("/"))
    client.get(reset_path)
    # A calendar feed: its token in the URL; a failing one too.
    token = calendar_feed_renew(user=patient)
    secrets.append(token)
    Client().get(f"/calendar/{token}.ics")
    Client().get(f"/calendar/{token}x.ics")
    # A message in clear words.
    conversation = ConversationFactory(patient=patient)
    client_for(patient).post(
        f"/messages/{conversation.pk}/send/",
        {"body": CLINICAL, "client_id": str(uuid.uuid4())},
    )
    messaging_services.message_send(
        conversation=conversation, sender=patient, body=CLINICAL, client_id=uuid.uuid4()
    )

    written = log_lines.getvalue()
    assert written.count("\n") > 5, "the journey logged nothing: the test is blind"
    for secret in [*secrets, CLINICAL, "layoff"]:
        assert secret not in written, secret


def failing_view(request, token):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/<str:token>/", failing_view)]


@override_settings(ROOT_URLCONF=__name__, ADMINS=["ops@example.test"])
def test_admins_hear_of_a_server_error_once_without_its_content(caplog):
    handler = AdminsNotifyHandler(quiet_minutes=10)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        for _ in range(3):
            with pytest.raises(RuntimeError):
                Client().post("/boom/Zx8kq2LmN0pQrStUvWxYz123/", {"body": CLINICAL})
    finally:
        logger.removeHandler(handler)

    [email] = [m for m in mail.outbox if m.to == ["ops@example.test"]]
    assert "RuntimeError" in email.body
    assert "/boom/…/" in email.body
    for secret in ("Zx8kq2LmN0pQrStUvWxYz123", CLINICAL, "a bug"):
        assert secret not in email.body + email.subject
