"""A therapist logs in and is made to set up two-factor authentication before anything else; when
staff remove a therapist's app, that therapist's open pages are logged out, nobody else's."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, StaffFactory, TherapistFactory
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


def test_staff_remove_a_therapists_app_and_the_therapists_open_page_is_logged_out(
    page, new_context
):
    therapist = TherapistFactory()
    other = TherapistFactory()
    staff = StaffFactory()
    pages = {}
    for person in (therapist, other):
        pages[person] = new_context().new_page()
        log_in(pages[person], person.email)
        pages[person].get_by_label("Code").fill(totp_code())
        pages[person].get_by_role("button", name="Log in").click()
        expect(pages[person].get_by_role("heading", name="Your practice")).to_be_visible()

    # Staff, in the admin: the therapist's authenticator app removed (a lost phone).
    log_in(page, staff.email)
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/mfa/authenticator/?type__exact=totp")
    page.locator("#result_list tr", has_text=therapist.email).get_by_role("link").first.click()
    page.locator("a.deletelink").click()
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(page.locator(".messagelist")).to_contain_text("deleted successfully")

    # The therapist's open page is logged out; the next log-in asks them to set an app up.
    mine = pages[therapist]
    mine.reload()
    expect(mine.get_by_role("heading", name="Log In")).to_be_visible()
    log_in(mine, therapist.email)
    expect(mine.get_by_role("heading", name="Confirm Access")).to_be_visible()
    # The other therapist is still logged in.
    pages[other].reload()
    expect(pages[other].get_by_role("heading", name="Your practice")).to_be_visible()
