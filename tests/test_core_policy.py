"""Property tests for the pure policy the rooms share: the board's groups, the
channel a request goes by, when a follow-up or complaint may go, a reminder's final
date, and the cached status and due fields of an assessment."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sar.core import board, calendars, channels, followups, lifecycle
from sar.core.lifecycle import Event

DAYS = st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31))
# Holiday calendars load on first use: no per-example deadline.
relaxed = settings(deadline=None, max_examples=60)
CALENDARS = st.sampled_from(["GB-ENG", "GB-SCT", "GB-NIR", "DE", "FR", "IE"])


def test_every_shown_status_is_in_exactly_one_group():
    for status in {*lifecycle.SHOWN_STATUSES, "overdue"}:
        homes = [name for name, _, members in board.GROUPS if status in members]
        assert len(homes) == 1, (status, homes)


@relaxed
@given(st.lists(st.sampled_from([*lifecycle.SHOWN_STATUSES, "overdue"]), max_size=40))
def test_grouping_keeps_every_row_once_and_in_order(statuses):
    rows = [{"ref": f"R{i}", "status": s} for i, s in enumerate(statuses)]
    groups = board.grouped(rows)
    seen = [r["ref"] for g in groups for r in g["requests"]]
    assert sorted(seen) == sorted(r["ref"] for r in rows)
    for g in groups:
        assert g["requests"], "an empty group is left out"
        refs = [int(r["ref"][1:]) for r in g["requests"]]
        assert refs == sorted(refs)
        assert all(board.group_of(r["status"]) == g["name"] for r in g["requests"])


@relaxed
@given(kind=st.sampled_from([None, "data-broker", "political-party", "supervisory-authority"]),
       channel=st.sampled_from([None, "email", "post", "webform"]),
       email=st.sampled_from([None, "dpo@org.example"]),
       address=st.sampled_from([(), ("1 Way", "Town")]),
       webform=st.sampled_from([None, "https://org.example/form"]),
       via=st.sampled_from([None, "email", "post"]))
def test_a_channel_is_chosen_only_when_it_can_reach_them(kind, channel, email, address,
                                                         webform, via):
    got = channels.choose("org", kind, channel, email, address, webform, via)
    if kind == "supervisory-authority":
        assert isinstance(got, channels.Refusal) and "regulator" in got.reason
        return
    if isinstance(got, channels.Refusal):
        assert got.reason
        return
    assert got in ("email", "post")
    assert (got == "email" and email) or (got == "post" and address)
    if via:
        assert got == via  # the user's choice is kept, never swapped silently


def _events(sent_on, extra=()):
    evs = [Event("drafted", sent_on, "system", {}, 1), Event("sent", sent_on, "system", {}, 2)]
    return evs + [Event(k, d, "user", {}, i + 3) for i, (k, d) in enumerate(extra)]


@relaxed
@given(sent=DAYS, offset=st.integers(-5, 90), calendar=CALENDARS)
def test_a_reminder_goes_only_once_the_deadline_has_passed(sent, offset, calendar):
    events = _events(sent)
    today = sent + dt.timedelta(days=max(offset, 0))
    a = lifecycle.assess(events, "uk-gdpr", calendar, today)
    why = followups.refusal("reminder", "SAR-TEST1", events, a, today)
    if today <= a.deadline.due:
        assert why and "not overdue" in why
    else:
        assert why is None


@relaxed
@given(sent=DAYS, answer=st.sampled_from(lifecycle.CLOSED), calendar=CALENDARS)
def test_a_closed_request_is_never_chased(sent, answer, calendar):
    events = _events(sent, [(answer, sent + dt.timedelta(days=3))])
    today = sent + dt.timedelta(days=60)
    a = lifecycle.assess(events, "uk-gdpr", calendar, today)
    for kind in ("reminder", "extension-challenge", "id-reply"):
        assert followups.refusal(kind, "SAR-TEST1", events, a, today)


def test_nothing_is_followed_up_before_it_was_sent():
    events = [Event("drafted", dt.date(2026, 1, 5), "system", {}, 1)]
    a = lifecycle.assess(events, "uk-gdpr", "GB-ENG", dt.date(2026, 3, 1))
    assert "not been sent" in followups.refusal("reminder", "SAR-TEST1", events, a,
                                                dt.date(2026, 3, 1))


@relaxed
@given(today=DAYS, days=st.integers(*followups.REMINDER_DAYS), calendar=CALENDARS)
def test_a_final_date_is_a_working_day_at_least_the_days_given(today, days, calendar):
    final = followups.final_date(today, days, calendar)
    assert final >= today + dt.timedelta(days=days)
    assert calendars.get(calendar).is_working_day(final)
    # Rolled only past non-working days: never more than a fortnight of them.
    assert (final - today).days <= days + 14


@relaxed
@given(sent=DAYS, reminded_after=st.integers(1, 80), days=st.integers(1, 60),
       wait=st.integers(0, 80))
def test_a_complaint_waits_for_the_reminders_final_date(sent, reminded_after, days, wait):
    events = _events(sent)
    due = lifecycle.assess(events, "uk-gdpr", "GB-ENG", sent).deadline.due
    reminded = due + dt.timedelta(days=reminded_after)
    events = _events(sent, [("reminded", reminded)])
    today = reminded + dt.timedelta(days=wait)
    a = lifecycle.assess(events, "uk-gdpr", "GB-ENG", today)
    why = followups.complaint_refusal("SAR-TEST1", a, events, today, days, "GB-ENG")
    if today <= followups.final_date(reminded, days, "GB-ENG"):
        assert why and "gave them until" in why
    else:
        assert why is None


@relaxed
@given(sent=DAYS, offset=st.integers(0, 120))
def test_the_cached_fields_are_the_base_status_and_the_due_date(sent, offset):
    events = _events(sent)
    a = lifecycle.assess(events, "uk-gdpr", "GB-ENG", sent + dt.timedelta(days=offset))
    assert a.cached() == {"status": a.base_status, "due": a.deadline.due.isoformat()}
    assert a.cached()["status"] != "overdue"  # overdue is worked out on the day shown
