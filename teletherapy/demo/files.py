"""The demo's files, drawn rather than shipped: each therapist's photo (their initials on a calm
colour, clearly a placeholder) and their degree and license scans (one-page PDFs that say they
are made up)."""

import io

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from accounts.choices import DegreeLevel
from accounts.models import TherapistDocument
from core import uploads
from teletherapy.demo.data import DemoTherapist

# Calm colours with enough contrast for white initials, one per demo therapist.
PHOTO_COLOURS = [
    "#2f6f73",
    "#5b4b8a",
    "#8a4b5b",
    "#3d6b45",
    "#7a5a2f",
    "#2f4f7a",
    "#6b3d6b",
    "#45607a",
    "#7a3d3d",
]


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


def demo_photo(*, name: str, colour: str) -> bytes:
    """A plain square with the therapist's initials: clearly a placeholder, not a portrait."""
    size = uploads.PHOTO_SIZE
    image = Image.new("RGB", (size, size), colour)
    font = ImageFont.load_default(size=size // 3)
    ImageDraw.Draw(image).text(
        (size / 2, size / 2), _initials(name), fill="white", font=font, anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing these lines, small but valid for any viewer."""
    text = b"".join(_pdf_string(line) + b" Tj T* " for line in lines)
    content = b"BT /F1 14 Tf 20 TL 72 770 Td " + text + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def demo_document_name(demo: DemoTherapist, kind: str) -> str:
    return f"DEMO-{kind}-{demo.email.partition('@')[0]}.pdf"


def demo_document(demo: DemoTherapist, kind: str) -> bytes:
    """The scan of ``demo``'s degree or license, marked DEMO all over."""
    c = demo.credentials
    if kind == TherapistDocument.Kind.DEGREE:
        title = "Degree certificate"
        details = [
            f"{DegreeLevel(c.degree_level).label}: {c.degree_field}",
            f"{c.degree_institution}, {c.degree_year}",
        ]
    else:
        title = "License / registration"
        details = [c.license_issuer, f"Number {c.license_number}"]
    return demo_pdf(
        [
            "DEMO - NOT A REAL DOCUMENT",
            f"Made up for the {settings.SITE_NAME} demo data.",
            "",
            title,
            demo.display_name,
            *details,
            "",
            "DEMO",
        ]
    )
