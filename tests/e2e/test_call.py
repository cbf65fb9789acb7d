"""A live session in two browsers: patient and therapist open the room and are connected, by
video or by phone (audio only); muting sends nothing; a reload reconnects the call.

Chromium's fake camera and microphone stand in for real devices (see CHROMIUM_FLAGS)."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sessions_video.models import Attendance
from tests.e2e.conftest import watch
from tests.e2e.test_messages import log_in
from tests.sessions_video.rooms import a_room

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONNECT_TIMEOUT = 20_000


def both_in_the_room(browser, page, base_url, modality):
    """The patient on ``page``, the therapist on a page of their own, both in the room."""
    patient, therapist, room = a_room(
        modality=modality, starts_at=timezone.now() + timedelta(minutes=5)
    )
    log_in(page, patient.email)
    address = reverse("session_room", kwargs={"token": room.token})
    page.goto(address)
    therapist_page = browser.new_page(base_url=base_url)
    problems = watch(therapist_page)
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto(address)
    for party in (page, therapist_page):
        expect(party.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=CONNECT_TIMEOUT
        )
    return therapist_page, problems


def all_leave(*pages) -> None:
    """Close the pages and wait until the server has recorded both sockets leaving, so that
    no room write races the database flush between tests."""
    for party in pages:
        party.close()
    deadline = time.monotonic() + 10
    while Attendance.objects.filter(left_at__isnull=True).exists():
        assert time.monotonic() < deadline, "a socket never left the room"
        time.sleep(0.1)


TOTAL = """async ([kind, media, field]) => {
    const stats = await window.__call.pc.getStats();
    let total = 0;
    stats.forEach((r) => {
        if (r.type === kind && r.kind === media) total += r[field] || 0;
    });
    return total;
}"""

# Waits inside the page until the sum grows past ``before`` or stays put between two reads a
# second apart; fails after CONNECT_TIMEOUT.
WAIT = (
    """async ([kind, media, field, mode, before, timeout]) => {
    const total = """
    + TOTAL
    + """;
    const deadline = Date.now() + timeout;
    let previous = null;
    while (Date.now() < deadline) {
        const now = await total([kind, media, field]);
        if (mode === "grows" && now > before) return now;
        if (mode === "settled" && now === previous) return now;
        previous = now;
        await new Promise((done) => setTimeout(done, mode === "settled" ? 1000 : 250));
    }
    throw new Error(`${kind} ${media} ${field}: ${mode} did not happen`);
}"""
)


def stat(page, kind: str, media: str, field: str) -> int:
    """The sum of ``field`` over this page's ``kind`` RTP reports of ``media``."""
    return page.evaluate(TOTAL, [kind, media, field])


def grows(page, kind, media, field) -> int:
    before = stat(page, kind, media, field)
    return page.evaluate(WAIT, [kind, media, field, "grows", before, CONNECT_TIMEOUT])


def settled(page, kind, media, field) -> int:
    """The value once two reads a second apart agree (packets already sent are counted)."""
    return page.evaluate(WAIT, [kind, media, field, "settled", 0, CONNECT_TIMEOUT])


def test_video_call(browser, page, live_server_url, screenshot):
    therapist_page, problems = both_in_the_room(browser, page, live_server_url, "video")

    for party in (page, therapist_page):
        expect(party.get_by_role("status").filter(has_text="Connected with")).to_be_visible()
        remote = party.locator("#call-remote")
        party.wait_for_function(
            "() => document.getElementById('call-remote').videoWidth > 0",
            timeout=CONNECT_TIMEOUT,
        )
        start = remote.evaluate("video => video.currentTime")
        party.wait_for_function(
            "start => document.getElementById('call-remote').currentTime > start",
            arg=start,
            timeout=CONNECT_TIMEOUT,
        )
    screenshot(page, "session-room")

    # Muted: audio bytes stop leaving the patient's browser; the video goes on.
    grows(page, "outbound-rtp", "audio", "bytesSent")
    mute = page.get_by_role("button", name="Mute")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    muted_at = settled(page, "outbound-rtp", "audio", "bytesSent")
    grows(page, "outbound-rtp", "video", "bytesSent")
    grows(page, "outbound-rtp", "video", "bytesSent")
    assert stat(page, "outbound-rtp", "audio", "bytesSent") == muted_at
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")
    grows(page, "outbound-rtp", "audio", "bytesSent")

    # The patient reloads: a new call between the same two pages.
    generation = therapist_page.evaluate("() => window.__call.generation")
    page.reload()
    for party in (page, therapist_page):
        expect(party.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=CONNECT_TIMEOUT
        )
    assert therapist_page.evaluate("() => window.__call.generation") > generation
    grows(therapist_page, "inbound-rtp", "video", "bytesReceived")

    therapist_page.get_by_role("button", name="Hang up").click()
    expect(therapist_page.get_by_text("You left the session.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="left the session")).to_be_visible()
    assert problems == []
    all_leave(therapist_page, page)


def test_phone_call(browser, page, live_server_url):
    therapist_page, problems = both_in_the_room(browser, page, live_server_url, "phone")

    for party in (page, therapist_page):
        assert party.locator("video").count() == 0
        assert party.evaluate("() => window.__call.constraints.video") is False
        assert party.evaluate("() => window.__call.stream.getVideoTracks().length") == 0
        kinds = party.evaluate("() => window.__call.pc.getSenders().map((s) => s.track?.kind)")
        assert kinds == ["audio"]
        grows(party, "inbound-rtp", "audio", "bytesReceived")
    expect(page.get_by_role("button", name="Camera off")).to_have_count(0)
    assert problems == []
    all_leave(therapist_page, page)
