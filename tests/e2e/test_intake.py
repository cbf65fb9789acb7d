"""Someone in need answers the intake questionnaire, meets the safety page, signs up, and their
answers are waiting for them: the search for a therapist has begun."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from matching.models import Intake, MatchRequest, SafetyFlag
from tests.e2e.browser import accept_at_signup, answer_screening, log_in, watch
from tests.factories import PASSWORD, TherapistFactory
from tests.factories.matching import load_emergency_numbers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def emergency_numbers():
    """The numbers the migrations ship (an earlier browser test's data is gone)."""
    load_emergency_numbers()


EMAIL = "ines@example.test"
EXPATRIATE = "camille@example.test"


def test_intake_then_sign_up(page, outbox, screenshot):
    TherapistFactory(  # someone who can see her: no waiting list here
        therapist_profile__languages=["pt", "fr"],
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["chat"],
    )
    page.goto("/")
    page.get_by_role("link", name="I am looking for help").click()
    page.get_by_role("link", name="Begin").click()

    expect(page.get_by_text("Step 1 of 8")).to_be_visible()
    page.get_by_label("Burnout, exhaustion at work").check()
    page.get_by_label("Anxiety, worry").check()
    page.get_by_role("group", name="Are you in danger").get_by_label("No").check()
    screenshot(page, "intake-concerns")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Yes, in the past").check()
    page.reload()  # answers survive a reload; this step was not sent yet
    page.get_by_label("Yes, in the past").check()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Step 3 of 8")).to_be_visible()
    answer_screening(page, ["Several days"] * 8 + ["Several days"])  # item 9 above 0
    expect(page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    # No country given yet: the numbers of the browser's time zone (São Paulo: Brazil).
    numbers = page.get_by_role("region", name="Call now")
    expect(numbers.get_by_role("heading", name="Brazil")).to_be_visible()
    expect(numbers.get_by_role("link", name="192")).to_be_visible()
    screenshot(page, "intake-safety")
    page.get_by_role("link", name="Continue the questionnaire").click()

    answer_screening(page, ["More than half the days"] * 7)
    page.get_by_label("I would like a therapist specialised in LGBT+ questions").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("The language you would most like to speak").select_option("pt")
    page.get_by_label("Another language you could speak").select_option("fr")
    page.get_by_label("Country where you live").select_option("FR")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Live chat").check()
    page.get_by_label("Evenings").check()
    page.get_by_role("link", name="Back").click()  # back and forward keep the answers
    expect(page.get_by_label("The language you would most like to speak")).to_have_value("pt")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Live chat").check()
    page.get_by_label("Evenings").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Nickname").fill("Inês")
    page.get_by_role("button", name="Finish").click()

    page.get_by_role("link", name="Create my account").click()
    expect(page.get_by_label("Nickname")).to_have_value("Inês")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    accept_at_signup(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    patient = User.objects.get(email=EMAIL)
    intake = Intake.objects.get(patient=patient)
    assert intake.languages == ["pt", "fr"]
    assert intake.time_zone == "America/Sao_Paulo"  # the browser's, proposed by default
    assert intake.modality == "chat"
    assert intake.preferred_times == ["evening"]
    assert SafetyFlag.objects.filter(patient=patient).count() == 1
    assert MatchRequest.objects.filter(patient=patient, status="open").exists()

    page.goto(outbox.link(EMAIL, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("We are looking for the right therapist for you.")).to_be_visible()
    screenshot(page, "patient-home-searching")


def _context_page(browser, live_server_url, **options):
    """A page of a browser context of its own (another zone, another screen), whose console
    errors fail the test like the ``page`` fixture's."""
    context = browser.new_context(base_url=live_server_url, locale="en-GB", **options)
    page = context.new_page()
    return page, watch(page)


def test_an_expatriate_in_japan_is_told_honestly_then_matched(
    browser, live_server_url, outbox, screenshot
):
    french = TherapistFactory(
        email="claire@example.test",
        therapist_profile__display_name="Claire Martin",
        therapist_profile__languages=["fr"],
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video"],
        therapist_profile__specialities=["anxiety"],
    )
    page, problems = _context_page(browser, live_server_url, timezone_id="Asia/Tokyo")

    page.goto("/")  # the browser tells its time zone from the first page on
    page.goto("/start/")
    # Japan's, from the time zone: in the page and in the footer.
    expect(page.locator("#main").get_by_role("link", name="119")).to_be_visible()
    expect(page.get_by_role("contentinfo").get_by_role("link", name="119")).to_be_visible()
    page.get_by_role("link", name="Begin").click()
    page.get_by_label("Anxiety, worry").check()
    page.get_by_role("group", name="Are you in danger").get_by_label("No").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("No, this would be my first time").check()
    page.get_by_role("button", name="Next").click()
    answer_screening(page, ["Several days"] * 8 + ["Not at all"])
    answer_screening(page, ["Several days"] * 7)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("The language you would most like to speak").select_option("fr")
    page.get_by_label("Country where you live").select_option("JP")
    page.get_by_label("If you live abroad: the country you come from").select_option("FR")
    expect(page.get_by_label("Your time zone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Video", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Nickname").fill("Camille")
    page.get_by_role("button", name="Finish").click()

    # Before signing up: nobody can see her yet, and what she can do.
    expect(page.get_by_role("heading", name="No therapist here can see you yet")).to_be_visible()
    expect(page.get_by_text("lives where you do (Japan) and speaks French")).to_be_visible()
    numbers = page.get_by_role("region", name="Call now")
    expect(numbers.get_by_role("heading", level=3)).to_have_text(["Japan", "France"])
    expect(numbers.get_by_role("link", name="119")).to_be_visible()
    expect(numbers.get_by_role("link", name="3114")).to_be_visible()
    screenshot(page, "intake-waiting-list")
    page.get_by_role("link", name="Create my account and join the waiting list").click()
    page.get_by_label("Email").fill(EXPATRIATE)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    accept_at_signup(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    page.goto(outbox.link(EXPATRIATE, "/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    log_in(page, EXPATRIATE)
    camille = User.objects.get(email=EXPATRIATE)
    search = MatchRequest.objects.get(patient=camille)
    assert search.waiting_since is not None
    assert search.intake.home_country.code == "FR"

    # The French therapist chooses to see French people abroad: Camille hears at once.
    therapist_page, therapist_problems = _context_page(
        browser, live_server_url, timezone_id="Europe/Paris"
    )
    log_in(therapist_page, french.email, code=True)
    therapist_page.goto("/practice/abroad/")
    therapist_page.get_by_label(
        "See people from the countries where I am licensed who now live abroad"
    ).check()
    therapist_page.get_by_role("button", name="Save").click()
    expect(therapist_page.get_by_text("Saved. We may now propose you people")).to_be_visible()
    subjects = [message["Subject"] for message in outbox.messages_to(EXPATRIATE)]
    assert sum("A therapist who may see you has joined" in s for s in subjects) == 1

    therapist_page.goto("/practice/offers/")
    therapist_page.get_by_role("link", name="Camille").click()
    expect(therapist_page.get_by_text("Japan · Asia/Tokyo")).to_be_visible()
    therapist_page.get_by_role("button", name="Accept").click()
    expect(therapist_page.get_by_text("You are now working with Camille.")).to_be_visible()

    page.goto("/my-therapist/")
    expect(page.get_by_role("heading", name="Claire Martin")).to_be_visible()
    expect(
        page.get_by_text("speaks French · licensed in the country you come from (France)")
    ).to_be_visible()
    screenshot(page, "expatriate-matched")
    assert problems == [], "the browser reported errors"
    assert therapist_problems == [], "the browser reported errors"


def test_a_step_with_errors_summarises_them_and_takes_the_focus_on_a_phone(
    browser, live_server_url
):
    page, problems = _context_page(browser, live_server_url, viewport={"width": 375, "height": 667})
    page.goto("/start/")
    page.get_by_role("link", name="Begin").click()

    page.get_by_role("button", name="Next").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("2 answers need your attention")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    danger = page.locator("#id_in_danger_0")
    expect(danger).not_to_be_in_viewport()  # the second error is below the fold at 375 px
    links.nth(1).click()
    expect(danger).to_be_focused()
    expect(danger).to_be_in_viewport()
    expect(page.get_by_role("group", name="Are you in danger")).to_be_in_viewport()
    links_again = page.locator("[data-error-summary] a")
    links_again.nth(0).click()
    expect(page.locator("#id_concerns_0")).to_be_focused()
    # Chromium reports the 422 of the page with errors itself; anything else is a defect.
    refused = "Failed to load resource: the server responded with a status of 422"
    assert [problem for problem in problems if not problem.startswith(refused)] == []
