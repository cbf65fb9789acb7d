"""Private files through the pages that send and serve them, on the filesystem and on object
storage alike: a message's attachment (stored encrypted) reaches the other party and no one
else, a credential document its therapist and staff, a photo whom it may; outsiders get 404 and
nothing on the disk or in the bucket names a person or a file. A key rotation rewrites an
attachment and leaves no copy under the old key."""

import io
import uuid
from typing import cast

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import services as accounts_services
from accounts.models import TherapistDocument, TherapistProfile, User
from core import crypto
from messaging import services as messaging_services
from messaging.models import Attachment, Conversation
from tests.factories import PDF, TherapistFactory
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for
from tests.storage import PrivatePlace

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 500), "teal").save(out, format="PNG")
    return out.getvalue()


def _send_file(conversation, name: str, body: str = "") -> Attachment:
    """The patient sends ``name`` (a PDF) through the page's send view; its attachment row."""
    sent = client_for(conversation.patient).post(
        reverse("message_send", kwargs={"pk": conversation.pk}),
        {
            "body": body,
            "client_id": str(uuid.uuid4()),
            "attachment": SimpleUploadedFile(name, PDF),
        },
        headers={"HX-Request": "true"},
    )
    assert sent.status_code == 200
    return Attachment.objects.get()


def _download_url(attachment: Attachment) -> str:
    return reverse(
        "message_attachment",
        kwargs={"pk": attachment.message.conversation_id, "attachment_pk": attachment.pk},
    )


def _applicant() -> User:
    """A therapist whose application is a draft (documents can be added and removed)."""
    return cast(User, TherapistFactory(therapist_profile__vetting_status="draft"))


def _upload_document(user, kind: str, name: str) -> TherapistDocument:
    """``user`` uploads ``name`` (a PDF) on their application's documents step."""
    uploaded = client_for(user).post(
        reverse("therapist_application_step", kwargs={"step": "documents"}),
        {"kind": kind, "file": SimpleUploadedFile(name, PDF), "upload": "1"},
    )
    assert uploaded.status_code == 302
    return TherapistDocument.objects.get()


def test_an_attachment_is_sent_stored_encrypted_and_served_to_the_other_party_only(
    private_place: PrivatePlace, other_patient, other_therapist, staff
):
    conversation = cast(Conversation, ConversationFactory())
    attachment = _send_file(conversation, "discharge-letter.pdf", "The letter from the hospital.")

    name = str(attachment.file.name)
    stored = private_place.stored()
    assert list(stored) == [name]
    assert name.startswith("message-attachments/")
    assert b"%PDF" not in stored[name]  # encrypted before it was stored
    assert "discharge" not in name

    url = _download_url(attachment)
    download = client_for(conversation.therapist.user).get(url)
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Disposition"] == 'attachment; filename="discharge-letter.pdf"'
    assert download["Cache-Control"] == "private, no-store"

    assert client_for(conversation.patient).get(url).status_code == 200  # the sender too
    for outsider in (other_patient, other_therapist, staff):
        assert client_for(outsider).get(url).status_code == 404


def test_an_attachment_is_refused_to_someone_logged_out(private_place: PrivatePlace, client):
    attachment = _send_file(ConversationFactory(), "a.pdf")

    response = client.get(_download_url(attachment))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_credential_document_is_served_to_its_therapist_and_staff_only(
    private_place: PrivatePlace, patient, other_therapist, staff
):
    applicant = _applicant()
    document = _upload_document(applicant, "license", "license-Anna-Novak.pdf")

    assert list(private_place.stored()) == [document.file.name]
    assert "Novak" not in str(document.file.name)
    url = reverse("therapist_document", kwargs={"pk": document.pk})
    for reader in (applicant, staff):
        download = client_for(reader).get(url)
        assert download.status_code == 200
        assert download.getvalue() == PDF
        assert download["Cache-Control"] == "private, no-store"
    for outsider in (patient, other_therapist):
        assert client_for(outsider).get(url).status_code == 404


def test_a_removed_document_leaves_nothing_behind(
    private_place: PrivatePlace, django_capture_on_commit_callbacks
):
    applicant = _applicant()
    document = _upload_document(applicant, "degree", "degree.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        removed = client_for(applicant).post(
            reverse("therapist_document_delete", kwargs={"pk": document.pk})
        )

    assert removed.status_code == 302
    assert private_place.stored() == {}


def test_a_photo_is_served_to_its_therapist_and_staff_not_to_a_patient_before_approval(
    private_place: PrivatePlace, patient, staff
):
    applicant = _applicant()
    profile = TherapistProfile.objects.get(user=applicant)
    accounts_services.therapist_about_update(
        profile=profile,
        display_name="Dr Anna Novak",
        gender="woman",
        time_zone="Europe/Warsaw",
        languages=[("pl", "native")],
        bios={},
        photo=SimpleUploadedFile("me.png", _png()),
    )
    profile.refresh_from_db()
    assert list(private_place.stored()) == [profile.photo.name]

    url = reverse("therapist_photo", kwargs={"pk": profile.pk})
    for reader in (applicant, staff):
        served = client_for(reader).get(url)
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.getvalue()))
        assert image.format == "JPEG"
    assert client_for(patient).get(url).status_code == 404


def test_a_key_rotation_needs_no_copy_of_the_attachment(private_place: PrivatePlace, settings):
    """The file is under the patient's data key: rotating the platform keys re-wraps that key
    and leaves the stored file as it is; the old platform key can still go."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MESSAGE_ENCRYPTION_KEYS = [old]
    conversation = cast(Conversation, ConversationFactory())
    attachment = _send_file(conversation, "letter.pdf")
    before = private_place.stored()

    settings.MESSAGE_ENCRYPTION_KEYS = [new, old]
    assert crypto.data_keys_rewrap() == 1
    _messages, attachments = messaging_services.messages_reencrypt()
    assert attachments == 0
    settings.MESSAGE_ENCRYPTION_KEYS = [new]

    attachment.refresh_from_db()
    assert private_place.stored() == before
    download = client_for(conversation.therapist.user).get(_download_url(attachment))
    assert download.content == PDF
