"""Checking uploaded files by what they contain, never by their name or the browser's word."""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
DOCUMENT_TYPES = (PDF, JPEG, PNG)
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
PHOTO_TYPES = (JPEG, PNG)
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}

PHOTO_SIZE = 600  # pixels on the longest side


def sniff_content_type(upload: UploadedFile) -> str | None:
    """PDF, JPEG or PNG from the file's first bytes; None for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


_DAMAGED = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _damaged() -> ValidationError:
    return ValidationError(
        _("This image is damaged or not what it claims to be."), code="invalid_image"
    )


def _check_image(upload: UploadedFile, content_type: str) -> None:
    try:
        with Image.open(upload) as image:
            if image.format != _PIL_FORMATS[content_type]:
                raise _damaged()
            image.verify()
        if content_type == JPEG:
            # verify() reads every PNG chunk but none of a JPEG's pixels: decode them, at an
            # eighth of the scale (cheap), so that a file cut short is caught here.
            upload.seek(0)
            with Image.open(upload) as image:
                image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
                image.load()
    except _DAMAGED as error:
        raise _damaged() from error
    finally:
        upload.seek(0)


def validate_upload(upload: UploadedFile, *, allowed: tuple[str, ...]) -> str:
    """The file's real content type, or a ValidationError that says what is wrong."""
    size = upload.size or 0
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s.")
            % {
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            },
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    content_type = sniff_content_type(upload)
    if content_type not in allowed:
        names = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
        raise ValidationError(
            _("Only %(types)s files are accepted; this file is none of them, whatever its name.")
            % {"types": ", ".join(names[t] for t in allowed)},
            code="file_type",
        )
    if content_type in _PIL_FORMATS:
        _check_image(upload, content_type)
    return content_type


def photo_normalise(upload: UploadedFile) -> ContentFile:
    """A square-bounded JPEG of the photo, turned upright, with every metadata block dropped.

    Re-encoding from pixels leaves EXIF (GPS position, camera, date), ICC and comments behind.
    """
    validate_upload(upload, allowed=PHOTO_TYPES)
    try:
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((PHOTO_SIZE, PHOTO_SIZE))
            pixels = Image.new("RGB", image.size, "white")
            pixels.paste(image.convert("RGBA"), mask=image.convert("RGBA"))
            out = io.BytesIO()
            pixels.save(out, format="JPEG", quality=85, optimize=True)
    except _DAMAGED as error:
        # Pixels that only fail to decode here (a PNG's compressed data, say).
        raise _damaged() from error
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue(), name="photo.jpg")
