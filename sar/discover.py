"""`sar discover`: who holds my data? Ask the mailbox, locally.

Only headers are read — From, Sender, Reply-To, Return-Path, List-Id,
List-Unsubscribe and the DKIM signing domain — never a body. Senders are grouped
by registrable domain with the Public Suffix List, bundled and used offline
(`email.labour.org.uk` and `mail.labour.org.uk` are one sender; `co.uk` is none),
and matched to directory records by their domains, email and web addresses. A
newsletter sent through a mailing platform is still attributed to the organisation
when its List-Id, Reply-To or DKIM domain names it. Nothing leaves the machine, and
nothing is kept unless the user asks (`--save`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from sar.directory.importers import FREEMAIL
from sar.domains import ascii_domain, registrable
from sar.errors import UsageError

FIELDS = ("From", "Sender", "Reply-To", "Return-Path", "List-Id", "List-Unsubscribe",
          "DKIM-Signature", "Date", "Message-ID")
# Where a domain was seen, strongest evidence of who wrote first; for mail a
# platform sends on someone's behalf, whom it is for comes first.
SIGNALS = ("from", "reply-to", "list-id", "dkim", "list-unsubscribe", "sender", "return-path")
# Mail a platform sends for someone else is theirs, never the platform's.
ON_BEHALF = ("list-id", "reply-to", "dkim", "list-unsubscribe")
MAX_HEADER_BYTES = 64 * 1024
CHUNK = 500

def shown(domain: str) -> str:
    """An IDN domain as people read it (xn--mnchen-3ya.de -> münchen.de)."""
    try:
        return domain.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return domain


@dataclass
class Headers:
    """The few headers discovery reads from one message."""

    domains: dict[str, str]          # signal -> registrable domain
    hosts: dict[str, str] = field(default_factory=dict)  # signal -> the full host name
    name: str = ""                   # the From display name
    date: dt.date | None = None
    message_id: str = ""


def read_headers(raw: bytes) -> Headers:
    try:
        msg = BytesHeaderParser(policy=compat32).parsebytes(raw[:MAX_HEADER_BYTES])
    except Exception:  # noqa: BLE001 - broken headers: nothing to learn
        return Headers({})
    out: dict[str, str] = {}
    hosts: dict[str, str] = {}

    def put(signal: str, domain: str | None):
        if domain and signal not in out:
            reg = registrable(domain)
            if reg:
                out[signal] = reg
                hosts[signal] = ascii_domain(domain) or reg

    name = ""
    for header, signal in (("From", "from"), ("Sender", "sender"), ("Reply-To", "reply-to"),
                           ("Return-Path", "return-path")):
        try:
            values = [str(v)[:4000] for v in (msg.get_all(header) or [])]
            pairs = getaddresses(values)
        except Exception:  # noqa: BLE001 - e.g. deeply nested comments
            continue
        for display, addr in pairs[:5]:
            if "@" in addr:
                put(signal, addr.rpartition("@")[2])
                if signal == "from" and not name:
                    name = _decode(display)
                break
    list_id = str(msg.get("List-Id") or "")
    m = re.search(r"<([^<>\s]+)>", list_id) or re.search(r"([\w.-]+\.[\w-]+)\s*$", list_id)
    if m:
        # "<members.labour.org.uk>": the id is a domain name the list owner controls.
        put("list-id", m.group(1))
    unsub = str(msg.get("List-Unsubscribe") or "")
    m = re.search(r"mailto:[^@>\s]+@([\w.-]+)", unsub) or \
        re.search(r"https?://([\w.-]+)", unsub)
    if m:
        put("list-unsubscribe", m.group(1))
    for sig in msg.get_all("DKIM-Signature") or []:
        m = re.search(r"(?:^|;)\s*d\s*=\s*([\w.-]+)", str(sig))
        if m:
            put("dkim", m.group(1))
            break
    day = None
    try:
        when = parsedate_to_datetime(str(msg.get("Date") or ""))
        # A date in the future (spam does this) would rank a sender first forever.
        if when and when.year >= 1990 and when.date() <= dt.date.today() + \
                dt.timedelta(days=2):
            day = when.date()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    mid = re.search(r"<[^<>\s]{1,300}>", str(msg.get("Message-ID") or ""))
    return Headers(out, hosts, name[:100], day, mid.group(0) if mid else "")


def _decode(text: str) -> str:
    if any("\udc80" <= c <= "\udcff" for c in text):
        # Raw 8-bit bytes in a header (against RFC 5322, common in practice): UTF-8.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" not in text:
        return " ".join(text.split())
    try:
        return " ".join(str(make_header(decode_header(text))).split())
    except Exception:  # noqa: BLE001 - a broken encoded word: keep it as it came
        return text


@dataclass
class Sender:
    domain: str                              # the From registrable domain
    behalf: str | None = None                # whom a platform's mail is for, if not From
    count: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    names: dict[str, int] = field(default_factory=dict)
    seen: dict[str, dict[str, int]] = field(default_factory=dict)  # signal -> domain -> n

    def add(self, h: Headers) -> None:
        self.count += 1
        if h.date:
            self.first = min(self.first or h.date, h.date)
            self.last = max(self.last or h.date, h.date)
        if h.name:
            self.names[h.name] = self.names.get(h.name, 0) + 1
        for signal, host in h.hosts.items():
            counts = self.seen.setdefault(signal, {})
            counts[host] = counts.get(host, 0) + 1

    @property
    def who(self) -> str:
        """The domain a person would name as the sender."""
        return self.behalf or self.domain


@dataclass
class Scan:
    senders: dict[str, Sender] = field(default_factory=dict)
    messages: int = 0
    without_sender: int = 0
    problems: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)

    def add(self, raw: bytes, since: dt.date | None = None) -> None:
        h = read_headers(raw)
        if since and h.date and h.date < since:
            return
        if h.message_id:
            # The same message in two folders (Gmail's INBOX and All Mail) is one.
            if h.message_id in self.seen_ids:
                return
            self.seen_ids.add(h.message_id)
        self.messages += 1
        sender = h.domains.get("from")
        if not sender:
            self.without_sender += 1
            return
        # Mail from a platform that sends for many (a mailing service) is told apart
        # by whom it is for: its List-Id, else its Reply-To.
        on_behalf = h.domains.get("list-id") or h.domains.get("reply-to")
        if on_behalf in FREEMAIL:
            on_behalf = None  # a reply to someone's own mailbox says nothing of whom for
        key = sender if on_behalf in (None, sender) else f"{sender}|{on_behalf}"
        self.senders.setdefault(key, Sender(sender, None if key == sender else on_behalf)).add(h)


# -- sources ------------------------------------------------------------------------

def maildir_headers(folder: Path) -> Iterator[bytes]:
    from sar.mail.sources import maildir_files, read_file

    for entry in maildir_files(Path(folder).expanduser()):
        head = read_file(entry, MAX_HEADER_BYTES)
        if head is None:
            continue
        ends = [x for x in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if x >= 0]
        yield head[:min(ends)] if ends else head


def imap_headers(connect: Callable, folders: Iterable[str], since: dt.date | None,
                 chunk: int = CHUNK, retries: int = 5, note: Callable = lambda s: None,
                 after_chunk: Callable = lambda: None) -> Iterator[bytes]:
    """Headers only (BODY.PEEK[HEADER.FIELDS (...)]), a chunk of UIDs at a time. If
    the connection drops, reconnect and go on after the last UID read: a scan of
    100,000 messages does not start over."""
    from imapclient.exceptions import IMAPClientError

    from sar.mail.imap import ImapError

    item = f"BODY.PEEK[HEADER.FIELDS ({' '.join(f.upper() for f in FIELDS)})]"
    key = item.replace(".PEEK", "").encode()
    for folder in folders:
        done = 0          # the last UID read in this folder
        failures = 0
        validity = None
        while True:
            client = None
            try:
                client = connect()
                try:
                    info = client.select_folder(folder, readonly=True)
                except Exception:  # noqa: BLE001 - imapclient or imaplib error
                    if not client.folder_exists(folder):
                        raise ImapError(f"there is no folder {folder!r} on the server") \
                            from None
                    raise
                if validity is not None and info.get(b"UIDVALIDITY") != validity:
                    # Resuming by UID would count some messages twice or not at all.
                    raise ImapError(f"{folder} was renumbered (UIDVALIDITY changed) during "
                                    "the scan: run it again")
                validity = info.get(b"UIDVALIDITY")
                criteria = ["UID", f"{done + 1}:*"]
                if since:
                    criteria += ["SINCE", since]
                uids = sorted(u for u in client.search(criteria) if u > done)
                for i in range(0, len(uids), chunk):
                    part = uids[i:i + chunk]
                    fetched = client.fetch(part, [item])
                    for uid in part:
                        if uid not in fetched:
                            continue  # expunged meanwhile
                        data = fetched[uid]
                        raw = data.get(key) or next((v for k, v in data.items()
                                                     if k.startswith(b"BODY[HEADER")), b"")
                        yield raw or b""
                    done = part[-1]
                    failures = 0  # a chunk read: the connection works again
                    after_chunk()
                break
            except ImapError as e:
                if e.fatal or failures >= retries:
                    raise
                failures += 1
                note(f"{e}; going on from message {done + 1}")
                time.sleep(min(30.0, 0.5 * 2 ** failures))
            except (IMAPClientError, OSError, EOFError) as e:
                if failures >= retries:
                    raise ImapError(f"the connection dropped {failures} times during the "
                                    f"scan ({type(e).__name__})") from None
                failures += 1
                note(f"the connection dropped ({type(e).__name__}); reconnecting and going "
                     f"on after message {done}")
                time.sleep(min(30.0, 0.5 * 2 ** failures))
            finally:
                if client is not None:
                    with contextlib.suppress(Exception):  # a dead connection cannot say goodbye
                        client.logout()


# -- matching and ranking -----------------------------------------------------------

def domain_index(directory) -> dict[str, list]:
    """Host name -> the organisations that use it (their domains, email and web
    hosts, as the record gives them: a record for bayern.de's data-protection office
    must not claim every Bavarian authority). Regulators do not profile anyone and
    are left out."""
    index: dict[str, list] = {}
    for org in directory.all(include_imported=True):
        if org.kind == "supervisory-authority":
            continue
        names = set(org.domains)
        if org.email:
            names.add(org.email.rpartition("@")[2])
        if org.web:
            m = re.match(r"(?:https?://)?([^/:?#]+)", org.web)
            if m:
                names.add(m.group(1))
        for d in names:
            host = ascii_domain(d)
            if host and host.startswith("www."):
                host = host[4:]
            if host and registrable(host) and host not in FREEMAIL:
                bucket = index.setdefault(host, [])
                if org not in bucket:
                    bucket.append(org)
    return index


def _lookup(index: dict[str, list], host: str):
    """The record for `host` or the nearest parent domain a record names."""
    from sar.core.matching import parent_domains

    for d in parent_domains(host):
        if d in index:
            return d, index[d]
    return None


def _score(sender: Sender, today: dt.date) -> float:
    """Much and recently: a sender's count, halved for every six months of silence."""
    if sender.last is None:
        return sender.count * 0.25
    months = max(0, (today - sender.last).days) / 182.5
    return sender.count / (2 ** months)


