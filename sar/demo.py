"""`sar demo`: the whole job, end to end, in a throwaway home.

An invented requester drafts access requests to four UK parties and Experian and
an erasure request to Experian; the letters are written as text and DOCX, the
emails go into the home's Maildir outbox (never onto the network), one letter is
posted, a few replies are recorded, and the clock runs six weeks forward, as
SAR_TODAY would, to show what is answered, what is due and what is overdue.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sar import profile as profile_mod
from sar.errors import UsageError
from sar.home import today as real_today
from sar.workspace import Workspace

PARTIES = ["labour", "conservatives", "libdems", "snp"]
BROKER = "experian"
RUN_DAYS = 45


@dataclass
class Demo:
    """What the demo did: the story, the board at the end, and where the files are."""

    home: Path
    today: dt.date
    story: list[str] = field(default_factory=list)
    board: list[dict] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)
    why_overdue: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"home": str(self.home), "today": self.today.isoformat(), "story": self.story,
                "requests": self.board, "overdue": self.overdue, "refs": self.refs}


def _broker_by_email(ws) -> None:
    """Experian asks consumers to write by post or through its web form; the demo
    writes to the mailbox its record keeps as an alternative, so the whole email round
    trip shows (nothing leaves the machine: the outbox is a local Maildir)."""
    broker = ws.directory.get(BROKER)
    if not broker.email and broker.alt_emails:
        ws.add_org(slug=BROKER, email=broker.alt_emails[0])


def _empty_folder(target: str | None) -> Path:
    root = Path(target).expanduser() if target else Path(tempfile.mkdtemp(prefix="sar-demo-"))
    if root.exists() and not root.is_dir():
        raise UsageError(f"the demo needs a new or empty folder, and {root} is not a directory")
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"the demo needs a new or empty folder, and {root} is not empty")
    return root


def run_demo(target: str | None) -> Demo:
    root = _empty_folder(target)
    start = real_today()

    def on(days: int) -> Workspace:
        return Workspace(root, today=start + dt.timedelta(days=days))

    ws = on(0)
    me = profile_mod.make("Alex Example", "alex@example.org", "1 Example Street, London, N1 1AA",
                          calendar="GB-ENG", today=start)
    ws.init(me)
    demo = Demo(home=root, today=start + dt.timedelta(days=RUN_DAYS))
    say = demo.story.append
    say(f"Day 0 ({start.isoformat()}): {me.name} drafts subject access requests to four UK "
        "parties and Experian, and asks Experian to erase their data.")

    _broker_by_email(ws)
    access = ws.new("access", PARTIES + [BROKER])
    erasure = ws.new("erasure", [BROKER])
    demo.refs = {c["org"]: c["ref"] for c in access}
    erase_ref = erasure[0]["ref"]

    letters_dir = ws.home.subdir(ws.home.letters)
    for c in access + erasure:
        stem = letters_dir / f"{c['ref']}-{c['org']}-{c['kind']}"
        stem.with_suffix(".txt").write_bytes(ws.letter(c["ref"], "text"))
        stem.with_suffix(".docx").write_bytes(ws.letter(c["ref"], "docx"))
    say(f"  {len(access) + len(erasure)} letters written as text and DOCX in {letters_dir}")
    sent = [r for r in ws.send(all_drafts=True) if r.status == "sent"]
    say(f"  {len(sent)} emails sent into the Maildir outbox {ws.home.outbox} "
        "(nothing leaves this machine)")
    ws.post(demo.refs["snp"], posted=start, method="first-class")
    say("  the SNP gives no email address, so its letter is printed and posted first class")

    # Replies come as email into a Maildir, as mbsync would leave them, and
    # `sar watch` reads them on the day they arrive: matched, classified, recorded.
    inbox_dir = root / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox_dir / sub).mkdir(parents=True, exist_ok=True)
    sent_ids = {r.ref: r.message_id for r in sent}
    steps = [
        (2, BROKER, demo.refs[BROKER], REPLIES["experian-ack"]),
        (3, "conservatives", demo.refs["conservatives"], REPLIES["conservatives-id"]),
        (6, "conservatives", demo.refs["conservatives"], "id-provided"),
        (9, "snp", demo.refs["snp"], "acknowledged"),
        (10, "labour", demo.refs["labour"], REPLIES["labour-away"]),
        (12, BROKER, erase_ref, REPLIES["experian-erasure-ack"]),
        (20, "libdems", demo.refs["libdems"], REPLIES["libdems-extension"]),
        (24, BROKER, demo.refs[BROKER], REPLIES["experian-data"]),
        (30, BROKER, erase_ref, REPLIES["experian-erased"]),
    ]
    for day, org, ref, reply in steps:
        ws_day = on(day)
        if isinstance(reply, str):  # something the requester records by hand
            ws_day.mark(ref, reply, start + dt.timedelta(days=day))
            say(f"Day {day}: {MARKED[reply].format(org=org)} "
                f"(`sar mark {ref} {reply}`).")
            continue
        _deliver(inbox_dir, day, start, ws_day.directory.get(org), ref, sent_ids.get(ref),
                 *reply)
        for result in _read(ws_day, inbox_dir):
            say(f"Day {day}: a reply from {result['sender']} — `sar watch` reads it as "
                f"{result['label']} ({result['matched_by']}; rule {result['rule']}).")
    say("Labour never answers: only its out-of-office did.")
    review = on(24).reviews.run(demo.refs[BROKER])
    say(f"Day 24: `sar review {demo.refs[BROKER]}` reads Experian's answer and its PDF against "
        f"Article 15: {review['summary']['text']}; segments found: "
        f"{'; '.join(review['segments'][:3])}.")

    end = on(RUN_DAYS)
    demo.board = end.list()
    demo.overdue = end.overdue()
    demo.why_overdue = end.show(demo.refs["labour"])["explanation"]
    return demo


MARKED = {"id-provided": "Alex sends the proof of identity asked for: a fresh month starts",
          "acknowledged": "the SNP acknowledges the posted letter by post"}

# (subject, text, attachment name or None): invented replies, in the words real
# data-protection offices use.
REPLIES = {
    "experian-ack": ("Re: {subject}", "Thank you for contacting us. We have received your "
                     "request and will respond within one calendar month.\n\nYour reference: "
                     "{ref}", None),
    "conservatives-id": ("RE: {subject}", "Before we can search our records we need to verify "
                         "your identity. Please send a copy of your passport or driving "
                         "licence and a recent utility bill.", None),
    "labour-away": ("Automatic reply: {subject}", "Thank you for your email. I am out of the "
                    "office until next week.", None),
    "experian-erasure-ack": ("Re: {subject}", "We confirm receipt of your request to delete "
                             "your personal data. We will write again once it is done.", None),
    "libdems-extension": ("Your request {ref}", "Because your request needs searches across "
                          "our membership and campaigning systems, we are extending the time "
                          "for our response by a further two months under Article 12(3) UK "
                          "GDPR.", None),
    "experian-data": ("Re: {subject}", "We have now completed our searches. Please find "
                      "attached a copy of your personal data, with the purposes, recipients "
                      "and sources of the data.", "experian-response.pdf"),
    "experian-erased": ("Re: {subject}", "Your personal data has been deleted from our "
                        "marketing database, and we have added a minimal record to our "
                        "suppression file so that it is not added again.", None),
}


def _deliver(folder: Path, day: int, start: dt.date, org, ref: str, in_reply_to: str | None,
             subject: str, text: str, attachment: str | None) -> None:
    """Write one invented reply into the demo's Maildir."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage()
    domain = (org.domains or ["example.org"])[0]
    msg["From"] = f"{org.name} <{org.email or 'dpo@' + domain}>"
    msg["To"] = "alex@example.org"
    msg["Subject"] = subject.format(subject=f"Your request [{ref}]", ref=ref)
    when = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(11, 0), dt.UTC)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<demo-{day}-{ref.lower()}@{domain}>"
    if in_reply_to and subject.startswith(("Re:", "RE:", "Automatic")):
        msg["In-Reply-To"] = in_reply_to
    if subject.startswith("Automatic"):
        msg["Auto-Submitted"] = "auto-replied"  # RFC 3834, as out-of-office replies say
    msg.set_content(f"Dear Alex Example,\n\n{text.format(ref=ref)}\n\nData Protection Team\n"
                    f"{org.name}\n")
    if attachment:
        msg.add_attachment(_pdf(EXPERIAN_PDF), maintype="application", subtype="pdf",
                           filename=attachment)
    (folder / "new" / f"{when.timestamp():.0f}.demo{day}.{ref}").write_bytes(bytes(msg))


