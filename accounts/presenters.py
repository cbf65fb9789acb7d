"""Accounts' values turned into words and shapes for pages: a legal document's text as blocks
(headings, paragraphs, lists), what a person accepted, and a login session's device in a few
words.

A legal document is plain text staff write in the admin: paragraphs separated by an empty line,
``## `` starting a heading, ``- `` starting a list item. Nothing in it is HTML: the template
escapes every word, so a document can never carry markup or a script.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import LegalAcceptance, LegalDocument, UserSession
from accounts.selectors import LoginSession


@dataclass
class Block:
    kind: str  # "heading", "paragraph" or "list"
    text: str = ""
    items: list[str] = field(default_factory=list)


def legal_text_blocks(text: str) -> list[Block]:
    """The blocks of a document's text, in order (any text: never raises)."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def close_paragraph() -> None:
        if paragraph:
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close_paragraph()
        elif line.startswith("## "):
            close_paragraph()
            blocks.append(Block("heading", line[3:].strip()))
        elif line.startswith("- "):
            close_paragraph()
            if not blocks or blocks[-1].kind != "list":
                blocks.append(Block("list"))
            blocks[-1].items.append(line[2:].strip())
        else:
            if blocks and blocks[-1].kind == "list" and not paragraph and raw[:1].isspace():
                blocks[-1].items[-1] += " " + line  # an item continued on the next line
                continue
            paragraph.append(line)
    close_paragraph()
    return blocks


def device_words(*, browser: str, system: str, device_type: str) -> str:
    """ "Firefox on Windows", "Safari on iOS", or what is known of it."""
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    labels = dict(UserSession.DeviceType.choices)
    return str(labels.get(device_type, UserSession.DeviceType.UNKNOWN.label))


def login_session_rows(sessions: list[LoginSession]) -> list[dict]:
    """*Where you are signed in*: each session with its device in words."""
    return [
        {
            "session": session,
            "device": device_words(
                browser=session.browser, system=session.system, device_type=session.device_type
            ),
        }
        for session in sessions
    ]


def accepted_rows(acceptances: list[LegalAcceptance], *, language: str) -> list[dict]:
    """*What you accepted*: each version with its title in ``language``, its number and when
    (the page links each to the words accepted)."""
    return [
        {
            "title": acceptance.document.title_for(language),
            "version": acceptance.document.version,
            "accepted_at": acceptance.accepted_at,
            "url": legal_url(acceptance.document),
        }
        for acceptance in acceptances
    ]


def legal_url(document: LegalDocument, *, current: bool = False) -> str:
    """The public address of this version (or, with ``current``, of the document in effect)."""
    if current:
        return reverse(f"legal_{document.kind}")
    return reverse(f"legal_{document.kind}_version", args=[document.version])
