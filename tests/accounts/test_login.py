"""Logging in and out: by email in any case, wrong passwords refused without saying which part,
rate limits per account and per network address, one wording ("Log in") in the user's own
language."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, PatientFactory
from tests.helpers import link_in

pytestmark = pytest.mark.django_db


def log_in(client, email, password=PASSWORD, ip="203.0.113.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_a_patient_logs_in_and_out(client, patient):
    response = log_in(client, patient.email)

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("account_logout"))

    assert client.get(reverse("home")).status_code == 302


def test_login_ignores_the_case_of_the_address(client, patient):
    log_in(client, patient.email.upper())

    assert client.session["_auth_user_id"] == str(patient.pk)


def test_a_wrong_password_is_refused_without_saying_which_part_is_wrong(client, patient):
    wrong_password = log_in(client, patient.email, "not-the-password")
    unknown_address = log_in(client, "nobody@example.test")

    for response in (wrong_password, unknown_address):
        assert response.status_code == 422
        assert b"The email address and/or password you specified are not correct." in (
            response.content
        )
    assert "_auth_user_id" not in client.session


def test_twenty_wrong_passwords_for_one_account_pause_it_on_devices_it_never_used(client, patient):
    # From several network addresses, so that the per-address limit is not the one reached;
    # the owner's known devices are not paused (tests/accounts/test_login_lockout.py).
    for n in range(20):
        wrong = log_in(client, patient.email, "not-the-password", ip=f"203.0.113.{n + 100}")
        assert wrong.status_code == 422

    next_one = log_in(client, patient.email, "not-the-password", ip="203.0.113.200")
    even_right = log_in(client, patient.email, ip="203.0.113.201")

    assert next_one.status_code == 429
    assert b"Too many failed login attempts. Try again later." in next_one.content
    assert even_right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_ten_failed_logins_in_a_minute_pause_the_address_they_come_from(client, patient):
    for n in range(10):
        assert log_in(client, f"guess{n}@example.test", "guess").status_code == 422

    eleventh = log_in(client, patient.email)
    elsewhere = log_in(client, patient.email, ip="198.51.100.20")

    assert eleventh.status_code == 429
    assert elsewhere.status_code == 302  # the patient, from their own network, is not locked out


def test_password_reset_by_email(client, patient):
    client.post(reverse("account_reset_password"), {"email": patient.email})
    [message] = mail.outbox
    link = link_in(message.body, "/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    new_password = "a-new-and-long-passphrase"

    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
    )

    assert done.status_code == 302
    assert log_in(client, patient.email, new_password).status_code == 302
    assert client.session["_auth_user_id"] == str(patient.pk)


def test_password_reset_does_not_reveal_whether_an_account_exists(client, patient):
    known = client.post(reverse("account_reset_password"), {"email": patient.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    unknown_mail = [m for m in mail.outbox if m.to == ["nobody@example.test"]]
    assert "therap" not in unknown_mail[0].body.lower()


def test_a_deactivated_account_cannot_log_in(client):
    suspended = PatientFactory(is_active=False)

    log_in(client, suspended.email)

    assert "_auth_user_id" not in client.session


# --- One wording, in the user's language ---------------------------------------------------


def test_the_login_page_says_log_in_as_the_navigation_does(client):
    page = client.get(reverse("account_login")).content.decode()

    assert "<title>Log in" in page
    assert ">Log in</button>" in page
    assert "This is a shared device" in page
    for allauths in ("Sign In", "Remember Me", "Sign in"):
        assert allauths not in page


def test_the_login_page_in_french(client):
    page = client.get(reverse("account_login"), headers={"accept-language": "fr"}).content
    page = page.decode()

    assert ">Se connecter</button>" in page
    assert "Cet appareil est partagé" in page
    assert "Log in" not in page


def test_a_french_speaker_is_welcomed_in_french_from_an_english_login_page(client):
    lea = PatientFactory(language="fr", patient_profile__nickname="Léa")

    response = log_in(client, lea.email)
    home = client.get(response.url).content.decode()

    assert f"Vous êtes connecté·e en tant que {lea.email}." in home
    assert "Successfully signed in" not in home
    assert "You are logged in" not in home


def test_logging_out_is_said_in_the_same_words(client, patient):
    log_in(client, patient.email)

    page = client.post(reverse("account_logout"), follow=True).content.decode()

    assert "You are logged out." in page
    assert "signed out" not in page
