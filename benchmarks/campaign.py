"""The campaign benchmark: PARTICIPANTS × ORGS requests, end to end.

    python benchmarks/campaign.py                        # 10,000 × 20 = 200,000 requests
    python benchmarks/campaign.py -p 1000 -o 20          # smaller
    python benchmarks/campaign.py -p 1000 -p 10000       # both, to see memory stay flat

Each step runs in its own process, so its wall time and peak memory (the child's
maximum resident set, from wait4) are its own: import the participants CSV; invite
them (Maildir outbox) and confirm their codes (which signs each mandate); draft
every request; send them all through SMTP to a sink on loopback (aiosmtpd in its
own process, discarding); ingest one reply per request from a Maildir; build the
report (Markdown and HTML). Writing the test data (the CSV, the replies) is the
harness's work and is not counted. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = {  # the replies' words, and how many of every 20 requests get each
    "fulfilled": ("Thank you for your subject access request. Please find attached a copy of "
                  "the personal data we hold about you.", 6),
    "acknowledged": ("We acknowledge receipt of your subject access request and will respond "
                     "within one month.", 6),
    "refused": ("We have decided to refuse your request because we consider it manifestly "
                "unfounded.", 2),
    "extended": ("Because your request is complex, we are extending the time limit to respond "
                 "by a further two months, as Article 12(3) allows.", 3),
    "id-requested": ("Before we can process your request, please send us a copy of your "
                     "passport so that we can verify your identity.", 3),
}


# -- the steps, each run in a child process -------------------------------------------

def _campaigns(home: Path):
    from sar.campaign import Campaigns
    from sar.workspace import Workspace

    return Campaigns(Workspace(home))


def step_setup(home: Path, orgs: int, sink_port: int) -> dict:
    from sar.workspace import Workspace

    ws = Workspace(home)
    for i in range(orgs):
        ws.add_org(slug=f"org{i:02d}", name=f"Organisation {i:02d} Ltd",
                   email=f"dpo@org{i:02d}.example", kind="data-broker" if i % 2 else
                   "political-party", domains=[f"org{i:02d}.example"])
    ws.set_config("smtp.host", "127.0.0.1")
    ws.set_config("smtp.port", str(sink_port))
    ws.set_config("smtp.security", "none")
    _campaigns(home).new("bench", [f"org{i:02d}" for i in range(orgs)], ["access"],
                         mode="agent", sender="campaign@bench.example",
                         sender_name="Bench Campaign")
    return {}


def step_import(home: Path, csv_path: Path) -> dict:
    return _campaigns(home).import_csv("bench", csv_path)


def step_invite(home: Path) -> dict:
    return _campaigns(home).invite("bench")


def step_confirm(home: Path) -> dict:
    codes = []
    outbox = home / "outbox" / "new"
    for path in outbox.iterdir():
        with path.open("rb") as f:
            head = f.read(4096).decode("ascii", "replace")
        found = re.search(r"\[([A-Z0-9]{4}-[A-Z0-9]{4})\]", head)
        if found:
            codes.append(found.group(1))
        path.unlink()  # keep the outbox small: the letters go by SMTP
    return _campaigns(home).confirm("bench", codes)


def step_draft(home: Path) -> dict:
    return _campaigns(home).draft("bench")


def step_send(home: Path) -> dict:
    from sar.workspace import Workspace

    ws = Workspace(home)
    ws.set_config("mail.transport", "smtp")
    return _campaigns(home).send("bench")


def step_ingest(home: Path, maildir: Path) -> dict:
    from sar.workspace import Workspace

    counts: dict[str, int] = {}

    def report(kind, value):
        if kind != "note":
            counts[value.event or value.status] = counts.get(value.event or value.status, 0) + 1

    Workspace(home).watch(maildir=maildir, report=report)
    return counts


def step_report(home: Path) -> dict:
    from sar.campaign.reporting import campaign_report, render

    data = campaign_report(_campaigns(home), "bench")
    md = render(data, "md")
    html = render(data, "html")
    (home / "report.html").write_text(html)
    total = data["by_organisation"][-1]
    return {"requests": total["requests"], "answered": total["answered"],
            "md_bytes": len(md), "html_bytes": len(html)}


STEPS = {"setup": step_setup, "import": step_import, "invite": step_invite,
         "confirm": step_confirm, "draft": step_draft, "send": step_send,
         "ingest": step_ingest, "report": step_report}


# -- the harness -----------------------------------------------------------------------

def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("name,email,address,consented_at\n")
        for i in range(n):
            f.write(f"Person{i:05d} Benchmark,p{i:05d}@example.org,"
                    f"\"{i} Bench Street, Exampleton, EX1 {i % 10}AA\",2026-11-01\n")


def write_replies(home: Path, maildir: Path, seed: int = 7) -> int:
    """One reply per letter sent, threaded on it, from the organisation's domain."""
    import sqlite3
    from email.message import EmailMessage
    from email.utils import format_datetime

    rng = random.Random(seed)
    pool = [label for label, (_, weight) in LABELS.items() for _ in range(weight)]
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / "sar.db")
    now = dt.datetime.now(dt.UTC)
    n = 0
    for message_id, slug, ref in conn.execute(
            "SELECT m.message_id, r.org_slug, r.ref FROM messages m JOIN requests r ON "
            "r.id = m.request_id WHERE m.direction = 'out' AND m.state = 'sent'"):
        label = rng.choice(pool)
        msg = EmailMessage()
        msg["From"] = f"dpo@{slug}.example"
        msg["To"] = "campaign@bench.example"
        msg["Subject"] = f"Re: Subject access request [{ref}]"
        msg["Message-ID"] = f"<reply-{n}@{slug}.example>"
        msg["In-Reply-To"] = message_id
        msg["Date"] = format_datetime(now)
        msg.set_content(LABELS[label][0])
        if label == "fulfilled":
            msg.add_attachment(b"field,value\nscore,7\n", maintype="text", subtype="csv",
                               filename="your-data.csv")
        (maildir / "new" / f"{n:07d}.bench").write_bytes(bytes(msg))
        n += 1
    conn.close()
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    code = (
        "import asyncio, sys\n"
        "from aiosmtpd.controller import Controller\n"
        "class Sink:\n"
        "    async def handle_DATA(self, server, session, envelope):\n"
        "        return '250 OK'\n"
        f"c = Controller(Sink(), hostname='127.0.0.1', port={port})\n"
        "c.start()\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def run_step(name: str, *args) -> tuple[float, float, dict]:
    """Run one step in a child process: (seconds, peak MiB, what it returned)."""
    fd, result_path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, __file__, "--step", name, "--result", result_path, *map(str, args)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"step {name} failed")
    result = json.loads(Path(result_path).read_text() or "{}")
    os.unlink(result_path)
    return seconds, usage.ru_maxrss / 1024, result