def results(scan: Scan, directory, today: dt.date, min_unmatched: int = 3,
            own: set[str] = frozenset()) -> dict:
    """`own`: the user's own registrable domains, never listed as who writes to them."""
    index = domain_index(directory)
    orgs: dict[str, dict] = {}
    unknown: dict[str, dict] = {}
    for sender in scan.senders.values():
        if sender.who in own:
            continue  # the user's own mail (their replies, their Sent folder)
        match = None
        for signal in (ON_BEHALF if sender.behalf else SIGNALS):
            for host, n in sorted(sender.seen.get(signal, {}).items(), key=lambda kv: -kv[1]):
                # A signal seen in a few of a group's messages does not speak for all.
                if 2 * n < sender.count:
                    break
                found = _lookup(index, host)
                if found:
                    domain, candidates = found
                    curated = [o for o in candidates if not o.origin.startswith("imported")]
                    match = ((curated or candidates)[0], signal, domain)
                    break
            if match:
                break
        if match is None:
            if sender.who not in FREEMAIL:
                u = unknown.setdefault(sender.who, {"domain": sender.who, "messages": 0,
                                                    "first": None, "last": None, "names": {},
                                                    "score": 0.0})
                u["messages"] += sender.count
                u["score"] += _score(sender, today)
                u["first"] = min(filter(None, [u["first"], sender.first]), default=None)
                u["last"] = max(filter(None, [u["last"], sender.last]), default=None)
                for name, k in sender.names.items():
                    u["names"][name] = u["names"].get(name, 0) + k
            continue
        org, signal, domain = match
        entry = orgs.setdefault(org.slug, {
            "slug": org.slug, "name": org.name, "kind": org.kind, "origin": org.origin,
            "messages": 0, "first": None, "last": None, "score": 0.0, "matched": [],
            "senders": []})
        entry["messages"] += sender.count
        entry["score"] += _score(sender, today)
        for when, pick in (("first", min), ("last", max)):
            value = getattr(sender, when)
            if value:
                entry[when] = pick(entry[when], value) if entry[when] else value
        if shown(sender.who) not in entry["senders"]:
            entry["senders"].append(shown(sender.who))
        how = f"{signal}: {shown(domain)}"
        if how not in entry["matched"]:
            entry["matched"].append(how)
    ranked = sorted(orgs.values(), key=lambda e: (-e["score"], -e["messages"], e["slug"]))
    frequent = sorted((u for u in unknown.values() if u["messages"] >= min_unmatched),
                      key=lambda u: (-u["score"], -u["messages"], u["domain"]))
    for e in ranked:
        e["first"] = e["first"].isoformat() if e["first"] else None
        e["last"] = e["last"].isoformat() if e["last"] else None
        e["score"] = round(e["score"], 2)
    who = {s.who for s in scan.senders.values()}
    recognised = {d for e in ranked for d in e["senders"]}
    return {
        "messages": scan.messages, "without_sender": scan.without_sender,
        "senders": len(who), "senders_recognised": len(recognised),
        "share_recognised": round(len(recognised) / len(who), 3) if who else 0.0,
        "messages_recognised": sum(e["messages"] for e in ranked),
        "organisations": ranked,
        "unmatched": [{"domain": shown(u["domain"]), "messages": u["messages"],
                       "first": u["first"].isoformat() if u["first"] else None,
                       "last": u["last"].isoformat() if u["last"] else None,
                       "name": max(u["names"], key=u["names"].get) if u["names"] else "",
                       "slug": _slug(u["domain"]),
                       "suggest": f"sar orgs add --slug {_slug(u['domain'])} --name NAME "
                                  f"--email EMAIL --domain {shown(u['domain'])}"}
                      for u in frequent],
        "problems": scan.problems,
    }


