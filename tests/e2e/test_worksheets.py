"""Goals and worksheets in two browsers (issue 18, item 3): the therapist sets a goal and gives
a worksheet; the patient, on a phone-sized screen, ticks a step off and fills the worksheet in,
saved as they type: a number out of range is refused beside its field, a reload mid-way loses
nothing, a lost connection keeps what is typed and sends it once back online; they mark it
done, and the therapist's page on the patient shows it done, with the answers."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from matching.models import WorksheetAssignment
from matching.services import goals, worksheets
from tests.e2e.browser import REFUSED, log_in, violations, watch
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.goals import seeded_worksheet
from tests.factories.matching import MatchFactory
from tests.helpers import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.forms_refused,  # the number out of range
]

PHONE = {"width": 390, "height": 844}
# While the phone is offline, Chromium reports each failed save in the console: expected.
OFFLINE = "net::ERR_INTERNET_DISCONNECTED"
SEEN = "A lamp, a cup, a window, a plant, a book"


def answers() -> dict:
    return WorksheetAssignment.objects.get().answers or {}


def test_a_worksheet_given_filled_on_a_phone_and_read_by_the_therapist(
    browser, page, live_server_url, screenshot
):
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    patient = PatientFactory(patient_profile__nickname="Robin")
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    seeded_worksheet("grounding-54321")
    due = timezone.localdate() + timedelta(days=7)

    # The therapist sets a goal and gives the grounding exercise from the patient's page.
    log_in(page, therapist.email, code=True)
    page.goto(reverse("therapist_patient", kwargs={"patient_id": patient.pk}))
    care = page.get_by_role("region", name="Goals and exercises")
    care.get_by_role("link", name="Set a goal").click()
    page.get_by_label("Goal", exact=True).fill("Feel safe on the metro")
    page.get_by_label("Target date (optional)").fill(due.isoformat())
    page.get_by_label("Steps, one per line, in order").fill("Stand on the platform\nRide one stop")
    page.get_by_role("button", name="Set the goal").click()
    expect(page.get_by_text("The goal is set.")).to_be_visible()
    expect(care).to_contain_text("Feel safe on the metro")
    expect(care).to_contain_text("0 of 2 steps done")
    care.get_by_role("link", name="Give an exercise").click()
    page.get_by_label("Grounding: 5-4-3-2-1").check()
    page.get_by_label("Due date (optional)").fill(due.isoformat())
    page.get_by_role("button", name="Give the exercise").click()
    expect(care).to_contain_text("Not started")

    # The patient, on a phone.
    phone_context = browser.new_context(base_url=live_server_url, viewport=PHONE, locale="en-GB")
    phone = phone_context.new_page()
    problems = watch(phone)
    try:
        log_in(phone, patient.email)
        phone.get_by_role("link", name="My goals and exercises").click()
        goal = phone.locator("article.goal-card").filter(has_text="Feel safe on the metro")
        goal.get_by_role("button", name="Done").first.click()
        expect(goal).to_contain_text("1 of 2 steps done")

        phone.get_by_role("link", name="Grounding: 5-4-3-2-1").click()
        status = phone.locator("#save-status")
        phone.get_by_label("Five things you can see").fill(SEEN)
        expect(status).to_have_text("Saved")
        before = phone.get_by_label("How overwhelmed do you feel (0 to 10)?")
        before.fill("11")
        expect(phone.locator("#id_a-0-distress_before_error")).to_have_text(
            "Give a whole number from 0 to 10."
        )
        before.fill("7")
        expect(status).to_have_text("Saved")
        expect(phone.locator("#id_a-0-distress_before_error")).to_have_text("")
        screenshot(phone, "worksheet-phone")

        # A reload mid-way, right after typing (before the save goes out): nothing is lost.
        phone.get_by_label("Three things you can hear").fill("Rain, a bus, my breath")
        phone.reload()
        expect(phone.get_by_label("Five things you can see")).to_have_value(SEEN)
        expect(before).to_have_value("7")
        expect(phone.get_by_label("Three things you can hear")).to_have_value(
            "Rain, a bus, my breath"
        )
        expect(status).to_have_text("Saved")
        assert answers()["0:hear"] == "Rain, a bus, my breath"

        # Offline: what is typed stays, the page says it retries; back online, it is saved.
        phone_context.set_offline(True)
        phone.get_by_label("Two things you can smell").fill("Coffee, soap")
        expect(status).to_contain_text("Not saved – retrying")
        assert "0:smell" not in answers()
        phone_context.set_offline(False)
        expect(status).to_have_text("Saved")
        wait_until(lambda: answers().get("0:smell") == "Coffee, soap")

        phone.get_by_role("button", name="Mark as done").click()
        expect(phone.get_by_text("Well done. Your therapist can see it now.")).to_be_visible()
        expect(phone.locator("[data-status='done']")).to_be_visible()
    finally:
        phone_context.close()
    unexpected = [p for p in problems if not p.startswith(REFUSED) and OFFLINE not in p]
    assert unexpected == [], "the phone's browser reported errors"

    # The therapist's page: done, with the answers, and the step ticked off.
    page.reload()
    expect(care.locator("[data-status='done']")).to_be_visible()
    expect(care).to_contain_text(SEEN)
    expect(care).to_contain_text("Coffee, soap")
    expect(care).to_contain_text("1 of 2 steps done")
    screenshot(page, "goals-therapist")


def test_the_goal_and_worksheet_pages_pass_wcag_checks(new_context):
    """The patient's pages (goals and exercises, a worksheet) and the therapist's (the patient
    page's section, setting a goal, giving an exercise, the answers)."""
    therapist = TherapistFactory()
    patient = PatientFactory(patient_profile__nickname="Robin")
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    sheet = seeded_worksheet("sleep-diary")
    goal = goals.goal_set(
        match=match,
        title="Sleep before midnight",
        why="",
        target_date=None,
        steps=["No screens after 23:00"],
        today=timezone.localdate(),
        now=timezone.now(),
    )
    given = worksheets.worksheet_assign(
        match=match,
        worksheet=sheet,
        due_date=None,
        note="",
        today=timezone.localdate(),
        now=timezone.now(),
    )
    worksheets.worksheet_answers_save(
        assignment=given, answers={"a-0-rested": "6"}, now=timezone.now()
    )
    # axe is injected as an inline script: only this test's contexts bypass the policy.
    patient_page = new_context(bypass_csp=True).new_page()
    patient_page.set_viewport_size(PHONE)
    log_in(patient_page, patient.email)
    for address in (reverse("exercises"), reverse("worksheet_fill", kwargs={"pk": given.pk})):
        patient_page.goto(address)
        assert violations(patient_page) == [], address
    therapist_page = new_context(bypass_csp=True).new_page()
    log_in(therapist_page, therapist.email, code=True)
    for address in (
        reverse("therapist_patient", kwargs={"patient_id": patient.pk}),
        reverse("goal_new", kwargs={"patient_id": patient.pk}),
        reverse("goal_edit", kwargs={"pk": goal.pk}),
        reverse("worksheet_assign", kwargs={"patient_id": patient.pk}),
        reverse("worksheet_answers", kwargs={"pk": given.pk}),
        reverse("care_record", kwargs={"match_id": match.pk}),
        reverse("home"),
    ):
        therapist_page.goto(address)
        assert violations(therapist_page) == [], address


def test_what_is_typed_before_the_page_script_runs_is_saved(page):
    """A slow phone shows the fields before the saving script runs: what is typed meanwhile
    (here, written into the field as soon as it exists, before any script of the page runs) is
    saved once the script does."""
    therapist = TherapistFactory()
    patient = PatientFactory()
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    given = worksheets.worksheet_assign(
        match=match,
        worksheet=seeded_worksheet("grounding-54321"),
        due_date=None,
        note="",
        today=timezone.localdate(),
        now=timezone.now(),
    )
    log_in(page, patient.email)
    page.add_init_script(TYPED_EARLY % json.dumps(SEEN))

    page.goto(reverse("worksheet_fill", kwargs={"pk": given.pk}))

    expect(page.locator("#save-status")).to_have_text("Saved")
    given.refresh_from_db()
    assert given.answers["0:see"] == SEEN


# Types into the first field of "see" the moment the parser creates it (no input event: no
# script of the page listens yet).
TYPED_EARLY = """
new MutationObserver((_, observer) => {
  const field = document.querySelector("[name$='-see']");
  if (field) { field.value = %s; observer.disconnect(); }
}).observe(document, { childList: true, subtree: true });
"""
