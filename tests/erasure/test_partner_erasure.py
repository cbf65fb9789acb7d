"""A partner invited to couples sessions deletes their account (Privacy → Delete my account): at
once, with no grace period (they have no record of care), their password asked again; their
invitations and their presence in rooms go with it, every session of theirs ends, and one
content-free email confirms it. The patient's session stays. Nobody else deletes it."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from core.models import OutboxEmail
from scheduling.models import PartnerInvitation
from teletherapy.erasure import services
from tests.factories import PatientFactory
from tests.factories.accounts import PASSWORD
from tests.factories.partners import PartnerFactory, invite
from tests.factories.scheduling import session_of
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def session(patient, therapist):
    return session_of(patient, therapist.therapist_profile, datetime(2030, 3, 6, 9, tzinfo=UTC))


@pytest.fixture
def partner(session):
    partner = PartnerFactory(email="sam@example.test")
    invite(session, partner=partner, nickname="Sam")
    return partner


def test_the_partner_deletes_their_account_at_once(
    partner, session, django_capture_on_commit_callbacks
):
    client = client_for(partner)
    privacy = client.get(reverse("privacy")).content.decode()
    assert "deleted at once" in privacy
    page = client.get(reverse("privacy_delete"))
    assert page.status_code == 200
    assert "I understand that my account is deleted at once" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("privacy_delete"), {"password": PASSWORD, "understood": "on"})

    assert answer.status_code == 200
    assert "Your account is deleted" in answer.content.decode()
    assert not User.objects.filter(pk=partner.pk).exists()
    assert not PartnerInvitation.objects.exists()
    session.refresh_from_db()
    assert session.is_booked  # the patient's session stays
    assert client.get(reverse("partner_sessions")).status_code == 302  # logged out
    (email,) = [m for m in mail.outbox if m.to == ["sam@example.test"]]
    assert email.subject.endswith("Your account was deleted")
    assert "Robin" not in email.body
    assert not OutboxEmail.objects.filter(to__iexact="sam@example.test").exists()


def test_a_wrong_password_deletes_nothing(partner):
    answer = client_for(partner).post(
        reverse("privacy_delete"), {"password": "not it", "understood": "on"}
    )

    assert answer.status_code == 422
    assert "This is not your password." in answer.content.decode()
    assert User.objects.filter(pk=partner.pk).exists()
    assert PartnerInvitation.objects.filter(partner=partner).exists()


def test_the_service_deletes_a_partner_only(patient):
    with pytest.raises(services.ErasureRefused):
        services.partner_erasure(partner=patient)
    assert User.objects.filter(pk=patient.pk).exists()


def test_the_patient_and_others_keep_their_own_way(partner, therapist, staff):
    # A patient's page is the grace period's; a therapist's and staff's is a 404.
    patient_page = client_for(PatientFactory()).get(reverse("privacy_delete")).content.decode()
    assert "I understand that after the grace period" in patient_page
    for user in (therapist, staff):
        assert client_for(user).get(reverse("privacy_delete")).status_code == 404
    assert User.objects.filter(pk=partner.pk).exists()