def _slug(domain: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", domain.split(".")[0].lower()).strip("-") or "org"


# -- in a home: `sar discover` ---------------------------------------------------------


def discover(ws, *, maildir: Path | None = None, imap: bool = False,
             folders: list[str] = (), since: dt.date | None = None, save: bool = False,
             propose: str | None = None, picks: list[str] = (), all_matched: bool = False,
             note=None, after_chunk=None, progress=None) -> dict:
    """Scan a mailbox's headers for who writes to the user; with `propose`, draft
    requests to what was found; with `save`, keep the result (one, replaced).
    `progress(n, None, "")` as messages are read (every 50)."""
    _check_discover_args(maildir, imap, folders, propose, picks, all_matched)
    if propose:
        ws.profile()  # no profile, no requests: say so before reading a mailbox
    scan, source = _scan(ws, maildir, folders, since, note, after_chunk, progress)
    result = results(scan, ws.directory, ws.today, own=_own_domains(ws))
    result["source"] = source
    if propose:
        found = {e["slug"] for e in result["organisations"]}
        chosen = sorted(found) if all_matched else list(dict.fromkeys(picks))
        missing = [p for p in chosen if p not in found]
        if missing:
            raise UsageError(_why_not_found(missing[0], found, result["unmatched"]))
        if not chosen:
            raise UsageError("no organisation in the directory was found in this mailbox")
        result["drafted"] = ws.drafting.new(propose, chosen)
    if save:
        import json

        with ws.transaction():
            ws.db.execute("DELETE FROM discovery")
            ws.db.execute("INSERT INTO discovery (made_at, source, result) VALUES (?, ?, ?)",
                          [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), source,
                           json.dumps({k: v for k, v in result.items() if k != "drafted"})])
    return result


