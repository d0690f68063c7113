"""Reading an incoming message: the facts matching and classification need.

`parse(raw)` never raises on a malformed message: whatever cannot be read is left
out, and the rest is still usable. It is bounded: at most MAX_PARTS MIME parts are
walked and at most MAX_TEXT characters of text kept, so a hostile message cannot
make `sar watch` slow or large. Attachments are described (name, type, bytes),
never opened.

Bounces are recognised by their structure (after ../shared/reference/mail.md §4):
a multipart/report delivery-status notification, an X-Failed-Recipients header, or
a mailer-daemon/postmaster sender with a null return path or a failure subject.
The original message's Message-ID is looked for where a bounce returns it: a
message/rfc822 or text/rfc822-headers part, or the copy pasted into a plain-text
bounce.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

MAX_PARTS = 500
MAX_TEXT = 200_000
MAX_HEADER = 4_000

_MSGID = re.compile(r"<[^<>\s]{1,500}>")
# In a returned original, some MTAs' Message-IDs lack their angle brackets.
_MSGID_LINE = re.compile(r"^[ \t]*Message-ID:\s{0,10}<?([^<>\s]{1,500})>?",
                         re.IGNORECASE | re.MULTILINE)
MAX_RETURNED = 64 * 1024   # of a bounce's returned headers or pasted original, searched
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|mail\.daemon)"
                     r"(@|$)", re.IGNORECASE)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|"
    r"delivery fail|mail delivery|non[- ]?delivery|could not be delivered|"
    r"nicht zustellbar|unzustellbar|non remis|message bloqu|no se puede entregar",
    re.IGNORECASE)
_DAEMON_NAME = re.compile(r"mailer[- ]daemon|mail delivery (subsystem|system)|"
                          r"ndr administrator", re.IGNORECASE)
# From a mailer daemon, any of these words says the mail failed (not "delayed").
_DAEMON_SUBJECT = re.compile(r"fail|undeliver|returned|delivery (status|notification|report)|"
                             r"error|bounce|rejected|zustell|non remis|unzustellbar",
                             re.IGNORECASE)
# RFC 3834, and the headers vendors use instead of it.
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office|"
    r"i am (currently )?out of|away from (the )?office|on (annual )?leave|vacation|"
    r"abwesenheit|automatische antwort|abwesenheitsnotiz|r[ée]ponse automatique|"
    r"absence|absent du bureau|respuesta autom[áa]tica|fuera de la oficina)",
    re.IGNORECASE)


@dataclass
class Attachment:
    filename: str          # sanitised: a display name, never a path
    content_type: str
    data: bytes


@dataclass
class Inbound:
    """What sar reads from one incoming message."""

    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    sender_addrs: list[str] = field(default_factory=list)   # From, Sender, Reply-To
    recipients: list[str] = field(default_factory=list)     # To, Cc, Delivered-To, ...
    date: dt.datetime | None = None
    received: dt.datetime | None = None   # the topmost Received header: our own server's
    text: str = ""                         # the readable text: plain, or HTML made plain
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> values
    attachments: list[Attachment] = field(default_factory=list)
    # Bounces
    is_dsn: bool = False                   # a multipart/report delivery-status notification
    bounce_signals: list[str] = field(default_factory=list)
    original_message_ids: list[str] = field(default_factory=list)
    failed_recipients: list[str] = field(default_factory=list)
    bounce_status: str | None = None       # e.g. "5.1.1", from the DSN
    bounce_actions: list[str] = field(default_factory=list)  # failed | delayed | ...
    bounce_diagnostic: str | None = None
    auto_signals: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read
    # Messages carried whole (message/rfc822 parts): a forward "as attachment".
    forwarded: list[bytes] = field(default_factory=list)

    @property
    def from_domain(self) -> str:
        return self.from_addr.rpartition("@")[2].lower()

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


MAX_FORWARDED = 25 * 2**20  # a message carried whole, read as its own up to this size


def parse(raw: bytes) -> Inbound:
    out = Inbound()
    try:
        # compat32: headers stay strings until asked for, which is several times
        # faster than the header registry of policy.default; we decode what we use.
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as e:  # noqa: BLE001 - a message we cannot parse is still evidence
        out.problems.append(f"unparseable: {type(e).__name__}")
        return out
    _guarded(_read_headers, out, msg, out)
    parts = []
    try:
        for i, part in enumerate(msg.walk()):
            if i >= MAX_PARTS:
                out.problems.append(f"more than {MAX_PARTS} parts: the rest not read")
                break
            parts.append(part)
    except Exception as e:  # noqa: BLE001
        out.problems.append(f"broken MIME structure: {type(e).__name__}")
    # Each part with its content type, read once (a part whose type cannot be read
    # is left out by both readers below).
    typed = []
    for part in parts:
        with contextlib.suppress(Exception):
            typed.append((part, part.get_content_type()))
    _guarded(_read_body, out, typed, out)
    _guarded(_read_bounce, out, msg, typed, out)
    _guarded(_read_auto, out, out)
    return out


def _guarded(step, out: Inbound, *args) -> None:
    """Run one stage of reading; a message that breaks it is still evidence, and
    the stages after it still run."""
    try:
        step(*args)
    except Exception as e:  # noqa: BLE001 - hostile mail must never stop `sar watch`
        out.problems.append(f"could not read ({step.__name__.strip('_')}: "
                            f"{type(e).__name__})")


def decode_words(value) -> str:
    """A header's text with RFC 2047 encoded words decoded; what cannot be decoded
    is kept as it came."""
    from email.header import decode_header, make_header

    text = str(value)
    if "=?" not in text and not hasattr(value, "_chunks"):
        return " ".join(text.split()) if "\n" in text else text
    try:
        return str(make_header(decode_header(text[:MAX_HEADER * 4])))
    except Exception:  # noqa: BLE001 - a broken encoded word: keep the raw form
        return text


_KEPT = ("message-id", "in-reply-to", "references", "subject", "from", "sender", "reply-to",
         "to", "cc", "delivered-to", "x-original-to", "envelope-to", "date", "received",
         "return-path", "auto-submitted", "x-autoreply", "x-autorespond",
         "x-auto-response-suppress", "precedence", "x-failed-recipients",
         "authentication-results", "x-ms-exchange-message-is-ndr", "content-type",
         "x-zendesk-ticket-id", "list-id", "list-unsubscribe")


_KEPT_SET = frozenset(_KEPT)


def _raw_headers(msg) -> dict[str, list]:
    """The kept headers as they came, by lower-case name: one pass over the header
    (get_all walks every header once a name)."""
    raw: dict[str, list] = {}
    try:
        for key, value in msg.items():
            name = key.lower()
            if name in _KEPT_SET:
                raw.setdefault(name, []).append(value)
    except Exception:  # noqa: BLE001 - a header that breaks items(): one name at a time
        raw = {}
        for name in _KEPT:
            with contextlib.suppress(Exception):
                if values := msg.get_all(name):
                    raw[name] = values
    return raw


def _read_headers(msg, out: Inbound) -> None:
    raw = _raw_headers(msg)
    for name in _KEPT:
        if name in raw:
            out.headers[name] = [decode_words(v)[:MAX_HEADER] for v in raw[name]]
    mid = _MSGID.findall(out.header("message-id"))
    out.message_id = mid[0] if mid else None
    out.in_reply_to = _MSGID.findall(" ".join(out.headers.get("in-reply-to", [])))
    out.references = _MSGID.findall(" ".join(out.headers.get("references", [])))
    out.subject = " ".join(out.header("subject").split())
    # Addresses are read from the raw header, before encoded words are decoded:
    # "=?utf-8?q?privacy=40acme.example?= <x@evil.example>" is x@evil.example.
    senders = _addresses(raw.get("from"))
    name, addr = senders[0] if senders else ("", "")
    out.from_name, out.from_addr = decode_words(name), addr.lower()
    for h in ("from", "sender", "reply-to"):
        out.sender_addrs += [a.lower() for _, a in (senders if h == "from" else
                                                    _addresses(raw.get(h))) if a]
    for h in ("to", "cc", "delivered-to", "x-original-to", "envelope-to"):
        out.recipients += [a.lower() for _, a in _addresses(raw.get(h)) if a]
    out.date = _when(out.header("date"))
    received = out.headers.get("received", [])
    if received:
        out.received = _when(received[0].rpartition(";")[2])


def _addresses(header_values) -> tuple[tuple[str, str], ...]:
    if not header_values:
        return ()
    try:
        values = tuple(str(v)[:MAX_HEADER] for v in header_values)
    except Exception:  # noqa: BLE001 - a header that cannot be a string: no addresses
        return ()
    return _addresses_in(values)


@functools.lru_cache(maxsize=1024)
def _addresses_in(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (name, address) pairs of a header's values, remembered: a mailbox's
    To and its newsletters' From come again and again, and email.utils reads an
    address slowly."""
    try:
        return tuple((n, a) for n, a in getaddresses(list(values)) if "@" in a or n)[:200]
    except Exception:  # noqa: BLE001 - e.g. RecursionError on 500 nested comments
        return ()


