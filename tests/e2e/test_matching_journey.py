"""The heart of the service in two browsers: a patient answers the questionnaire and signs up, a
therapist accepts them, the patient sees their therapist and why; then changes therapist."""

import pytest
from playwright.sync_api import expect

from matching.models import Match
from tests.e2e.test_intake import answer_screening
from tests.factories import PASSWORD, TherapistFactory
from tests.helpers import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "joana@example.test"


def _therapist(email: str, name: str, languages: list[str], **profile):
    return TherapistFactory(
        email=email,
        therapist_profile__display_name=name,
        therapist_profile__languages=languages,
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video", "chat"],
        therapist_profile__credentials=True,
        **{f"therapist_profile__{key}": value for key, value in profile.items()},
    )


def patient_signs_up_after_the_questionnaire(page, outbox) -> None:
    page.goto("/start/")
    page.get_by_role("link", name="Begin").click()
    page.get_by_label("Burnout, exhaustion at work").check()
    page.get_by_role("group", name="Are you in danger").get_by_label("No").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("No, this would be my first time").check()
    page.get_by_role("button", name="Next").click()
    answer_screening(page, ["Several days"] * 8 + ["Not at all"])
    answer_screening(page, ["Several days"] * 7)
    page.get_by_role("button", name="Next").click()  # no preference about the therapist
    page.get_by_label("The language you would most like to speak").select_option("pt")
    page.get_by_label("Country where you live").select_option("FR")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Video", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Nickname").fill("Joana")
    page.get_by_role("button", name="Finish").click()
    page.get_by_role("link", name="Create my account").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.goto(outbox.link(EMAIL, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("We are looking for the right therapist for you.")).to_be_visible()


def therapist_accepts(page, email: str, screenshot) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    offers = page.get_by_role("region", name="Patients proposed to you")
    expect(offers.locator(".offer-card")).to_have_count(1)
    offers.get_by_role("link", name="Joana").click()
    expect(page.get_by_text("Burnout, exhaustion at work")).to_be_visible()
    screenshot(page, "therapist-offer")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("You are now working with Joana.")).to_be_visible()
    expect(page.get_by_role("heading", name="Joana")).to_be_visible()


def test_matched_then_switched(browser, page, outbox, screenshot):
    first = _therapist("rui@example.test", "Rui Costa", ["pt", "fr"], specialities=["burnout"])
    second = _therapist("ana@example.test", "Ana Reis", ["pt"], specialities=["anxiety"])

    patient_signs_up_after_the_questionnaire(page, outbox)

    therapist_page = browser.new_page(base_url=page.url.split("/home")[0])
    therapist_accepts(therapist_page, first.email, screenshot)

    page.reload()
    expect(page.get_by_text("You are working with Rui Costa.")).to_be_visible()
    page.get_by_role("link", name="My therapist", exact=True).click()
    expect(page.get_by_text("speaks Portuguese · specialises in burnout")).to_be_visible()
    screenshot(page, "my-therapist")

    page.get_by_role("link", name="Change therapist").click()
    page.get_by_role("radio", name="Ana Reis").check()
    page.get_by_label("Yes, they may read them").check()
    screenshot(page, "change-therapist")
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_text("Your former therapist no longer sees anything new")).to_be_visible()

    # The former therapist's page on the patient is gone; the chosen one is asked first.
    patient_id = Match.objects.get(therapist=first.therapist_profile).patient_id
    response = therapist_page.request.get(f"/practice/patients/{patient_id}/")
    assert response.status == 404
    therapist_page.close()
    offer = second.therapist_profile.offers.get()
    assert offer.status == "pending"
    assert offer.request.share_earlier_history is True
