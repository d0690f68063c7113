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


def run_demo(target: str | None) -> Demo:
    root = Path(target).expanduser() if target else Path(tempfile.mkdtemp(prefix="sar-demo-"))
    if root.exists() and not root.is_dir():
        raise UsageError(f"the demo needs a new or empty folder, and {root} is not a directory")
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"the demo needs a new or empty folder, and {root} is not empty")
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

    replies = [
        (2, BROKER, "acknowledged", "Experian acknowledges the access request"),
        (3, "conservatives", "id-requested", "the Conservatives ask for proof of identity"),
        (6, "conservatives", "id-provided", "Alex sends it: a fresh month starts that day"),
        (9, "snp", "acknowledged", "the SNP acknowledges the posted letter"),
        (20, "libdems", "extended", "the Lib Dems extend by two months, in time, with reasons"),
        (24, BROKER, "fulfilled", "Experian sends the data"),
    ]
    for day, org, event, words in replies:
        on(day).mark(demo.refs[org], event, start + dt.timedelta(days=day))
        say(f"Day {day}: {words}.")
    on(12).mark(erase_ref, "acknowledged", start + dt.timedelta(days=12))
    on(30).mark(erase_ref, "fulfilled", start + dt.timedelta(days=30),
                note="confirmed erasure; suppression kept")
    say("Day 30: Experian confirms the erasure. Labour never answers.")

    end = on(RUN_DAYS)
    demo.board = end.list()
    demo.overdue = end.overdue()
    demo.why_overdue = end.show(demo.refs["labour"])["explanation"]
    return demo