def _when(value: str) -> dt.datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if not 2000 <= when.year <= 2100:
        return None
    return when


def _is_attachment(part, ctype: str) -> bool:
    """`ctype`: the part's content type, as get_content_type() gave it."""
    try:
        disposition = part.get_content_disposition()
    except Exception:  # noqa: BLE001
        disposition = None
    return disposition == "attachment" or (
        disposition != "inline"
        and ctype.partition("/")[0] not in ("text", "multipart", "message")
        and bool(_filename(part)))


def _filename(part) -> str | None:
    try:
        name = part.get_filename()
        return decode_words(name) if name else None
    except Exception:  # noqa: BLE001
        return None


def safe_name(name: str | None, fallback: str = "attachment") -> str:
    """A display name that can never be a path: no folders, no control characters,
    no leading dots, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    name = name.strip().lstrip(".").strip()
    return (name or fallback)[:120]


def _content(part) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding: read what is there
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except Exception:  # noqa: BLE001 - a charset Python does not know, or cannot decode
        return payload.decode("utf-8", "replace")


def _read_body(typed, out: Inbound) -> None:
    plain, html = [], []
    for part, ctype in typed:
        if ctype in ("message/rfc822", "message/global") and len(out.forwarded) < 5:
            try:
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) else inner
                data = inner.as_bytes()
                if len(data) <= MAX_FORWARDED:
                    out.forwarded.append(data)
            except Exception:  # noqa: BLE001 - unreadable: its text is still read below
                pass
        if part.is_multipart():
            continue
        if _is_attachment(part, ctype):
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:  # noqa: BLE001
                data = b""
            out.attachments.append(Attachment(safe_name(_filename(part)), ctype, data))
            continue
        if ctype == "text/plain":
            plain.append(_content(part))
        elif ctype == "text/html":
            html.append(_content(part))
        if sum(map(len, plain)) + sum(map(len, html)) > MAX_TEXT:
            out.problems.append("text longer than sar reads: the rest not read")
            break
    text = "\n".join(plain) if plain else "\n".join(html_to_text(h) for h in html)
    out.text = text.replace("\r\n", "\n")[:MAX_TEXT]


def html_to_text(html: str) -> str:
    """Readable text from HTML: blocks become lines, scripts and styles vanish."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote",
                 "hr", "td", "ul", "ol", "pre"}

        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style", "head", "title"):
                self.skip += 1
            elif tag in self.BLOCK:
                self.out.append("\n")
            if tag == "blockquote":
                self.out.append("\n> ")  # a quote, as the plain-text convention marks it

        def handle_endtag(self, tag):
            if tag in ("script", "style", "head", "title"):
                self.skip = max(0, self.skip - 1)
            elif tag in self.BLOCK:
                self.out.append("\n")

        def handle_data(self, data):
            if not self.skip:
                self.out.append(data)

    parser = Text()
    try:
        parser.feed(html[:MAX_TEXT])
        parser.close()
    except Exception:  # noqa: BLE001 - broken HTML: what was read is what we have
        pass
    lines = (" ".join(line.split()) for line in "".join(parser.out).split("\n"))
    return "\n".join(line for line in lines if line)


