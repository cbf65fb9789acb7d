"""The heart of the service in two browsers: a patient answers the questionnaire and signs up, a
therapist accepts them, the patient sees their therapist and why; then changes therapist."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from matching import screening
from matching.models import Match
from tests.e2e.browser import accept_at_signup, answer_screening, log_in, watch
from tests.factories import PASSWORD, PatientFactory, TherapistFactory
from tests.factories.matching import CheckinFactory, MatchFactory
from tests.helpers import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "joana@example.test"


def _therapist(email: str, name: str, languages: list[str], language: str = "en", **profile):
    return TherapistFactory(
        email=email,
        language=language,
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
    accept_at_signup(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    page.goto(outbox.link(EMAIL, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("We are looking for the right therapist for you.")).to_be_visible()


def therapist_accepts(page, email: str, screenshot) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Log in").click()
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

    # The therapist's dashboard stays open while the patient changes therapist.
    therapist_page.goto("/home/")
    caseload = therapist_page.locator("#caseload-section")
    expect(caseload.get_by_role("link", name="Joana")).to_be_visible()

    page.get_by_role("link", name="Change therapist").click()
    page.get_by_role("radio", name="Ana Reis").check()
    page.get_by_label("Yes, they may read them").check()
    screenshot(page, "change-therapist")
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_text("Your former therapist no longer sees anything new")).to_be_visible()
    expect(page.get_by_text("We have asked Ana Reis, as you chose")).to_be_visible()

    # Their open dashboard follows without a reload: Joana has left the caseload.
    expect(caseload.get_by_role("link", name="Joana")).to_have_count(0)
    expect(caseload).to_contain_text("0 of at most")

    # The former therapist's page on the patient is gone; the chosen one is asked first.
    patient_id = Match.objects.get(therapist=first.therapist_profile).patient_id
    response = therapist_page.request.get(f"/practice/patients/{patient_id}/")
    assert response.status == 404
    therapist_page.close()
    offer = second.therapist_profile.offers.get()
    assert offer.status == "pending"
    assert offer.request.share_earlier_history is True


# Numbers a browser reads in the progress charts' SVG: plain machine numbers, whatever the locale.
SVG_NUMBERS_WRONG = """(names) => {
  const number = /^-?[0-9]+(\\.[0-9]+)?$/;
  const pair = /^-?[0-9]+(\\.[0-9]+)?,-?[0-9]+(\\.[0-9]+)?$/;
  const bad = [];
  for (const element of document.querySelectorAll("svg *")) {
    for (const name of names) {
      const value = element.getAttribute(name);
      if (value !== null && !number.test(value)) bad.push(`${name}=${value}`);
    }
    for (const point of (element.getAttribute("points") || "").trim().split(/\\s+/)) {
      if (point && !pair.test(point)) bad.push(`${element.tagName} points ${point}`);
    }
  }
  return bad;
}"""
SVG_ATTRIBUTES = ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"]


def test_progress_pages_in_french_draw_their_charts(page, browser, live_server_url):
    """In French, "183,3" is no SVG coordinate: the console would say so (the pages fail on any
    console error), the bands and labels would be gone."""
    therapist = _therapist("lea@example.test", "Léa Morel", ["fr"], language="fr")
    patient = PatientFactory(email="jules@example.test", language="fr")
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    start = timezone.now() - timedelta(days=70)
    for days, phq9, gad7 in (
        (0, [2] * 8 + [0], [2] * 7),
        (30, [1] * 9, [1] * 7),
        (60, [1] * 5 + [0] * 4, [1] * 3 + [0] * 4),
    ):
        for instrument, answers in (("phq9", phq9), ("gad7", gad7)):
            CheckinFactory(
                patient=patient,
                instrument=instrument,
                answers=answers,
                score=sum(answers),
                band=screening.score(instrument, answers).band,
                taken_at=start + timedelta(days=days),
            )

    log_in(page, patient.email)
    page.goto("/progress/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Mes progrès")).to_be_visible()
    expect(page.locator("svg circle")).to_have_count(6)
    expect(page.locator("svg").first.locator("text", has_text="Légère")).to_be_visible()  # a band
    assert page.evaluate(SVG_NUMBERS_WRONG, SVG_ATTRIBUTES) == []

    context = browser.new_context(base_url=live_server_url, locale="en-GB")
    therapist_page = context.new_page()
    problems = watch(therapist_page)
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto(f"/practice/patients/{patient.pk}/")
    expect(therapist_page.locator("html")).to_have_attribute("lang", "fr")
    expect(therapist_page.locator("svg circle")).to_have_count(6)
    assert therapist_page.evaluate(SVG_NUMBERS_WRONG, SVG_ATTRIBUTES) == []
    assert problems == [], "the browser reported errors"
