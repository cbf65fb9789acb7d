"""Signing up: a choice of two paths, a patient (nickname, time zone, language) or a therapist
(a draft application), an email to verify; bad input refused with nothing created; an address
already used is never revealed."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import PatientProfile, TherapistProfile, User
from tests.factories import PASSWORD, PatientFactory
from tests.factories.accounts import signup_consents
from tests.helpers import link_in

pytestmark = pytest.mark.django_db


def test_signup_choice_offers_both_paths(client):
    response = client.get(reverse("account_signup"))

    assert reverse("signup_patient").encode() in response.content
    assert reverse("signup_therapist").encode() in response.content


def test_patient_signup_creates_an_unverified_patient_and_sends_a_link(client, patient_signup):
    response = patient_signup(client, headers={"accept-language": "fr"})

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.person@example.test")
    assert user.role == User.Role.PATIENT
    assert user.time_zone == "America/Montreal"
    assert user.language == "fr"
    assert user.patient_profile.nickname == "Sacha"
    assert not EmailAddress.objects.get(user=user).verified
    [message] = mail.outbox
    assert message.to == ["new.person@example.test"]
    assert link_in(message.body, "/accounts/confirm-email/")


def test_verification_email_says_nothing_about_therapy(client, patient_signup):
    patient_signup(client)

    [message] = mail.outbox
    text = (message.subject + message.body).lower()
    for word in ("therap", "patient", "sacha", "depress", "anx"):
        assert word not in text


def test_a_new_account_cannot_log_in_before_verifying(client, patient_signup):
    with time_machine.travel("2026-11-23 10:00Z", tick=False) as clock:
        patient_signup(client)
        client.logout()
        mail.outbox.clear()
        credentials = {"login": "new.person@example.test", "password": PASSWORD}

        response = client.post(reverse("account_login"), credentials)

        assert response.status_code == 302
        assert response.url == reverse("account_email_verification_sent")
        assert "_auth_user_id" not in client.session
        assert mail.outbox == []  # a link left a minute ago: no second one yet

        clock.shift(timedelta(minutes=4))
        client.post(reverse("account_login"), credentials)

        assert "_auth_user_id" not in client.session
        [fresh] = mail.outbox
        assert link_in(fresh.body, "/accounts/confirm-email/")


def test_therapist_signup_creates_a_draft_therapist(client):
    response = client.post(
        reverse("signup_therapist"),
        {"email": "dr@example.test", "password1": PASSWORD, "password2": PASSWORD}
        | signup_consents(User.Role.THERAPIST),
    )

    assert response.status_code == 302
    user = User.objects.get(email="dr@example.test")
    assert user.role == User.Role.THERAPIST
    assert user.therapist_profile.vetting_status == TherapistProfile.VettingStatus.DRAFT
    assert not PatientProfile.objects.filter(user=user).exists()


def test_an_unknown_time_zone_falls_back_to_utc(client, patient_signup):
    patient_signup(client, time_zone="Mars/Olympus_Mons")

    assert User.objects.get(email="new.person@example.test").time_zone == "UTC"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", b"Enter a valid email address."),
        ("password1", "short", b"This password is too short."),
        ("password1", "password123", b"This password is too common."),
        ("nickname", "   ", b"This field is required."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(client, patient_signup, field, value, message):
    overrides = {field: value}
    if field == "password1":
        overrides["password2"] = value

    response = patient_signup(client, **overrides)

    assert response.status_code == 422
    assert message in response.content
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []


def test_an_existing_email_is_not_revealed_and_its_owner_is_told(client, patient_signup):
    owner = PatientFactory(email="taken@example.test")

    response = patient_signup(client, email="taken@example.test")

    # The page looks exactly like a successful sign-up: nobody learns who has an account.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert list(User.objects.filter(email__iexact="taken@example.test")) == [owner]
    assert not PatientProfile.objects.filter(nickname="Sacha").exists()
    [message] = mail.outbox
    assert message.to == ["taken@example.test"]
    assert "already exists" in message.body


def test_an_existing_email_in_other_case_is_the_same_account(client, patient_signup):
    PatientFactory(email="taken@example.test")

    patient_signup(client, email="Taken@Example.TEST")

    assert User.objects.count() == 1


def test_signup_is_all_or_nothing(client, patient_signup, monkeypatch):
    def broken_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PatientProfile.objects, "create", broken_create)

    with pytest.raises(RuntimeError):
        patient_signup(client)

    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []
