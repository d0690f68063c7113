"""A campaign end to end: 50 participants × 6 organisations, agent mode — import,
invitations and codes, send, replies read from a Maildir, reminders, report,
complaints, purge — with every figure of the report checked against outcomes fixed
in advance, and no participant's name, address or email left anywhere in the home
after the purge. The story runs on what-if dates (SAR_TODAY), so it sends through
the Maildir outbox, as sar refuses to date real email falsely; the same sending
through a real SMTP server on loopback is tested on the real clock below."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime

import pytest

from tests.smtp_server import SmtpServer

N = 50
ORGS = {  # slug: (kind, what happens)
    "party-a": "political-party",
    "party-b": "political-party",
    "party-c": "political-party",
    "broker-a": "data-broker",
    "broker-b": "data-broker",
    "broker-c": "data-broker",
}
TEXT = {
    "fulfilled": "Thank you for your subject access request. Please find attached a copy of "
                 "the personal data we hold about you, with the information Article 15 "
                 "requires.",
    "acknowledged": "We acknowledge receipt of your subject access request and will respond "
                    "within one month.",
    "refused": "We have decided to refuse your request because we consider it manifestly "
               "unfounded. We will not provide the information.",
    "extended": "Because your request is complex, we are extending the time limit to respond "
                "by a further two months, as Article 12(3) allows.",
    "id-requested": "Before we can process your request, please send us a copy of your "
                    "passport or driving licence so that we can verify your identity.",
}


def people():
    return [{"name": f"Participant{i:02d} Testperson", "email": f"p{i:02d}@example.org",
             "address": f"{i} Campaign Row, Exampleton, EX{i} 1AA"} for i in range(1, N + 1)]


def write_csv(path, rows, consented=False):
    lines = ["name,email,address" + (",consented_at" if consented else "")]
    for p in rows:
        lines.append(f'{p["name"]},{p["email"]},"{p["address"]}"'
                     + (",2026-02-20" if consented else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_acme(sar):
    sar("orgs", "add", "--slug", "acme", "--name", "Acme", "--email", "dpo@acme.example",
        "--domain", "acme.example", "--kind", "data-broker")


def self_send_campaign(sar, tmp_path, participants: int, name: str = "own") -> list[dict]:
    """A self-send campaign to acme with consented participants, imported."""
    add_acme(sar)
    sar("campaign", "new", name, "--to", "acme", "--kind", "access",
        "--from", "campaign@rights.example")
    everyone = people()[:participants]
    write_csv(tmp_path / "p.csv", everyone, consented=True)
    sar("campaign", "import", name, tmp_path / "p.csv")
    return everyone


def invite_and_confirm(sar, home, name):
    """Invite by the Maildir outbox and return every code, as participants would."""
    sar("campaign", "invite", name)
    found = (re.search(r"\[([A-Z0-9]{4}-[A-Z0-9]{4})\]", p.read_text())
             for p in (home / "outbox" / "new").iterdir())
    sar("campaign", "confirm", name, *[m.group(1) for m in found if m])


class Box:
    """The campaign's Maildir, where replies (forwarded by participants) arrive."""

    def __init__(self, root):
        self.root = root
        self.n = 0
        for sub in ("new", "cur", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def reply(self, org, letter, label, day):
        self.n += 1
        msg = EmailMessage()
        msg["From"] = f"dpo@{org}.example"
        msg["To"] = letter["Reply-To"]
        msg["Subject"] = "Re: " + letter["Subject"]
        msg["Message-ID"] = f"<r{self.n}@{org}.example>"
        msg["In-Reply-To"] = letter["Message-ID"]
        msg["Date"] = format_datetime(dt.datetime.fromisoformat(day).replace(
            hour=10, tzinfo=dt.UTC))
        msg.set_content(TEXT[label])
        if label == "fulfilled":
            msg.add_attachment(b"field,value\nscore,7\n", maintype="text", subtype="csv",
                               filename="your-data.csv")
        (self.root / "new" / f"{self.n:05d}.reply.example").write_bytes(bytes(msg))

    def bounce(self, letter, day):
        """A DSN (RFC 3464) for one letter, returning its headers."""
        self.n += 1
        when = format_datetime(dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=dt.UTC))
        to = letter["To"].addresses[0].addr_spec
        raw = (
            "From: MAILER-DAEMON@mx.rights.example\r\nTo: campaign@rights.example\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <b{self.n}@mx.rights.example>\r\nDate: {when}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
            'report-type=delivery-status; boundary="BB"\r\n\r\n'
            "--BB\r\nContent-Type: text/plain\r\n\r\nYour message could not be "
            "delivered.\r\n"
            "--BB\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.rights.example\r\n\r\n"
            f"Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "--BB\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {letter['Message-ID']}\r\nTo: {to}\r\n"
            f"Subject: {letter['Subject']}\r\n--BB--\r\n")
        (self.root / "new" / f"{self.n:05d}.bounce.example").write_bytes(raw.encode())


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def received(smtp, since=0):
    return [message_from_bytes(r.content, policy=default)
            for r in smtp.handler.received[since:]]


class Outbox:
    """The Maildir outbox, read in the order messages were written."""

    def __init__(self, home):
        self.folder = home / "outbox" / "new"
        self.seen: set[str] = set()

    def new(self):
        if not self.folder.is_dir():
            return []
        fresh = sorted(p for p in self.folder.iterdir() if p.name not in self.seen)
        self.seen |= {p.name for p in fresh}
        return [message_from_bytes(p.read_bytes(), policy=default) for p in fresh]


def test_a_campaign_from_import_to_purge(sar, tmp_path, home):
    for slug, kind in ORGS.items():
        sar("orgs", "add", "--slug", slug, "--name", slug.replace("-", " ").title(),
            "--email", f"dpo@{slug}.example", "--domain", f"{slug}.example", "--kind", kind,
            "--calendar", "GB-ENG", "--regime", "uk-gdpr")
    outbox = Outbox(home)
    sar("campaign", "new", "e26", *[a for s in ORGS for a in ("--to", s)], "--kind", "access",
        "--mode", "agent", "--from", "campaign@rights.example", "--name", "Rights Campaign",
        "--retain-until", "2026-09-01")

    # Import: 50 people, checked whole.
    everyone = people()
    csv_file = tmp_path / "participants.csv"
    write_csv(csv_file, everyone)
    assert sar("campaign", "import", "e26", csv_file, "--json").json()["imported"] == N
    # The same export read again: refused whole, or with --skip-existing left out.
    assert "--skip-existing" in sar.fails("campaign", "import", "e26", csv_file)
    again = sar("campaign", "import", "e26", csv_file, "--skip-existing", "--json").json()
    assert (again["imported"], again["already"]) == (0, N)
    # Nothing is sent for anyone before they confirm.
    assert "no participant of e26 has confirmed" in sar.fails("campaign", "send", "e26")
    assert outbox.new() == []

    # Invitations carry a code; returning it confirms the address and signs the mandate.
    sar("campaign", "invite", "e26")
    invites = outbox.new()
    assert sorted(m["To"].addresses[0].addr_spec for m in invites) == \
        sorted(p["email"] for p in everyone)
    codes = [re.search(r"\[([A-Z0-9]{4}-[A-Z0-9]{4})\]", m["Subject"]).group(1) for m in invites]
    assert "nothing was recorded" in sar.fails("campaign", "confirm", "e26", "ZZZZ-ZZZZ")
    # One unknown code among good ones: the good are recorded, the unknown named.
    (tmp_path / "codes.txt").write_text("\n".join([*codes, "ZZZZ-ZZZZ"]))
    confirmed = sar("campaign", "confirm", "e26", "--codes", tmp_path / "codes.txt", "--json")
    assert (confirmed.json()["confirmed"], confirmed.json()["unknown"]) == (N, ["ZZZZ-ZZZZ"])

    # Send: 300 letters from the campaign mailbox, each for its participant.
    out = sar("campaign", "send", "e26", "--json").json()
    assert (out["drafted"], out["sent"]) == (N * 6, N * 6)
    letters = outbox.new()
    assert len(letters) == N * 6
    by_person = {p["email"]: p for p in everyone}
    for letter in letters:
        person = by_person[letter["Reply-To"].addresses[0].addr_spec]
        assert letter["From"].addresses[0].addr_spec == "campaign@rights.example"
        body = letter.get_body(("plain",)).get_content()
        assert person["name"] in body and "letter of authority" in body
        mandate = [a for a in letter.iter_attachments()
                   if a.get_filename().startswith("letter-of-authority-")]
        assert len(mandate) == 1
    # Sending again sends nothing twice.
    again = sar("campaign", "send", "e26", "--json").json()
    assert again["drafted"] == 0 and again.get("sent", 0) == 0
    assert outbox.new() == []

    # Replies, with outcomes fixed in advance (sent Mon 2 March, due Thu 2 April).
    box = Box(tmp_path / "Maildir")
    letters_to = {slug: [m for m in letters if m["To"].addresses[0].addr_spec ==
                         f"dpo@{slug}.example"] for slug in ORGS}
    for m in letters_to["party-a"]:
        box.reply("party-a", m, "fulfilled", "2026-03-20")               # 18 days, on time
    for m in letters_to["party-b"]:
        box.reply("party-b", m, "acknowledged", "2026-03-05")            # then silence
    for m in letters_to["broker-a"]:
        box.reply("broker-a", m, "refused", "2026-03-10")                # 8 days
    for m in letters_to["broker-b"]:
        box.reply("broker-b", m, "extended", "2026-03-25")               # in time
    for i, m in enumerate(letters_to["broker-c"]):
        if i < 3:
            box.bounce(m, "2026-03-02")
        else:
            box.reply("broker-c", m, "id-requested", "2026-03-06")
    watched = sar("watch", "--maildir", box.root, "--json", today="2026-03-26").json()
    assert [w["status"] for w in watched].count("new") == N * 5
    assert all(w["ref"] for w in watched)

    # Reminders on 7 April: party-b and party-c (50 each) are overdue; broker-c waits
    # for ID, broker-b extended, the others answered.
    reminded = sar("campaign", "remind", "e26", "--json", today="2026-04-07").json()
    assert reminded.get("sent") == 2 * N
    reminders = outbox.new()
    assert len(reminders) == 2 * N
    originals = {m["Message-ID"] for m in letters_to["party-b"] + letters_to["party-c"]}
    assert {m["In-Reply-To"] for m in reminders} == originals
    # Half of party-c answers after the reminder: late.
    for m in letters_to["party-c"][:25]:
        box.reply("party-c", m, "fulfilled", "2026-04-20")
    late = sar("watch", "--maildir", box.root, "--json", today="2026-04-21").json()
    assert [w["event"] for w in late if w["status"] == "new"] == ["fulfilled"] * 25

    # The report, as of 1 May, against the outcomes above.
    report = sar("campaign", "report", "e26", "--format", "json",
                 today="2026-05-01").json()
    org = {r["org"]: r for r in report["by_organisation"]}
    expect = {  # requests, bounced, ack, id, extended, answered, on time, refused, overdue
        "party-a": (50, 0, 0, 0, 0, 50, 50, 0, 0),
        "party-b": (50, 0, 50, 0, 0, 0, 0, 0, 50),
        "party-c": (50, 0, 0, 0, 0, 25, 0, 0, 25),
        # Refused in 8 days: answered, and refused, but never "answered on time".
        "broker-a": (50, 0, 0, 0, 0, 50, 0, 50, 0),
        "broker-b": (50, 0, 0, 0, 50, 0, 0, 0, 0),
        "broker-c": (50, 3, 0, 47, 0, 0, 0, 0, 0),
        "all": (300, 3, 50, 47, 50, 125, 50, 50, 75),
    }
    cols = ("requests", "bounced", "acknowledged", "id_demanded", "extended", "answered",
            "on_time", "refused", "overdue_now")
    for slug, figures in expect.items():
        assert tuple(org[slug][c] for c in cols) == figures, slug
    assert org["party-a"]["median_days"] == 18 and org["broker-a"]["median_days"] == 8
    assert org["party-c"]["median_days"] == 49               # 2 March → 20 April
    sector = {r["sector"]: r for r in report["by_sector"]}
    assert sector["political-party"]["requests"] == sector["data-broker"]["requests"] == 150
    assert report["outcomes_by_sector"]["political-party"] == {
        "answered on time": 50, "answered late": 25, "refused": 0, "overdue": 75,
        "waiting": 0, "bounced": 0}
    assert report["outcomes_by_sector"]["data-broker"] == {
        "answered on time": 0, "answered late": 0, "refused": 50, "overdue": 0,
        "waiting": 97, "bounced": 3}
    page = home.parent / "report.html"
    sar("campaign", "report", "e26", "--format", "html", "-o", page, today="2026-05-01")
    html = page.read_text()
    assert html.count("<svg") == 2 and "Party B" in html  # its name, not its slug
    # The report never reads identities: no participant is in it.
    assert not any(p["email"] in html or p["name"] in html for p in everyone)

    # Complaints for what is still unanswered after the reminder's final date.
    bundles = tmp_path / "bundles"  # made by the command, like every other -o
    filed = sar("campaign", "complain", "e26", "-o", bundles, "--json",
                today="2026-05-01").json()
    assert len(filed["bundles"]) == 75 and len(list(bundles.glob("*.zip"))) == 75
    # The complaint is to the regulator: no paragraph telling it where to reply.
    import zipfile

    with zipfile.ZipFile(sorted(bundles.glob("*.zip"))[0]) as z:
        complaint = z.read(next(n for n in z.namelist() if n.endswith("complaint.txt")))
    assert b"Please send your reply" not in complaint and b"letter of authority" not in complaint

    # Purge: not before the retention date without --force; then nobody is left.
    report = sar("campaign", "report", "e26", "--format", "json", today="2026-05-01").json()
    # All 75 escalated now, and still late: a complaint does not answer the request.
    assert report["by_organisation"][-1]["overdue_now"] == 75
    before = sar.state()
    assert "kept until 2026-09-01" in sar.fails("campaign", "purge", "e26", today="2026-05-01")
    assert sar.state() == before
    receipt = sar("campaign", "purge", "e26", "--json", today="2026-09-02").json()
    assert receipt["identities_deleted"] == N and receipt["evidence_files_deleted"] > N * 6
    leaks = _personal_data_in(home, everyone)
    assert leaks == [], leaks[:5]
    # The pseudonymous figures remain, unchanged.
    after = sar("campaign", "report", "e26", "--format", "json", today="2026-05-01").json()
    assert after["by_organisation"] == report["by_organisation"]
    assert "was purged" in sar.fails("campaign", "send", "e26", today="2026-09-02")
    assert sar("doctor", today="2026-09-02", ok=False).exit_code == 0


def _personal_data_in(home, everyone) -> list[str]:
    """Every file under the home (the database and its WAL included) searched, as
    bytes, for each participant's name, email and first address line."""
    needles = []
    for p in everyone:
        needles += [p["name"], p["email"], p["address"].split(",")[0]]
    needles = [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]
    found = []
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(home)}: {n[:20]!r}" for n in needles if n in data]
    return found


def test_purging_one_participant_leaves_the_others(sar, tmp_path, home):
    add_acme(sar)
    sar("campaign", "new", "solo", "--to", "acme", "--kind", "access", "--kind", "erasure")
    everyone = people()[:3]
    write_csv(tmp_path / "p.csv", everyone, consented=True)
    sar("campaign", "import", "solo", tmp_path / "p.csv")
    sar("campaign", "send", "solo")
    gone, *kept = everyone
    receipt = sar("campaign", "purge", "solo", "--participant", gone["email"], "--json").json()
    assert receipt["identities_deleted"] == 1 and receipt["handed_out_files_deleted"] == 2
    assert _personal_data_in(home, [gone]) == []
    assert len(_personal_data_in(home, kept)) > 0
    conn = sqlite3.connect(home / "sar.db")
    assert conn.execute("SELECT COUNT(*) FROM identities").fetchone()[0] == 2
    # Their requests stay, as pseudonymous rows.
    assert conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 6
    conn.close()
    assert "no participant" in sar.fails("campaign", "purge", "solo", "--participant",
                                         "nobody@example.org")


