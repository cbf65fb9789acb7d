"""What a page does when its live socket is closed (issue 16 #2): a session logged out
elsewhere (here by a password change) closes the page's socket at once with 4401; the page
tries once more, is refused again, and reloads: a page behind the login shows the login page,
which leads back to it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import log_in
from tests.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_page_whose_session_ended_elsewhere_goes_to_the_login_page(page):
    patient = PatientFactory(email="remy@example.test", patient_profile__nickname="Rémy")
    log_in(page, patient.email)
    page.goto("/messages/")
    expect(page.locator("body")).to_have_attribute("data-events-state", "open")

    patient.set_password("a-new-long-passphrase")  # from another device, say
    patient.save()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/messages/$"))
