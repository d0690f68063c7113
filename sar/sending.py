"""Sending: letters, reminders and the other follow-ups handed to the configured
transport, at most once each (sar.mail.outbox), and those the user posted themselves.

A what-if day (SAR_TODAY) may write to the Maildir outbox or try a dry run, never
send real mail: a letter dated on an invented day would put a false date in the log
and in the organisation's inbox, and the deadline would run from the wrong day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sar import home as home_mod
from sar.core import followups
from sar.core.lifecycle import Event
from sar.errors import UsageError
from sar.mail import settings
from sar.store import requests as request_table


class Sending:
    """The mail of one home (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def transport(self):
        return settings.transport(self.ws.config, self.ws.home.outbox)

    def send_time(self) -> dt.datetime | None:
        """The exact time of sending, unless today is a what-if date (SAR_TODAY, or a
        Workspace made for another day): then only the date is known."""
        if not home_mod.clock_is_real() or self.ws.today != dt.date.today():
            return None
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    def outbox(self, purpose: str = "letter"):
        """An outbox on the configured transport; `ready` before it sends."""
        from sar.mail.outbox import Outbox

        return Outbox(self.ws, self.transport(), purpose=purpose)

    def ready(self, outbox, dry_run: bool = False):
        """The one what-if-day guard: real mail is refused on a what-if day, and only
        real mail is copied to the Sent folder."""
        real = self.send_time() is not None
        if outbox.transport.name != "maildir" and not dry_run and not real:
            raise UsageError(f"today is set to {self.ws.today} (SAR_TODAY): unset it to send "
                             "real email; the Maildir outbox and --dry-run still work")
        outbox.sent_copy = settings.sent_copy(self.ws.config) if real else None
        return outbox

    def send(self, refs: list[str] | None = None, *, all_drafts: bool = False,
             retry_unknown: bool = False, dry_run: bool = False, rate: float | None = None,
             attachments: list[Path] = (), progress=None, confirm_sent: bool = False):
        """Send drafts by email through the configured transport, at most once each.
        With `confirm_sent`, record instead that a letter of unknown fate did go."""
        from sar.mail.outbox import Outbox, SendOptions

        ws = self.ws
        if refs and all_drafts:
            raise UsageError("name requests or use --all, not both")
        if not refs and not all_drafts:
            raise UsageError("name the requests to send, or use --all")
        if confirm_sent:
            if all_drafts or retry_unknown or dry_run or attachments:
                raise UsageError("--confirm-sent records and sends nothing: it goes with named "
                                 "requests, without --all, --retry-unknown, --dry-run or "
                                 "--attach")
            return Outbox(ws, self.transport()).confirm_sent([ws.queries.find(r) for r in refs])
        if attachments and all_drafts:
            raise UsageError("--attach goes with named requests, not --all: identity "
                             "documents go only where you choose")
        from sar.mail import compose

        compose.read_attachments(attachments)  # a missing or huge file: refuse before anything
        rows = (request_table.drafts_to_send(ws.db) if all_drafts
                else [ws.queries.find(r) for r in refs])
        if not rows or any(not r.get("campaign_id") for r in rows):
            ws.profile()  # no profile, no sending (a campaign's letters name participants)
        options = SendOptions(retry_unknown=retry_unknown, dry_run=dry_run, rate=rate,
                              attachments=list(attachments), progress=progress)
        return self.ready(self.outbox(), dry_run).send(rows, options)

    def remind(self, refs: list[str] | None = None, *, overdue: bool = False,
               dry_run: bool = False, retry_unknown: bool = False, again: bool = False,
               posted: dt.date | None = None, progress=None):
        """Send the reminder letter for overdue requests, threaded on the original
        (In-Reply-To), at most once, recording `reminded`. With `posted`, record
        instead a reminder the user printed and posted on that day."""
        from sar.mail.outbox import SendOptions, SendResult

        ws = self.ws
        if bool(refs) == overdue:
            raise UsageError("name the requests to remind, or use --overdue (not both)")
        options = SendOptions(retry_unknown=retry_unknown, dry_run=dry_run, again=again,
                              progress=progress)
        if posted is not None:
            if overdue or dry_run:
                raise UsageError("--posted goes with named requests: it records, it sends "
                                 "nothing")
            return [self.reminder_posted(ws.queries.find(r), posted, again) for r in refs]
        outbox = self.outbox("reminder")
        postal = []
        if overdue:
            late = ws.queries.overdue()
            rows = [row for row in (ws.queries.find(r["ref"]) for r in late
                                    if r["channel"] == "email")
                    if not row.get("campaign_id")]  # `sar campaign remind` does those
            # Posted requests are reminded by post: said, not silently left out.
            postal = [SendResult(r["ref"], "skipped", outbox.why_no_reminder(
                ws.queries.find(r["ref"]), options)) for r in late if r["channel"] != "email"]
        else:
            rows = [ws.queries.find(r) for r in refs]
            for row in rows:  # a named request that cannot be reminded: say so, send none
                why = outbox.why_no_reminder(row, options)
                if why:
                    raise UsageError(why if why.startswith(row["ref"]) else
                                     f"{row['ref']}: {why}")
        results = self.ready(outbox, dry_run).send(rows, options)
        if postal:
            from sar.mail.outbox import Batch

            results = Batch([*results, *postal], getattr(results, "interrupted", False))
        return results

    def follow_up(self, refs: list[str], kind: str, *, offered: str | None = None,
                  dry_run: bool = False, retry_unknown: bool = False, again: bool = False,
                  posted: dt.date | None = None, attachments: list[Path] = (),
                  progress=None):
        """Send a follow-up letter (`sar send REF --follow-up KIND`) the way a reminder
        goes: on the request's thread (In-Reply-To the original), at most once per
        event it answers, recording `followed-up`. With `posted`, record instead one
        the user printed and posted."""
        from sar.mail.outbox import SendOptions

        ws = self.ws
        if kind not in followups.FOLLOW_UPS:
            from sar.errors import unknown

            raise UsageError(unknown("follow-up", kind, followups.FOLLOW_UPS))
        if not refs:
            raise UsageError(f"name the requests to send the {kind} follow-up to")
        if offered and kind != "id-reply":
            raise UsageError("--details goes with --follow-up id-reply")
        if kind == "reminder":
            if offered or attachments:
                raise UsageError("a reminder takes no --details or --attach")
            return self.remind(refs, dry_run=dry_run, retry_unknown=retry_unknown,
                               again=again, posted=posted, progress=progress)
        if posted is not None:
            if dry_run or attachments:
                raise UsageError("--posted records, it sends nothing: not with --dry-run "
                                 "or --attach")
            return [self.reminder_posted(ws.queries.find(r), posted, again, kind, offered)
                    for r in refs]
        from sar.mail import compose

        compose.read_attachments(attachments)  # a missing or huge file: refuse first
        options = SendOptions(retry_unknown=retry_unknown, dry_run=dry_run, again=again,
                              offered=offered, attachments=list(attachments),
                              progress=progress)
        outbox = self.outbox(kind)
        rows = [ws.queries.find(r) for r in refs]
        for row in rows:  # a named request that cannot be followed up: say so, send none
            why = outbox.why_no_reminder(row, options)
            if why:
                raise UsageError(why if why.startswith(row["ref"]) else f"{row['ref']}: {why}")
        return self.ready(outbox, dry_run).send(rows, options)

    def reminder_posted(self, row: dict, posted: dt.date, again: bool = False,
                        kind: str = "reminder", offered: str | None = None):
        """Record a follow-up (the reminder, or another) printed and posted on `posted`,
        under the same once-only rules as one sent by email (sar.mail.outbox)."""
        from sar.letters.text import as_text
        from sar.mail.outbox import SendResult

        ws = self.ws
        ref = row["ref"]
        ws.check_date(posted, "the posting date")
        events = ws.log.of(row["id"])
        retry = (f"`sar remind {ref} --posted {posted} --again`" if kind == "reminder" else
                 f"`sar send {ref} --follow-up {kind} --posted {posted} --again`")
        if kind == "reminder":
            recent = followups.recent_reminder(events, posted)
            if recent and not again:
                # The same rule as an emailed reminder (sar.mail.outbox): one a week.
                raise UsageError(f"{ref}: reminded on {recent}: give them until the "
                                 f"final date (or {retry})")
        elif not again and (earlier := followups.earlier_follow_up(kind, events)):
            raise UsageError(f"{ref}: that {kind} follow-up went on {earlier}: it goes once "
                             f"(or {retry})")
        letter = ws.letters.follow_up(row, kind, offered)  # its refusals: or one line
        digest = ws.evidence.put(as_text(letter).encode("utf-8"))
        ws.log.append(row, Event(followups.event_kind(kind), posted, "user", {
            **followups.event_details(kind, row["regime"], posted), "channel": "post", "sha256": digest, "evidence": "rendered by sar"}))
        what = "reminder" if kind == "reminder" else f"{kind} follow-up"
        return SendResult(ref, "sent", f"posted {what} recorded for {posted}")

    def test_mail(self) -> dict:
        """Connect and log in with the configured transport (and IMAP, if set); send
        nothing."""
        from sar import config as cfg

        config = self.ws.config
        report = self.transport().describe()
        if cfg.get(config, "imap.host"):
            from sar.mail.imap import connect

            client = connect(settings.imap(config))
            try:
                report["imap"] = f"logged in at {cfg.get(config, 'imap.host')}"
                folder = cfg.get(config, "mail.sent_folder")
                if folder:
                    report["sent_folder"] = folder + (
                        "" if client.folder_exists(folder) else " (will be created)")
            finally:
                client.logout()
        return report