def test_a_self_send_campaign_hands_letters_out_and_learns_when_they_went(sar, tmp_path,
                                                                          home):
    everyone = self_send_campaign(sar, tmp_path, 2)
    out = sar("campaign", "send", "own", "--json").json()
    assert out["handed_out"] == 2
    letters = sorted((home / "campaigns" / "own" / "letters").rglob("*.eml"))
    assert len(letters) == 2
    msgs = [message_from_bytes(p.read_bytes(), policy=default) for p in letters]
    assert {m["From"].addresses[0].addr_spec for m in msgs} == {p["email"] for p in everyone}
    assert all(m["To"].addresses[0].addr_spec == "dpo@acme.example" for m in msgs)
    # Not written twice; still drafts until the participant sends.
    assert sar("campaign", "send", "own", "--json").json()["handed_out"] == 0
    refs = [re.search(r"SAR-[A-Z0-9]{5}", m["Subject"]).group() for m in msgs]
    assert {sar("show", r, "--json").json()["status"] for r in refs} == {"draft"}
    # sar itself never sends a self-send letter.
    assert "self-send" in sar("send", refs[0], "--json").json()[0]["detail"]
    # The first participant's copy (Bcc to the campaign) arrives: sent, on its date.
    box = Box(tmp_path / "Maildir")
    copy = message_from_bytes(letters[0].read_bytes(), policy=default)
    copy.replace_header("Date", format_datetime(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)))
    (box.root / "new" / "0001.copy").write_bytes(bytes(copy))
    got = sar("watch", "--maildir", box.root, "--json", today="2026-03-04").json()
    assert [(g["status"], g["event"]) for g in got] == [("participant-sent", "sent")], got
    first = re.search(r"SAR-[A-Z0-9]{5}", copy["Subject"]).group()
    shown = sar("show", first, "--json", today="2026-03-04").json()
    assert shown["status"] == "sent"
    assert [e["on"] for e in shown["events"] if e["kind"] == "sent"] == ["2026-03-03"]
    # The second tells us instead.
    other = next(r for r in refs if r != first)
    sar("send", other, "--confirm-sent", today="2026-03-05")
    assert sar("show", other, "--json", today="2026-03-05").json()["status"] == "sent"


