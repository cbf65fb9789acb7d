"""A therapist opens their patient's page and their conversation; the patient, in their own
browser, opens Privacy → Who saw my record and finds both reads there, their therapist named,
in English and then in French. The page passes the WCAG checks, with a clean console."""

import pytest
from playwright.sync_api import expect

from matching import services as matching_services
from tests.e2e.browser import log_in, violations
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import IntakeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_patient_sees_who_read_their_record(
    browser, page, live_server_url, new_context, screenshot
):
    therapist = TherapistFactory(
        therapist_profile__display_name="Camille Laurent",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video"],
    )
    patient = PatientFactory(patient_profile__nickname="Hugo")
    intake = IntakeFactory.create(patient=patient, concerns=["anxiety"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    offer = request.offers.get()  # made as soon as the request was committed
    matching_services.offer_accept(offer_id=offer.pk, therapist=therapist)

    # The therapist, in their own browser: the patient's page, then their conversation.
    therapist_page = browser.new_page(base_url=live_server_url)
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto(f"/practice/patients/{patient.pk}/")
    expect(therapist_page.get_by_role("heading", name="Hugo", exact=False).first).to_be_visible()
    therapist_page.goto("/messages/")
    therapist_page.get_by_role("link", name="Hugo").click()
    expect(therapist_page.get_by_role("heading", name="With Hugo")).to_be_visible()
    therapist_page.close()

    log_in(page, patient.email)
    page.get_by_role("link", name="Privacy", exact=True).click()
    section = page.locator("#who-saw-my-record")
    expect(section.get_by_role("heading", name="Who saw my record")).to_be_visible()
    thread = section.get_by_role("row").filter(has_text="Your messages")
    expect(thread).to_contain_text("Camille Laurent")
    expect(section.get_by_role("row").filter(has_text="Your file")).to_contain_text(
        "Camille Laurent"
    )

    with page.expect_navigation():
        section.get_by_role("link", name="See the whole record").click()
    expect(page.get_by_role("heading", name="Who saw my record", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Your messages")).to_contain_text(
        "Camille Laurent"
    )
    screenshot(page, "who-saw-my-record")

    with page.expect_navigation():
        page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Qui a consulté mon dossier", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Vos messages")).to_contain_text(
        "Camille Laurent"
    )
    expect(page.get_by_role("columnheader", name="Quand")).to_be_visible()

    # WCAG, in a context of its own: axe is injected as an inline script, which only that
    # context lets past the policy.
    axe_page = new_context(bypass_csp=True).new_page()
    log_in(axe_page, patient.email)
    found = {}
    for path in ["/privacy/", "/privacy/who-saw-my-record/"]:
        axe_page.goto(path)
        found[path] = violations(axe_page)
    assert found == {path: [] for path in found}
