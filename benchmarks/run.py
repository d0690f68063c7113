"""sar's benchmarks, each beside a bare-library baseline measured in the same run.

    python benchmarks/run.py            # all scenarios, 1,000 letters
    python benchmarks/run.py -n 200     # smaller
    python benchmarks/run.py smtp       # one scenario (startup, letters, smtp, imap, status,
                                        # discover)
    python benchmarks/run.py letters smtp -r 3   # each three times: best and spread

Times are wall-clock on this machine, so compare a row with its own baseline, not
with another machine's figures. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median_run(cmd: list[str], repeat: int, env=None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(n: int) -> list[tuple[str, float, str, float]]:
    sar = Path(sys.executable).with_name("sar")
    repeat = 15
    return [
        ("`sar --help`, median of 15", _median_run([str(sar), "--help"], repeat),
         "`python -c 'import typer'`", _median_run([sys.executable, "-c", "import typer"], repeat)),
    ]


def _workspace(home: Path, today: dt.date):
    from sar import profile
    from sar.workspace import Workspace

    ws = Workspace(home, today=today)
    ws.init(profile.make("Robin Testperson", "robin@example.org",
                         "12 Sample Lane, Exampleton, EX1 2MP", today=today))
    ws.add_org(slug="acme", name="Acme Data Ltd", email="privacy@acme.example",
               kind="data-broker", address="1 Acme Way, Exampleton, EX9 9AA")
    return ws


def letters(n: int) -> list[tuple[str, float, str, float]]:
    import io

    import jinja2
    from docx import Document

    from sar import letters as letters_mod

    today = dt.date(2026, 3, 2)
    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp) / "home", today)
        refs: list[str] = []
        draft = _timed(lambda: refs.extend(
            ws.new("access", ["acme"], again=True)[0]["ref"] for _ in range(n)))
        # Both sides warm, so the ratio is one letter against one render: sar's first
        # letter compiles the templates (about 75 ms), and the bare environment's first
        # render compiles the _base and _macros templates it imports.
        ws.letter(refs[0], "text")
        text = _timed(lambda: [ws.letter(r, "text") for r in refs])
        docx = _timed(lambda: [ws.letter(r, "docx") for r in refs])
        context = ws.letter_context(ws.find(refs[0]), today)

    # Baselines: the same template through a plain Jinja2 environment, and a DOCX of
    # the same shape written straight with python-docx.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(letters_mod.builtin_templates())),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(longdate=letters_mod.longdate, daydate=letters_mod.daydate)
    template = env.get_template("letters/en/gdpr/access.j2")
    template.render(**context)
    bare_text = _timed(lambda: [template.render(**context) for _ in range(n)])
    paragraphs = template.render(**context).split("\n\n")

    def bare_docx():
        for _ in range(n):
            doc = Document()
            for p in paragraphs:
                doc.add_paragraph(p)
            doc.save(io.BytesIO())

    bare = _timed(bare_docx)
    per = f"{n:,}"
    return [
        (f"draft {per} requests (one `new` each, own transaction)", draft, "", 0.0),
        (f"render {per} letters as text", text, f"bare Jinja2, same template, {per}x", bare_text),
        (f"render {per} letters as DOCX", docx, f"bare python-docx, same paragraphs, {per}x", bare),
    ]


def smtp(n: int) -> list[tuple[str, float, str, float]]:
    """`sar send --all` of 2n requests to a local aiosmtpd sink (its own process) beside a
    bare smtplib loop over one connection to the same sink."""
    import smtplib

    count = 2 * n
    port = _free_port()
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory() as tmp:
            ws = _workspace(Path(tmp) / "home", dt.date.today())
            for key, value in [("mail.transport", "smtp"), ("smtp.host", "127.0.0.1"),
                               ("smtp.port", str(port)), ("smtp.security", "none")]:
                ws.set_config(key, value)
            for _ in range(count):
                ws.new("access", ["acme"], again=True)
            ws = type(ws)(ws.home.root, today=ws.today)
            ours = _timed(lambda: ws.send(all_drafts=True))
            rows = [ws.find(r["ref"]) for r in ws.list()]
            # The bare loop sends the very messages sar sent, as they went.
            sent = [ws.evidence.get(d) for (d,) in ws.db.execute(
                "SELECT sha256 FROM messages WHERE state = 'sent' ORDER BY id")]
            assert len(sent) == count, len(sent)
            # The same letters composed again (template and MIME, no disk, no network):
            # the part of `sar send` a bare smtplib loop does not do at all, and which
            # `sar send` does on a second thread while the server takes the last letters.
            noon = dt.datetime.combine(ws.today, dt.time(12), tzinfo=dt.UTC)
            composing = _timed(lambda: [ws.letters.compose(r, ws.letters.build(r, ws.today), noon)
                                        for r in rows])
        conn = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost")

        def bare():
            for raw in sent:
                conn.sendmail("robin@example.org", ["privacy@acme.example"], raw)

        base = _timed(bare)
        conn.quit()
    finally:
        sink.terminate()
        sink.wait()
    bare_label = f"bare smtplib, one connection: {count / base:,.0f} msg/s"
    return [(f"`sar send --all`, {count:,} requests: {count / ours:,.0f} msg/s", ours,
             bare_label, base),
            (f"  composing them alone: {composing:.2f}s (overlapped in send)", composing,
             "", 0.0)]


def _wait_for(port: int, seconds: float = 10.0) -> None:
    """Until a server started in another process accepts connections on `port`."""
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.05)


def _pymap() -> tuple[int, subprocess.Popen]:
    """pymap (in memory) in its own process on a free loopback port, with the user
    bench / bench-pw; ready when this returns."""
    port = _free_port()
    pymap = Path(sys.executable).with_name("pymap")
    server = subprocess.Popen([str(pymap), "--host", "127.0.0.1", "--port", str(port),
                               "--no-tls", "dict", "--demo-user", "bench",
                               "--demo-password", "bench-pw"],
                              env={**os.environ, "FQDN": "localhost"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(port)
    return port, server


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def imap(n: int) -> list[tuple[str, float, str, float]]:
    """`sar watch --imap --once` over 5n messages on a local pymap server (its own
    process) beside a bare imapclient fetch of the same messages. One in ten is a
    reply to a request sent (threaded, classified, recorded); the rest is the
    newsletters and receipts an inbox is full of (parsed, left unmatched)."""
    from email.message import EmailMessage

    from imapclient import IMAPClient

    count = 5 * n
    port, server = _pymap()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = _workspace(Path(tmp) / "home", dt.date.today())
            replies = count // 10
            for _ in range(replies):
                ws.new("access", ["acme"], again=True)
            sent = [r.message_id for r in ws.send(all_drafts=True)]
            texts = ["We have received your request and will respond within one month.",
                     "Before we can act we need to verify your identity: please send a copy "
                     "of your passport.",
                     "We are extending the time for our response by a further two months."]
            messages, kept = [], []
            for i in range(count):
                msg = EmailMessage()
                if i % 10 == 0 and i // 10 < len(sent):
                    msg["From"] = "Acme Privacy <privacy@acme.example>"
                    msg["Subject"] = "Re: your request"
                    msg["In-Reply-To"] = sent[i // 10]
                    body = texts[(i // 10) % 3]
                else:
                    msg["From"] = f"News <news@shop{i % 50}.example>"
                    msg["Subject"] = f"This week's offers, number {i}"
                    body = "Our offers this week.\n" * 20
                msg["To"] = "robin@example.org"
                msg["Message-ID"] = f"<bench-{i}@example.org>"
                msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
                msg.set_content(body)
                messages.append(bytes(msg))
                # The worst case: every message from the organisation, each kept.
                del msg["From"], msg["Message-ID"]
                msg["From"] = "Acme News <news@acme.example>"
                msg["Message-ID"] = f"<bench-kept-{i}@example.org>"
                kept.append(bytes(msg))
            client = IMAPClient("127.0.0.1", port=port, ssl=False)
            client.login("bench", "bench-pw")
            client.create_folder("Kept")
            for i in range(0, count, 500):
                client.multiappend("INBOX", messages[i:i + 500])
                client.multiappend("Kept", kept[i:i + 500])

            def bare(folder="INBOX"):
                client.select_folder(folder, readonly=True)
                uids = client.search(["UID", "1:*"])
                for i in range(0, len(uids), 200):
                    client.fetch(uids[i:i + 200], ["RFC822.SIZE", "INTERNALDATE"])
                    client.fetch(uids[i:i + 200], ["BODY.PEEK[]"])

            base = _timed(bare)
            base_kept = _timed(lambda: bare("Kept"))
            client.logout()
            for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(port)),
                               ("imap.security", "none"), ("imap.username", "bench")]:
                ws.set_config(key, value)
            os.environ["SAR_IMAP_PASSWORD"] = "bench-pw"
            ws = type(ws)(ws.home.root, today=ws.today)
            got = []
            ours = _timed(lambda: ws.watch(imap=True, once=True,
                                           report=lambda kind, v: got.append(v)))
            assert len(got) == count, len(got)
            ws = type(ws)(ws.home.root, today=ws.today)
            got = []
            ours_kept = _timed(lambda: ws.watch(imap=True, once=True, folders=["Kept"],
                                                report=lambda kind, v: got.append(v)))
            assert sum(r.status == "new" for r in got) == count
    finally:
        server.terminate()
        server.wait()
    return [(f"`sar watch --imap --once`, {count:,} messages: {count / ours:,.0f} msg/s", ours,
             f"bare imapclient fetch: {count / base:,.0f} msg/s", base),
            (f"  of which {count // 10:,} replies taken in, the rest skipped", 0.0, "", 0.0),
            (f"the same, every message kept: {count / ours_kept:,.0f} msg/s", ours_kept,
             f"bare imapclient fetch: {count / base_kept:,.0f} msg/s", base_kept)]


def status(n: int) -> list[tuple[str, float, str, float]]:
    """`sar status` over 100n requests (a tenth of them sent and running), beside a
    bare sqlite3 read of the same rows sorted by due date."""
    import sqlite3

    count = 100 * n
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ws = _workspace(home, dt.date.today() - dt.timedelta(days=40))
        db = ws.db
        db.conn.execute("BEGIN")
        for _ in range(count):  # one transaction: drafting is not what is measured here
            ws.new("access", ["acme"], again=True)
        db.conn.execute("COMMIT")
        ws.send([r["ref"] for r in ws.list()][: count // 10])
        sar = Path(sys.executable).with_name("sar")
        env = {**os.environ, "SAR_HOME": str(home)}
        env.pop("SAR_TODAY", None)
        ours = _median_run([str(sar), "status"], 3, env=env)
        shown = subprocess.run([str(sar), "status"], env=env, capture_output=True,
                               text=True).stdout

        def bare():
            conn = sqlite3.connect(home / "sar.db")
            rows = conn.execute("SELECT ref, org_slug, kind, status, due FROM requests").fetchall()
            rows.sort(key=lambda r: (r[4] is None, r[4] or ""))
            conn.close()

        base = statistics.median(_timed(bare) for _ in range(3))
    overdue = shown.count("d overdue")
    return [(f"`sar status`, {count:,} requests ({overdue:,} overdue)", ours,
             "bare sqlite3 read + sort, same rows", base)]


def discover(n: int) -> list[tuple[str, float, str, float]]:
    """`sar discover --imap` over the headers of 50n messages on a local pymap server
    (its own process), beside a bare imapclient fetch of the same header fields."""
    from imapclient import IMAPClient

    sys.path.insert(0, str(ROOT))
    from sar import discover as d
    from tests.mailbox_gen import ORGS, messages

    count = 50 * n
    sample = [raw for raw, _ in messages()]
    port, server = _pymap()
    try:
        client = IMAPClient("127.0.0.1", port=port, ssl=False)
        client.login("bench", "bench-pw")
        # Distinct messages (discovery counts a Message-ID once).
        raws = [sample[i % len(sample)].replace(b"<gen-", f"<b{i}-gen-".encode(), 1)
                for i in range(count)]
        for i in range(0, count, 1000):
            client.multiappend("INBOX", raws[i:i + 1000])
        item = f"BODY.PEEK[HEADER.FIELDS ({' '.join(f.upper() for f in d.FIELDS)})]"

        def bare():
            client.select_folder("INBOX", readonly=True)
            uids = client.search(["ALL"])
            for i in range(0, len(uids), d.CHUNK):
                client.fetch(uids[i:i + d.CHUNK], [item])

        base = _timed(bare)
        client.logout()
        with tempfile.TemporaryDirectory() as tmp:
            ws = _workspace(Path(tmp) / "home", dt.date.today())
            for slug, name, domain in ORGS:
                ws.add_org(slug=slug, name=name, email=f"dpo@{domain}", domains=[domain])
            for key, value in [("imap.host", "127.0.0.1"), ("imap.port", str(port)),
                               ("imap.security", "none"), ("imap.username", "bench")]:
                ws.set_config(key, value)
            os.environ["SAR_IMAP_PASSWORD"] = "bench-pw"
            ws = type(ws)(ws.home.root, today=ws.today)
            result = {}
            ours = _timed(lambda: result.update(ws.discover(imap=True)))
            assert result["messages"] == count, result["messages"]
            share = result["share_recognised"]
    finally:
        server.terminate()
        server.wait()
    return [(f"`sar discover --imap`, {count:,} messages: {count / ours:,.0f} msg/s "
             f"({share:.0%} of senders known)", ours,
             f"bare imapclient header fetch: {count / base:,.0f} msg/s", base)]


SCENARIOS = {"startup": startup, "letters": letters, "smtp": smtp, "imap": imap,
             "status": status, "discover": discover}
# Reads at 100n requests (CPU of each command in its own process): benchmarks/scale.py.
sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import SCENARIOS as _SCALE  # noqa: E402

SCENARIOS |= _SCALE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default all)")
    parser.add_argument("-n", type=int, default=1000, help="letters per scenario")
    parser.add_argument("-r", "--repeat", type=int, default=1,
                        help="run everything this many times; show the best and the spread")
    args = parser.parse_args()
    os.environ.pop("SAR_TODAY", None)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}")
    runs = []
    for _ in range(args.repeat):
        rows = []
        for name in args.scenarios or SCENARIOS:
            rows += SCENARIOS[name](args.n)
        runs.append(rows)
    print(f"{'scenario':<58} {'sar':>9}   {'baseline':<44} {'base':>9} {'speed':>6} "
          f"{'spread':>11}")
    for same in zip(*runs, strict=True):
        speeds = [base / t for _, t, _, base in same if base and t]
        label, t, base_label, base = max(same, key=lambda r: r[3] / r[1] if r[3] and r[1]
                                         else 0)
        speed = f"{max(speeds):6.2f}" if speeds else ""
        spread = f"{min(speeds):.2f}-{max(speeds):.2f}" if len(speeds) > 1 else ""
        base_text = f"{base:8.3f}s" if base else ""
        print(f"{label:<58} {t:8.3f}s   {base_label:<44} {base_text:>9} {speed:>6} "
              f"{spread:>11}")
    print(f"speed = the baseline's time / sar's time, the best of {args.repeat} run(s) "
          "(1.00: as fast as the bare library); spread = the worst and best speed")

if __name__ == "__main__":
    main()
