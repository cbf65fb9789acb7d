"""The journal in two browsers (issue 18, item 2): the patient writes an entry with a mood and
tags, shares it; their therapist reads it on the patient's page, with the date shared and the
mood chart; the patient takes it back, and the therapist's page no longer has it. After a change
of therapist, the former one keeps what was shared with them (issue 18, item 4)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.browser import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import IntakeFactory, MatchFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.forms_refused,  # the empty entry
]


def test_an_entry_shared_then_taken_back(browser, page, live_server_url, screenshot):
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)

    log_in(page, patient.email)
    page.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("heading", name="Journal", exact=True)).to_be_visible()

    # An empty entry is refused, saying why; nothing is kept.
    page.get_by_role("button", name="Keep it in my journal").click()
    expect(page.get_by_text("Write something first: an empty entry is not kept.")).to_be_visible()
    expect(page.get_by_text("No entry yet.")).to_be_visible()

    page.get_by_label("What is on your mind").fill("Hard week at work.\nI want to talk about it.")
    page.get_by_role("group", name="Your mood").get_by_label("4", exact=True).check()
    page.get_by_label("Work or studies").check()
    page.get_by_role("button", name="Keep it in my journal").click()
    expect(page.get_by_text("Kept in your journal. Only you can read it.")).to_be_visible()
    entry = page.locator("article").filter(has_text="Hard week at work.")
    expect(entry).to_contain_text("Private: only you can read it.")
    expect(entry).to_contain_text("mood 4/10")
    expect(page.get_by_role("img", name="Mood over time")).to_be_visible()

    entry.get_by_role("button", name="Share with my therapist").click()
    expect(entry).to_contain_text("Shared with your therapist:")
    screenshot(page, "journal")

    # The therapist reads it on the patient's page.
    therapist_page = browser.new_page(base_url=live_server_url)
    try:
        log_in(therapist_page, therapist.email, code=True)
        address = reverse("therapist_patient", kwargs={"patient_id": patient.pk})
        therapist_page.goto(address)
        shared = therapist_page.get_by_role("region", name="Journal entries shared with you")
        expect(shared).to_contain_text("Hard week at work.")
        expect(shared).to_contain_text("Shared:")
        expect(shared).to_contain_text("mood 4/10")
        screenshot(therapist_page, "journal-therapist")

        # Taken back: gone from the therapist's page at once.
        entry.get_by_role("button", name="Take it back").click()
        expect(entry).to_contain_text("Private: only you can read it.")
        therapist_page.reload()
        expect(shared).not_to_contain_text("Hard week at work.")
        expect(shared).to_contain_text("Nothing shared with you yet.")
    finally:
        therapist_page.close()


def test_a_former_therapist_keeps_what_was_shared_with_them(browser, page, live_server_url):
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    IntakeFactory(patient=patient)
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)

    log_in(page, patient.email)
    page.goto(reverse("journal"))
    page.get_by_label("What is on your mind").fill("The walk by the river helped.")
    page.get_by_role("button", name="Keep it in my journal").click()
    entry = page.locator("article").filter(has_text="The walk by the river helped.")
    entry.get_by_role("button", name="Share with my therapist").click()
    expect(entry).to_contain_text("Shared with your therapist:")

    page.goto(reverse("match_switch"))
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_text("Your former therapist no longer sees anything new")).to_be_visible()
    page.goto(reverse("journal"))
    expect(entry).to_contain_text("Your former therapist, Ana Ruiz, keeps it in their record")

    therapist_page = browser.new_page(base_url=live_server_url)
    try:
        log_in(therapist_page, therapist.email, code=True)
        therapist_page.get_by_role("link", name="Your former patients").click()
        therapist_page.get_by_role("link", name="Robin").click()
        shared = therapist_page.get_by_role("region", name="Journal entries shared with you")
        expect(shared).to_contain_text("The walk by the river helped.")

        # Changed by the patient after the switch: out of the former therapist's record.
        entry.get_by_role("link", name="Change").click()
        page.get_by_label("What is on your mind").fill("Rewritten since.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Your entry is saved.")).to_be_visible()
        therapist_page.reload()
        expect(shared).to_contain_text("Nothing was shared with you.")
        expect(shared).not_to_contain_text("Rewritten since.")
    finally:
        therapist_page.close()
