"""Files sent with a message: checked from their content, kept encrypted under private storage,
served as downloads to the conversation's readers only; a refused file leaves nothing behind."""

import io
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from messaging.models import Attachment, Message
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for

PDF = b"%PDF-1.4\n1 0 obj<</Title (Discharge letter)>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HX-Request": "true"}


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(out, format="PNG")
    return out.getvalue()


def _post(client, conversation, *, content=PDF, name="letter.pdf", body="", client_id=None):
    return client.post(
        reverse("message_send", kwargs={"pk": conversation.pk}),
        {
            "body": body,
            "client_id": str(client_id or uuid.uuid4()),
            "attachment": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
        headers=HTMX,
    )


def _download_url(attachment: Attachment) -> str:
    return reverse(
        "message_attachment",
        kwargs={"pk": attachment.message.conversation_id, "attachment_pk": attachment.pk},
    )


def _stored_files() -> list:
    root = settings.PRIVATE_MEDIA_ROOT / "message-attachments"
    return sorted(root.iterdir()) if root.exists() else []


def test_a_file_sent_with_a_message_reaches_the_therapist_as_a_download(
    patient_client, therapist_client, conversation
):
    response = _post(patient_client, conversation, body="The letter from the hospital.")
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert "letter.pdf" in response.text
    assert _download_url(attachment) in response.text

    download = therapist_client.get(_download_url(attachment))

    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"
    assert attachment.size == len(PDF)


def test_a_file_alone_is_a_message(patient_client, conversation):
    response = _post(patient_client, conversation, content=png_bytes(), name="drawing.png")
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert "drawing.png" in response.text


def test_the_offered_name_follows_the_content_not_the_claim(patient_client, conversation):
    _post(patient_client, conversation, content=png_bytes(), name="..\\..\\secret notes.PDF")
    download = patient_client.get(_download_url(Attachment.objects.get()))
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="secret notes.png"'


def test_the_stored_file_and_its_name_hold_no_plaintext(patient_client, conversation):
    _post(patient_client, conversation, name="discharge-letter.pdf")
    attachment = Attachment.objects.get()
    (stored,) = _stored_files()
    raw = stored.read_bytes()
    assert b"Discharge" not in raw
    assert b"%PDF" not in raw
    assert "discharge" not in stored.name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name_encrypted, file FROM messaging_attachment WHERE id = %s", [attachment.pk]
        )
        name, path = cursor.fetchone()
    assert "discharge" not in name
    assert "discharge" not in path


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (
            b"MZ\x90\x00\x03" + b"\x00" * 200,
            "report.pdf",
            "Only PDF, JPEG, PNG files are accepted; this file is none of them",
        ),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), "scan.pdf", "the limit is 10.0"),
        (b"\x89PNG\r\n\x1a\n" + b"broken", "photo.png", "This image is damaged"),
        (b"", "empty.pdf", "The submitted file is empty."),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_kept(
    patient_client, conversation, content, name, error
):
    response = _post(patient_client, conversation, content=content, name=name, body="See attached")

    assert response.status_code == 422
    assert error in response.text
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files() == []


def test_a_retried_send_keeps_one_message_and_one_file(patient_client, conversation):
    client_id = uuid.uuid4()
    _post(patient_client, conversation, client_id=client_id)
    _post(patient_client, conversation, client_id=client_id)
    assert Message.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert len(_stored_files()) == 1


def test_outsiders_get_404_for_a_file(
    patient_client, conversation, other_patient, other_therapist, unvetted_therapist, staff
):
    _post(patient_client, conversation)
    url = _download_url(Attachment.objects.get())
    for outsider in (other_patient, other_therapist, unvetted_therapist, staff):
        assert client_for(outsider).get(url).status_code == 404
    assert (
        client_for(other_patient).get(url.replace("/messages/", "/messages/9")).status_code == 404
    )


def test_a_file_is_reached_only_through_its_own_conversation(
    patient_client, conversation, other_patient
):
    _post(patient_client, conversation)
    attachment = Attachment.objects.get()
    # The other patient's own conversation id with this file's id: still not found.
    elsewhere = ConversationFactory(
        match__patient=other_patient, match__therapist=conversation.therapist, ended=True
    )
    url = reverse("message_attachment", kwargs={"pk": elsewhere.pk, "attachment_pk": attachment.pk})
    assert client_for(other_patient).get(url).status_code == 404
