"""Staff reach Django admin only through the two-factor login, and admin pages run under the
site's Content-Security-Policy without errors."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, PatientFactory, StaffFactory
from tests.helpers import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_log_in_with_a_code_and_browse_the_admin(page, screenshot):
    staff = StaffFactory()
    patient = PatientFactory(email="someone@example.test")

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # allauth, not admin
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name=patient.email).click()
    expect(page.get_by_label("Email address")).to_have_value(patient.email)
    screenshot(page, "admin-user")
