"""A live session in two browsers: patient and therapist open the room and are connected, by
video or by phone (audio only); muting sends nothing; a reload reconnects the call; the live
chat reaches the other side, shows who is writing, and is kept in the pair's conversation.

Chromium's fake camera and microphone stand in for real devices (see CHROMIUM_FLAGS)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import Conversation
from sessions_video.models import Attendance
from tests.e2e.browser import log_in, watch
from tests.e2e.calls import (
    CONNECT_TIMEOUT,
    PC,
    POOR_LINK,
    RECORD_THE_CALL,
    RECORD_THE_STATUS,
    STREAM,
    first_told_connecting,
    grows,
    join_call,
    settled,
    stat,
)
from tests.factories.sessions_video import a_room
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def enter_room(browser, page, live_server_url):
    """``enter_room(modality)``: the patient on ``page``, the therapist on a page of their own,
    both in the room and connected; returns the therapist's page, its console problems and
    the room.

    Afterwards, whatever the test's outcome, the pages close and the fixture waits until the
    server has recorded both sockets leaving, so that no room write races the database flush
    between tests."""
    opened = [page]

    def enter(modality):
        patient, therapist, room = a_room(
            modality=modality, starts_at=timezone.now() + timedelta(minutes=5)
        )
        log_in(page, patient.email)
        address = reverse("session_room", kwargs={"token": room.token})
        page.add_init_script(RECORD_THE_CALL)
        page.add_init_script(RECORD_THE_STATUS)
        page.goto(address)
        if modality != "chat":
            join_call(page)
        therapist_page = browser.new_page(base_url=live_server_url)
        opened.append(therapist_page)
        therapist_page.add_init_script(RECORD_THE_CALL)
        problems = watch(therapist_page)
        log_in(therapist_page, therapist.email, code=True)
        therapist_page.goto(address)
        if modality != "chat":
            join_call(therapist_page)
        if modality == "chat":
            expect(page.locator("#chat-presence")).to_have_text("Ana Ruiz is here.")
            expect(therapist_page.locator("#chat-presence")).to_have_text("Robin is here.")
            assert first_told_connecting(page, "chat-presence")
        else:
            for party in (page, therapist_page):
                expect(party.locator("body")).to_have_attribute(
                    "data-call-state", "connected", timeout=CONNECT_TIMEOUT
                )
        return therapist_page, problems, room

    yield enter
    for party in opened:
        party.close()
    wait_until(lambda: not Attendance.objects.filter(left_at__isnull=True).exists())


def test_video_call(enter_room, page, screenshot):
    therapist_page, problems, _room = enter_room("video")

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

    # Muted: audio bytes stop leaving the patient's browser; the video goes on. The button's
    # words say the state, as aria-pressed does.
    grows(page, "outbound-rtp", "audio", "bytesSent")
    page.get_by_role("button", name="Mute", exact=True).click()
    muted = page.get_by_role("button", name="Muted", exact=True)
    expect(muted).to_have_attribute("aria-pressed", "true")
    muted_at = settled(page, "outbound-rtp", "audio", "bytesSent")
    grows(page, "outbound-rtp", "video", "bytesSent")
    grows(page, "outbound-rtp", "video", "bytesSent")
    assert stat(page, "outbound-rtp", "audio", "bytesSent") == muted_at
    muted.click()
    expect(page.get_by_role("button", name="Mute", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    grows(page, "outbound-rtp", "audio", "bytesSent")

    # Camera off: the patient's camera track is off, and the button says so.
    page.get_by_role("button", name="Turn camera off", exact=True).click()
    camera = page.get_by_role("button", name="Camera off", exact=True)
    expect(camera).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"() => {STREAM}.getVideoTracks()[0].enabled") is False
    camera.click()
    expect(page.get_by_role("button", name="Turn camera off", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    assert page.evaluate(f"() => {STREAM}.getVideoTracks()[0].enabled") is True

    # The patient reloads: a new call (a new peer connection) between the same two pages.
    opened = therapist_page.evaluate("() => window.callSeenByTest.connections.length")
    page.reload()
    for party in (page, therapist_page):
        expect(party.locator("body")).to_have_attribute(
            "data-call-state", "connected", timeout=CONNECT_TIMEOUT
        )
    assert therapist_page.evaluate("() => window.callSeenByTest.connections.length") > opened
    grows(therapist_page, "inbound-rtp", "video", "bytesReceived")

    therapist_page.get_by_role("button", name="Hang up").click()
    expect(therapist_page.get_by_text("You left the session.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="left the session")).to_be_visible()
    assert problems == []


# Chromium's fake camera is 4:3 (640 × 480), its fake screen 16:9 (1280 × 720): the shape of
# the other side's video says which one arrives, whatever size a loaded machine's encoder
# scales it down to.
SHOWS_CAMERA = """() => {
    const video = document.getElementById("call-remote");
    return video.videoHeight > 0 && video.videoWidth / video.videoHeight < 1.5;
}"""
SHOWS_SCREEN = """() => {
    const video = document.getElementById("call-remote");
    return video.videoHeight > 0 && video.videoWidth / video.videoHeight > 1.7;
}"""


def test_screen_sharing(enter_room, page, screenshot):
    therapist_page, problems, _room = enter_room("video")
    page.wait_for_function(SHOWS_CAMERA, timeout=CONNECT_TIMEOUT)

    # The therapist shares: the patient sees the screen, and is told whose it is.
    therapist_page.get_by_role("button", name="Share your screen").click()
    stop = therapist_page.get_by_role("button", name="Stop sharing your screen")
    expect(stop).to_have_attribute("aria-pressed", "true")
    expect(therapist_page.locator("#call-screen")).to_have_text(
        "You are sharing your screen: the other person sees it instead of your camera."
    )
    expect(page.locator("#call-screen")).to_have_text("Ana Ruiz is sharing their screen.")
    page.wait_for_function(SHOWS_SCREEN, timeout=CONNECT_TIMEOUT)
    screenshot(page, "session-screen-shared")

    # The patient may not share until the therapist lets them, live.
    patient_share = page.get_by_role("button", name="Share your screen")
    expect(patient_share).to_be_hidden()
    therapist_page.get_by_label("Let Robin share their screen").check()
    expect(patient_share).to_be_visible()
    stop.click()
    expect(page.locator("#call-screen")).to_be_hidden()
    page.wait_for_function(SHOWS_CAMERA, timeout=CONNECT_TIMEOUT)

    patient_share.click()
    expect(therapist_page.locator("#call-screen")).to_have_text("Robin is sharing their screen.")
    therapist_page.wait_for_function(SHOWS_SCREEN, timeout=CONNECT_TIMEOUT)
    # Taken back: the patient's sharing stops, on both sides.
    therapist_page.get_by_label("Let Robin share their screen").uncheck()
    expect(patient_share).to_be_hidden()
    expect(page.locator("#call-screen")).to_be_hidden()
    expect(therapist_page.locator("#call-screen")).to_be_hidden()
    therapist_page.wait_for_function(SHOWS_CAMERA, timeout=CONNECT_TIMEOUT)
    assert problems == []


VIDEO_SCALE = f"""() => {PC}.getTransceivers()
    .find((t) => t.receiver.track.kind === "video").sender
    .getParameters().encodings[0].scaleResolutionDownBy"""
SLOW = CONNECT_TIMEOUT * 2  # three readings of the statistics, 3 s apart, for each step


def test_a_poor_link_lowers_the_video_then_goes_on_with_audio_only(enter_room, page):
    therapist_page, problems, _room = enter_room("video")
    page.evaluate(POOR_LINK)

    # First the video sent is lowered, and both sides are told.
    page.wait_for_function(f"() => ({VIDEO_SCALE})() === 2", timeout=SLOW)
    expect(page.locator("#call-low-quality")).to_have_text(
        "Your connection is poor: the video you send is lowered to keep the call going."
    )
    expect(therapist_page.locator("#call-low-quality")).to_have_text(
        "The connection of Robin is poor: their video is lowered."
    )
    page.wait_for_function(f"() => ({VIDEO_SCALE})() === 4", timeout=SLOW)

    # Still poor: audio only is offered, for both sides at once.
    page.get_by_role("button", name="Continue with audio only").click(timeout=SLOW)
    for party in (page, therapist_page):
        expect(party.locator("#call-low-quality")).to_contain_text("Audio only")
        sent = settled(party, "outbound-rtp", "video", "bytesSent")
        grows(party, "outbound-rtp", "audio", "bytesSent")
        assert stat(party, "outbound-rtp", "video", "bytesSent") == sent
    assert page.evaluate("() => document.body.dataset.callState") == "connected"

    # Either side turns the video back on, for both.
    therapist_page.get_by_role("button", name="Turn video back on").click()
    for party in (page, therapist_page):
        grows(party, "outbound-rtp", "video", "bytesSent")
        expect(party.get_by_role("button", name="Turn video back on")).to_be_hidden()
    assert problems == []


def test_phone_call(enter_room, page):
    therapist_page, problems, _room = enter_room("phone")

    for party in (page, therapist_page):
        assert party.locator("video").count() == 0
        assert party.evaluate("() => window.callSeenByTest.constraints[0].video") is False
        assert party.evaluate(f"() => {STREAM}.getVideoTracks().length") == 0
        kinds = party.evaluate(f"() => {PC}.getSenders().map((s) => s.track?.kind)")
        assert kinds == ["audio"]
        grows(party, "inbound-rtp", "audio", "bytesReceived")
    expect(page.get_by_role("button", name="Turn camera off")).to_have_count(0)
    expect(page.get_by_role("button", name="Mute", exact=True)).to_be_enabled()
    assert problems == []


def test_live_chat(enter_room, page, screenshot):
    therapist_page, problems, room = enter_room("chat")
    assert page.locator("video, audio").count() == 0

    field = page.get_by_label("Your message")
    field.press_sequentially("Hello, can you read me?")
    expect(therapist_page.locator("#chat-typing")).to_have_text("Robin is writing…")
    field.press("Shift+Enter")
    field.press_sequentially("Second line.")
    field.press("Enter")

    line = therapist_page.locator("#chat-log li").filter(has_text="Hello, can you read me?")
    expect(line).to_contain_text("Second line.")
    expect(line).to_contain_text("Robin")
    expect(therapist_page.locator("#chat-typing")).to_have_text("")
    expect(page.locator("#chat-log li.chat-mine")).to_contain_text("Hello, can you read me?")
    expect(field).to_have_value("")

    therapist_page.get_by_label("Your message").fill("Yes, loud and clear.")
    therapist_page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log li.chat-theirs")).to_contain_text("Yes, loud and clear.")
    screenshot(page, "session-chat")

    # The patient reloads: the session's chat so far is still there.
    page.reload()
    expect(page.locator("#chat-log li")).to_have_count(2)
    expect(page.locator("#chat-presence")).to_have_text("Ana Ruiz is here.")

    # Afterwards, the transcript is in their conversation, marked as from the live session.
    conversation = Conversation.objects.get(match_id=room.appointment.match_id)
    therapist_page.goto(reverse("conversation", kwargs={"pk": conversation.pk}))
    said = therapist_page.locator("#message-list li.message-live")
    expect(said).to_have_count(2)
    expect(said.first).to_contain_text("Live session chat")
    expect(said.first).to_contain_text("Hello, can you read me?")
    expect(said.first).to_contain_text("Second line.")
    assert problems == []


def test_a_second_tab_waits_for_the_first_to_leave(enter_room, page):
    therapist_page, problems, room = enter_room("chat")
    second = page.context.new_page()

    second.goto(reverse("session_room", kwargs={"token": room.token}))
    expect(second.get_by_role("alert")).to_contain_text(
        "You are already in this room in another window or tab."
    )
    page.close()

    expect(second.get_by_role("alert")).to_be_hidden(timeout=CONNECT_TIMEOUT)
    expect(second.locator("#chat-presence")).to_have_text("Ana Ruiz is here.")
    expect(therapist_page.locator("#chat-presence")).to_have_text("Robin is here.")
    second.close()
    assert problems == []
