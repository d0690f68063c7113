"""The campaign report's disclosure table: a real agent-mode campaign, answers with
attachments read from a Maildir, `sar campaign review`, and the report re-opened in
HTML (parsed), Markdown and CSV (read back) — small groups blanked, rare names held
back, no participant in any of it, and the table unchanged by a purge. Invented
people, example domains."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser

from tests.test_campaign import Outbox, invite_and_confirm, people, write_csv

ORGS = ("party-x", "party-y", "party-z")
OPENING = ("Thank you for your subject access request. Please find attached a copy of the "
           "personal data we hold about you.")
FULL = (OPENING + "\nWe obtained your data from the electoral register{extra} "
        "and from Experian.\nWe have shared your data with Example Print Ltd.\n"
        "We keep your data for five years after the election.\n")
THIN = OPENING


def _answer(box, n, org, letter, body, attachment, day="2026-03-20"):
    msg = EmailMessage()
    msg["From"] = f"dpo@{org}.example"
    msg["To"] = letter["Reply-To"]
    msg["Subject"] = "Re: " + letter["Subject"]
    msg["Message-ID"] = f"<a{n}@{org}.example>"
    msg["In-Reply-To"] = letter["Message-ID"]
    msg["Date"] = format_datetime(dt.datetime.fromisoformat(day).replace(hour=10,
                                                                         tzinfo=dt.UTC))
    msg.set_content(body)
    msg.add_attachment(attachment, maintype="text", subtype="csv", filename="your-data.csv")
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    (box / "new" / f"{n:05d}.answer.example").write_bytes(bytes(msg))


class _Tables(HTMLParser):
    """Each table of the page by id: its rows as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