def test_the_same_person_is_not_sent_the_same_request_twice_in_a_month(sar, tmp_path):
    add_acme(sar)
    everyone = people()[:2]
    write_csv(tmp_path / "p.csv", everyone, consented=True)
    for name in ("one", "two"):
        sar("campaign", "new", name, "--to", "acme", "--kind", "access")
        sar("campaign", "import", name, tmp_path / "p.csv")
    assert sar("campaign", "send", "one", "--json").json()["drafted"] == 2
    out = sar("campaign", "send", "two", "--json", today="2026-03-20").json()
    assert (out["drafted"], out["rate_limited"]) == (0, 2)
    # A month later it may go.
    later = sar("campaign", "send", "two", "--json", today="2026-04-02").json()
    assert later["drafted"] == 2


@pytest.mark.parametrize("args, words", [
    (["--kind", "access", "--to", "acme", "--mode", "courier"], "--mode must be"),
    (["--kind", "access", "--to", "acme", "--mode", "agent"], "add --from"),
    (["--kind", "gossip", "--to", "acme"], "kind"),
    (["--kind", "access", "--to", "nobody-here"], "nobody-here"),
    (["--kind", "access", "--to", "acme", "--retain-until", "2020-01-01"], "not after today"),
])
def test_a_campaign_that_cannot_work_is_refused_whole(sar, args, words):
    add_acme(sar)
    before = sar.state()
    assert words in sar.fails("campaign", "new", "c1", *args)
    assert sar.state() == before


def test_a_campaign_template_with_an_error_is_refused_before_anything_exists(sar, tmp_path):
    add_acme(sar)
    folder = tmp_path / "tpl" / "letters" / "en" / "gdpr"
    folder.mkdir(parents=True)
    (folder / "access.j2").write_text('{% extends "letters/en/_base.j2" %}\n'
                                      "{% block subject %}Access {{ request.ref }\n"
                                      "{% endblock %}\n")
    before = sar.state()
    line = sar.fails("campaign", "new", "c1", "--to", "acme", "--kind", "access",
                     "--templates", tmp_path / "tpl")
    assert "letters/en/gdpr/access.j2 line 2" in line
    assert sar.state() == before
    # A sandbox escape is refused too, on the sample letter.
    (folder / "access.j2").write_text(
        '{% extends "letters/en/_base.j2" %}\n{% block subject %}'
        "{{ request.__class__.__mro__[1].__subclasses__() }}{% endblock %}\n")
    assert "unsafe" in sar.fails("campaign", "new", "c1", "--to", "acme", "--kind", "access",
                                 "--templates", tmp_path / "tpl")
    # A sound one is kept with the campaign and used for its letters.
    (folder / "access.j2").write_text(
        '{% extends "letters/en/_base.j2" %}\n{% block subject %}Our campaign asks '
        "[{{ request.ref }}]{% endblock %}\n{% block body %}Please answer.{% endblock %}\n")
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--templates",
        tmp_path / "tpl")
    write_csv(tmp_path / "p.csv", people()[:1], consented=True)
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    sar("campaign", "send", "c1")
    eml = next((sar.home / "campaigns" / "c1" / "letters").rglob("*.eml"))
    assert "Our campaign asks" in message_from_bytes(eml.read_bytes(), policy=default)["Subject"]


def test_bad_participant_files_change_nothing(sar, tmp_path):
    add_acme(sar)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access")
    cases = {
        "latin1.csv": "name,email,address\nJosé Testperson,jose@example.org,1 Rue\n"
                      .encode("latin-1"),
        "nocol.csv": b"name,address\nA Testperson,1 Road\n",
        "bademail.csv": b"name,email,address\nA Testperson,not-an-address,1 Road\n",
        "newline.csv": b'name,email,address\n"A\nTestperson",a@example.org,1 Road\n',
        "formula.csv": b'name,email,address\n"=HYPERLINK(""http://x.example"",""y"")",'
                       b"a@example.org,1 Road\n",
        "dupes.csv": b"name,email,address\nA Testperson,a@example.org,1 Road\n"
                     b"B Testperson,A@example.org,2 Road\n",
    }
    before = sar.state()
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        line = sar.fails("campaign", "import", "c1", tmp_path / name)
        assert "nothing was imported" in line or "UTF-8" in line or "no column" in line, line
        assert "a@example.org" not in line.lower() and "Testperson" not in line
    assert sar.state() == before
    # Sending before consent: refused, nothing written.
    write_csv(tmp_path / "p.csv", people()[:2])
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    before = sar.state()
    assert "not given consent" in sar.fails("campaign", "send", "c1") or \
        "has given consent" in sar.fails("campaign", "send", "c1")
    assert sar.state() == before