def _own_domains(ws) -> set[str]:
    """The registrable domains of the user's own addresses (profile, mail.from)."""
    from sar import config as cfg
    from sar.errors import SarError

    addresses = [cfg.get(ws.config, "mail.from") or ""]
    with contextlib.suppress(SarError):  # no profile yet: nothing of theirs to leave out
        addresses.append(ws.profile().email or "")
    own = {registrable(a.rpartition("@")[2]) for a in addresses if "@" in a}
    return {d for d in own if d} - FREEMAIL


def _why_not_found(pick: str, found: set[str], unmatched: list[dict]) -> str:
    """A pick that is not among the organisations found: a frequent sender the
    directory does not know (say how to add it), or simply not in this mailbox."""
    for u in unmatched:
        if pick in (u["domain"], u["slug"]):
            return (f"{pick} writes to you ({u['messages']} messages) but is not in the "
                    f"directory: add it with `{u['suggest']}`, then pick it")
    return (f"{pick} was not found in this mailbox (found: "
            f"{', '.join(sorted(found)) or 'none'})")


def _check_discover_args(maildir, imap, folders, propose, picks, all_matched) -> None:
    if (maildir is None) == (not imap):
        raise UsageError("say where to look: --maildir DIR or --imap (one of them)")
    if maildir is not None and folders:
        raise UsageError("--folder goes with --imap")
    if (picks or all_matched) and not propose:
        raise UsageError("--pick and --all-matched go with --propose access|erasure")
    if picks and all_matched:
        raise UsageError("--pick SLUG or --all-matched, not both")
    if propose and propose not in ("access", "erasure"):
        raise UsageError("--propose must be access or erasure")
    if propose and not (picks or all_matched):
        raise UsageError("say which to write to: --pick SLUG (repeatable) or --all-matched")


