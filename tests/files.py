"""Helpers for upload tests: real files of each accepted type, broken ones, programs in
disguise, a camera photo full of metadata, and what ended up in private storage."""

import io
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

MB = 1024 * 1024

EXECUTABLE_PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
EXECUTABLE_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def pdf_bytes(size: int | None = None) -> bytes:
    """A PDF; of exactly ``size`` bytes when given."""
    head, tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    if size is None:
        return head + b"1 0 obj << /Type /Catalog >> endobj" + tail
    return head + b"0" * (size - len(head) - len(tail)) + tail


def image_bytes(fmt: str, size=(40, 30), color="teal", **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save_options)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The browser's content type is deliberately plausible: the code must not believe it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    """Every file under PRIVATE_MEDIA_ROOT."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def png_cut_short() -> bytes:
    content = image_bytes("PNG", size=(200, 100))
    return content[: len(content) // 2]


def png_corrupted() -> bytes:
    content = bytearray(image_bytes("PNG", size=(200, 100)))
    content[len(content) // 2] ^= 0xFF
    return bytes(content)


def png_with_garbled_pixels() -> bytes:
    """Every chunk well formed, checksums right, but the compressed pixels are noise."""
    content = image_bytes("PNG", size=(200, 100))
    start = content.index(b"IDAT") - 4
    length = int.from_bytes(content[start : start + 4])
    garbage = bytes((i * 97 + 13) % 256 for i in range(length))
    chunk = b"IDAT" + garbage
    return (
        content[:start]
        + length.to_bytes(4)
        + chunk
        + zlib.crc32(chunk).to_bytes(4)
        + content[start + 12 + length :]
    )


def jpeg_cut_short() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((300, 200), 60).convert("RGB").save(out, "JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def camera_jpeg() -> bytes:
    """A 1200×800 landscape shot, red left half and blue right half, from a camera that
    recorded GPS, make and model, and that it was held rotated (orientation 6)."""
    image = Image.new("RGB", (1200, 800), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 600, 800))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmeCam"
    exif[ExifTags.Base.Model] = "Snooper 3000"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()
