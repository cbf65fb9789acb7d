"""Voice messages (issue 18, item 1): a recording checked from its bytes (Opus in WebM or Ogg,
its length read from the file), kept encrypted as a message's one file, played inline through a
permission-checked view with byte ranges, marked played by its recipient, taken back by its
patient within five minutes; refused recordings leave nothing behind; outsiders get 404."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core import realtime
from messaging import selectors, services, voice
from messaging.models import Attachment, Message
from tests.factories import TherapistFactory
from tests.helpers import client_for
from tests.messaging.audio_files import ogg_opus, webm_opus

PDF = b"%PDF-1.4\n1 0 obj<</Title (Letter)>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HX-Request": "true"}


def _send(client, conversation, content: bytes, *, name="voice.webm", client_id=None):
    return client.post(
        reverse("voice_send", kwargs={"pk": conversation.pk}),
        {
            "voice": SimpleUploadedFile(name, content, content_type="audio/webm"),
            "client_id": str(client_id or uuid.uuid4()),
        },
    )


def _url(name: str, attachment: Attachment) -> str:
    return reverse(
        name, kwargs={"pk": attachment.message.conversation_id, "attachment_pk": attachment.pk}
    )


def _stored_files() -> list:
    root = settings.PRIVATE_MEDIA_ROOT / "message-attachments"
    return sorted(root.iterdir()) if root.exists() else []


def _voice(conversation, sender, content=None, now=None) -> Attachment:
    message = services.voice_message_send(
        conversation=conversation,
        sender=sender,
        upload=SimpleUploadedFile("voice.webm", content or webm_opus(3)),
        client_id=uuid.uuid4(),
        now=now,
    )
    return message.attachments.get()


# --- Reading the length from the file -------------------------------------------------------


def test_the_length_of_a_mediarecorder_webm_comes_from_its_last_block():
    # No Duration element (MediaRecorder's live muxer): the last block's time and length.
    assert voice.inspect(webm_opus(3)) == voice.AudioFile(voice.WEBM, 3.0)
    assert voice.inspect(webm_opus(0.46)).duration == pytest.approx(0.46)


def test_a_webm_duration_element_is_read_when_there_is_one():
    assert voice.inspect(webm_opus(3, declared=2.5)).duration == pytest.approx(2.5)


def test_the_length_of_ogg_opus_is_the_last_granule_less_the_pre_skip():
    assert voice.inspect(ogg_opus(3.5)) == voice.AudioFile(voice.OGG, 3.5)
    assert voice.inspect(ogg_opus(0)).duration == 0


def test_the_length_read_is_written_into_a_webm_that_has_none():
    written = voice.with_duration(webm_opus(2.04), 2.04)
    parsed = voice._WebM(written)
    assert parsed.duration() == pytest.approx(2.04)
    assert parsed.declared == pytest.approx(2040)  # in the file's own timecode units
    # A file that says its length already is kept as it is.
    assert voice.with_duration(webm_opus(1, declared=1), 1) == webm_opus(1, declared=1)


@pytest.mark.parametrize(
    "content",
    [PDF, b"RIFF\x00\x00\x00\x00WAVE", webm_opus(1, codec=b"V_VP8"), webm_opus(2)[:-5]],
)
def test_anything_else_is_unreadable(content):
    with pytest.raises(voice.AudioUnreadable):
        voice.inspect(content)


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (0.4, "0:01"), (2.6, "0:02"), (65.9, "1:05"), (300, "5:00")]
)
def test_a_length_is_shown_as_the_browsers_player_shows_it(seconds, shown):
    assert voice.minutes_seconds(seconds) == shown


# --- Sending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["patient", "therapist"])
def test_a_voice_message_reaches_the_other_side_with_its_length(
    conversation, patient, therapist, sender
):
    author, reader = (patient, therapist) if sender == "patient" else (therapist, patient)
    response = _send(client_for(author), conversation, webm_opus(3))
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.is_voice
    assert attachment.duration_ms == 3000
    assert attachment.content_type == "audio/webm"
    assert attachment.message.sender == author
    assert _url("voice_file", attachment) in response.text
    assert "Voice message, 0:03" in response.text

    page = client_for(reader).get(reverse("conversation", kwargs={"pk": conversation.pk}))
    assert "Voice message, 0:03" in page.text
    assert 'preload="metadata"' in page.text
    assert _url("voice_played", attachment) in page.text  # the recipient's play tells it
    assert selectors.unread_count(user=reader) == 0  # the page read it


def test_an_ogg_recording_is_kept_as_ogg(patient_client, conversation):
    assert _send(patient_client, conversation, ogg_opus(2.5), name="x.ogg").status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.duration_ms) == ("audio/ogg", 2500)


def test_a_voice_message_is_announced_and_emailed_as_any_message(
    conversation, patient, therapist, monkeypatch, django_capture_on_commit_callbacks
):
    sends: list = []
    monkeypatch.setattr(realtime, "_send_now", sends.extend)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = _voice(conversation, patient)
    kinds = {(group, event["event"]["kind"]) for group, event in sends}
    assert (f"conversation.{conversation.pk}", "message.new") in kinds
    assert (realtime.user_group(therapist.pk), "messages.unread") in kinds
    assert selectors.unread_count(user=therapist) == 1

    later = timezone.now() + timedelta(minutes=settings.MESSAGE_NOTIFY_AFTER_MINUTES + 1)
    assert services.notifications_send(now=later) == 1
    (email,) = [m for m in mail.outbox if therapist.email in m.to]
    assert "voice" not in email.body.lower()  # content-free, as for any message
    assert str(attachment.pk) not in email.subject


def test_the_stored_recording_holds_no_plaintext(patient_client, conversation):
    content = webm_opus(3)
    _send(patient_client, conversation, content)
    (stored,) = _stored_files()
    raw = stored.read_bytes()
    assert b"OpusHead" not in raw
    assert b"webm" not in raw
    assert not raw.startswith(b"\x1a\x45")
    assert "voice" not in stored.name


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (PDF, "This is not a voice recording"),
        (b"\x1a\x45\xdf\xa3\x80" + b"\x00" * 40, "This is not a voice recording"),
        (webm_opus(2)[:-5], "This recording is damaged"),
        (b"", "This recording is empty"),
        (ogg_opus(0), "This recording is empty"),
        (ogg_opus(302), "can last at most 5:00; this one lasts 5:02"),
        (webm_opus(301.5), "can last at most 5:00; this one lasts 5:01"),
    ],
)
def test_a_refused_recording_says_why_and_keeps_nothing(
    patient_client, conversation, content, reason
):
    response = _send(patient_client, conversation, content)
    assert response.status_code == 422
    assert reason in response.text
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_a_recording_at_the_limit_is_kept(patient_client, conversation):
    assert _send(patient_client, conversation, ogg_opus(300.5)).status_code == 200


def test_a_recording_too_big_is_refused(patient_client, conversation, settings):
    settings.VOICE_MESSAGE_MAX_BYTES = 2000
    response = _send(patient_client, conversation, webm_opus(3))
    assert response.status_code == 422
    assert "the limit is 2.0\xa0KB" in response.text
    assert not Message.objects.exists()
    assert _stored_files() == []


def test_a_retried_recording_is_one_message(patient_client, conversation):
    client_id = uuid.uuid4()
    _send(patient_client, conversation, webm_opus(1), client_id=client_id)
    _send(patient_client, conversation, webm_opus(1), client_id=client_id)
    assert Attachment.objects.count() == 1
    assert len(_stored_files()) == 1


def test_a_closed_conversation_takes_no_voice_message(patient_client, conversation):
    services.conversation_close(match_id=conversation.match_id)
    response = _send(patient_client, conversation, webm_opus(1))
    assert response.status_code == 422
    assert "This conversation is closed" in response.text
    assert not Message.objects.exists()


# --- Playing ------------------------------------------------------------------------------------


def test_the_recording_is_served_inline_with_byte_ranges(therapist_client, conversation, patient):
    attachment = _voice(conversation, patient)
    kept = voice.with_duration(webm_opus(3), 3.0)
    whole = therapist_client.get(_url("voice_file", attachment))
    assert whole.status_code == 200
    assert whole.content == kept
    assert whole["Content-Type"] == "audio/webm"
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Cache-Control"] == "private, no-store"
    assert whole["X-Content-Type-Options"] == "nosniff"

    part = therapist_client.get(_url("voice_file", attachment), headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == kept[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(kept)}"
    tail = therapist_client.get(_url("voice_file", attachment), headers={"Range": "bytes=-7"})
    assert tail.content == kept[-7:]
    open_ended = therapist_client.get(_url("voice_file", attachment), headers={"Range": "bytes=5-"})
    assert open_ended.content == kept[5:]
    beyond = therapist_client.get(
        _url("voice_file", attachment), headers={"Range": f"bytes={len(kept)}-"}
    )
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(kept)}"


def test_the_recipient_playing_it_shows_played_to_the_sender(
    patient_client,
    therapist_client,
    conversation,
    patient,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    attachment = _voice(conversation, patient)
    thread = reverse("conversation", kwargs={"pk": conversation.pk})
    assert "voice-played" not in patient_client.get(thread).text
    # The sender playing their own changes nothing.
    assert patient_client.post(_url("voice_played", attachment)).status_code == 204
    attachment.refresh_from_db()
    assert attachment.played_at is None

    sends: list = []
    monkeypatch.setattr(realtime, "_send_now", sends.extend)
    with django_capture_on_commit_callbacks(execute=True):
        assert therapist_client.post(_url("voice_played", attachment)).status_code == 204
        assert therapist_client.post(_url("voice_played", attachment)).status_code == 204
    attachment.refresh_from_db()
    assert attachment.played_at is not None
    played = [e for _, e in sends if e["event"]["kind"] == "message.played"]
    assert len(played) == 1
    assert played[0]["event"]["message"] == attachment.message_id
    assert '<span class="voice-played">Played</span>' in patient_client.get(thread).text
    assert _url("voice_played", attachment) not in therapist_client.get(thread).text


# --- Taking it back -----------------------------------------------------------------------------


def test_the_patient_deletes_their_voice_message_within_five_minutes(
    patient_client, conversation, patient, monkeypatch, django_capture_on_commit_callbacks
):
    attachment = _voice(conversation, patient)
    assert (
        "Delete this voice message"
        in patient_client.get(reverse("conversation", kwargs={"pk": conversation.pk})).text
    )
    sends: list = []
    monkeypatch.setattr(realtime, "_send_now", sends.extend)
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(_url("voice_delete", attachment), headers=HTMX)
    assert response.status_code == 200
    assert response.text == ""
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files() == []
    deleted = [e["event"] for _, e in sends if e["event"]["kind"] == "message.deleted"]
    assert deleted == [
        {
            "kind": "message.deleted",
            "message": attachment.message_id,
            "by": patient.pk,
            "conversation": conversation.pk,
        }
    ]


def test_the_service_allows_five_minutes_and_no_more(conversation, patient):
    sent_at = timezone.now()
    attachment = _voice(conversation, patient, now=sent_at)
    with pytest.raises(services.ValidationError) as refused:
        services.voice_message_delete(
            conversation=conversation,
            attachment=attachment,
            patient=patient,
            now=sent_at + timedelta(minutes=5, seconds=1),
        )
    assert refused.value.error_dict["voice"][0].code == "too_late"
    assert Attachment.objects.exists()
    assert len(_stored_files()) == 1
    services.voice_message_delete(
        conversation=conversation,
        attachment=attachment,
        patient=patient,
        now=sent_at + timedelta(minutes=5),
    )
    assert not Message.objects.exists()


def test_after_five_minutes_the_page_says_why(patient_client, conversation, patient):
    attachment = _voice(conversation, patient, now=timezone.now() - timedelta(minutes=6))
    thread = reverse("conversation", kwargs={"pk": conversation.pk})
    assert "Delete this voice message" not in patient_client.get(thread).text
    response = patient_client.post(_url("voice_delete", attachment), headers=HTMX)
    assert response.status_code == 422
    assert "within 5 minutes of sending it" in response.text
    assert response["HX-Retarget"] == f"#voice-delete-error-{attachment.pk}"
    assert Attachment.objects.exists()
    assert len(_stored_files()) == 1


def test_nobody_deletes_someone_elses_voice_message(
    patient_client, therapist_client, conversation, patient, therapist
):
    from_patient = _voice(conversation, patient)
    from_therapist = _voice(conversation, therapist)
    assert therapist_client.post(_url("voice_delete", from_patient)).status_code == 404
    assert patient_client.post(_url("voice_delete", from_therapist)).status_code == 404
    # A therapist's own recording is part of the patient's record: not taken back either.
    assert therapist_client.post(_url("voice_delete", from_therapist)).status_code == 404
    assert Attachment.objects.count() == 2
    assert len(_stored_files()) == 2


# --- Outsiders ----------------------------------------------------------------------------------


def test_outsiders_reach_no_voice_url(
    conversation, patient, other_patient, other_therapist, unvetted_therapist, staff
):
    attachment = _voice(conversation, patient)
    suspended = TherapistFactory(therapist_profile__vetting_status="suspended")
    urls = [_url(name, attachment) for name in ("voice_file", "voice_played", "voice_delete")]
    send_url = reverse("voice_send", kwargs={"pk": conversation.pk})
    for outsider in (other_patient, other_therapist, unvetted_therapist, suspended, staff):
        client = client_for(outsider)
        assert client.get(urls[0]).status_code == 404
        for url in urls[1:]:
            assert client.post(url).status_code == 404
        assert _send(client, conversation, webm_opus(1)).status_code == 404
    anonymous = client_for(patient)
    anonymous.logout()
    assert anonymous.get(urls[0]).status_code == 302
    for url in [*urls[1:], send_url]:
        assert anonymous.post(url).status_code == 302
    assert Message.objects.count() == 1
    attachment.refresh_from_db()
    assert attachment.played_at is None


def test_a_document_is_not_a_voice_message(patient_client, conversation, patient, write):
    message = write(conversation, patient, upload=SimpleUploadedFile("a.pdf", PDF))
    document = message.attachments.get()
    assert patient_client.get(_url("voice_file", document)).status_code == 404
    assert patient_client.post(_url("voice_delete", document)).status_code == 404


# --- The patient's data -------------------------------------------------------------------------


def test_the_export_holds_the_voice_message_and_erasure_removes_it(
    conversation, patient, therapist, django_capture_on_commit_callbacks
):
    attachment = _voice(conversation, patient, content=ogg_opus(2))
    services.voice_message_mark_played(
        conversation=conversation, attachment=attachment, listener=therapist
    )
    exported = selectors.person_export(user=patient)
    (entry,) = exported["conversations"][0]["messages"]
    (file,) = entry["files"]
    assert file["voice_message"] is True
    assert file["duration_seconds"] == 2.0
    assert file["type"] == "audio/ogg"
    assert file["played_at"] is not None
    ((path, read),) = selectors.person_export_files(user=patient)
    assert path == file["file"]
    assert read() == ogg_opus(2)

    with django_capture_on_commit_callbacks(execute=True):
        services.patient_conversations_erase(patient=patient)
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_only_a_thread_one_may_write_in_may_use_the_microphone(
    patient_client, conversation, switch
):
    thread = reverse("conversation", kwargs={"pk": conversation.pk})
    assert "microphone=(self)" in patient_client.get(thread)["Permissions-Policy"]
    assert "camera=()" in patient_client.get(thread)["Permissions-Policy"]
    services.conversation_close(match_id=conversation.match_id)
    closed = patient_client.get(thread)
    assert "microphone=()" in closed["Permissions-Policy"]
    assert 'id="voice-recorder"' not in closed.text


def test_a_send_without_a_recording_or_its_id_is_refused(patient_client, conversation):
    url = reverse("voice_send", kwargs={"pk": conversation.pk})
    missing = patient_client.post(url, {"client_id": str(uuid.uuid4())})
    assert missing.status_code == 422
    assert "This field is required." in missing.text
    no_id = patient_client.post(url, {"voice": SimpleUploadedFile("v.webm", webm_opus(1))})
    assert no_id.status_code == 422
    assert not Message.objects.exists()
