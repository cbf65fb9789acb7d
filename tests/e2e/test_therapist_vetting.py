"""A therapist applies end to end, staff approve them in the admin, their public profile appears."""

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.models import TherapistProfile
from tests.e2e.browser import log_in
from tests.factories import StaffFactory, TherapistFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _portrait() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 1000), (40, 110, 140)).save(out, format="PNG")
    return out.getvalue()


def apply(page, screenshot) -> None:
    expect(page.get_by_role("heading", name="Your application")).to_be_visible()
    expect(page.get_by_text("Status: Draft")).to_be_visible()
    page.get_by_role("link", name="About you").first.click()

    page.get_by_label("Display name").fill("Dr Ewa Kowalska")
    page.get_by_label("Gender").select_option("woman")
    page.get_by_label("Photo", exact=True).set_input_files(
        {"name": "portrait.png", "mimeType": "image/png", "buffer": _portrait()}
    )
    page.get_by_label("Time zone").select_option("Europe/Warsaw")
    page.locator("#id_languages-0-language").select_option("pl")
    page.locator("#id_languages-0-bio").fill("Pomagam osobom w wypaleniu zawodowym.")
    page.locator("#id_languages-1-language").select_option("en")
    page.locator("#id_languages-1-level").select_option("fluent")
    page.locator("#id_languages-1-bio").fill("I help people recover from burnout, gently.")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Your practice", exact=True)).to_be_visible()
    page.get_by_label("Burnout").check()
    page.get_by_label("Anxiety").check()
    page.get_by_label("Cognitive behavioural therapy (CBT)").check()
    page.get_by_label("Video").check()
    page.get_by_label("Live chat").check()
    page.get_by_label("Caseload limit").fill("18")
    page.get_by_label("Accepting new patients").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Credentials", exact=True)).to_be_visible()
    today = date.today()
    page.get_by_label("Highest degree").select_option("master")
    page.get_by_label("Field of study").fill("Clinical psychology")
    page.get_by_label("Institution").fill("Jagiellonian University")
    page.get_by_label("Year obtained").fill("2011")
    page.get_by_label("License or registration number").fill("PL-2011-778")
    page.get_by_label("Issuing body").fill("Krajowa Izba Psychologów")
    page.get_by_label("Country of the license").select_option("PL")
    page.get_by_label("License valid until").fill((today + timedelta(days=700)).isoformat())
    page.get_by_label("Countries where you are licensed to practise").select_option(["PL", "DE"])
    page.get_by_label("In clinical practice since").fill(
        today.replace(year=today.year - 9).isoformat()
    )
    page.get_by_label("Clinical hours").fill("6200")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Documents", exact=True)).to_be_visible()
    for kind, name in [("Degree", "dyplom.pdf"), ("License or registration", "licencja.pdf")]:
        page.get_by_label(kind, exact=True).check()
        page.get_by_label("File", exact=True).set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "therapist-application-documents")
    page.get_by_role("button", name="Done: review my application").click()

    expect(page.get_by_text("Everything is filled in.")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Status: Submitted for review")).to_be_visible()
    screenshot(page, "therapist-application-submitted")


def test_a_therapist_applies_staff_approve_and_the_profile_appears(browser, page, screenshot):
    therapist = TherapistFactory(
        email="ewa@example.test",
        therapist_profile__vetting_status=TherapistProfile.VettingStatus.DRAFT,
        therapist_profile__display_name="",
        therapist_profile__specialities=[],
        therapist_profile__accepting_new_patients=False,
        therapist_profile__languages=[],
    )
    staff = StaffFactory(email="vetting@example.test")

    log_in(page, therapist.email, code=True)
    apply(page, screenshot)
    public_url = f"/therapists/{therapist.pk}/"
    assert page.request.get(public_url).status == 404  # not before approval

    staff_page = browser.new_page(base_url=page.url.split("/practice")[0])
    log_in(staff_page, staff.email, code=True)
    approve_in_admin(staff_page, "Dr Ewa Kowalska", screenshot)
    staff_page.close()

    page.goto("/practice/application/")
    expect(page.get_by_text("Status: Approved")).to_be_visible()
    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_role("heading", name="Dr Ewa Kowalska")).to_be_visible()
    expect(page.get_by_text("Credentials verified")).to_be_visible()
    expect(page.get_by_text("I help people recover from burnout, gently.")).to_be_visible()
    expect(page.get_by_role("img", name="Photo of Dr Ewa Kowalska")).to_be_visible()
    screenshot(page, "therapist-public-profile")


def approve_in_admin(page, name: str, screenshot) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="Therapists", exact=True).click()
    page.get_by_role("link", name="Submitted for review").click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_text("All criteria met")).to_be_visible()
    expect(page.get_by_role("link", name="dyplom.pdf")).to_be_visible()
    screenshot(page, "admin-therapist-application")
    page.get_by_role("link", name="Approve").click()
    page.get_by_label("Reason").fill("Degree and license checked with the issuing body.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{name} is approved.")).to_be_visible()
