"""A therapist logs in and is made to set up two-factor authentication before anything else."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, TherapistFactory
from tests.helpers import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_therapist_is_made_to_set_up_two_factor_then_gets_in(page, screenshot):
    therapist = TherapistFactory(totp=False)

    log_in(page, therapist.email)
    # Straight to the set-up; the platform asks for the password once more first.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    page.goto("/home/")  # the dashboard is out of reach until it is done
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    screenshot(page, "therapist-two-factor-setup")
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Your practice")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, therapist.email)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your practice")).to_be_visible()