def _read(ws: Workspace, folder: Path) -> list[dict]:
    out = []

    def report(kind, value):
        if kind == "message" and value.status == "new":
            out.append(value)

    ws.watch(maildir=folder, report=report)
    rules = {m["id"]: m["rule"] for m in ws.inbox(everything=True)}
    return [{**r.as_dict(), "rule": rules.get(r.pk)} for r in out]


# The demo's invented Experian answer: a real PDF with a text layer, so `sar review`
# has something to read. Some of Art. 15 is answered, some only in part, one item
# not at all, as such answers usually are.
EXPERIAN_PDF = [
    "Experian - your personal information - subject access response",
    "Prepared for Alex Example, 1 Example Street, London N1 1AA",
    "1. Personal details",
    "Name   Alex Example   Date of birth   01/01/1990",
    "2. Electoral roll",
    "Address   From   Supplied by",
    "1 Example Street, London N1 1AA   12/2023   London Borough of Islington",
    "3. Marketing information",
    "Item   Value   Source",
    "Mosaic Type   O62 - Central Pulse   Experian model",
    "Household income (modelled)   40,000 - 49,999   Experian model",
    "Email address   alex@example.org   Example Shop Ltd (online retailer)",
    "4. How we use your information",
    "Purposes. We use this information for credit referencing, identity checks and",
    "marketing services for our clients.",
    "Your marketing information may be shared with our clients in the retail and",
    "financial services sectors.",
    "How long we keep it. Marketing information is deleted three years after it was",
    "last confirmed.",
    "Mosaic and the modelled items are produced by statistical models.",
    "Your rights. You can ask us to correct or delete your information, restrict its",
    "use, and object to its use for marketing.",
    "You can complain to the Information Commissioner's Office (ICO).",
]


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with `lines` as its text layer (Helvetica, ASCII)."""
    def esc(t: str) -> str:
        return t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 10 Tf 14 TL 50 800 Td " + " ".join(f"({esc(t)}) Tj T*" for t in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return out
