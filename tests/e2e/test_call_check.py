"""Before a call: the check of camera, microphone, speaker and connection, with a plain verdict;
the choice of camera, microphone and speaker, remembered by the browser and changed during the
call; a blocked camera explained, and the room still usable (issue 19, item 1).

Chromium's fake devices stand in for real ones: one camera, three microphones ("Fake Default
Audio Input", "Fake Audio Input 1" and 2), three speakers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from sessions_video.models import Attendance
from tests.e2e.browser import log_in, violations
from tests.e2e.calls import CONNECT_TIMEOUT, PC, RECORD_THE_CALL, STREAM, grows, join_call
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHECK = "#precheck [data-check='{}']"
SENT_AUDIO_LABEL = f"() => {PC}.getSenders().find((s) => s.track?.kind === 'audio').track.label"

# getUserMedia refused as a browser does when the person (or a policy) blocked the devices.
BLOCKED_DEVICES = """(() => {
    navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException("Permission denied", "NotAllowedError");
    };
})()"""


@pytest.fixture
def video_room():
    """A video session starting in five minutes; afterwards, once every page has closed, the
    server has recorded every socket leaving (no room write races the next test's flush)."""
    found = a_room(modality="video", starts_at=timezone.now() + timedelta(minutes=5))
    yield found
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())


def test_the_check_before_joining_and_the_devices_chosen(
    browser, page, live_server_url, video_room, screenshot
):
    patient, therapist, room = video_room
    address = reverse("session_room", kwargs={"token": room.token})
    log_in(page, patient.email)
    page.add_init_script(RECORD_THE_CALL)
    page.goto(address)

    # Camera, microphone and connection checked, with a verdict.
    expect(page.locator(CHECK.format("camera"))).to_have_text("Your camera works.")
    expect(page.locator(CHECK.format("microphone"))).to_have_text("We can hear you.")
    expect(page.locator(CHECK.format("connection"))).to_have_text(
        "Your connection is ready for the call.", timeout=CONNECT_TIMEOUT
    )
    expect(page.locator("#precheck-verdict")).to_have_text("Ready: you can join.")
    page.wait_for_function("() => document.getElementById('precheck-preview').videoWidth > 0")
    page.wait_for_function("() => document.getElementById('precheck-level').value > 0")
    # Nothing of the call before joining: no socket, so the other side sees nobody.
    assert not Attendance.objects.filter(room=room).exists()

    # A test sound, on the speaker chosen.
    page.get_by_role("button", name="Play a test sound").click()
    expect(page.locator("#precheck-sound-status")).to_contain_text("can you hear it?")
    page.wait_for_function("() => !document.getElementById('precheck-sound').paused")

    # The pickers list this browser's devices; another microphone is used at once.
    microphones = page.get_by_label("Microphone", exact=True)
    expect(microphones.locator("option")).to_have_count(3)
    expect(page.get_by_label("Speaker").locator("option")).to_have_count(3)
    microphones.select_option(label="Fake Audio Input 1")
    page.wait_for_function(f"() => {STREAM}.getAudioTracks()[0].label === 'Fake Audio Input 1'")
    expect(page.locator(CHECK.format("microphone"))).to_have_text("We can hear you.")
    screenshot(page, "session-check")

    # Remembered by this browser: after a reload, the same microphone.
    page.reload()
    page.wait_for_function("() => window.callSeenByTest.streams.length > 0")
    expect(microphones).to_have_value(
        page.evaluate(f"() => {STREAM}.getAudioTracks()[0].getSettings().deviceId")
    )
    expect(microphones.locator("option:checked")).to_have_text("Fake Audio Input 1")

    # Into the call, the therapist too.
    join_call(page)
    therapist_page = browser.new_page(base_url=live_server_url)
    try:
        therapist_page.add_init_script(RECORD_THE_CALL)
        log_in(therapist_page, therapist.email, code=True)
        therapist_page.goto(address)
        join_call(therapist_page)
        for party in (page, therapist_page):
            expect(party.locator("body")).to_have_attribute(
                "data-call-state", "connected", timeout=CONNECT_TIMEOUT
            )
        assert page.evaluate(SENT_AUDIO_LABEL) == "Fake Audio Input 1"

        # During the call: another microphone is sent in place of the first, and heard.
        microphones.select_option(label="Fake Audio Input 2")
        page.wait_for_function(f"() => ({SENT_AUDIO_LABEL})() === 'Fake Audio Input 2'")
        grows(therapist_page, "inbound-rtp", "audio", "bytesReceived")
        # Another speaker: the other side's sound goes there.
        speakers = page.get_by_label("Speaker")
        speakers.select_option(label="Fake Audio Output 1")
        chosen = speakers.input_value()
        page.wait_for_function(
            "id => document.getElementById('call-remote').sinkId === id", arg=chosen
        )
        # A reload goes straight back into the call: this tab has joined already.
        page.reload()
        expect(page.locator("#precheck")).to_be_hidden()
        expect(page.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=CONNECT_TIMEOUT
        )
        assert page.evaluate(SENT_AUDIO_LABEL) == "Fake Audio Input 2"
    finally:
        therapist_page.close()
    page.close()


def test_blocked_devices_are_explained_and_the_room_still_works(page, video_room):
    patient, _therapist, room = video_room
    log_in(page, patient.email)
    page.add_init_script(BLOCKED_DEVICES)
    page.goto(reverse("session_room", kwargs={"token": room.token}))

    expect(page.locator(CHECK.format("camera"))).to_have_text(
        "Your browser does not let this page use your camera."
    )
    expect(page.locator(CHECK.format("microphone"))).to_have_text(
        "Your browser does not let this page use your microphone."
    )
    verdict = page.locator("#precheck-verdict")
    expect(verdict).to_contain_text("click the camera icon or the padlock in the address bar")
    expect(verdict).to_contain_text("You can also join without them and use the chat.")

    # Joining anyway: the room says what is missing, and the chat is there.
    page.get_by_role("button", name="Join the session").click()
    expect(page.locator("#room-problem")).to_contain_text(
        "Your browser could not use your microphone or camera."
    )
    expect(page.get_by_role("button", name="Hang up")).to_be_enabled()
    page.get_by_label("Your message").fill("My camera does not work, can we write?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log li.chat-mine")).to_contain_text("My camera does not work")
    page.close()


def test_the_room_and_its_check_pass_wcag_checks(new_context, video_room):
    patient, _therapist, room = video_room
    # axe is injected as an inline script: only this test's context bypasses the policy.
    page = new_context(bypass_csp=True).new_page()
    log_in(page, patient.email)
    page.goto(reverse("session_room", kwargs={"token": room.token}))
    expect(page.locator("#precheck-verdict")).to_have_text(
        "Ready: you can join.", timeout=CONNECT_TIMEOUT
    )
    found = {"check": violations(page)}
    join_call(page)
    expect(page.locator("#call-status")).to_have_text("Waiting for Ana Ruiz to join…")
    found["call"] = violations(page)
    page.close()

    assert found == {"check": [], "call": []}