def _read_bounce(msg, typed, out: Inbound) -> None:
    try:
        ctype = msg.get_content_type()
        # Only a multipart/report's report type is ever asked for below.
        report_type = (msg.get_param("report-type") or "").lower() \
            if ctype == "multipart/report" else ""
    except Exception:  # noqa: BLE001
        ctype, report_type = "", ""
    has_status_part = False
    originals: list[str] = []
    for part, ptype in typed:
        if ptype in ("message/delivery-status", "message/global-delivery-status"):
            has_status_part = True
            _read_status(part, out)
        elif ptype in ("message/rfc822", "message/global"):
            try:
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) else inner
                originals += [f"<{m}>" for m in _MSGID_LINE.findall(
                    "Message-ID: " + str(inner.get("message-id", "")))]
            except Exception:  # noqa: BLE001
                pass
        elif ptype in ("text/rfc822-headers", "text/global-headers"):
            originals += [f"<{m}>" for m in
                          _MSGID_LINE.findall(_content(part)[:MAX_RETURNED])]
    if ctype == "multipart/report" and (report_type == "delivery-status" or has_status_part):
        out.is_dsn = True
        out.bounce_signals.append("multipart/report delivery-status notification")
    elif has_status_part:
        out.bounce_signals.append("a delivery-status part")
    failed = out.headers.get("x-failed-recipients", [])
    if failed:
        out.bounce_signals.append("X-Failed-Recipients header")
        out.failed_recipients += [a.strip().lower() for v in failed for a in v.split(",")
                                  if a.strip()]
    if "x-ms-exchange-message-is-ndr" in out.headers:
        out.bounce_signals.append("X-MS-Exchange-Message-Is-Ndr header")
    null_path = "return-path" in out.headers and \
        out.header("return-path").strip().lower() in ("<>", "", "<mailer-daemon>")
    daemon = bool(_DAEMON.match(out.from_addr) or _DAEMON.match(out.from_name)
                  or _DAEMON_NAME.search(out.from_name)
                  or (not out.from_addr and null_path))
    if daemon and (null_path or originals or out.bounce_signals
                   or _DAEMON_SUBJECT.search(out.subject)):
        out.bounce_signals.append("sent by a mailer daemon")
    elif null_path and _FAILURE_SUBJECT.search(out.subject):
        out.bounce_signals.append("a null return path and a delivery-failure subject")
    if out.bounce_signals:
        if not originals:
            # A plain-text bounce pastes the original below its notice: its
            # Message-ID is the first one after the bounce's own headers.
            originals = [f"<{m}>" for m in _MSGID_LINE.findall(out.text[:MAX_RETURNED])
                         if f"<{m}>" != out.message_id]
        out.original_message_ids = list(dict.fromkeys(originals))


