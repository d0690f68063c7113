"""Making a campaign: its organisations, kinds, mode, consent text, retention date and
templates, all checked before anything is written."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from sar.campaign.hooks import campaign_dir, campaign_row, sha256
from sar.core import lifecycle
from sar.errors import NotFoundError, SarError, UsageError, did_you_mean, unknown
from sar.store import db as store
from sar.store.db import now

MODES = ("self", "agent")
REPLIES = ("participant", "campaign")
DEFAULT_RETENTION_DAYS = 365
DEFAULT_REPEAT_DAYS = 30

DEFAULT_CONSENT = """\
I ask {campaign} to make data-protection requests in my name to the organisations
the campaign lists, and to follow them up (reminders and complaints to the
regulator) until they are answered.

I agree that {campaign} keeps my name, email and postal address only to do this,
and deletes them on {retain_until} at the latest, or earlier if I ask. The
organisations' answers are counted in statistics that never name me, and no
published figure counts fewer than five people.

I can withdraw this consent at any time by writing to {contact}."""



def get(ws, name: str) -> dict:
    if ws.home.db_path.exists():
        row = ws.db.execute("SELECT id FROM campaigns WHERE name = ?",
                            [name.strip()]).fetchone()
        if row:
            return campaign_row(ws, row[0])
        known = [r[0] for r in ws.db.execute("SELECT name FROM campaigns")]
    else:
        known = []
    raise NotFoundError(f"no campaign {name!r}" + (did_you_mean(name, known) if known
                                                    else " (`sar campaign new`)"))


def opened(ws, name: str) -> dict:
    """A campaign that can still act: not purged."""
    c = get(ws, name)
    if c["purged_at"]:
        raise UsageError(f"campaign {c['name']} was purged on {c['purged_at'][:10]}: only "
                         "its report remains")
    return c


def home_calendar(ws) -> str:
    """The calendar campaign requests are planned with: the home's profile's, if any."""
    try:
        return ws.profile().calendar
    except SarError:
        return "GB-ENG"


def new(ws, name: str, targets: list[str], kinds: list[str], *, mode: str = "self",
        replies: str = "participant", sender: str | None = None,
        sender_name: str | None = None, retain_until: dt.date | None = None,
        consent: Path | None = None, consent_version: str = "1",
        templates: Path | None = None, lang: str | None = None,
        regime: str | None = None, repeat_days: int = DEFAULT_REPEAT_DAYS) -> dict:
    """A campaign, checked whole before anything is written: its organisations
    reachable by email, a letter for every kind, its templates sound."""
    from sar import validate

    name = validate.slug(name)
    if ws.home.db_path.exists() and ws.db.execute(
            "SELECT 1 FROM campaigns WHERE name = ?", [name]).fetchone():
        raise UsageError(f"a campaign {name!r} exists already")
    kinds = _checked(mode, replies, list(dict.fromkeys(kinds)), targets)
    if sender:
        sender = validate.email(sender, "--from")
    elif mode == "agent":
        raise UsageError("an agent campaign sends from its own mailbox: add --from ADDRESS")
    sender_name = validate.text(sender_name or name, "--name") if sender_name or sender \
        else None
    retain_until = retain_until or ws.today + dt.timedelta(days=DEFAULT_RETENTION_DAYS)
    if retain_until <= ws.today:
        raise UsageError(f"--retain-until {retain_until} is not after today")
    if not 0 <= repeat_days <= 366:
        raise UsageError("--repeat-days must be between 0 and 366")
    consent_text = _consent_text(consent, sender_name or name, retain_until, sender)
    consent_version = validate.text(consent_version, "--consent-version", max_len=40)
    calendar = home_calendar(ws)
    plans, skipped = _plans(ws, targets, kinds, calendar, regime, lang)
    slugs = list(dict.fromkeys(slug for slug, _ in plans))
    staged = _check_templates(ws, templates, plans) if templates is not None else None
    settings = {"lang": lang, "regime": regime, "repeat_days": repeat_days,
                "calendar": calendar}
    folder = campaign_dir(ws, name)
    with ws.transaction():
        cid = store.insert(ws.db, "campaigns", {
            "name": name, "orgs": json.dumps(slugs), "kinds": json.dumps(kinds),
            "mode": mode, "replies": replies, "sender_name": sender_name,
            "sender_email": sender, "consent_version": consent_version,
            "consent_text": consent_text, "consent_sha256": sha256(consent_text),
            "retain_until": retain_until.isoformat(), "settings": json.dumps(settings),
            "created_at": now()})
        if staged is not None:
            if folder.exists():
                shutil.rmtree(folder / "templates", ignore_errors=True)
            ws.home.subdir(folder)
            shutil.copytree(staged, folder / "templates")
    return {"name": name, "id": cid, "orgs": slugs, "kinds": kinds, "mode": mode,
            "replies": replies, "retain_until": retain_until.isoformat(),
            "skipped": skipped, "templates": staged is not None}


def _checked(mode: str, replies: str, kinds: list[str], targets: list[str]) -> list[str]:
    if mode not in MODES:
        raise UsageError(f"--mode must be {' or '.join(MODES)}")
    if replies not in REPLIES:
        raise UsageError(f"--replies must be {' or '.join(REPLIES)}")
    if not kinds:
        raise UsageError("name at least one --kind")
    if mode == "self" and replies != "participant":
        raise UsageError("--replies goes with --mode agent: a self-send letter is the "
                         "participant's own, and the answer goes to them")
    for kind in kinds:
        if kind not in lifecycle.KINDS:
            raise UsageError(unknown("kind", kind, lifecycle.KINDS))
    if not targets:
        raise UsageError("name at least one organisation or @group with --to")
    return kinds


def _consent_text(consent: Path | None, campaign: str, retain_until: dt.date,
                  sender: str | None) -> str:
    if consent is None:
        return DEFAULT_CONSENT.format(campaign=campaign, retain_until=retain_until.isoformat(),
                                      contact=sender or "the campaign")
    try:
        text = consent.read_text("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError(f"{consent} is not UTF-8 text") from None
    if not text:
        raise UsageError(f"{consent} is empty")
    return text


def _plans(ws, targets, kinds, calendar, regime, lang) -> tuple[dict, list[str]]:
    """A plan per (organisation, kind); members of a group that cannot be written to by
    email are skipped, a named organisation that cannot is an error."""
    orgs, from_groups = ws.directory.expand(targets)
    skipped, plans = [], {}
    for org in orgs:
        if not org.email and org.slug not in from_groups:
            # Not "use --via post": a campaign's letters go by email, and it has no --via.
            raise UsageError(f"{org.slug}: no email address is known for it, and a campaign "
                             "writes by email only: leave it out (a participant can still "
                             f"write to it by post: `sar new access --to {org.slug}`)")
        try:
            for kind in kinds:
                plans[(org.slug, kind)] = ws.drafting.plan(org, calendar, kind, regime,
                                                           "email", lang, again=True)
        except UsageError as e:
            if org.slug not in from_groups:
                raise UsageError(f"{org.slug}: {e}") from None
            skipped.append(org.slug)
            for kind in kinds:
                plans.pop((org.slug, kind), None)
    if not plans:
        raise UsageError("none of those organisations can be written to by email")
    return plans, skipped


def _check_templates(ws, folder: Path, plans: dict) -> Path:
    """A campaign's own templates, compiled and tried on a sample letter for each of
    its kinds before the campaign exists: a syntax error or a missing field is found
    now, with the file and line, not in the middle of 10,000 letters."""
    from jinja2 import TemplateSyntaxError

    from sar import letters

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--templates {folder}: not a folder")
    root = folder / "letters" if (folder / "letters").is_dir() else None
    if root is None:
        raise UsageError(f"--templates {folder}: expected letters/LANG/gdpr/KIND.j2 inside it")
    env = letters.search_environment((str(folder), str(letters.builtin_templates())))
    found = sorted(root.rglob("*.j2"))
    if not found:
        raise UsageError(f"--templates {folder}: no .j2 templates in it")
    for path in found:
        name = path.relative_to(folder).as_posix()
        try:
            env.parse(path.read_text("utf-8"), name=name)
        except UnicodeDecodeError:
            raise UsageError(f"template {name} is not UTF-8 text") from None
        except TemplateSyntaxError as e:
            raise UsageError(f"template {name} line {e.lineno}: {e.message}") from None
    sample = _sample_context(ws)
    for (slug, kind), plan in plans.items():
        org = plan["org"]
        sample["org"] = {**org.as_dict(), "address": list(org.address or [])}
        sample["request"]["kind"] = kind
        try:
            letters.build(sample, lang=plan["lang"], regime=plan["regime"], kind=kind,
                          user_templates=folder)
        except SarError as e:
            raise UsageError(f"{e} (tried on a sample {kind} letter to {slug})") from None
    return folder


def _sample_context(ws) -> dict:
    from sar import letters

    today = ws.today
    return {
        "requester": {"name": "Sample Participant", "email": "sample@example.org",
                      "address": ["1 Sample Street", "Sampletown"],
                      "previous_addresses": [], "date_of_birth": None},
        "request": {"ref": "SAR-SAMPL", "kind": "access", "regime": "uk-gdpr",
                    "channel": "email", "date": today, "receipt": today, "due": today,
                    "due_rule": "", "due_facts": {}, "details": {}},
        "law": letters.LAW["uk-gdpr"],
        "agent": {"name": "Sample Campaign", "email": "campaign@example.org",
                  "replies": "participant", "mandate_ref": "sample/P-SAMPLE"},
    }
