"""Someone in need answers the intake questionnaire, meets the safety page, signs up, and their
answers are waiting for them: the search for a therapist has begun."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from matching.models import Intake, MatchRequest, SafetyFlag
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "ines@example.test"


def answer_screening(page, answers: list[str]) -> None:
    for group, answer in zip(page.get_by_role("group").all(), answers, strict=True):
        group.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Next").click()


def test_intake_then_sign_up(page, outbox, screenshot):
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
    expect(page.get_by_role("main").get_by_role("link", name="112")).to_be_visible()
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
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("We are looking for the right therapist for you.")).to_be_visible()
    screenshot(page, "patient-home-searching")