def campaign(participants: int, orgs: int, until: str | None = None):
    """Each step's (name, wall seconds, peak MiB, result), yielded as it ends: a run
    of 200,000 takes over an hour, so its rows are printed as they come."""
    with tempfile.TemporaryDirectory(prefix="sar-campaign-bench-") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        port = free_port()
        sink = start_sink(port)
        try:
            run_step("setup", home, orgs, port)
            csv_path = tmp / "participants.csv"
            write_csv(csv_path, participants)
            for name, args in (("import", (home, csv_path)), ("invite", (home,)),
                               ("confirm", (home,)), ("draft", (home,)), ("send", (home,))):
                seconds, mib, result = run_step(name, *args)
                yield name, seconds, mib, _brief(result)
                if name == until:
                    return
            maildir = tmp / "replies"
            write_replies(home, maildir)
            for name, args in (("ingest", (home, maildir)), ("report", (home,))):
                seconds, mib, result = run_step(name, *args)
                yield name, seconds, mib, _brief(result)
            db_mib = (home / "sar.db").stat().st_size / 2**20
            yield "(database size)", 0.0, db_mib, "MiB on disk"
        finally:
            sink.stdin.close()
            sink.wait(timeout=10)


def _brief(result: dict) -> str:
    keep = {k: v for k, v in result.items() if isinstance(v, int | float) and v}
    return ", ".join(f"{k} {v:,}" for k, v in keep.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-p", "--participants", type=int, action="append")
    parser.add_argument("-o", "--orgs", type=int, default=20)
    parser.add_argument("--until", choices=list(STEPS)[1:],
                        help="Stop after this step (e.g. draft: no sending).")
    parser.add_argument("--step")
    parser.add_argument("--result")
    parser.add_argument("args", nargs="*")
    a = parser.parse_args()
    if a.step:
        fn = STEPS[a.step]
        args = [Path(a.args[0]), *[int(x) if x.isdigit() else Path(x) for x in a.args[1:]]]
        result = fn(*args) or {}
        Path(a.result).write_text(json.dumps(result, default=str))
        return
    for n in a.participants or [10_000]:
        print(f"\n## {n:,} participants × {a.orgs} organisations = {n * a.orgs:,} requests\n")
        print("| step | wall s | peak MiB | per second | result |")
        print("| --- | ---: | ---: | ---: | --- |")
        for name, seconds, mib, result in campaign(n, a.orgs, a.until):
            per = n * a.orgs / seconds if seconds and name in ("draft", "send", "ingest",
                                                              "report") else \
                n / seconds if seconds and name in ("import", "invite", "confirm") else 0
            print(f"| {name} | {seconds:,.1f} | {mib:,.0f} | {per:,.0f} | {result} |",
                  flush=True)


if __name__ == "__main__":
    main()
