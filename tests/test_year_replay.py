"""A year of one person's requests, replayed day by day with SAR_TODAY.

Five organisations, every turn a request can take: acknowledged and answered;
ID asked and given (the month starts again); extended in time (three months from
receipt, past a bank holiday); extended too late (no effect) then reminded and
escalated with a bundle whose hashes verify; ignored all year. The expected dates
are worked by hand from the rules (legal.md §1-3; England & Wales bank holidays:
Good Friday 3 April, Easter Monday 6 April, Early May 4 May 2026).
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime

from sar.complaint import verify

ORGS = ["alpha", "bravo", "charlie", "delta", "echo"]


def reply(box, n, org, in_reply_to, text, day):
    msg = EmailMessage()
    msg["From"] = f"dpo@{org}.example"
    msg["To"] = "robin@example.org"
    msg["Subject"] = "Re: your request"
    msg["Message-ID"] = f"<year-{n}@{org}.example>"
    msg["In-Reply-To"] = in_reply_to
    msg["Date"] = format_datetime(dt.datetime.fromisoformat(day).replace(
        hour=10, tzinfo=dt.UTC))
    msg.set_content(text)
    (box / "new" / f"{n:04d}.year.example").write_bytes(bytes(msg))


def test_a_year_of_requests(me, tmp_path):
    sar = me
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for org in ORGS:
        sar("orgs", "add", "--slug", org, "--name", org.title() + " Ltd", "--email",
            f"dpo@{org}.example", "--domain", f"{org}.example", "--calendar", "GB-ENG",
            "--regime", "uk-gdpr")
    ref, sent = {}, {}

    def send(org, day):
        ref[org] = sar("new", "access", "--to", org, "--json", today=day).json()[0]["ref"]
        sar("send", ref[org], today=day)
        sent[org] = [m for m in sar("show", ref[org], "--json", today=day).json()["messages"]
                     if m["direction"] == "out"][0]["message_id"]

    def show(org, day):
        return sar("show", ref[org], "--json", today=day).json()

    def watch(day):
        return sar("watch", "--maildir", box, "--json", today=day).json()

    # January: alpha acknowledges and answers; bravo asks for ID.
    send("alpha", "2026-01-05")
    send("bravo", "2026-01-05")
    assert show("alpha", "2026-01-05")["due"] == "2026-02-05"
    reply(box, 1, "alpha", sent["alpha"], "We have received your request and will respond "
          "within one month.", "2026-01-07")
    reply(box, 2, "bravo", sent["bravo"], "Before we can act we need to verify your identity:"
          " please send a copy of your passport.", "2026-01-10")
    got = watch("2026-01-12")
    assert sorted(r["label"] for r in got) == ["acknowledged", "id-requested"]
    assert show("bravo", "2026-01-12")["status"] == "awaiting-id"
    assert show("bravo", "2026-01-12")["due"] is None          # the clock is stopped
    sar("mark", ref["bravo"], "id-provided", "--on", "2026-01-20", today="2026-01-20")
    assert show("bravo", "2026-01-20")["due"] == "2026-02-20"  # a fresh month from the ID
    sar("mark", ref["alpha"], "fulfilled", "--on", "2026-01-30", today="2026-01-30")
    assert show("alpha", "2026-01-30")["status"] == "fulfilled"

    # February: charlie extends in time; bravo answers.
    send("charlie", "2026-02-02")
    reply(box, 3, "charlie", sent["charlie"], "Because of the complexity of your request we "
          "are extending the time for our response by a further two months under Article "
          "12(3).", "2026-02-20")
    watch("2026-02-21")
    c = show("charlie", "2026-02-21")
    # Three months from 2 Feb is Sat 2 May; Mon 4 May is a bank holiday: Tue 5 May.
    assert (c["status"], c["due"]) == ("extended", "2026-05-05")
    sar("mark", ref["bravo"], "fulfilled", "--on", "2026-02-15", today="2026-02-15")

    # March-April: delta extends too late, is reminded, then escalated.
    send("delta", "2026-03-02")
    assert show("delta", "2026-04-02")["status"] == "sent"       # due that day, not overdue
    assert show("delta", "2026-04-03")["status"] == "overdue"
    reply(box, 4, "delta", sent["delta"], "We are extending the time for our response by a "
          "further two months.", "2026-04-10")
    watch("2026-04-10")
    d = show("delta", "2026-04-10")
    assert (d["status"], d["due"]) == ("overdue", "2026-04-02")  # a late notice moves nothing
    assert any("extension" in w for w in d["warnings"])
    reminded = sar("remind", ref["delta"], "--json", today="2026-04-10").json()
    assert reminded[0]["status"] == "sent"
    assert "until 2026-04-24" in sar.fails("complain", ref["delta"], "-o",
                                           tmp_path / "early.zip", today="2026-04-24")
    bundle = tmp_path / "delta-complaint.zip"
    done = sar("complain", ref["delta"], "-o", bundle, "--json", today="2026-04-27").json()
    assert done["status"] == "escalated" and verify(bundle) == []
    assert any("not valid" in f for f in done["failures"])
    assert show("delta", "2026-04-27")["status"] == "escalated"
    sar("mark", ref["charlie"], "fulfilled", "--on", "2026-04-20", today="2026-04-20")

    # June: echo is ignored for the rest of the year.
    send("echo", "2026-06-01")
    assert show("echo", "2026-07-01")["status"] == "sent"
    end = "2026-12-31"
    e = show("echo", end)
    assert (e["status"], e["due"], e["overdue_days"]) == ("overdue", "2026-07-01", 183)

    # The year's board, and each request's story.
    board = {r["ref"]: (r["status"], r["due"]) for r in
             sar("list", "--json", today=end).json()}
    assert board == {ref["alpha"]: ("fulfilled", "2026-02-05"),
                     ref["bravo"]: ("fulfilled", "2026-02-20"),
                     ref["charlie"]: ("fulfilled", "2026-05-05"),
                     ref["delta"]: ("escalated", "2026-04-02"),
                     ref["echo"]: ("overdue", "2026-07-01")}
    groups = {g["name"]: [r["ref"] for r in g["requests"]]
              for g in sar("status", "--json", today=end).json()["groups"]}
    assert groups["overdue"] == [ref["echo"]]
    assert sar("overdue", "--check", today=end, ok=False).exit_code == 1
    kinds = [e["kind"] for e in show("delta", end)["events"]]
    assert kinds == ["drafted", "sent", "extended", "reminded", "escalated"]
    # What the board looked like in March, seen from December.
    march = {r["ref"]: r["status"] for r in sar("list", "--json", today="2026-03-15").json()}
    assert march[ref["charlie"]] == "extended" and ref["echo"] not in march