def test_the_report_tables_what_each_organisation_answered_and_disclosed(sar, tmp_path, home):
    for slug in ORGS:
        sar("orgs", "add", "--slug", slug, "--name", slug.title(), "--email",
            f"dpo@{slug}.example", "--domain", f"{slug}.example", "--kind", "political-party",
            "--calendar", "GB-ENG", "--regime", "uk-gdpr")
    sar("campaign", "new", "ans", *[a for s in ORGS for a in ("--to", s)], "--kind", "access",
        "--mode", "agent", "--from", "campaign@rights.example", "--name", "Answers Campaign")
    everyone = people()[:12]
    write_csv(tmp_path / "p.csv", everyone)
    sar("campaign", "import", "ans", tmp_path / "p.csv")
    outbox = Outbox(home)
    invite_and_confirm(sar, home, "ans")
    outbox.new()
    sar("campaign", "send", "ans")
    letters = outbox.new()
    to = {s: [m for m in letters if m["To"].addresses[0].addr_spec == f"dpo@{s}.example"]
          for s in ORGS}
    box, n = tmp_path / "Maildir", 0
    for i, m in enumerate(to["party-x"]):  # all 12: sources, a recipient, ethnicity inferred
        n += 1
        extra = ", from Sample Lists Ltd" if i < 2 else ""  # told to 2 people only
        name = everyone[i]["name"]
        data = f"ID,NAME,ETHNICITY_INFERRED\n{i},{name},white-british\n".encode()
        _answer(box, n, "party-x", m, FULL.format(extra=extra), data)
    for m in to["party-y"][:10]:  # 10: a copy and nothing else
        n += 1
        _answer(box, n, "party-y", m, THIN, b"field,value\nturnout,0.7\n")
    for m in to["party-z"][:3]:  # 3: too few to publish
        n += 1
        _answer(box, n, "party-z", m, FULL.format(extra=""), b"field,value\nx,1\n")
    watched = sar("watch", "--maildir", box, "--json", today="2026-03-21").json()
    assert [w["event"] for w in watched] == ["fulfilled"] * 25, watched[:2]

    ran = sar("campaign", "review", "ans", "--json", today="2026-03-21").json()
    assert (ran["reviewed"], ran["already"]) == (25, 0)
    assert sar("campaign", "review", "ans", "--json", today="2026-03-21").json()[
        "already"] == 25

    data = sar("campaign", "report", "ans", "--format", "json", today="2026-03-21").json()
    a = {r["org"]: r for r in data["answers"]["by_organisation"]}
    assert (a["party-x"]["answers"], a["party-x"]["reviewed"]) == (12, 12)
    assert a["party-x"]["answered"]["sources"] == 12
    assert a["party-x"]["answered"]["recipients"] == 12
    assert a["party-x"]["answered"]["transfers"] == 0
    # party-z (3 people) is blanked, and party-y with it: all minus x would show z.
    assert a["party-z"]["suppressed"] and a["party-y"]["suppressed"]
    assert a["party-z"]["reviewed"] is None and a["party-y"]["answered"]["copy"] is None
    assert a["all"]["reviewed"] == 25
    disclosed = {(d["org"], d["what"], d["name"]): d["people"]
                 for d in data["answers"]["disclosed"]}
    assert disclosed == {
        ("party-x", "source", "electoral register"): 12,
        ("party-x", "source", "Experian"): 12,
        ("party-x", "recipient", "Example Print Ltd"): 12,
        ("party-x", "special or inferred category", "ethnicity"): 12}
    assert data["answers"]["withheld"] == {"party-x": 1}  # Sample Lists Ltd, told to 2

    page = tmp_path / "r.html"
    sar("campaign", "report", "ans", "--format", "html", "-o", page, today="2026-03-21")
    parsed = _Tables()
    parsed.feed(page.read_text())
    items = parsed.tables["answers-items"]
    header = items[0]
    # People read names, not slugs, and headings, not keys.
    x = next(r for r in items if r[0] == "Party-X")
    assert x[header.index("Sources")] == "12 (100%)" and x[header.index("Transfers")] == "0 (0%)"
    z = next(r for r in items if r[0] == "Party-Z")
    assert set(z[1:]) == {"\u2014"}
    rows = {tuple(r) for r in parsed.tables["answers-disclosed"][1:]}
    assert ("Party-X", "source", "Experian", "12 (100%)") in rows and len(rows) == 4

    md = sar("campaign", "report", "ans", "--format", "md", today="2026-03-21").stdout
    assert "## What the answers disclosed" in md
    assert "| Party-X | recipient | Example Print Ltd | 12 (100%) |" in md
    assert "Party-X: 1 further name disclosed to fewer than 5 people, not shown." in md

    got = sar("campaign", "report", "ans", "--format", "csv", today="2026-03-21").stdout
    table = list(csv.DictReader(io.StringIO(got)))
    assert {"group", "name", "requests", "item", "value", "count", "reviewed"} <= set(table[0])
    review_rows = {(r["name"], r["item"]): r for r in table if r["group"] == "review"}
    assert review_rows[("party-x", "sources")]["count"] == "12"
    assert review_rows[("party-z", "sources")]["count"] == ""
    told = {(r["name"], r["item"], r["value"]): r["count"] for r in table
            if r["group"] == "disclosed"}
    assert told[("party-x", "special or inferred category", "ethnicity")] == "12"
    assert told[("party-x", "withheld", "names told to fewer than 5 people")] == "1"

    for text in (page.read_text(), md, got):
        assert "Sample Lists" not in text
        assert not any(p["name"] in text or p["email"] in text for p in everyone)

    # A purge drops the reviews' quotes (which name the person) and keeps the table.
    before = data["answers"]
    sar("campaign", "purge", "ans", "--force", today="2026-03-22")
    after = sar("campaign", "report", "ans", "--format", "json", today="2026-03-21").json()
    assert after["answers"] == before
    conn = sqlite3.connect(home / "sar.db")
    stored = " ".join(r[0] for r in conn.execute("SELECT result FROM reviews"))
    conn.close()
    assert "Participant01" not in stored and "white-british" not in stored
