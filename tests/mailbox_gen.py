"""A generated mailbox for `sar discover`: a few hundred messages from
real-looking senders, with the answer each should give (the ground truth is
written here, not computed by sar)."""

from __future__ import annotations

import datetime as dt
import random
from email.message import EmailMessage
from email.utils import format_datetime

# (slug, name, the domain its directory record gives)
ORGS = [("redrose", "Red Rose Party", "redrose.example"),
        ("blueparty", "Blue Party", "blueparty.example"),
        ("greens", "Green Example Party", "greens.example"),
        ("broker", "Example Data Broker", "broker.example"),
        ("verlag", "Münchner Verlag", "münchen-verlag.example")]


def messages(seed: int = 7):
    """[(raw bytes, truth)] where truth is {"org": slug or None, "domain": shown
    sender domain or None, "via": how it is attributed}."""
    rng = random.Random(seed)
    out = []
    start = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)

    def make(frm, subject, day, extra=(), raw_from=None):
        msg = EmailMessage()
        if raw_from is not None:
            msg["From"] = raw_from
        elif frm is not None:
            msg["From"] = frm
        msg["To"] = "robin@example.org"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(start + dt.timedelta(days=day, minutes=rng.randint(0, 600)))
        msg["Message-ID"] = f"<gen-{len(out)}@example.org>"
        for k, v in extra:
            msg[k] = v
        msg.set_content("Hello.\n")
        return bytes(msg)

    # Newsletters from two subdomains of one party: one sender.
    for i in range(120):
        sub = "email" if i % 2 else "mail"
        out.append((make(f"Red Rose Party <news@{sub}.redrose.example>", f"News {i}", i * 3),
                    {"org": "redrose", "domain": "redrose.example", "via": "from"}))
    # Two parties through one mailing platform: told apart by List-Id.
    for i in range(60):
        out.append((make("Blue Party <blue@mailer.sendplatform.example>", f"Blue {i}", i * 5,
                         [("List-Id", "Blue Party members <members.blueparty.example>"),
                          ("List-Unsubscribe", "<mailto:unsub@sendplatform.example>")]),
                    {"org": "blueparty", "domain": "sendplatform.example", "via": "list-id"}))
    for i in range(40):
        out.append((make("Greens <green@mailer.sendplatform.example>", f"Green {i}", i * 7,
                         [("Reply-To", "Greens office <office@greens.example>")]),
                    {"org": "greens", "domain": "sendplatform.example", "via": "reply-to"}))
    # A broker sending from a bulk service, signed with its own DKIM key.
    for i in range(25):
        out.append((make("Offers <offers@bulkmail.example>", f"Offer {i}", 100 + i * 3,
                         [("DKIM-Signature", "v=1; a=rsa-sha256; d=broker.example; s=k1; "
                                             "h=from; bh=x; b=y")]),
                    {"org": "broker", "domain": "bulkmail.example", "via": "dkim"}))
    # An internationalised domain (in its ASCII form on the wire).
    for i in range(12):
        out.append((make("=?utf-8?q?M=C3=BCnchner_Verlag?= <info@xn--mnchen-verlag-wob.example>",
                         f"Bücher {i}", 200 + i),
                    {"org": "verlag", "domain": "münchen-verlag.example", "via": "from"}))
    # Frequent senders nobody has a record for, one with an encoded-word name.
    for i in range(30):
        out.append((make("=?utf-8?q?Caf=C3=A9_Example?= <hello@cafe.example>", f"Menu {i}",
                         i * 10), {"org": None, "domain": "cafe.example", "via": None}))
    for i in range(12):
        out.append((make(f"Shop <shop{i % 3}@shop.example>", f"Sale {i}", 300 + i),
                    {"org": None, "domain": "shop.example", "via": None}))
    # Rare senders (below the listing threshold) and mail with no usable sender.
    for i in range(2):
        out.append((make("Once <once@rare.example>", f"Hi {i}", 50 + i),
                    {"org": None, "domain": "rare.example", "via": None}))
    out.append((make(None, "No sender", 10), {"org": None, "domain": None, "via": None}))
    out.append((make(None, "Broken sender", 11, raw_from="<<<not an address>>>"),
                {"org": None, "domain": None, "via": None}))
    out.append((make("Suffix <x@co.uk>", "Suffix only", 12),
                {"org": None, "domain": None, "via": None}))
    rng.shuffle(out)
    return out


def write_maildir(path, msgs) -> None:
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for i, (raw, _) in enumerate(msgs):
        (path / ("cur" if i % 2 else "new") / f"{1700000000 + i}.M{i}.gen.example").write_bytes(raw)


def expected(msgs) -> dict:
    """Messages per organisation, and per unknown frequent sender (3 or more)."""
    orgs, unknown = {}, {}
    for _, truth in msgs:
        if truth["org"]:
            orgs[truth["org"]] = orgs.get(truth["org"], 0) + 1
        elif truth["domain"]:
            unknown[truth["domain"]] = unknown.get(truth["domain"], 0) + 1
    return {"orgs": orgs, "unknown": {d: n for d, n in unknown.items() if n >= 3},
            "without_sender": sum(1 for _, t in msgs if not t["domain"])}
