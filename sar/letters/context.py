"""What a letter says about its request: the context its template sees, the
follow-ups (reminder, reply to an ID request, challenge to an extension, complaint),
and the email that carries it.

The deadline a letter states is the one it can state itself: from its own date and
channel, whatever happened after it was sent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sar.core import asks, deadlines, followups, lifecycle
from sar.drafting import requester_snapshot
from sar.errors import UsageError, unknown
from sar.store import requests as request_table


def rule_facts(dl: deadlines.Deadline) -> dict:
    """How a due date was reached, as data a template in any language can word:
    the period, from when, the days paused, and whether it moved to a working day."""
    regime = deadlines.REGIMES[dl.regime]
    period = regime.extended if dl.extended else regime.period
    raw = period.after(dl.start)[0] + dt.timedelta(days=dl.paused_days)
    return {"months": period.months, "days": period.days,
            "from": "start" if dl.start != dl.receipt else "receipt",
            "paused": dl.paused_days, "moved": dl.due != raw}


def rule_words(facts: dict) -> str:
    """'one month from receipt, plus 11 days paused, moved to the next working day'"""
    period = deadlines.Period(months=facts["months"], days=facts["days"])
    words = f"{period} from {'the start' if facts['from'] == 'start' else 'receipt'}"
    if facts["paused"]:
        words += f", plus {facts['paused']} day{'s' if facts['paused'] != 1 else ''} paused"
    if facts["moved"]:
        words += ", moved to the next working day"
    return words


@lru_cache(maxsize=256)
def stated_deadline(letter_date: dt.date, via: str, regime: str, calendar: str,
                    options: deadlines.Options) -> tuple[dt.date, dt.date, dict]:
    """Receipt, due date and how it was reached, as a letter states them (the same for
    every letter of a batch, so worked out once)."""
    dl = deadlines.due_date(deadlines.Facts(letter_date, via), regime, calendar, options)
    return dl.receipt, dl.due, rule_facts(dl)


class Letters:
    """The letters of one home's requests (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    # -- the request's own letter ------------------------------------------------------

    def build(self, row: dict, letter_date: dt.date, via: str | None = None):
        """The request's letter (sar.letters.Letter) dated `letter_date`."""
        from sar import letters

        return letters.build(self.context(row, letter_date, via), lang=row["lang"],
                             regime=row["regime"], kind=row["kind"],
                             user_templates=self.templates_for(row))

    def templates_for(self, row: dict) -> Path | None:
        """Where a request's letters may be overridden: its campaign's templates, else
        the home's `templates/` folder (the built-in ones fill any gap)."""
        home = self.ws.home
        if row.get("campaign_id"):
            from sar.campaign.hooks import campaign_templates

            found = campaign_templates(self.ws, row["campaign_id"])
            if found is not None:
                return found
        return home.templates if home.templates.is_dir() else None

    def context(self, row: dict, letter_date: dt.date, via: str | None = None) -> dict:
        """What a template sees."""
        from sar import letters

        ws = self.ws
        org = ws.queries.org_record(row)
        via = via or ("email" if row["channel"] == "email" else self._posting_method(row))
        receipt, due, facts = stated_deadline(letter_date, via, row["regime"],
                                              row["calendar"], ws.options())
        details = json.loads(row["details"] or "{}")
        context = {
            "requester": self.minimised(self.requester(row), org),
            "org": {**org, "address": org.get("address_lines") or []},
            "request": {"ref": row["ref"], "kind": row["kind"], "regime": row["regime"],
                        "channel": "email" if via in deadlines.ELECTRONIC else "post",
                        "date": letter_date,
                        "receipt": receipt, "due": due,
                        "due_rule": rule_words(facts), "due_facts": facts,
                        "details": details,
                        # DPA 2018 s.164A (from 19 June 2026): a complaint to the
                        # controller comes before the regulator's (ICO guidance).
                        "s164a": followups.s164a_applies(row["regime"], letter_date)},
            "law": letters.LAW[row["regime"]],
            "asks": self.asks(org, details),
        }
        if row["regime"] == "ccpa":
            from sar.core import ccpa

            # 11 CCR §7026(f), §7027(g): an opt-out or a limit is due in 15 business days.
            context["request"]["opt_out_due"] = ccpa.opt_out_due(receipt, row["calendar"])
        if row.get("campaign_id"):
            from sar.campaign.hooks import agent_context

            agent = agent_context(ws, row)
            if agent:
                context["agent"] = agent
        return context

    def asks(self, org: dict, details: dict) -> dict:
        """What the letter asks for, by the organisation's kind (sar.core.asks)."""
        kind = org.get("kind") or "other"
        ground = details.get("ground")
        return {"scope": asks.erasure_scope(kind, details.get("scope")),
                "products": list(asks.marketing_products(org.get("slug", ""))),
                "ground": ground or "", "ground_letter":
                    asks.RESTRICTION_GROUNDS.get(ground, "") if ground else ""}

    def minimised(self, requester: dict, org: dict) -> dict:
        """The requester as this organisation needs them (Art. 5(1)(c)): the date of
        birth only where it finds the right record (letters.date_of_birth)."""
        from sar import config as cfg

        setting = cfg.get(self.ws.config, "letters.date_of_birth")
        if asks.sends_date_of_birth(org.get("kind") or "other", setting):
            return requester
        return {**requester, "date_of_birth": None}

    def _posting_method(self, row: dict) -> str:
        for e in reversed(self.ws.log.of(row["id"])):
            if e.kind == "posted":
                return e.details.get("method", "first-class")
        return "first-class"

    def letter_date(self, row: dict) -> dt.date:
        if row["status"] in lifecycle.UNSENT:
            return self.ws.today  # it will be dated the day it goes
        for e in reversed(self.ws.log.of(row["id"])):
            if e.kind in ("sent", "posted"):
                return e.on
        return self.ws.today

    def requester(self, row: dict, current: bool = False) -> dict:
        """The requester as the letter names them: the profile now for a letter not
        yet sent (see Queries.org_record) or a follow-up written today (`current`),
        the snapshot for one that went."""
        ws = self.ws
        if row.get("participant_id"):
            from sar.campaign.hooks import participant_identity

            return participant_identity(ws, row)
        if current or row["status"] in lifecycle.UNSENT:
            snap = requester_snapshot(ws.profile())
        else:
            r = request_table.requester(ws.db, row["requester_id"])
            snap = {k: r[k] for k in ("name", "email", "date_of_birth")}
            snap |= {k: json.loads(r[k]) for k in ("address", "previous_addresses")}
        return {k: snap[k] for k in ("name", "email", "address", "previous_addresses",
                                     "date_of_birth")}

    # -- as the user reads it ----------------------------------------------------------

    def render(self, ref: str, fmt: str, follow_up: str | None = None,
               offered: str | None = None) -> bytes:
        """The letter as text, eml or docx; a sent email comes back exactly as sent.
        With `follow_up`, the follow-up letter of that kind, dated today."""
        ws = self.ws
        if fmt not in ("text", "eml", "docx"):
            raise UsageError("--format must be text, eml or docx")
        row = ws.queries.find(ref)
        if follow_up:
            letter = self.follow_up(row, follow_up, offered)
        else:
            if offered:
                raise UsageError("--details goes with --follow-up id-reply")
            if fmt == "eml":
                sent = ws.db.execute(
                    "SELECT sha256 FROM messages WHERE request_id = ? AND direction = 'out' "
                    "AND transport != 'post' AND state = 'sent' ORDER BY id DESC LIMIT 1",
                    [row["id"]]).fetchone()
                if sent:
                    return ws.evidence.get(sent[0])
            letter = self.build(row, self.letter_date(row))
        if fmt == "text":
            from sar.letters.text import as_text

            return as_text(letter).encode("utf-8")
        if fmt == "docx":
            from sar.letters.docx import as_docx

            return as_docx(letter)
        when = dt.datetime.combine(letter.date, dt.time(12, 0), tzinfo=dt.UTC)
        return self.compose(row, letter, when, current=bool(follow_up))[1]

    def preview(self, ref: str, follow_up: str | None = None,
                offered: str | None = None) -> str:
        """What the organisation will read: for an email its To, Subject and body; for
        post the whole letter."""
        from sar.letters.text import as_text, email_body

        row = self.ws.queries.find(ref)
        letter = (self.follow_up(row, follow_up, offered) if follow_up
                  else self.build(row, self.letter_date(row)))
        org = self.ws.queries.org_record(row)
        if row["channel"] != "email":
            return as_text(letter)
        return (f"To: {org['name']} <{org['email']}>\nSubject: {letter.subject}\n\n"
                + email_body(letter))

    # -- follow-ups --------------------------------------------------------------------

    def reminder_days(self) -> int:
        """Days a reminder gives before its final date (letters.reminder_days)."""
        from sar import config as cfg

        days = cfg.get(self.ws.config, "letters.reminder_days")
        low, high = followups.REMINDER_DAYS
        if not low <= days <= high:
            raise UsageError(f"letters.reminder_days must be between {low} and {high} days "
                             f"(it is {days})")
        return days

    def follow_up(self, row: dict, kind: str, offered: str | None, extra: dict | None = None,
                  lang: str | None = None):
        """A follow-up letter (reminder, reply to an ID request, challenge to an
        extension; a complaint to the regulator, with `extra` context) with the facts
        of the request so far."""
        from sar import letters

        ws = self.ws
        if kind not in followups.FOLLOW_UPS and kind != "complaint":
            raise UsageError(unknown("follow-up", kind, followups.FOLLOW_UPS))
        if offered and kind != "id-reply":
            raise UsageError("--details goes with --follow-up id-reply")
        events = [e for e in ws.log.of(row["id"]) if e.on <= ws.today]
        a = ws.log.assess(row, events, as_of_today=False)
        why = followups.refusal(kind, row["ref"], events, a, ws.today)
        if why:
            raise UsageError(why)
        context = self._follow_up_context(row, events, a, offered)
        if kind == "incomplete":
            context["review"] = self._incomplete(row)
        if kind == "complaint":
            # The agent's paragraph tells the organisation where to send its answer:
            # in a complaint to the regulator it would only mislead (issue 21, item 5).
            context.pop("agent", None)
        context.update(extra or {})
        # The complaint goes to a regulator in the language sar.complaint chose for it
        # (the authority's own, or English); letters to organisations keep the
        # request's language.
        lang = lang or ("en" if kind == "complaint" else row["lang"])
        return letters.build(context, lang=lang, regime=row["regime"], kind=kind,
                             user_templates=self.templates_for(row))

    def _incomplete(self, row: dict) -> dict:
        """What the review found missing or given in part, for `--follow-up incomplete`."""
        from sar.core.review import ARTICLE, WORDING

        r = self.ws.reviews.get(row["ref"]) or self.ws.reviews.run(row["ref"])
        if r["summary"]["complete"]:
            raise UsageError(f"{row['ref']}: the review found every Art. 15 item answered; "
                             f"overrule it with `sar review {row['ref']} --set ITEM=partial` "
                             "if you disagree")
        def item(k):
            v = r["items"][k]
            given = next((e["text"] for e in v["evidence"] if e.get("text")), "")
            return {"item": k, "article": ARTICLE[k], "wording": WORDING[k],
                    "given": given if v["status"] == "partial" else "",
                    "reason": v.get("reason", "")}
        return {"missing": [item(k) for k in r["summary"]["missing"]],
                "partial": [item(k) for k in r["summary"]["partial"]]}

    def _follow_up_context(self, row, events, a, offered) -> dict:
        from sar import validate

        ws = self.ws
        dl = a.deadline
        first = [e for e in events if e.kind in ("sent", "posted")][-1]
        message = self.original_message_id(row)
        context = self.context(row, ws.today)
        context.update({
            # written today, from today's me
            "requester": self.minimised(self.requester(row, current=True),
                                        context["org"]),
            "original": {"date": first.on, "channel": "email" if first.kind == "sent" else "post",
                         "method": first.details.get("method", ""),
                         "message_id": message if message and first.kind == "sent" else "",
                         "receipt": dl.receipt if dl else first.on,
                         "delivered": any(e.kind == "delivered" for e in events)},
            "deadline": {"due": dl.due or dl.receipt if dl else first.on,
                         "rule": context["request"]["due_rule"],
                         "extended": bool(dl and dl.extended),
                         "extension_notified": next((e.on for e in events
                                                     if e.kind == "extended"), None),
                         "extension_valid": bool(dl and dl.extended),
                         "ext_notice_due": dl.ext_notice_due if dl else first.on,
                         "extended_due": dl.extended_due if dl else first.on},
            "id": {"requested_on": next((e.on for e in reversed(events)
                                         if e.kind == "id-requested"), None)},
            "followup": {"offered": validate.text(offered, "--details", max_len=2000)
                         if offered else ""},
            "final_date": followups.final_date(ws.today, self.reminder_days(), row["calendar"]),
            "s164a": followups.s164a_applies(row["regime"], ws.today),
        })
        if row["regime"] == "ccpa":
            from sar.core import ccpa

            # Counted from the request's receipt, not from the follow-up's date.
            context["request"]["opt_out_due"] = ccpa.opt_out_due(
                context["original"]["receipt"], row["calendar"])
        if dl and dl.due:
            context["deadline"]["facts"] = rule_facts(dl)
            context["deadline"]["rule"] = rule_words(context["deadline"]["facts"])
        else:
            context["deadline"]["facts"] = context["request"]["due_facts"]
        return context

    # -- the email ---------------------------------------------------------------------

    def original_message_id(self, row: dict) -> str | None:
        """The Message-ID of the request's own letter (not a reminder sent since)."""
        found = self.ws.db.execute(
            "SELECT message_id FROM messages WHERE request_id = ? AND direction = 'out' AND "
            "purpose = 'letter' AND state = 'sent' ORDER BY id DESC LIMIT 1",
            [row["id"]]).fetchone()
        return found[0] if found else None

    def outgoing(self, row: dict, purpose: str, offered: str | None = None):
        """What a message of this purpose carries for a request, and the message it
        answers: the request's letter as of today, or a follow-up (a reminder, a reply
        to an ID request, ...) on the request's thread."""
        if purpose in followups.FOLLOW_UPS:
            return self.follow_up(row, purpose, offered), self.original_message_id(row)
        return self.build(row, self.ws.today), None

    def compose(self, row: dict, letter, when: dt.datetime, extra: list[Path] = (),
                current: bool = False, in_reply_to: str | None = None):
        """The complete email for a request (sar.mail.compose): the message (a
        compose.Composed) and its bytes."""
        return self.envelope(row, when, extra, current, in_reply_to).wrap(letter)

    def ahead(self, row: dict, purpose: str, when: dt.datetime, offered: str | None = None,
              extra: list[Path] = ()):
        """An outgoing message with everything the home gives it read now: calling the
        result renders and composes it without the database, so the send pipeline
        composes the next letters on a thread while the last ones go."""
        from sar import letters

        if purpose in followups.FOLLOW_UPS:  # follow-ups read the log: rendered now
            written, thread = self.outgoing(row, purpose, offered)
            envelope = self.envelope(row, when, extra, True, thread)
            return lambda: envelope.wrap(written)
        context, templates = self.context(row, self.ws.today), self.templates_for(row)
        envelope = self.envelope(row, when, extra)
        return lambda: envelope.wrap(letters.build(
            context, lang=row["lang"], regime=row["regime"], kind=row["kind"],
            user_templates=templates))

    def envelope(self, row: dict, when: dt.datetime, extra: list[Path] = (),
                 current: bool = False, in_reply_to: str | None = None) -> Envelope:
        """Who a request's email is from and to, its ids and attachments."""
        from sar import config as cfg
        from sar.mail import compose

        ws = self.ws
        org = ws.queries.org_record(row)
        if not org.get("email"):
            raise UsageError(f"{row['ref']}: no email address is known for {org['slug']}; "
                             "print the letter and post it")
        me = self.requester(row, current)
        sender = cfg.get(ws.config, "mail.from") or me["email"]
        sender_name = me["name"]
        reply_to = (compose.plus_address(sender, row["ref"])
                    if cfg.get(ws.config, "mail.plus_address") else None)
        message_domain = sender
        attachments = []
        if row.get("campaign_id"):
            from sar.campaign.hooks import envelope

            env = envelope(ws, row, me)
            sender, sender_name, reply_to = env.sender, env.sender_name, env.reply_to
            message_domain = env.message_domain
            attachments += env.attachments
        parts = {"sender_name": sender_name, "sender_email": sender,
                 "to_name": org["name"], "to_email": org["email"],
                 "message_id": compose.new_message_id(row["ref"], message_domain),
                 "when": when, "reply_to": reply_to, "in_reply_to": in_reply_to,
                 "reply_to_name": me["name"]}
        return Envelope(parts, attachments, compose.read_attachments(extra),
                        bool(cfg.get(ws.config, "letters.attach_docx")), row["ref"])


@dataclass
class Envelope:
    """An email's headers and attachments, read from the home; `wrap` puts a letter in
    it without touching the home (sar.mail.compose)."""

    parts: dict
    attachments: list  # a campaign's (the mandate), before the letter as DOCX
    extra: list        # the user's (--attach), after it
    attach_docx: bool
    ref: str

    def wrap(self, letter):
        """(the message, a compose.Composed, and its bytes)."""
        from sar.letters.text import email_body
        from sar.mail import compose

        attachments = list(self.attachments)
        if self.attach_docx:
            from sar.letters.docx import as_docx

            attachments.append((f"{self.ref}.docx", compose.DOCX, as_docx(letter)))
        attachments += self.extra
        parts = {"subject": letter.subject, "body": email_body(letter), **self.parts}
        if not attachments:  # the common case, without the email package's objects
            msg = compose.compose_fast(**parts)
        else:
            msg = compose.composed(compose.compose(**parts, attachments=attachments))
        return msg, msg.raw
