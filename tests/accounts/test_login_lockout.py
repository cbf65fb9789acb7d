"""Failed logins are limited without letting a stranger lock the owner out (issue 15, #7): per
network address, strictly and for everyone; per account, a stranger's failures from many
addresses stop devices that never logged in to it, never a device the owner logged in from
before (its signed cookie gives it a bucket of its own, which one user's cookie cannot give
another). Wrong two-factor codes are limited the same way and answered 429 past the limit. The
limits reset with time and with a password reset. No input to the login forms gives a 500."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import devices
from tests.factories import PASSWORD, TherapistFactory
from tests.helpers import client_for, link_in, outbox_to, totp_code
from tests.inputs import answers_without_error, field_values

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 11, 9, 0, tzinfo=UTC)
OWNER_ADDRESS = "192.0.2.10"
TOO_MANY = b"Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def stranger_address(n: int) -> str:
    return f"198.51.100.{n % 250 + 1}" if n < 250 else f"203.0.113.{n % 250 + 1}"


def log_in(client, email, password=PASSWORD, ip=OWNER_ADDRESS):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def account_limit() -> int:
    return int(settings.ACCOUNT_RATE_LIMITS["login_failed_account"].split("/")[0])


def address_limit() -> int:
    return int(settings.ACCOUNT_RATE_LIMITS["login_failed"].split("/")[0])


def fill_account_bucket(email: str) -> None:
    """A stranger fails on ``email`` from a new address each time, as long as it takes."""
    for n in range(account_limit()):
        assert log_in(Client(), email, "guess", ip=stranger_address(n)).status_code == 422


@pytest.fixture
def owner_device(patient) -> Client:
    """The patient's own browser: it logged in once before, then out."""
    browser = Client()
    assert log_in(browser, patient.email).status_code == 302
    browser.post(reverse("account_logout"))
    return browser


# --- Passwords ------------------------------------------------------------------------------


def test_a_stranger_from_many_addresses_cannot_lock_the_owner_out_of_a_known_device(
    patient, owner_device
):
    fill_account_bucket(patient.email)

    stranger_again = log_in(Client(), patient.email, "guess", ip=stranger_address(999))
    owner = log_in(owner_device, patient.email)

    assert stranger_again.status_code == 429
    assert TOO_MANY in stranger_again.content
    assert owner.status_code == 302
    assert owner_device.session["_auth_user_id"] == str(patient.pk)


def test_a_new_device_waits_like_the_stranger_until_a_password_reset(patient):
    fill_account_bucket(patient.email)
    new_device = Client()

    assert log_in(new_device, patient.email).status_code == 429

    new_device.post(reverse("account_reset_password"), {"email": patient.email})
    link = link_in(outbox_to(patient.email)[-1].body, "/accounts/password/reset/key/")
    form = new_device.get(link, follow=True)
    new_device.post(
        form.redirect_chain[-1][0],
        {"password1": "a-new-long-phrase", "password2": "a-new-long-phrase"},
    )
    assert log_in(new_device, patient.email, "a-new-long-phrase").status_code == 302


def test_a_known_device_has_a_ceiling_of_its_own(patient, owner_device):
    for n in range(account_limit()):
        assert (
            log_in(owner_device, patient.email, "typo", ip=stranger_address(n)).status_code == 422
        )
    # The device's own bucket is full: a cookie is no licence to keep guessing ...
    assert log_in(owner_device, patient.email, "typo", ip="192.0.2.99").status_code == 429
    # ... and the owner elsewhere was never stopped by it.
    assert log_in(Client(), patient.email, ip="192.0.2.98").status_code == 302


def test_the_address_limit_still_stops_a_known_device(patient, owner_device):
    for n in range(address_limit()):
        assert log_in(Client(), f"guess{n}@example.test", "guess").status_code == 422

    assert log_in(owner_device, patient.email).status_code == 429
    assert log_in(owner_device, patient.email, ip="192.0.2.77").status_code == 302


def test_the_limits_reset_with_time(patient, clock):
    fill_account_bucket(patient.email)
    for n in range(address_limit()):
        log_in(Client(), f"guess{n}@example.test", "guess", ip="192.0.2.50")
    assert log_in(Client(), patient.email, ip="192.0.2.51").status_code == 429
    assert log_in(Client(), "someone@example.test", "x", ip="192.0.2.50").status_code == 429

    clock.shift(timedelta(minutes=1, seconds=1))
    assert log_in(Client(), "someone@example.test", "x", ip="192.0.2.50").status_code == 422
    assert log_in(Client(), patient.email, ip="192.0.2.51").status_code == 429

    clock.shift(timedelta(minutes=15))
    assert log_in(Client(), patient.email, ip="192.0.2.51").status_code == 302


def test_one_users_known_device_does_not_help_another(patient, other_patient, owner_device):
    fill_account_bucket(other_patient.email)
    own_cookie = owner_device.cookies[devices.cookie_name(patient.pk)].value

    as_it_is = log_in(owner_device, other_patient.email)
    renamed = Client()
    renamed.cookies[devices.cookie_name(other_patient.pk)] = own_cookie
    under_their_name = log_in(renamed, other_patient.email)

    assert as_it_is.status_code == 429
    assert under_their_name.status_code == 429