def _scan(ws, maildir, folders, since, note, after_chunk, progress=None) -> tuple[Scan, str]:
    from sar import config as cfg
    from sar.files import expand_user

    scan = Scan()
    if maildir is not None:
        maildir = expand_user(maildir)
        if not maildir.is_dir():
            raise UsageError(f"{maildir} is not a folder")
        for n, raw in enumerate(maildir_headers(maildir), 1):
            scan.add(raw, since)
            if progress and n % 50 == 0:
                progress(n, None, "")
        return scan, f"maildir:{maildir.resolve()}"
    from sar.mail import settings
    from sar.mail.imap import connect

    account = settings.imap(ws.config)
    wanted = list(folders) or [cfg.get(ws.config, "imap.folder")]
    for n, raw in enumerate(imap_headers(lambda: connect(account), wanted, since,
                                         note=note or (lambda s: None),
                                         after_chunk=after_chunk or (lambda: None)), 1):
        scan.add(raw, since)
        if progress and n % 50 == 0:
            progress(n, None, "")
    return scan, f"imap://{account.username or ''}@{account.host}:{account.port}"


def saved(ws) -> dict | None:
    """The last discovery kept with `--save`, with when it was made."""
    import json

    if not ws.home.db_path.exists():
        return None
    row = ws.db.execute("SELECT made_at, result FROM discovery ORDER BY id DESC "
                        "LIMIT 1").fetchone()
    return {**json.loads(row[1]), "saved_at": row[0]} if row else None


def forget(ws) -> int:
    if not ws.home.db_path.exists():
        return 0
    # Overwritten on disk, not only unlinked from the table.
    ws.db.execute("PRAGMA secure_delete = ON")
    with ws.transaction():
        return ws.db.execute("DELETE FROM discovery").rowcount
