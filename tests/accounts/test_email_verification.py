"""Verifying an email address: the link asks before confirming, then lets the patient log in;
a used, expired or forged link confirms nothing and says what to do."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD
from tests.helpers import link_in

pytestmark = pytest.mark.django_db

EMAIL = "new.person@example.test"


def signed_up_link(client, patient_signup) -> str:
    patient_signup(client)
    [message] = mail.outbox
    return link_in(str(message.body), "/accounts/confirm-email/")


def log_in(client):
    return client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})


def test_the_link_asks_before_confirming(client, patient_signup):
    link = signed_up_link(client, patient_signup)

    page = client.get(link)

    assert page.status_code == 200
    assert EMAIL.encode() in page.content
    assert not EmailAddress.objects.get(email=EMAIL).verified  # a GET (mail scanner) is not enough


def test_confirming_lets_the_patient_log_in(client, patient_signup):
    link = signed_up_link(client, patient_signup)
    client.logout()

    client.post(link)
    response = log_in(client)

    assert EmailAddress.objects.get(email=EMAIL).verified
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_used_link_says_so_kindly(client, patient_signup):
    link = signed_up_link(client, patient_signup)
    client.post(link)
    client.logout()

    page = client.get(link)
    posted = client.post(link)

    assert b"has expired, or has already been used" in page.content
    assert b"If your address is already confirmed" in page.content
    assert posted.status_code == 404
    assert EmailAddress.objects.get(email=EMAIL).verified
    assert "_auth_user_id" not in client.session


def test_an_expired_link_is_refused_with_a_way_forward(client, patient_signup):
    with time_machine.travel("2026-11-23 10:00Z", tick=False) as clock:
        link = signed_up_link(client, patient_signup)
        client.logout()
        clock.shift(timedelta(days=4))

        page = client.get(link)
        posted = client.post(link)

    assert b"has expired, or has already been used" in page.content
    assert reverse("account_login").encode() in page.content
    assert posted.status_code == 404
    assert not EmailAddress.objects.get(email=EMAIL).verified


def test_a_forged_link_confirms_nothing(client, patient_signup):
    signed_up_link(client, patient_signup)

    response = client.post(reverse("account_confirm_email", args=["forged-key"]))

    assert response.status_code == 404
    assert not EmailAddress.objects.get(email=EMAIL).verified
