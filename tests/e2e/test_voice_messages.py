"""Voice messages in two browsers (issue 18, item 1): the patient records one with Chromium's
fake microphone (a cancelled recording sends nothing), sees it uploaded and sent; the
therapist's open thread receives it live with its length as the server read it from the file,
plays it (and can seek in it); the patient's page then says "Played". The patient takes it back
and the therapist's page drops it live."""

import re

import pytest
from playwright.sync_api import expect

from messaging import selectors, voice
from messaging.models import Attachment, Message
from tests.e2e.browser import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.messaging import ConversationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Resolves once the audio element can play, then seeks and resolves where it landed.
SEEK = """async (audio) => {
    if (audio.readyState < 1) {
        await new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", resolve, { once: true });
            audio.addEventListener("error", () => reject(new Error("audio error")), { once: true });
        });
    }
    const seeked = new Promise((resolve) => {
        audio.addEventListener("seeked", resolve, { once: true });
    });
    audio.currentTime = 1.0;
    await seeked;
    return { duration: audio.duration, at: audio.currentTime };
}"""

PLAY = """async (audio) => {
    const playing = new Promise((resolve) => {
        audio.addEventListener("playing", resolve, { once: true });
    });
    await audio.play();
    await playing;
    audio.pause();
}"""


def test_a_voice_message_recorded_sent_and_played(
    browser, page, live_server_url, private_media_dir, settings, screenshot
):
    settings.PRIVATE_MEDIA_ROOT = private_media_dir  # where the server keeps the files
    therapist = TherapistFactory(therapist_profile__display_name="Rui Costa")
    patient = PatientFactory(patient_profile__nickname="Joana")
    conversation = ConversationFactory(
        match__patient=patient, match__therapist=therapist.therapist_profile
    )
    thread = f"/messages/{conversation.pk}/"

    log_in(page, patient.email)
    page.goto(thread)
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")
    therapist_page = browser.new_page(base_url=live_server_url)
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto(thread)
    expect(therapist_page.locator("body")).to_have_attribute("data-conversation-socket", "open")

    recorder = page.locator("#voice-recorder")
    status = recorder.get_by_role("status")
    start = recorder.get_by_role("button", name="Record a voice message")

    # Cancelled: nothing is sent.
    start.click()
    expect(status).to_have_text("Recording… 0:00")
    expect(recorder.get_by_role("timer")).to_have_text("0:01")
    recorder.get_by_role("button", name="Cancel").click()
    expect(status).to_have_text("Cancelled: nothing was sent.")
    expect(start).to_be_focused()
    assert not Message.objects.exists()

    # Recorded (keyboard only), sent with its progress.
    start.focus()
    page.keyboard.press("Enter")
    expect(recorder.get_by_role("button", name="Stop and send")).to_be_focused()
    expect(recorder.get_by_role("timer")).to_have_text("0:02")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Sent.")
    expect(recorder.locator("progress")).to_have_js_property("value", 100)
    mine = page.locator("#message-list .message-voice")
    expect(mine).to_contain_text(re.compile(r"Voice message, 0:0[23]"))

    # What Chromium recorded, as the server kept it: WebM Opus, its length read from the
    # blocks (MediaRecorder writes none) and written into the file for players.
    attachment = Attachment.objects.get()
    assert attachment.content_type == "audio/webm"
    assert 2000 <= attachment.duration_ms <= 3500
    _, data = selectors.attachment_content(attachment)
    parsed = voice._WebM(data)
    assert parsed.duration() * 1000 == pytest.approx(attachment.duration_ms, abs=1)
    assert parsed.declared is not None
    length = voice.minutes_seconds(attachment.duration_ms / 1000)

    # The therapist's open page receives it live, with its length, and plays it.
    theirs = therapist_page.locator("#message-list .message-voice")
    expect(theirs).to_contain_text(f"Voice message, {length}")
    audio = theirs.locator("audio")
    expect(audio).to_have_attribute("preload", "metadata")
    therapist_page.get_by_role("heading", name="With Joana").click()  # a person's gesture
    audio.evaluate(PLAY)
    sought = audio.evaluate(SEEK)
    assert sought["duration"] == pytest.approx(attachment.duration_ms / 1000, abs=0.1)
    assert sought["at"] == pytest.approx(1.0, abs=0.1)

    # The patient's page says it was played, without a reload.
    expect(mine.locator(".voice-played")).to_have_text("Played")
    screenshot(page, "voice-message")

    # Taken back: gone from both pages, and from storage.
    mine.get_by_role("button", name="Delete this voice message").click()
    expect(page.locator("#message-list .message-voice")).to_have_count(0)
    expect(therapist_page.locator("#message-list .message-voice")).to_have_count(0)
    assert not Attachment.objects.exists()
    therapist_page.close()
