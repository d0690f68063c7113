"""A demo-like campaign for the report's tests and screenshots: five invented
organisations, twelve invented participants, agent mode, replies read from a Maildir
on what-if dates — on-time answers, on-time refusals, late answers, an extension, ID
demands, bounces and silence. Sent Monday 2 March 2026; the figures as of 1 May."""

from __future__ import annotations

from tests.test_campaign import Box, Outbox, invite_and_confirm, people, write_csv

N = 12
ORGS = {  # slug: (name, kind)
    "green-party": ("Green Example Party", "political-party"),
    "labour-example": ("Example Labour Party", "political-party"),
    "credit-ref": ("Example Credit Reference Ltd", "credit-reference-agency"),
    "acme-data": ("Acme Data Brokers Ltd", "data-broker"),
    "ad-exchange": ("Example Ad Exchange plc", "ad-tech"),
}
AS_OF = "2026-05-01"


def build(sar, tmp_path, home, name: str = "demo26") -> str:
    """Make the campaign in `home` through the CLI; return its name."""
    for slug, (org, kind) in ORGS.items():
        sar("orgs", "add", "--slug", slug, "--name", org, "--email", f"dpo@{slug}.example",
            "--domain", f"{slug}.example", "--kind", kind, "--calendar", "GB-ENG",
            "--regime", "uk-gdpr")
    outbox = Outbox(home)
    sar("campaign", "new", name, *[a for s in ORGS for a in ("--to", s)], "--kind", "access",
        "--mode", "agent", "--from", "campaign@rights.example",
        "--name", "Who Holds Our Data? 2026", "--retain-until", "2026-09-01")
    write_csv(tmp_path / "people.csv", people()[:N])
    sar("campaign", "import", name, tmp_path / "people.csv")
    invite_and_confirm(sar, home, name)
    outbox.new()  # the invitations
    sar("campaign", "send", name)
    letters = outbox.new()
    to = {slug: [m for m in letters if m["To"].addresses[0].addr_spec == f"dpo@{slug}.example"]
          for slug in ORGS}
    box = Box(tmp_path / "Maildir")
    for m in to["green-party"]:
        box.reply("green-party", m, "fulfilled", "2026-03-20")          # 18 days, on time
    for i, m in enumerate(to["labour-example"]):
        if i < 6:
            box.reply("labour-example", m, "refused", "2026-03-10")     # refused in time
    for i, m in enumerate(to["credit-ref"]):
        if i < 4:
            box.bounce(m, "2026-03-02")
        else:
            box.reply("credit-ref", m, "id-requested", "2026-03-06")
    for m in to["ad-exchange"]:
        box.reply("ad-exchange", m, "extended", "2026-03-25")
    sar("watch", "--maildir", box.root, today="2026-03-26")
    for i, m in enumerate(to["labour-example"]):
        if i >= 6:
            box.reply("labour-example", m, "fulfilled", "2026-04-20")   # 49 days: late
    for i, m in enumerate(to["ad-exchange"]):
        if i < 5:
            box.reply("ad-exchange", m, "fulfilled", "2026-04-24")      # extended: on time
    sar("watch", "--maildir", box.root, today="2026-04-25")
    return name
