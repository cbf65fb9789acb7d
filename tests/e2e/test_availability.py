"""A therapist sets weekly hours with the keyboard alone (the page is not reloaded), sees them
listed and on their week calendar beside a booked session; saving never breaks the
Content-Security-Policy; both pages pass the WCAG checks."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.browser import REFUSED, log_in, violations, watch
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import MatchFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.forms_refused]

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def tab_to(page, field, most: int = 4) -> None:
    """Press Tab until ``field`` has focus: a time field's parts (hours, minutes, AM/PM and
    its picker button) each take one press."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if field.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {field}")


def test_setting_weekly_hours_with_the_keyboard(page, screenshot):
    therapist = TherapistFactory(therapist_profile__modalities=["video", "phone"])
    patient = PatientFactory(patient_profile__nickname="Joana")
    match = MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    # A session tomorrow at 10:00 in Paris, the therapist's zone: this week or next.
    tomorrow = timezone.now().astimezone(PARIS).date() + timedelta(days=1)
    starts_at = datetime.combine(tomorrow, time(10), tzinfo=PARIS)
    AppointmentFactory(match=match, starts_at=starts_at)

    log_in(page, therapist.email, code=True)
    page.get_by_role("link", name="Availability: hours, time off, session length").click()
    expect(page.get_by_role("heading", name="Your availability")).to_be_visible()
    expect(page.get_by_text("Times are in Europe/Paris.")).to_be_visible()
    marker = page.evaluate("() => (window.__sameDocument = 'yes')")

    # Every day, so the hours hold tomorrow's session whatever day it is.
    days = page.get_by_role("group", name="Days")
    for day in WEEKDAYS:
        days.get_by_label(day).focus()
        page.keyboard.press("Space")
    tab_to(page, page.get_by_label("From"))
    # Chromium here shows a 12-hour clock: hours, minutes, then AM or PM.
    page.keyboard.type("0900A")
    expect(page.get_by_label("From")).to_have_value("09:00")
    tab_to(page, page.get_by_label("Until"))
    page.keyboard.type("1200P")
    expect(page.get_by_label("Until")).to_have_value("12:00")
    page.keyboard.press("Enter")

    listed = page.get_by_role("list", name="Your weekly hours")
    expect(listed).to_contain_text(", ".join(WEEKDAYS) + " · 09:00–12:00")
    expect(page.locator("#windows-status")).to_have_text("Hours added.")
    # A fresh form, and focus where it was (htmx keeps it on the element with the same id).
    expect(page.get_by_label("Until")).to_be_focused()
    expect(page.get_by_label("Until")).to_have_value("")
    assert page.evaluate("() => window.__sameDocument") == marker  # htmx, no reload

    # Overlapping hours are refused; focus goes to the error.
    page.get_by_label("Monday").check()
    page.get_by_label("From").fill("11:00")
    page.get_by_label("Until").fill("13:00")
    page.get_by_role("button", name="Add these hours").press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_contain_text("This overlaps your hours on Monday, 09:00–12:00.")
    expect(error).to_be_focused()

    # Removing the hours moves focus to the part's heading, not to the top of the page.
    listed.get_by_role("button", name="Remove").press("Enter")
    expect(page.get_by_text("No weekly hours yet")).to_be_visible()
    expect(page.get_by_role("heading", name="Weekly hours")).to_be_focused()
    for day in WEEKDAYS:
        days.get_by_label(day).check()
    page.get_by_label("From").fill("09:00")
    page.get_by_label("Until").fill("12:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(listed).to_contain_text("09:00–12:00")
    screenshot(page, "therapist-availability")

    page.get_by_role("link", name="See your week calendar").click()
    if starts_at.date().weekday() == 0:  # tomorrow is Monday: next week
        page.get_by_role("link", name="Next week").click()
    day = page.get_by_role("region", name=starts_at.strftime("%A %-d %B"))
    expect(day).to_contain_text("Hours offered: 09:00–12:00")
    expect(day).to_contain_text("10:00–10:50 · 50 min · Joana · Video")
    screenshot(page, "therapist-calendar")


# What a password manager, another browser extension or a screenshot tool leaves on a page: a
# style attribute on the fields, written through the CSSOM (which the policy allows).
MARK_FIELDS = """() => document.querySelectorAll("input, select, textarea").forEach((field) => {
    field.style.outline = "none";
    field.style.outline = "";
})"""
# Every Content-Security-Policy violation of the page, whether or not the console shows it.
RECORD_VIOLATIONS = """(() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
        window.cspViolations.push(`${event.violatedDirective} ${event.sourceFile}`);
    });
})()"""


def test_saving_each_part_keeps_to_the_content_security_policy(page):
    """htmx used to copy a field's style attribute onto its swapped-in twin: an inline style,
    refused by the policy, 9 to 11 times per save."""
    therapist = TherapistFactory(therapist_profile__modalities=["video"])
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, therapist.email, code=True)
    page.goto("/practice/availability/")

    page.evaluate(MARK_FIELDS)
    page.get_by_role("button", name="Save session settings").click()
    expect(page.locator("#settings-status")).to_have_text("Session settings saved.")

    page.evaluate(MARK_FIELDS)
    page.get_by_role("button", name="Add these hours").click()  # no day: refused, 422
    expect(page.get_by_text("Choose at least one day.")).to_be_visible()
    page.evaluate(MARK_FIELDS)
    page.get_by_role("group", name="Days").get_by_label("Monday").check()
    page.get_by_label("From").fill("09:00")
    page.get_by_label("Until").fill("12:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.locator("#windows-status")).to_have_text("Hours added.")

    page.evaluate(MARK_FIELDS)
    tomorrow = timezone.now().astimezone(PARIS).date() + timedelta(days=1)
    page.get_by_label("First day off").fill(tomorrow.isoformat())
    page.get_by_label("Last day off").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Add these days").click()
    expect(page.locator("#time-off-status")).to_have_text("Time off added.")

    assert page.evaluate("() => window.cspViolations") == []
    # The page fixture also fails on any error in the console.


def test_the_availability_pages_pass_wcag_checks(new_context):
    therapist = TherapistFactory(therapist_profile__modalities=["video"])
    # axe is injected as an inline script: only this test's context bypasses the policy.
    page = new_context(bypass_csp=True).new_page()
    problems = watch(page)
    log_in(page, therapist.email, code=True)
    page.goto("/practice/availability/")
    page.get_by_role("button", name="Add these hours").click()  # with its errors shown
    expect(page.get_by_text("Choose at least one day.")).to_be_visible()
    found = {"availability": violations(page)}
    page.goto("/practice/calendar/")
    found["calendar"] = violations(page)

    assert found == {"availability": [], "calendar": []}
    assert [problem for problem in problems if not problem.startswith(REFUSED)] == []
