"""A patient writes to their therapist (Enter sends, the page is not reloaded) and sends a file;
both appear on the therapist's open page without reload; the therapist downloads the file and
answers; the therapist's page shows that the answer was seen."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from matching import services as matching_services
from matching.models import Intake
from tests.e2e.conftest import log_in
from tests.factories import PatientFactory, TherapistFactory

PDF = b"%PDF-1.4\n1 0 obj<</Title (Letter)>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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

    page.get_by_label("Your message").fill("The letter from my doctor.")
    page.get_by_label("Attach a file").set_input_files(
        {"name": "doctor-letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("link", name="doctor-letter.pdf")).to_be_visible()
    expect(page.get_by_label("Attach a file")).to_have_value("")  # a fresh form
    assert page.evaluate("() => window.__sameDocument") == marker

    file_link = therapist_page.get_by_role("link", name="doctor-letter.pdf")
    expect(file_link).to_be_visible()
    with therapist_page.expect_download() as download:
        file_link.click()
    assert download.value.suggested_filename == "doctor-letter.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    therapist_page.get_by_label("Your message").fill("Of course. Take care until then.")
    therapist_page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Of course. Take care until then.")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") == marker
    # The patient's open page has read the answer: the therapist sees it was seen.
    answer = therapist_page.locator(".message-mine").filter(has_text="Of course.")
    expect(answer.get_by_text("Seen at")).to_be_visible()
    screenshot(therapist_page, "messages-therapist")
    therapist_page.close()
    screenshot(page, "messages")
