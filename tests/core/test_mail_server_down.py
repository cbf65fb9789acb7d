"""The mail server down while people act: nothing they do fails, nothing that follows is
skipped (the conversation of an accepted offer opens), and each email goes out once when the
server is back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxEmail
from core.outbox import outbox_sweep
from matching import services as matching_services
from matching.models import SafetyFlag
from messaging.models import Conversation
from tests.factories.accounts import signup_consents
from tests.factories.matching import (
    IntakeFactory,
    MatchRequestFactory,
    OfferFactory,
    make_eligible,
)
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.outbox_rows]


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture
def mail_server_down(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    return settings


def test_an_acceptance_opens_the_conversation_and_the_email_follows_once(
    mail_server_down, patient, therapist, django_capture_on_commit_callbacks
):
    make_eligible(therapist)
    offer = OfferFactory(
        request=MatchRequestFactory(patient=patient), therapist=therapist.therapist_profile
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(therapist).post(
            reverse("offer_accept", args=[offer.pk]), headers={"HX-Request": "true"}
        )

    assert response.status_code == 200
    assert Conversation.objects.filter(patient=patient, closed_at__isnull=True).exists()
    waiting = OutboxEmail.objects.get(to=patient.email)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert mail.outbox == []

    mail_server_down.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    later = timezone.now() + timedelta(minutes=2)
    assert outbox_sweep(now=later) >= 1
    assert outbox_sweep(now=later + timedelta(minutes=5)) == 0
    assert len([m for m in mail.outbox if m.to == [patient.email]]) == 1


def test_a_sign_up_succeeds_while_the_mail_server_is_down(
    mail_server_down, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signup_patient"),
            {
                "nickname": "Sacha",
                "email": "new.person@example.test",
                "password1": "correct-horse-battery-staple",
                "password2": "correct-horse-battery-staple",
                "time_zone": "Europe/Paris",
            }
            | signup_consents(),
        )

    assert response.status_code == 302
    assert OutboxEmail.objects.get(to="new.person@example.test").state == "pending"


def test_a_safety_flag_is_kept_and_staff_are_told_later(
    mail_server_down, patient, staff, django_capture_on_commit_callbacks
):
    intake = IntakeFactory(patient=patient, in_danger=True)

    with django_capture_on_commit_callbacks(execute=True):
        flags = matching_services.safety_flags_raise(
            patient=patient, intake=intake, reasons=["in_danger"], now=timezone.now()
        )

    assert SafetyFlag.objects.filter(pk__in=[f.pk for f in flags]).count() == 1
    assert OutboxEmail.objects.get(to=staff.email).state == "pending"