def _read_status(part, out: Inbound) -> None:
    try:
        blocks = part.get_payload()
    except Exception:  # noqa: BLE001
        return
    if not isinstance(blocks, list):
        return
    for block in blocks[1:]:
        try:
            recipient = str(block.get("final-recipient") or block.get("original-recipient") or "")
            status = str(block.get("status") or "").strip()
            diagnostic = str(block.get("diagnostic-code") or "").strip()
            action = str(block.get("action") or "").strip().lower()
        except Exception:  # noqa: BLE001
            continue
        if action:
            out.bounce_actions.append(action[:20])
        if recipient:
            out.failed_recipients.append(recipient.rpartition(";")[2].strip().lower())
        if status and not out.bounce_status:
            out.bounce_status = status[:40]
        if diagnostic and not out.bounce_diagnostic:
            out.bounce_diagnostic = " ".join(diagnostic.split())[:300]


def _read_auto(out: Inbound) -> None:
    auto = out.header("auto-submitted").strip().lower()
    if auto and not auto.startswith("no"):
        out.auto_signals.append(f"Auto-Submitted: {auto.split(';')[0]}")
    for name in ("x-autoreply", "x-autorespond"):
        if name in out.headers:
            out.auto_signals.append(f"{name} header")
    precedence = out.header("precedence").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        out.auto_signals.append(f"Precedence: {precedence}")
    if _AUTO_SUBJECT.match(out.subject):
        out.auto_signals.append("an out-of-office or automatic-reply subject")


