"""One place builds every outgoing message.

The reference goes in the subject ([SAR-7K2QX]) and the body, so a reply can be
matched even when a ticket system rewrites the subject. We generate the
Message-ID and store it before sending, so the In-Reply-To of a reply points
back at the request. No Auto-Submitted header: ticket systems suspend mail that
carries one. Header values are set through the email package's header registry,
which refuses line breaks, so no user-supplied text can add a header.

Most letters carry no attachment: for them `compose_fast` writes the same message
without the email package's header objects, which cost more than everything else
in composing a letter. Headers that are the same for a whole batch (From, To,
Reply-To) are folded by the email package once and kept; a Subject, Date or
Message-ID that is plain ASCII and fits on a line is written as it is, anything
else (non-ASCII, an encoded-word look-alike, a line break) goes through the email
package as before. The body is quoted-printable, lines at most 76 characters
(binascii, the C encoder the email package's own output matches).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache

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


# The policy messages are written with (as_bytes): CRLF, folding only past 998.
_WIRE = email_policy.SMTP.clone(max_line_length=998)


@dataclass
class Composed:
    """A message composed by `compose_fast` or `composed`: its bytes, its headers as
    the email package reads them back (msg["Subject"] is a str), and the envelope."""

    raw: bytes
    headers: dict
    sender: str             # the envelope sender (From's address)
    recipients: list[str]   # the envelope recipients (To's addresses)

    def __getitem__(self, name: str) -> str:
        return self.headers[name]


def composed(msg: EmailMessage) -> Composed:
    """The email package's message as a Composed (the slow path, with attachments)."""
    return Composed(as_bytes(msg), {k: str(v) for k, v in msg.items()},
                    msg["From"].addresses[0].addr_spec,
                    [a.addr_spec for a in msg["To"].addresses])


@lru_cache(maxsize=512)
def _address_header(name: str, display: str, email: str) -> tuple[str, str, str]:
    """(the folded line, the value as read back, the address): the same for every
    letter of a batch, so worked out once."""
    header = _WIRE.header_factory(name, _address(display, email))
    return header.fold(policy=_WIRE), str(header), header.addresses[0].addr_spec


def _line(name: str, value: str, headers: dict) -> str:
    """`Name: value` CRLF, through the email package unless plainly safe as it is;
    `headers` gets the value as the email package reads it back."""
    if (value.isascii() and value.isprintable() and "=?" not in value
            and value == value.strip() and len(name) + len(value) <= 990):
        headers[name] = value
        return f"{name}: {value}\r\n"
    header = _WIRE.header_store_parse(name, value)[1]  # refuses a line break
    headers[name] = str(header)
    return header.fold(policy=_WIRE)


_TEXT_HEAD = ('Content-Type: text/plain; charset="utf-8"\r\n'
              "Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n")


def _fit(line: bytes, limit: int = 76) -> bytes:
    """A quoted-printable line within RFC 2045 §6.7's 76 characters. binascii's
    encoder lets a line that ends in encoded whitespace ("=09") run to 77; such a
    line gets one more soft break, never inside an "=XX" escape."""
    out = []
    while len(line) > limit:
        cut = limit - 1  # room for the soft break's "="
        if b"=" in line[cut - 2:cut]:  # an escape would be split: cut before it
            cut = line.rindex(b"=", cut - 2, cut)
        out.append(line[:cut] + b"=")
        line = line[cut:]
    return b"\r\n".join([*out, line])


def compose_fast(*, subject: str, body: str, sender_name: str, sender_email: str,
                 to_name: str, to_email: str, message_id: str, when: dt.datetime,
                 reply_to: str | None = None, in_reply_to: str | None = None,
                 reply_to_name: str | None = None) -> Composed:
    """The message `compose` + `as_bytes` make, without attachments, made faster."""
    import binascii

    from_line, from_value, sender = _address_header("From", sender_name, sender_email)
    to_line, to_value, recipient = _address_header("To", to_name, to_email)
    subject = " ".join(subject.split())
    date = format_datetime(when)
    lines = [from_line, to_line]
    headers = {"From": from_value, "To": to_value}
    if reply_to:
        line, headers["Reply-To"], _ = _address_header("Reply-To", reply_to_name or sender_name,
                                                       reply_to)
        lines.append(line)
    lines += [_line("Subject", subject, headers), _line("Date", date, headers),
              _line("Message-ID", message_id, headers)]
    if in_reply_to:
        lines += [_line("In-Reply-To", in_reply_to, headers),
                  _line("References", in_reply_to, headers)]
    headers |= {"Content-Type": 'text/plain; charset="utf-8"',
                "Content-Transfer-Encoding": "quoted-printable", "MIME-Version": "1.0"}
    # As the email package does: lines split as bytes.splitlines, each ended by \n.
    text = b"\n".join(body.encode("utf-8").splitlines()) + b"\n"
    encoded = b"\r\n".join(line if len(line) <= 76 else _fit(line) for line in
                            binascii.b2a_qp(text, istext=True).split(b"\n"))
    raw = ("".join(lines) + _TEXT_HEAD).encode("ascii") + encoded
    return Composed(raw, headers, sender, [recipient])
