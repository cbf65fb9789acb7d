"""The therapist (Paris) sets hours; the patient (New York) books in them; both see the session
at their own local time; the patient moves it, then cancels it. The booking page opens on the
first week with a free time and offers no button when there is nothing to book."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import services
from scheduling.models import Appointment
from tests.e2e.browser import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import MatchFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def local(moment, zone) -> str:
    return moment.astimezone(zone).strftime("%A %-d %B %Y, %H:%M")


def test_booking_moving_and_cancelling_across_time_zones(browser, page, screenshot):
    therapist = TherapistFactory(
        time_zone="Europe/Paris",
        therapist_profile__display_name="Ana Ruiz",
        therapist_profile__modalities=["video", "phone"],
    )
    patient = PatientFactory(time_zone="America/New_York", patient_profile__nickname="Robin")
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)

    # The therapist works every day, 09:00-12:00 in Paris.
    therapist_page = page
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto("/practice/availability/")
    days = therapist_page.get_by_role("group", name="Days")
    for day in WEEKDAYS:
        days.get_by_label(day).check()
    therapist_page.get_by_label("From").fill("09:00")
    therapist_page.get_by_label("Until").fill("12:00")
    therapist_page.get_by_role("button", name="Add these hours").click()
    expect(therapist_page.get_by_role("list", name="Your weekly hours")).to_contain_text(
        "09:00–12:00"
    )

    # The patient, in a browser of her own, books next week's first free time, by video.
    page = browser.new_page(base_url=therapist_page.url.split("/practice")[0])
    log_in(page, patient.email)
    page.get_by_role("link", name="Book a session").first.click()
    expect(page.get_by_text("Times are in your time zone, America/New_York.")).to_be_visible()
    page.get_by_role("link", name="Next week").click()
    first_day = page.locator("fieldset.slot-day").first
    first_day.locator("label").first.click()
    page.get_by_label("Video").check()
    page.get_by_role("button", name="Book this session").click()
    expect(page.get_by_text("Your session is booked.")).to_be_visible()
    booked = Appointment.objects.get()
    # 09:00 in Paris is 03:00 in New York.
    assert booked.starts_at.astimezone(PARIS).hour == 9
    expect(page.get_by_role("heading", name=local(booked.starts_at, NEW_YORK))).to_be_visible()
    expect(page.get_by_text("Ana Ruiz")).to_be_visible()
    expect(page.get_by_text("Your session is booked.")).to_be_visible()
    screenshot(page, "session-booked")

    # The therapist sees it at their own time, with the patient's nickname.
    therapist_page.goto("/sessions/")
    expect(therapist_page.get_by_role("link", name=local(booked.starts_at, PARIS))).to_be_visible()
    expect(therapist_page.get_by_text("Robin")).to_be_visible()

    # The patient moves it to the next free time of that day.
    page.get_by_role("link", name="Move to another time").click()
    page.get_by_role("link", name="Next week").click()
    page.locator("fieldset.slot-day").first.locator("label").nth(1).click()
    page.get_by_role("button", name="Move the session here").click()
    expect(page.get_by_text("The session has moved.")).to_be_visible()
    moved = Appointment.objects.get()
    assert (moved.uid, moved.sequence) == (booked.uid, booked.sequence + 1)
    assert moved.starts_at == booked.starts_at.replace(hour=booked.starts_at.hour + 1)
    expect(page.get_by_role("heading", name=local(moved.starts_at, NEW_YORK))).to_be_visible()
    therapist_page.reload()
    expect(therapist_page.get_by_role("link", name=local(moved.starts_at, PARIS))).to_be_visible()

    # Then cancels it: more than 24 hours ahead, on time.
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.get_by_text("The session is cancelled.")).to_be_visible()
    cancelled = Appointment.objects.get()
    assert (cancelled.status, cancelled.late_cancellation) == ("cancelled", False)
    page.get_by_role("link", name="All sessions").click()
    expect(page.get_by_text("No session booked.")).to_be_visible()
    page.close()


def test_the_booking_page_opens_on_the_first_week_with_a_free_time(page):
    therapist = TherapistFactory(time_zone="Europe/Paris", therapist_profile__modalities=["video"])
    profile = therapist.therapist_profile
    patient = PatientFactory(time_zone="Europe/Paris")
    MatchFactory(patient=patient, therapist=profile)
    # Hours every day, but time off from today to Sunday: nothing left this week. No minimum
    # notice, so that next Monday's first hour is free whatever the day and hour the test runs.
    services.availability_settings_update(
        therapist=profile, session_minutes=50, buffer_minutes=10, notice_hours=0, horizon_weeks=8
    )
    services.availability_window_add(
        therapist=profile, weekdays=range(7), start=time(9), end=time(12)
    )
    today = timezone.now().astimezone(PARIS).date()
    sunday = today + timedelta(days=6 - today.weekday())
    services.time_off_add(therapist=profile, first_day=today, last_day=sunday)
    next_monday = sunday + timedelta(days=1)

    log_in(page, patient.email)
    page.get_by_role("link", name="Book a session").first.click()

    # Next week, where the free times are, with a way to book one.
    week = page.get_by_role("navigation", name="Weeks")
    expect(week).to_contain_text(f"Week of {next_monday.day} {next_monday:%B}")
    expect(page.locator("fieldset.slot-day").first).to_be_visible()
    expect(page.get_by_role("button", name="Book this session")).to_be_visible()

    # This week, all off: it says when the next free time is, and offers nothing to book.
    week.get_by_role("link", name="Previous week").click()
    expect(page.locator("#no-free-time")).to_contain_text("No free time this week.")
    expect(page.locator("#no-free-time")).to_contain_text(
        f"The next free time is on {next_monday:%A} {next_monday.day} {next_monday:%B}"
    )
    expect(page.get_by_role("button", name="Book this session")).to_have_count(0)
    page.get_by_role("link", name="See that week").click()
    expect(page.get_by_role("button", name="Book this session")).to_be_visible()


def test_without_free_time_there_is_no_button_to_book(page):
    therapist = TherapistFactory(therapist_profile__modalities=["video"])  # no hours at all
    patient = PatientFactory()
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)

    log_in(page, patient.email)
    page.goto("/sessions/book/")

    expect(page.locator("#no-free-time")).to_have_text(
        "No free time to book at the moment. Write to your therapist to find a time together."
    )
    expect(page.get_by_role("button", name="Book this session")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
