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
from pathlib import Path

from sar import profile as profile_mod
from sar.errors import UsageError
from sar.home import today as real_today
from sar.workspace import Workspace

PARTIES = ["labour", "conservatives", "libdems", "snp"]
BROKER = "experian"
RUN_DAYS = 45


def _empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def run_demo(target: str | None, echo=print, as_json: bool = False) -> dict:
    say = echo or (lambda *_: None)
    root = Path(target).expanduser() if target else Path(tempfile.mkdtemp(prefix="sar-demo-"))
    if not _empty(root):
        raise UsageError(f"the demo needs a new or empty folder, and {root} is not empty")
    start = real_today()

    def on(days: int) -> Workspace:
        return Workspace(root, today=start + dt.timedelta(days=days))

    ws = on(0)
    me = profile_mod.make("Alex Example", "alex@example.org", "1 Example Street, London, N1 1AA",
                          calendar="GB-ENG", today=start)
    ws.init(me)
    say(f"sar demo — a throwaway home in {root}")
    say(f"Day 0 ({start.isoformat()}): {me.name} drafts subject access requests to four UK "
        "parties and Experian, and asks Experian to erase their data.")

    access = ws.new("access", PARTIES + [BROKER])
    erasure = ws.new("erasure", [BROKER])
    refs = {c["org"]: c["ref"] for c in access}
    erase_ref = erasure[0]["ref"]

    letters_dir = ws.home.subdir(ws.home.letters)
    for c in access + erasure:
        (letters_dir / f"{c['ref']}-{c['org']}-{c['kind']}.txt").write_bytes(
            ws.letter(c["ref"], "text"))
        (letters_dir / f"{c['ref']}-{c['org']}-{c['kind']}.docx").write_bytes(
            ws.letter(c["ref"], "docx"))
    say(f"  {len(access) + len(erasure)} letters written as text and DOCX in {letters_dir}")

    sent = [r for r in ws.send(all_drafts=True) if r.status == "sent"]
    say(f"  {len(sent)} emails sent into the Maildir outbox {ws.home.outbox} (no real mail leaves)")
    ws.post(refs["snp"], posted=start, method="first-class")
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
        on(day).mark(refs[org], event, start + dt.timedelta(days=day))
        say(f"Day {day}: {words}.")
    on(12).mark(erase_ref, "acknowledged", start + dt.timedelta(days=12))
    on(30).mark(erase_ref, "fulfilled", start + dt.timedelta(days=30),
                note="confirmed erasure; suppression kept")
    say("Day 30: Experian confirms the erasure. Labour never answers.")

    end = on(RUN_DAYS)
    board = end.list()
    overdue = end.overdue()
    if as_json:
        from sar.cli.output import emit_json

        emit_json({"home": str(root), "today": end.today.isoformat(), "requests": board,
                   "overdue": overdue})
        return {"home": root, "board": board}

    say("")
    say(f"The board on day {RUN_DAYS} ({end.today.isoformat()}):")
    from sar.cli.output import days_text, table

    for r in board:
        r["when"] = days_text(r["days_left"], r["status"])
    table(board, [("ref", "ref"), ("org", "organisation"), ("kind", "kind"),
                  ("status", "status"), ("due", "due"), ("when", "")])
    if overdue:
        labour = end.show(refs["labour"])
        say("")
        say(f"Why {labour['ref']} (Labour) is overdue:")
        for line in labour["explanation"]:
            say(f"  {line}")
    say("")
    say("Look around:")
    say(f"  export SAR_HOME={root} SAR_TODAY={end.today.isoformat()}")
    say(f"  sar show {refs['conservatives']}      # the ID restart, explained")
    say("  sar overdue                  # what to chase")
    say(f"  sar letter {refs['labour']}     # the letter Labour ignored")
    say(f"Files: letters in {letters_dir}, sent mail in {ws.home.outbox}/new, evidence in "
        f"{ws.home.evidence}, the log in {ws.home.db_path}")
    return {"home": root, "board": board}