def test_the_known_device_cookie_is_signed_http_only_and_names_nobody(patient, owner_device):
    cookie = owner_device.cookies[devices.cookie_name(patient.pk)]

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.KNOWN_DEVICE_DAYS * 24 * 3600
    assert patient.email not in cookie.value
    assert str(patient.pk) not in cookie.key
    forged = Client()
    forged.cookies[cookie.key] = cookie.value.replace(cookie.value[-5:], "AAAAA")
    fill_account_bucket(patient.email)
    assert log_in(forged, patient.email).status_code == 429


def test_the_cookie_is_secure_in_production(settings, patient):
    settings.SESSION_COOKIE_SECURE = True

    response = log_in(Client(), patient.email)

    assert response.cookies[devices.cookie_name(patient.pk)]["secure"]


# --- Two-factor codes -----------------------------------------------------------------------


def code_limit() -> int:
    return int(settings.ACCOUNT_RATE_LIMITS["mfa_failed_account"].split("/")[0])


def give_code(client, code, ip=OWNER_ADDRESS):
    return client.post(reverse("mfa_authenticate"), {"code": code}, REMOTE_ADDR=ip)


@pytest.fixture
def mfa_therapist(db):
    return TherapistFactory(email="ana@example.test")


def test_wrong_codes_answer_422_then_429_even_to_the_right_one(mfa_therapist):
    stranger = Client()
    assert log_in(stranger, mfa_therapist.email, ip="198.51.100.3").url == reverse(
        "mfa_authenticate"
    )
    for _ in range(code_limit()):
        wrong = give_code(stranger, "000000", ip="198.51.100.3")
        assert wrong.status_code == 422
        assert b"Incorrect code" in wrong.content

    past_the_limit = give_code(stranger, totp_code(), ip="198.51.100.3")

    assert past_the_limit.status_code == 429
    assert TOO_MANY in past_the_limit.content
    assert "_auth_user_id" not in stranger.session


def test_wrong_codes_from_a_stranger_do_not_stop_the_owners_known_device(mfa_therapist, clock):
    device = Client()
    log_in(device, mfa_therapist.email)
    assert give_code(device, totp_code()).status_code == 302
    device.post(reverse("account_logout"))
    clock.shift(timedelta(seconds=90))  # a code works once: the next login needs the next one

    stranger = Client()  # who knows the password, not the phone
    log_in(stranger, mfa_therapist.email, ip="198.51.100.4")
    for _ in range(code_limit()):
        give_code(stranger, "000000", ip="198.51.100.4")
    assert give_code(stranger, "000000", ip="198.51.100.4").status_code == 429

    log_in(device, mfa_therapist.email)
    owner = give_code(device, totp_code())

    assert owner.status_code == 302
    assert device.session["_auth_user_id"] == str(mfa_therapist.pk)


def test_the_code_limit_resets_with_time(mfa_therapist, clock):
    stranger = Client()
    log_in(stranger, mfa_therapist.email, ip="198.51.100.5")
    for _ in range(code_limit()):
        give_code(stranger, "000000", ip="198.51.100.5")
    assert give_code(stranger, totp_code(), ip="198.51.100.5").status_code == 429

    clock.shift(timedelta(minutes=5, seconds=1))
    again = Client()
    log_in(again, mfa_therapist.email, ip="198.51.100.6")

    assert give_code(again, totp_code(), ip="198.51.100.6").status_code == 302


# --- No input gives a 500 -------------------------------------------------------------------


FUZZ = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    login=field_values(["patient@example.test", "PATIENT@example.test", "a@b"]),
    password=field_values([PASSWORD]),
    remember=st.sampled_from(["", "on", "x"]),
    cookie=st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=126), max_size=80)),
)
def test_no_login_input_gives_a_500(client, patient, login, password, remember, cookie):
    cache.clear()  # each example starts below the limits
    if cookie is not None:
        client.cookies[devices.cookie_name(patient.pk)] = cookie
    data = {"login": login, "password": password, "remember": remember}
    answers_without_error(client, "post", reverse("account_login"), data)
    client.logout()


@FUZZ
@given(code=field_values(["000000", "123456"]))
def test_no_two_factor_code_gives_a_500(mfa_therapist, code):
    cache.clear()
    client = Client()
    log_in(client, mfa_therapist.email, ip="198.51.100.7")
    answers_without_error(client, "post", reverse("mfa_authenticate"), {"code": code})


def test_codes_asked_again_before_a_sensitive_change_are_limited_too(mfa_therapist):
    client = client_for(mfa_therapist)
    url = reverse("mfa_reauthenticate")
    for _ in range(code_limit()):
        assert client.post(url, {"code": "000000"}, REMOTE_ADDR=OWNER_ADDRESS).status_code == 422

    past_the_limit = client.post(url, {"code": totp_code()}, REMOTE_ADDR=OWNER_ADDRESS)

    assert past_the_limit.status_code == 429
    assert TOO_MANY in past_the_limit.content