def _results(value: str) -> tuple[str, list[tuple[str, str, dict]]]:
    """An Authentication-Results header as (authserv-id, [(method, result, props)]).
    Comments go first, then each `;`-separated result is read from its start, so
    nothing a sender controls (smtp.mailfrom=dmarc=pass@...) reads as a verdict."""
    text = value
    for _ in range(5):  # nested comments, innermost first
        text = re.sub(r"\([^()]*\)", " ", text)
    pieces = [p.strip() for p in text.split(";")]
    server = pieces[0].split()[0].lower() if pieces and pieces[0].split() else ""
    out = []
    for piece in pieces[1:]:
        m = re.match(r"([a-z0-9-]+)\s*=\s*([a-z]+)\b(.*)$", piece, re.IGNORECASE | re.DOTALL)
        if not m:
            continue
        props = dict((k.lower(), v.strip('"').lower()) for k, v in
                     re.findall(r"\b([a-z]+\.[a-z-]+)\s*=\s*(\S+)", m.group(3), re.IGNORECASE))
        out.append((m.group(1).lower(), m.group(2).lower(), props))
    return server, out


def authentication(msg: Inbound, authserv_id: str | None) -> tuple[str, str]:
    """('pass' | 'fail' | 'unverified', why), from the Authentication-Results header
    that the user's own provider added (RFC 8601). Only the topmost header carrying
    that provider's authserv-id counts: anyone can write such a header, but the
    provider adds its own above whatever the sender wrote. A pass counts only for
    the domain in the From header the user sees."""
    if not authserv_id:
        return "unverified", "no provider named to trust (sar config set mail.authserv_id ...)"
    domain = msg.from_domain
    wanted = authserv_id.lower()
    for value in msg.headers.get("authentication-results", []):
        server, results = _results(value)
        # "messagingengine.com" names all of a provider's servers (mx3.messagingengine.com).
        if server != wanted and not server.endswith("." + wanted):
            continue
        verdict = {}
        for method, result, props in results:
            if method == "dmarc" and "dmarc" not in verdict:
                aligned = props.get("header.from") == domain
                verdict["dmarc"] = result if (aligned or result != "pass") else "unaligned"
            elif method == "dkim":
                signer = (props.get("header.d") or props.get("header.i", "")).lstrip("@")
                signer = signer.rpartition("@")[2]
                if result == "pass" and domain and signer and (
                        domain == signer or domain.endswith("." + signer)):
                    verdict.setdefault("dkim-pass", signer)
                elif result in ("fail", "permerror"):
                    verdict.setdefault("dkim-fail", result)
        if verdict.get("dmarc") == "pass":
            return "pass", f"{server}: dmarc=pass for {domain}"
        if verdict.get("dmarc") in ("fail", "permerror"):
            return "fail", f"{server}: dmarc={verdict['dmarc']}"
        if "dkim-pass" in verdict:
            return "pass", f"{server}: dkim=pass for {verdict['dkim-pass']}"
        if "dkim-fail" in verdict:
            return "fail", f"{server}: dkim={verdict['dkim-fail']}"
        return "unverified", f"{server} gave no DKIM or DMARC verdict for {domain}"
    return "unverified", f"no Authentication-Results from {authserv_id}"


def carried(msg: Inbound) -> Inbound | None:
    """The message a forward carries, read as its own (sar.core.forwards): attached
    whole (message/rfc822, Thunderbird's "as attachment"), or inline below the
    forwarder's note. Its sender, date and words are the organisation's; None when
    `msg` is not a forward."""
    import dataclasses

    from sar.core import forwards

    if forwards.FORWARD_SUBJECT.match(msg.subject or "") and not msg.bounce_signals:
        for data in msg.forwarded:
            inner = parse(data)
            if inner.from_addr:
                return dataclasses.replace(inner, attachments=inner.attachments
                                           or msg.attachments)
    if not forwards.looks_forwarded(msg.subject, msg.text):
        return None
    fwd = forwards.unwrap(msg.text)
    if fwd is None:
        return None
    return dataclasses.replace(
        msg, text=fwd.text, from_addr=fwd.sender, from_name=fwd.sender_name,
        sender_addrs=[fwd.sender], date=fwd.date or msg.date,
        subject=fwd.subject or msg.subject, in_reply_to=[], references=[], headers={},
        auto_signals=[], bounce_signals=[], original_message_ids=[], is_dsn=False)
