"""Credential documents: kept by their real type in private storage under a name that says
nothing; programs, damaged images, empty and oversized files refused with nothing left."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import TherapistDocument, TherapistProfile
from core import crypto, uploads
from tests.factories.accounts import (
    make_therapist,
)
from tests.files import (
    EXECUTABLE_ELF,
    EXECUTABLE_PE,
    MB,
    image_bytes,
    jpeg_cut_short,
    pdf_bytes,
    png_corrupted,
    png_cut_short,
    stored_files,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


@pytest.fixture
def draft_application(db):
    return make_therapist(Status.DRAFT, complete=False)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("degree.pdf", pdf_bytes(), uploads.PDF),
        ("license.jpg", image_bytes("JPEG"), uploads.JPEG),
        ("license.png", image_bytes("PNG"), uploads.PNG),
        ("degree.png", pdf_bytes(), uploads.PDF),  # the content decides, not the name
        ("license.pdf", image_bytes("PNG"), uploads.PNG),
        ("scan", image_bytes("JPEG"), uploads.JPEG),
    ],
)
def test_documents_are_kept_by_their_real_type(
    name, content, content_type, draft_application, settings
):
    document = services.therapist_document_add(
        profile=draft_application, kind=Kind.DEGREE, upload=upload(name, content)
    )

    document.refresh_from_db()
    assert document.content_type == content_type
    assert document.original_name == name
    assert document.size == len(content)
    stored = Path(document.file.path)
    assert stored.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert stored.suffix == ".bin"  # the stored name says nothing, not even the type
    assert Path(name).stem not in stored.name
    assert content[:4] not in stored.read_bytes()  # encrypted at rest
    assert crypto.decrypt_bytes(stored.read_bytes()) == content
    assert (
        document.download_name
        == f"degree-{document.pk}" + (TherapistDocument.EXTENSIONS[content_type])
    )
    assert stored_files(settings) == [stored]
    with pytest.raises(ValueError, match="no URL"):
        document.file.storage.url(document.file.name)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("degree.pdf", EXECUTABLE_PE, "Only PDF, JPEG, PNG files are accepted"),
        ("degree.pdf", EXECUTABLE_ELF, "whatever its name"),
        ("notes.txt", b"I am a degree, honestly.\n", "Only PDF, JPEG, PNG files are accepted"),
        ("degree.pdf", b"<html><script>alert(1)</script></html>", "Only PDF, JPEG, PNG"),
        ("empty.pdf", b"", "This file is empty"),
        ("big.pdf", pdf_bytes(11 * MB), "the limit is 10.0\xa0MB"),
        ("just-over.pdf", pdf_bytes(10 * MB + 1), "the limit is 10.0\xa0MB"),
        ("scan.png", png_cut_short(), "damaged"),
        ("scan.png", png_corrupted(), "damaged"),
        ("scan.jpg", jpeg_cut_short(), "damaged"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged"),
    ],
    ids=[
        "pe-exe",
        "elf",
        "text",
        "html",
        "empty",
        "11MB",
        "10MB+1",
        "png-cut",
        "png-corrupt",
        "jpeg-cut",
        "png-header-only",
        "jpeg-header-only",
    ],
)
def test_refused_documents_leave_nothing_behind(
    name, content, message, draft_application, settings
):
    with pytest.raises(ValidationError) as refusal:
        services.therapist_document_add(
            profile=draft_application, kind=Kind.DEGREE, upload=upload(name, content)
        )

    assert message in " ".join(refusal.value.messages)
    assert not TherapistDocument.objects.exists()
    assert stored_files(settings) == []


def test_exactly_the_limit_is_accepted(draft_application, settings):
    content = pdf_bytes(10 * MB)
    assert len(content) == 10 * 1024 * 1024

    document = services.therapist_document_add(
        profile=draft_application, kind=Kind.LICENSE, upload=upload("scan.pdf", content)
    )

    assert document.size == 10 * MB
    assert Path(document.file.path).stat().st_size > 10 * MB  # encrypted: a little more


def test_the_limit_comes_from_settings(settings):
    settings.UPLOAD_MAX_BYTES = 1000

    assert uploads.validate_upload(upload("a.pdf", pdf_bytes(1000)), allowed=uploads.DOCUMENT_TYPES)
    with pytest.raises(ValidationError, match="1000"):
        uploads.validate_upload(upload("a.pdf", pdf_bytes(1001)), allowed=uploads.DOCUMENT_TYPES)


def test_a_document_needs_a_known_kind(draft_application, settings):
    with pytest.raises(ValidationError, match="Choose what this document is"):
        services.therapist_document_add(
            profile=draft_application, kind="passport", upload=upload("x.pdf", pdf_bytes())
        )

    assert stored_files(settings) == []


def test_a_deleted_document_file_goes_once_committed(
    draft_application, settings, django_capture_on_commit_callbacks
):
    document = services.therapist_document_add(
        profile=draft_application, kind=Kind.DEGREE, upload=upload("d.pdf", pdf_bytes())
    )
    path = Path(document.file.path)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.therapist_document_delete(profile=draft_application, document_id=document.pk)
    assert path.exists()
    for callback in callbacks:
        callback()

    assert not path.exists()
    assert not TherapistDocument.objects.exists()


@pytest.mark.parametrize("content", [image_bytes("JPEG"), image_bytes("PNG")], ids=["jpeg", "png"])
def test_uploads_sniff_the_content_not_the_name(content):
    assert uploads.sniff_content_type(upload("photo.pdf", content)) in uploads.PHOTO_TYPES
    assert uploads.sniff_content_type(upload("doc.png", pdf_bytes())) == uploads.PDF
    assert uploads.sniff_content_type(upload("x.pdf", EXECUTABLE_PE)) is None
