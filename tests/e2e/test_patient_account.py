"""A patient signs up, verifies their email, logs in, switches to French, sets their time
zone and logs out — in Chromium, against daphne."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.browser import accept_at_signup
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "sacha@example.test"


def test_patient_account_journey(page, outbox, screenshot):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("qualified therapist")
    screenshot(page, "landing")

    page.get_by_role("link", name="I am looking for help").click()
    page.get_by_role("link", name="create your account first").click()  # questions later
    page.get_by_label("Nickname").fill("Sacha")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    accept_at_signup(page)
    screenshot(page, "signup")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    user = User.objects.get(email=EMAIL)
    assert user.time_zone == "America/Sao_Paulo"  # detected from the browser
    page.goto(outbox.link(EMAIL, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Sacha")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-events-state", "open")

    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Bienvenue, Sacha")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Profil").click()
    page.get_by_label("Fuseau horaire").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre profil est enregistré.")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("[data-local-time]").locator("..")).to_contain_text("Asia/Tokyo")
    screenshot(page, "profile")
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("fr", "Asia/Tokyo")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    page.goto("/home/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/home/$"))
