"""The waiting room of a video session (issue 19, item 2), in two browsers: the patient arrives
first and waits on a calm page; the therapist's dashboard shows them waiting, live; a therapist
running late says so in one tap and the patient sees it at once; the therapist joins, the
patient still waits (no call yet), until the therapist lets them in: then the call connects."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sessions_video.models import Attendance, Room
from tests.e2e.browser import log_in
from tests.e2e.calls import (
    CONNECT_TIMEOUT,
    RECORD_THE_CALL,
    RECORD_THE_STATUS,
    first_told_connecting,
    join_call,
)
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_patient_waits_until_the_therapist_lets_them_in(
    browser, page, live_server_url, screenshot
):
    patient, therapist, room = a_room(
        modality="video", starts_at=timezone.now() + timedelta(minutes=5), admitted=False
    )
    # The therapist is on their dashboard, its live events connected.
    therapist_page = browser.new_page(base_url=live_server_url)
    try:
        therapist_page.add_init_script(RECORD_THE_CALL)
        log_in(therapist_page, therapist.email, code=True)
        therapist_page.goto(reverse("home"))
        expect(therapist_page.locator("body")).to_have_attribute("data-events-state", "open")
        sessions = therapist_page.locator("#sessions-section")
        expect(sessions).to_contain_text("Robin")
        expect(sessions).not_to_contain_text("in the waiting room")

        # The patient arrives first, and waits.
        log_in(page, patient.email)
        page.add_init_script(RECORD_THE_CALL)
        page.add_init_script(RECORD_THE_STATUS)
        page.goto(reverse("session_room", kwargs={"token": room.token}))
        join_call(page)
        expect(page.locator("#call-status")).to_have_text(
            "You are in the waiting room. Ana Ruiz will let you in when the session starts."
        )
        expect(page.locator("#call-waiting-note")).to_contain_text("take a few slow breaths")
        expect(sessions).to_contain_text("Robin is in the waiting room")

        # Running late: one tap on the dashboard, and the patient knows at once.
        sessions.get_by_role("button", name="5 minutes late").click()
        expect(page.locator("#call-late")).to_have_text(
            "Ana Ruiz is running late: they will be with you in about 5 minutes. "
            "Thank you for waiting."
        )
        expect(sessions).to_contain_text("Robin is told you will be about 5 minutes late.")
        screenshot(page, "session-waiting-room")
        screenshot(therapist_page, "dashboard-waiting-room")

        # The therapist comes in: both see each other, but no call until the patient is let in.
        sessions.get_by_role("link", name="Join the session").click()
        join_call(therapist_page)
        expect(therapist_page.locator("#call-status")).to_have_text("Robin is in the waiting room.")
        expect(page.locator("#call-status")).to_have_text(
            "Ana Ruiz knows you are here and will let you in in a moment."
        )
        for party in (page, therapist_page):
            expect(party.locator("body")).to_have_attribute("data-call-state", "new")
        assert Room.objects.get(pk=room.pk).started_at is None

        therapist_page.get_by_role("button", name="Let Robin in").click()
        for party in (page, therapist_page):
            expect(party.locator("body")).to_have_attribute(
                "data-call-state", "connected", timeout=CONNECT_TIMEOUT
            )
            expect(party.get_by_role("status").filter(has_text="Connected with")).to_be_visible()
        expect(page.locator("#call-late")).to_be_hidden()
        expect(page.locator("#call-waiting-note")).to_be_hidden()
        expect(therapist_page.get_by_role("button", name="Let Robin in")).to_be_hidden()
        assert Room.objects.get(pk=room.pk).admitted_at is not None
        # Arriving, the patient was told the room was being reached, never that it was lost.
        assert first_told_connecting(page)
    finally:
        therapist_page.close()
        page.close()
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())
