"""A patient writes to their therapist (Enter sends, the page is not reloaded); the therapist
reads and answers; the patient sees the answer and that their message was seen."""

import pytest
from playwright.sync_api import expect

from matching import services as matching_services
from matching.models import Intake
from tests.factories import PASSWORD, PatientFactory, TherapistFactory
from tests.helpers import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str, code: bool = False) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if code:
        page.get_by_label("Code").fill(totp_code())
        page.get_by_role("button", name="Sign In").click()


def test_writing_between_sessions(browser, page, screenshot):
    therapist = TherapistFactory(
        therapist_profile__display_name="Rui Costa",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video"],
    )
    patient = PatientFactory(patient_profile__nickname="Joana")
    intake = Intake.objects.create(
        patient=patient,
        concerns=["grief"],
        languages=["fr"],
        country="FR",
        time_zone="Europe/Paris",
        modality="video",
    )
    request = matching_services.match_request_open(patient=patient, intake=intake)
    offer = request.offers.get()  # made as soon as the request was committed
    matching_services.offer_accept(offer_id=offer.pk, therapist=therapist)

    log_in(page, patient.email)
    page.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", name="With Rui Costa")).to_be_visible()

    therapist_page = browser.new_page(base_url=page.url.split("/messages")[0])
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto("/messages/")
    therapist_page.get_by_role("link", name="Joana").click()
    expect(therapist_page.get_by_role("heading", name="With Joana")).to_be_visible()
    for open_page in (page, therapist_page):
        expect(open_page.locator("body")).to_have_attribute("data-conversation-socket", "open")

    marker = page.evaluate("() => (window.__sameDocument = 'yes')")
    box = page.get_by_label("Your message")
    box.fill("It has been a hard week.")
    box.press("Shift+Enter")
    box.type("Can we talk about it on Tuesday?")
    box.press("Enter")
    expect(page.get_by_text("Can we talk about it on Tuesday?")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") == marker  # htmx, no reload
    expect(page.get_by_label("Your message")).to_have_value("")

    # Live, without reloading either page: the therapist sees it; the patient sees it was seen.
    expect(therapist_page.get_by_text("It has been a hard week.")).to_be_visible()
    expect(page.get_by_text("Seen at")).to_be_visible()

    therapist_page.get_by_label("Your message").fill("Of course. Take care until then.")
    therapist_page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Of course. Take care until then.")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") == marker
    therapist_page.close()
    screenshot(page, "messages")
