"""Therapist photos: turned upright, at most 600 px, re-encoded without any metadata; a
refused photo changes nothing; a replaced or removed photo is deleted once committed."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from accounts import selectors
from accounts.models import TherapistDocument, TherapistProfile
from core import crypto
from tests.factories.accounts import (
    about_update,
    make_therapist,
)
from tests.files import (
    EXECUTABLE_PE,
    camera_jpeg,
    image_bytes,
    jpeg_cut_short,
    pdf_bytes,
    png_cut_short,
    png_with_garbled_pixels,
    stored_files,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vetting_clock", "in_english")]

Status = TherapistProfile.VettingStatus
Kind = TherapistDocument.Kind


def test_a_photo_is_upright_small_and_without_metadata(settings):
    profile = make_therapist(Status.APPROVED)
    original = camera_jpeg()
    assert b"AcmeCam" in original

    about_update(profile, photo=upload("IMG_0042.jpg", original, "image/jpeg"))

    profile.refresh_from_db()
    path = Path(profile.photo.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert path.suffix == ".bin"
    assert "IMG_0042" not in path.name
    data = crypto.decrypt_bytes(path.read_bytes())  # encrypted at rest
    assert b"AcmeCam" not in data
    assert b"Snooper" not in data
    assert b"Exif" not in data
    with Image.open(io.BytesIO(data)) as photo:
        assert photo.format == "JPEG"
        assert "exif" not in photo.info
        assert not photo.getexif()
        # Turned as the camera said: portrait now, the red half on top, at most 600 px.
        assert photo.size == (400, 600)
        red, blue = photo.convert("RGB").getpixel((200, 100)), photo.getpixel((200, 500))
        assert red[0] > 200
        assert red[2] < 60
        assert blue[2] > 200
        assert blue[0] < 60
    with pytest.raises(ValueError, match="no URL"):
        profile.photo.storage.url(profile.photo.name)


def test_a_small_png_photo_becomes_a_jpeg_of_the_same_size():
    profile = make_therapist(Status.APPROVED)

    about_update(profile, photo=upload("me.png", image_bytes("PNG", size=(120, 90)), "image/png"))

    profile.refresh_from_db()
    with Image.open(io.BytesIO(selectors.therapist_photo_content(profile))) as photo:
        assert (photo.format, photo.size) == ("JPEG", (120, 90))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (pdf_bytes(), "Only JPEG, PNG files are accepted"),
        (EXECUTABLE_PE, "Only JPEG, PNG files are accepted"),
        (png_cut_short(), "damaged"),
        (jpeg_cut_short(), "damaged"),
        (png_with_garbled_pixels(), "damaged"),
        (b"", "empty"),
    ],
    ids=["pdf", "exe", "png-cut", "jpeg-cut", "png-garbled-pixels", "empty"],
)
def test_a_refused_photo_changes_nothing(content, message, settings):
    profile = make_therapist(Status.APPROVED, complete=False)

    with pytest.raises(ValidationError) as refusal:
        about_update(profile, photo=upload("me.jpg", content, "image/jpeg"))

    assert message in " ".join(refusal.value.messages)
    profile.refresh_from_db()
    assert not profile.photo
    assert profile.display_name != "Ana Lopes"
    assert stored_files(settings) == []


def test_a_photo_is_not_left_behind_when_the_rest_of_the_step_is_refused(settings):
    profile = make_therapist(Status.APPROVED, complete=False)

    with pytest.raises(ValidationError):
        about_update(profile, time_zone="Mars/Olympus_Mons", photo=upload("me.jpg", camera_jpeg()))

    profile.refresh_from_db()
    assert not profile.photo
    assert stored_files(settings) == []


def test_a_replaced_photo_is_deleted_once_committed(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about_update(profile, photo=upload("first.jpg", image_bytes("JPEG", color="red")))
    profile.refresh_from_db()
    first = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        about_update(profile, photo=upload("second.jpg", image_bytes("JPEG", color="blue")))
    assert first.exists()  # a rolled-back change must still find its photo
    for callback in callbacks:
        callback()

    profile.refresh_from_db()
    second = Path(profile.photo.path)
    assert second != first
    assert second.exists()
    assert not first.exists()


def test_a_removed_photo_is_deleted_once_committed(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about_update(profile, photo=upload("me.png", image_bytes("PNG")))
    profile.refresh_from_db()
    path = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=True):
        about_update(profile, remove_photo=True)

    profile.refresh_from_db()
    assert not profile.photo
    assert not path.exists()


def test_keeping_the_photo_deletes_nothing(django_capture_on_commit_callbacks):
    profile = make_therapist(Status.APPROVED, complete=False)
    about_update(profile, photo=upload("me.png", image_bytes("PNG")))
    profile.refresh_from_db()
    path = Path(profile.photo.path)

    with django_capture_on_commit_callbacks(execute=True):
        about_update(profile, display_name="Ana M. Lopes")

    profile.refresh_from_db()
    assert Path(profile.photo.path) == path
    assert path.exists()
