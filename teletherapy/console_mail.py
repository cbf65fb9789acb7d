"""Development emails, printed in the terminal so that a person can read them and copy a link.

Django's own console backend prints the raw MIME message: quoted-printable wraps long lines
with ``=`` soft breaks (``…/confirm-emai=`` then ``l/MTM…``), so a copied link is a 404, and
any accented word comes out encoded. This one prints the headers a reader needs and the decoded
text body, each line whole; attachments by name, type and size. ``EMAIL_URL=console:`` (the
development default) selects it.
"""

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

RULE = "-" * 79


def readable(message: EmailMessage) -> str:
    """The message as a person reads it: headers, a blank line, the text body as written."""
    lines = [
        f"From: {message.from_email}",
        f"To: {', '.join(message.to)}",
    ]
    if message.cc:
        lines.append(f"Cc: {', '.join(message.cc)}")
    if message.bcc:
        lines.append(f"Bcc: {', '.join(message.bcc)}")
    lines += [f"Subject: {message.subject}", "", str(message.body).rstrip("\n")]
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            name, content, mimetype = attachment
            size = len(content.encode() if isinstance(content, str) else content)
            lines.append(f"[attachment: {name} ({mimetype}, {size} bytes)]")
        else:  # a MIME part given whole
            lines.append(
                f"[attachment: {attachment.get_filename()} ({attachment.get_content_type()})]"
            )
    return "\n".join(lines)


class EmailBackend(DjangoConsoleBackend):
    """Django's console backend (same stream, locking and flushing), decoded."""

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(f"{readable(message)}\n{RULE}\n")
