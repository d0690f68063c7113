"""One place builds every outgoing message.

The reference goes in the subject ([SAR-7K2QX]) and the body, so a reply can be
matched even when a ticket system rewrites the subject. We generate the
Message-ID and store it before sending, so the In-Reply-To of a reply points
back at the request. No Auto-Submitted header: ticket systems suspend mail that
carries one. Header values are set through the email package's header registry,
which refuses line breaks, so no user-supplied text can add a header.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sar.errors import UsageError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Most providers refuse messages over 20-25 MB once encoded; base64 adds a third.
MAX_ATTACHMENTS = 15 * 1024 * 1024


def _address(name: str, email: str) -> Address:
    if any(c in name + email for c in "\r\n"):
        raise UsageError("a name or address contains a line break")
    local, _, domain = email.rpartition("@")
    # An internationalised domain goes in its ASCII form (RFC 5890): the email
    # package would otherwise write it as an encoded word, which is invalid there.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=name, username=local, domain=domain)


def plus_address(email: str, ref: str) -> str:
    """you@example.org -> you+sar-7k2qx@example.org, a Reply-To that names the request
    (RFC 5233 subaddressing; Gmail and Microsoft 365 deliver it to you)."""
    local, _, domain = email.rpartition("@")
    return f"{local}+{ref.lower()}@{domain}"


def read_attachments(paths) -> list[tuple[str, str, bytes]]:
    """(file name, MIME type, bytes) for files the user chose to attach."""
    import mimetypes
    from pathlib import Path

    out, total = [], 0
    for path in paths:
        path = Path(path)
        if any(ord(c) < 32 for c in path.name):
            raise UsageError("an attachment's file name contains a line break or control "
                             "character; rename the file")
        try:
            info = path.stat()
        except OSError as e:
            raise UsageError(f"cannot attach {path}: {e.strerror}") from None
        if not path.is_file():
            raise UsageError(f"cannot attach {path}: not a regular file")
        total += info.st_size
        if total > MAX_ATTACHMENTS:  # checked before reading: /dev/zero is not a file
            raise UsageError(f"attachments are larger than {MAX_ATTACHMENTS // 2**20} MB in "
                             "all; most mail servers would refuse the message")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot attach {path}: {e.strerror}") from None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out.append((path.name, mime, data))
    return out


def new_message_id(ref: str, sender_email: str) -> str:
    domain = sender_email.rpartition("@")[2] or "sar.invalid"
    return make_msgid(idstring=ref.lower(), domain=domain)


# RFC 2045 §6.7: an encoded line is at most 76 characters, its soft break '=' included;
# the email package's default (78) made lines strict servers may reject or rewrite.
_POLICY = email_policy.default.clone(max_line_length=76)


def compose(*, subject: str, body: str, sender_name: str, sender_email: str,
            to_name: str, to_email: str, message_id: str, when: dt.datetime,
            reply_to: str | None = None, in_reply_to: str | None = None,
            attachments: list[tuple[str, str, bytes]] = (),
            reply_to_name: str | None = None) -> EmailMessage:
    """A complete message. `attachments` are (filename, mime type, bytes)."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _address(sender_name, sender_email)
    msg["To"] = _address(to_name, to_email)
    if reply_to:
        msg["Reply-To"] = _address(reply_to_name or sender_name, reply_to)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for filename, mime, data in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends; headers folded only past RFC 5322's hard
    limit, because the email package folds a long Subject before its first word,
    which some ticket systems keep as a leading space."""
    from email import policy

    return msg.as_bytes(policy=policy.SMTP.clone(max_line_length=998))
