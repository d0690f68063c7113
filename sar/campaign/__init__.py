"""Campaigns: many participants, many organisations, one honest report.

A campaign is a group's list of organisations and request kinds, the people who
asked the group to make those requests (participants), and a retention date. It
reuses the single-person machinery throughout: the same requests, events, letters,
outbox and inbox, so there is one way to send and one way to read replies.

What it adds (campaigns.md §2 and §4):

- Participants are kept apart from the request log. `participants` holds only a
  pseudonym and the consent, confirmation and mandate records; `identities` holds
  the person and is what `purge` deletes. A campaign request's requester row names
  the pseudonym only, so events, statistics and exports never carry the person.
- Two sending modes. *self*: each participant's letters are written as .eml files
  for them to send from their own address (the request is theirs; the reply comes
  to them); the campaign learns a letter went when the participant's copy reaches
  the campaign mailbox or they confirm it. *agent*: the campaign mailbox sends on
  their behalf, with their signed letter of authority attached, and asks the
  organisation to answer the participant (Consumer Reports' recommendation).
- Agent mode sends only for participants who proved control of their address with
  a code and so signed the mandate; no request is sent for anyone without consent.
  The same person is not sent the same kind of request to the same organisation
  twice within `repeat_days`, across campaigns (rate limit per person × org).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sar.campaign import consent, sending, setup, status
from sar.campaign import drafting as campaign_drafting

# The rooms: setup (making a campaign), consent (participants, invitations, mandates),
# drafting, sending (letters, reminders, complaints), status; and hooks, what the
# letters, outbox and inbox ask of a campaign request. `purge` and `reporting` stand
# beside them.


class Campaigns:
    """Campaigns in one sar home (`ws`: sar.workspace.Workspace)."""

    def __init__(self, ws):
        self.ws = ws

    def get(self, name: str) -> dict:
        return setup.get(self.ws, name)

    def new(self, name: str, targets: list[str], kinds: list[str], **options) -> dict:
        return setup.new(self.ws, name, targets, kinds, **options)

    def import_csv(self, name: str, path: Path, skip_existing: bool = False) -> dict:
        return consent.import_csv(self.ws, name, path, skip_existing)

    def invite(self, name: str, *, again: bool = False, dry_run: bool = False,
               progress=None) -> dict:
        return consent.invite(self.ws, name, again=again, dry_run=dry_run, progress=progress)

    def confirm(self, name: str, codes: list[str], on: dt.datetime | None = None) -> dict:
        return consent.confirm(self.ws, name, codes, on)

    def readiness(self, c: dict) -> dict:
        return campaign_drafting.readiness(self.ws, c)

    def draft(self, name: str, *, ready_only: bool = False) -> dict:
        return campaign_drafting.draft(self.ws, name, ready_only=ready_only)

    def send(self, name: str, **options) -> dict:
        return sending.send(self.ws, name, **options)

    def remind(self, name: str, *, progress=None) -> dict:
        return sending.remind(self.ws, name, progress=progress)

    def complain(self, name: str, out_dir: Path, *, to: str | None = None) -> dict:
        return sending.complain(self.ws, name, out_dir, to=to)

    def list(self) -> list[dict]:
        return status.campaigns(self.ws)

    def status(self, name: str) -> dict:
        return status.status(self.ws, name)