def test_the_report_keeps_small_groups_out_and_escapes_what_organisations_send(
        sar, tmp_path, home):
    add_acme(sar)
    sar("orgs", "add", "--slug", "tiny", "--name", "Tiny", "--email", "dpo@tiny.example",
        "--domain", "tiny.example", "--kind", "other")
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--mode", "agent",
        "--from", "campaign@rights.example", "--name", '<script>alert("x")</script>')
    write_csv(tmp_path / "p.csv", people()[:6])
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    invite_and_confirm(sar, home, "c1")
    sar("campaign", "send", "c1")
    data = json.loads(sar("campaign", "report", "c1", "--format", "json",
                          "--suppress-below", "10").stdout)
    row = data["by_organisation"][0]
    assert row["suppressed"] and row["requests"] is None
    assert data["days_by_org"] == {} and data["outcomes_by_sector"] == {}
    html = sar("campaign", "report", "c1", "--format", "html").stdout
    assert "<script" not in html.lower() and "&lt;script&gt;" in html


def test_no_campaign_letter_goes_for_someone_who_cannot_authorise_it(sar, tmp_path, home):
    """The outbox asks again before each letter: a participant purged (or never
    confirmed) is not written for, even by `sar send REF` or `sar send --all`."""
    add_acme(sar)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--mode", "agent",
        "--from", "campaign@rights.example")
    write_csv(tmp_path / "p.csv", people()[:2])
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    invite_and_confirm(sar, home, "c1")
    # The mail server is unreachable: the requests are drafted, nothing goes.
    for key, value in (("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                       ("smtp.port", "9"), ("smtp.security", "none")):
        sar("config", "set", key, value)
    sar.fails("campaign", "send", "c1", today="")
    drafts = [r["ref"] for r in sar("list", "--json").json() if r["status"] == "draft"]
    assert len(drafts) == 2
    sar("config", "set", "mail.transport", "maildir")
    sar("campaign", "purge", "c1", "--participant", "p01@example.org")
    results = {r["ref"]: r for r in sar("send", *drafts, "--json").json()}
    purged = [r for r in results.values() if "was purged" in r["detail"]]
    assert len(purged) == 1 and purged[0]["status"] == "skipped"
    # `sar send --all` is for your own drafts (and needs your profile): a campaign's
    # go with `sar campaign send`.
    sar("init", "--name", "Op Erator", "--email", "op@example.org", "--address",
        "1 Op Street, Exampleton", "--no-input")
    assert sar("send", "--all", "--json").json() == []


# -- regressions from a review of the campaign change ----------------------------------


def _reply_file(box, n, sender, subject, text, *, in_reply_to=None, to=None, attach=None,
                cte=None):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to or "campaign@rights.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<rv{n}@{sender.rpartition('@')[2]}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg["Date"] = format_datetime(dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC))
    msg.set_content(text, cte=cte) if cte else msg.set_content(text)
    if attach:
        msg.add_attachment(attach, maintype="application", subtype="pdf",
                           filename="privacy-notice.pdf")
    (box.root / "new" / f"{n:04d}.rv").write_bytes(bytes(msg))


@pytest.fixture
def mixed(sar, tmp_path, home):
    """A home with the operator's own request to acme and an agent campaign of three
    participants to acme, all sent."""
    sar("init", "--name", "Op Erator", "--email", "op@example.org", "--address",
        "1 Op Street, Exampleton", "--no-input")
    add_acme(sar)
    own = sar("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    sar("send", own)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--mode", "agent",
        "--from", "campaign@rights.example", "--replies", "campaign")
    write_csv(tmp_path / "p.csv", people()[:3])
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    invite_and_confirm(sar, home, "c1")
    sar("campaign", "send", "c1")
    letters = {}
    for p in (home / "outbox" / "new").iterdir():
        m = message_from_bytes(p.read_bytes(), policy=default)
        if "SAR-" in m["Subject"]:
            body = m.get_body(("plain",)).get_content()
            found = re.search(r"p\d\d@example\.org", body)
            letters[found.group() if found else "op"] = m
    return own, letters, Box(tmp_path / "Maildir")


def test_purging_one_person_keeps_evidence_others_still_need(sar, mixed, home):
    own, letters, box = mixed
    notice = b"%PDF-1.4 the same privacy notice for everyone"
    for n, key in enumerate(["op", "p01@example.org", "p02@example.org"]):
        _reply_file(box, n, "dpo@acme.example", "Re: " + letters[key]["Subject"],
                    TEXT["acknowledged"], in_reply_to=letters[key]["Message-ID"],
                    attach=notice)
    sar("watch", "--maildir", box.root, today="2026-03-10")
    sar("campaign", "purge", "c1", "--participant", "p01@example.org")
    import hashlib

    assert (home / "evidence" / hashlib.sha256(notice).hexdigest()[:2] /
            hashlib.sha256(notice).hexdigest()[2:]).exists()
    assert sar("doctor", today="2026-03-10", ok=False).exit_code == 0


def test_purge_finds_people_in_encoded_unmatched_mail_and_spares_the_rest(sar, mixed, home):
    own, letters, box = mixed
    # No thread, no reference, base64: only the decoded text names her.
    _reply_file(box, 1, "dpo@acme.example", "About data protection",
                "Dear Participant01 Testperson, we hold data about you at "
                "1 Campaign Row, under data protection law.", cte="base64")
    # Mentions words that contain a participant's surname, but no one.
    _reply_file(box, 2, "dpo@acme.example", "About data protection",
                "Our Testpersonnel policy on data protection changed.")
    sar("watch", "--maildir", box.root, today="2026-03-10")
    conn = sqlite3.connect(home / "sar.db")
    unmatched = dict(conn.execute("SELECT message_id, sha256 FROM messages WHERE "
                                  "direction = 'in' AND request_id IS NULL"))
    conn.close()
    assert len(unmatched) == 2
    sar("campaign", "purge", "c1", "--force")
    conn = sqlite3.connect(home / "sar.db")
    after = dict(conn.execute("SELECT message_id, sha256 FROM messages WHERE "
                              "direction = 'in' AND request_id IS NULL"))
    conn.close()
    assert after["<rv1@acme.example>"] is None
    assert after["<rv2@acme.example>"] == unmatched["<rv2@acme.example>"]


def test_a_reply_to_the_campaign_is_not_guessed_onto_the_operators_request(sar, mixed):
    own, letters, box = mixed
    # From acme's domain, no thread, no reference, to the campaign's mailbox.
    _reply_file(box, 1, "dpo@acme.example", "Your data request",
                TEXT["refused"], to="campaign@rights.example")
    got = sar("watch", "--maildir", box.root, "--json", today="2026-03-10").json()
    assert [g["ref"] for g in got] == [None]
    assert sar("show", own, "--json", today="2026-03-10").json()["status"] == "sent"
    # The same to the operator is matched to their request, as before.
    _reply_file(box, 2, "dpo@acme.example", "Your data request",
                TEXT["refused"], to="op@example.org")
    got = sar("watch", "--maildir", box.root, "--json", today="2026-03-10").json()
    assert [g["ref"] for g in got] == [own]


def test_a_forwarded_answer_is_not_taken_for_the_participants_own_copy(sar, tmp_path,
                                                                        home):
    self_send_campaign(sar, tmp_path, 1)
    sar("campaign", "send", "own")
    eml = next((home / "campaigns" / "own" / "letters").rglob("*.eml"))
    ref = re.search(r"SAR-[A-Z0-9]{5}", eml.read_text()).group()
    box = Box(tmp_path / "Maildir")
    _reply_file(box, 1, "p01@example.org", f"Fwd: Re: Subject access request [{ref}]",
                "---------- Forwarded message ---------\n" + TEXT["refused"])
    got = sar("watch", "--maildir", box.root, "--json", today="2026-03-25").json()
    assert [g["status"] for g in got] == ["new"]
    assert sar("show", ref, "--json", today="2026-03-25").json()["status"] == "draft"


def test_small_cells_cannot_be_worked_out_from_the_total(sar, tmp_path, home):
    for slug in ("acme", "bcme", "ccme"):
        sar("orgs", "add", "--slug", slug, "--name", slug, "--email", f"dpo@{slug}.example",
            "--domain", f"{slug}.example", "--kind", "data-broker")
    everyone = people()[:10]
    for name, targets, who in (("big", ["acme", "bcme"], everyone),
                               ("big2", ["ccme"], everyone[:2])):
        sar("campaign", "new", name, *[x for t in targets for x in ("--to", t)], "--kind",
            "access", "--kind", "erasure")
        write_csv(tmp_path / f"{name}.csv", who, consented=True)
        sar("campaign", "import", name, tmp_path / f"{name}.csv")
        sar("campaign", "send", name)
    data = sar("campaign", "report", "big2", "--format", "json").json()
    # Two people, four requests: blank (people, not requests, are counted).
    assert data["by_organisation"][-1]["suppressed"]


def test_complementary_suppression_blanks_a_second_row(sar):
    from sar import report

    items = [{"org": org, "sector": "x", "who": f"{org}{i}", "bounced": False,
              "acknowledged": False, "id_demanded": False, "extended": False,
              "answered": True, "on_time": True, "refused": org == "c", "overdue_now": False,
              "days": 3, "outcome": "refused" if org == "c" else "answered on time"}
             for org, n in (("a", 10), ("b", 8), ("c", 2)) for i in range(n)]
    rows = {r["org"]: r for r in report.summarise(items, "org", suppress_below=5)}
    assert rows["c"].get("suppressed") and rows["b"].get("suppressed")
    assert not rows["a"].get("suppressed") and rows["all"]["requests"] == 20


def test_after_one_person_is_purged_the_others_can_still_be_sent_for_and_the_limit_holds(
        sar, tmp_path, home):
    add_acme(sar)
    sar("campaign", "new", "a", "--to", "acme", "--kind", "access")
    write_csv(tmp_path / "p.csv", people()[:2], consented=True)
    sar("campaign", "import", "a", tmp_path / "p.csv")
    sar("campaign", "purge", "a", "--participant", "p01@example.org")
    assert sar("campaign", "send", "a", "--json").json()["drafted"] == 1
    sar("campaign", "purge", "a", "--participant", "p02@example.org")
    # Purged, and back in a new campaign a few days later: still rate-limited.
    sar("campaign", "new", "b", "--to", "acme", "--kind", "access")
    sar("campaign", "import", "b", tmp_path / "p.csv")
    out = sar("campaign", "send", "b", "--json", today="2026-03-05").json()
    assert (out["drafted"], out["rate_limited"]) == (1, 1)
    # A rerun by address finds the purged person again (a purge killed after commit).
    assert sar("campaign", "purge", "a", "--participant", "p02@example.org",
               "--json").json()["identities_deleted"] == 0


def test_an_invitation_refused_by_the_server_is_tried_again_next_time(sar, tmp_path):
    server = SmtpServer().start()
    try:
        server.handler.refuse_rcpt = {"p02@example.org": "550 5.1.1 no such user"}
        add_acme(sar)
        for key, value in (("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                           ("smtp.port", str(server.port)), ("smtp.security", "none")):
            sar("config", "set", key, value)
        sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--mode", "agent",
            "--from", "campaign@rights.example")
        write_csv(tmp_path / "p.csv", people()[:3])
        sar("campaign", "import", "c1", tmp_path / "p.csv")
        run = sar("campaign", "invite", "c1", "--json", ok=False, today="")
        assert run.exit_code == 1
        out = json.loads(run.stdout)
        assert out["invited"] == 2 and len(out["failed"]) == 1
        assert "p02@example.org" not in run.stdout + run.stderr
        server.handler.refuse_rcpt = {}
        assert sar("campaign", "invite", "c1", "--json", today="").json()["invited"] == 1
    finally:
        server.stop()


@pytest.mark.parametrize("args, words", [
    (["-o", ""], "needs a file name"),
    (["-o", "{home}"], "is a folder"),
    (["-o", "{home}/sar.db"], "sar's own files"),
])
def test_a_report_is_never_written_over_the_home(sar, tmp_path, home, args, words):
    add_acme(sar)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access")
    before = sar.state()
    args = [a.format(home=home) for a in args]
    assert words in sar.fails("campaign", "report", "c1", *args)
    assert sar.state() == before


@pytest.mark.parametrize("row", [
    'Ann \u202eTestperson,a@example.org,1 Road',
    '"Ann <evil@example.net>",a@example.org,1 Road',
])
def test_names_that_would_disguise_a_sender_are_refused(sar, tmp_path, row):
    add_acme(sar)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access")
    (tmp_path / "p.csv").write_text("name,email,address\n" + row + "\n", encoding="utf-8")
    assert "column name" in sar.fails("campaign", "import", "c1", tmp_path / "p.csv")


def test_an_internationalised_address_is_written_in_ascii(sar, tmp_path, home):
    add_acme(sar)
    sar("campaign", "new", "c1", "--to", "acme", "--kind", "access")
    (tmp_path / "p.csv").write_text("name,email,address,consented_at\nAnn Example,"
                                    "ann@bücher.example,1 Road,2026-02-01\n",
                                    encoding="utf-8")
    sar("campaign", "import", "c1", tmp_path / "p.csv")
    sar("campaign", "send", "c1")
    eml = next((home / "campaigns" / "c1" / "letters").rglob("*.eml")).read_bytes()
    assert b"ann@xn--bcher-kva.example" in eml and b"=?utf-8" not in eml.split(b"\r\n\r\n")[0]


def test_campaign_options_that_make_no_sense_are_refused(sar):
    add_acme(sar)
    assert "--mode agent" in sar.fails("campaign", "new", "c1", "--to", "acme", "--kind",
                                       "access", "--replies", "campaign")
    c = sar("campaign", "new", "c1", "--to", "acme", "--kind", "access", "--kind", "access",
            "--json").json()
    assert c["kinds"] == ["access"]


def test_the_progress_bar_copes_with_a_batch_of_unknown_size():
    """A campaign's reminders are counted as they are found: the bar has no total."""
    from sar.cli import output

    bar = output._Progress()
    bar(1, None, "SAR-AAAAA")
    bar(2, None, "SAR-BBBBB")
    assert bar.bar.tasks[0].completed == 2 and bar.bar.tasks[0].total is None
    bar.close()
