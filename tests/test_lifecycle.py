"""Status derived from events, and the events refused because they do not fit."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sar.core import lifecycle
from sar.core.lifecycle import Event, assess, derive
from sar.errors import InvalidEventError

D = dt.date


def evs(*pairs):
    return [Event(kind, on, seq=i, details=details)
            for i, (kind, on, *rest) in enumerate(pairs, 1)
            for details in [rest[0] if rest else {}]]


SENT = ("sent", D(2026, 3, 2))


def status(*pairs, today=D(2026, 3, 10)):
    return assess(evs(("drafted", D(2026, 3, 1)), *pairs), "uk-gdpr", "GB-ENG", today).status


def test_statuses_follow_the_replies():
    assert status() == "draft"
    assert status(SENT) == "sent"
    assert status(SENT, ("acknowledged", D(2026, 3, 3))) == "acknowledged"
    assert status(SENT, ("id-requested", D(2026, 3, 3))) == "awaiting-id"
    assert status(SENT, ("acknowledged", D(2026, 3, 3)), ("id-requested", D(2026, 3, 4)),
                  ("id-provided", D(2026, 3, 5))) == "acknowledged"
    assert status(SENT, ("clarification-requested", D(2026, 3, 3))) == "awaiting-clarification"
    assert status(SENT, ("fee-requested", D(2026, 3, 3))) == "awaiting-fee"
    assert status(SENT, ("extended", D(2026, 3, 3))) == "extended"
    assert status(SENT, ("fulfilled", D(2026, 3, 9))) == "fulfilled"
    assert status(SENT, ("bounced", D(2026, 3, 2))) == "bounced"
    assert status(SENT, ("withdrawn", D(2026, 3, 4))) == "withdrawn"


def test_overdue_only_from_the_day_after_the_due_date():
    # Sent 2 Mar 2026: due 2 Apr 2026.
    assert status(SENT, today=D(2026, 4, 2)) == "sent"
    assert status(SENT, today=D(2026, 4, 3)) == "overdue"
    assert status(SENT, ("fulfilled", D(2026, 4, 1)), today=D(2026, 6, 1)) == "fulfilled"
    # Waiting for ID: the clock is stopped, so never overdue.
    assert status(SENT, ("id-requested", D(2026, 3, 3)), today=D(2027, 1, 1)) == "awaiting-id"


def test_a_late_extension_does_not_show_as_extended():
    a = assess(evs(("drafted", D(2026, 1, 30)), ("sent", D(2026, 1, 31)),
                   ("extended", D(2026, 3, 3))), "uk-gdpr", "GB-ENG", D(2026, 3, 4))
    assert a.deadline.due == D(2026, 3, 2)
    assert a.status == "overdue"
    assert a.deadline.warnings


def test_bounce_then_resend_restarts_from_the_resend():
    a = assess(evs(("drafted", D(2026, 3, 1)), SENT, ("bounced", D(2026, 3, 2)),
                   ("sent", D(2026, 3, 9))), "uk-gdpr", "GB-ENG", D(2026, 3, 10))
    assert a.status == "sent"
    assert a.deadline.due == D(2026, 4, 9)


def test_posted_letter_uses_the_tracked_delivery_date():
    a = assess(evs(("drafted", D(2026, 3, 1)), ("posted", D(2026, 3, 6), {"method": "signed-for"}),
                   ("delivered", D(2026, 3, 12))), "uk-gdpr", "GB-ENG", D(2026, 3, 12))
    assert a.deadline.receipt == D(2026, 3, 12)
    assert a.deadline.due == D(2026, 4, 13)


@pytest.mark.parametrize("pairs,message", [
    ([("fulfilled", D(2026, 3, 5))], "it is a draft"),
    ([SENT, ("sent", D(2026, 3, 3))], "already sent"),
    ([SENT, ("id-provided", D(2026, 3, 3))], "no open id-requested"),
    ([SENT, ("clarification-provided", D(2026, 3, 3))], "no open clarification-requested"),
    ([SENT, ("acknowledged", D(2026, 3, 1))], "before the request was sent"),
    ([SENT, ("delivered", D(2026, 3, 3))], "only to a posted letter"),
    ([SENT, ("withdrawn", D(2026, 3, 3)), ("fulfilled", D(2026, 3, 4))], "withdrawn"),
    ([SENT, ("acknowledged", D(2026, 3, 3)), ("acknowledged", D(2026, 3, 4))], "already"),
    ([SENT, ("fulfilled", D(2026, 3, 3)), ("fulfilled", D(2026, 3, 4))], "already"),
    ([SENT, ("extended", D(2026, 3, 3)), ("extended", D(2026, 3, 4))], "already recorded"),
    ([("posted", D(2026, 3, 2), {"method": "first-class"}), ("delivered", D(2026, 3, 4)),
      ("delivered", D(2026, 3, 5))], "delivery is already recorded"),
    ([("posted", D(2026, 2, 20))], "before the request was drafted"),
    ([SENT, ("id-requested", D(2026, 3, 5)), ("id-provided", D(2026, 3, 4))],
     "id-provided on 2026-03-04 is before the id-requested it answers"),
])
def test_events_that_do_not_fit_are_refused(pairs, message):
    with pytest.raises(InvalidEventError, match=message):
        derive(evs(("drafted", D(2026, 3, 1)), *pairs))


def test_events_are_folded_in_date_order_not_recording_order():
    # Acknowledgement recorded after the fulfilment, but dated before it.
    events = [Event("drafted", D(2026, 3, 1), seq=1), Event("sent", D(2026, 3, 2), seq=2),
              Event("fulfilled", D(2026, 3, 20), seq=3), Event("acknowledged", D(2026, 3, 4), seq=4)]
    assert derive(events).status == "fulfilled"


def test_every_status_has_a_next_step_and_every_markable_event_is_known():
    for s in lifecycle.STATUSES:
        assert s in lifecycle.NEXT_STEP
    assert set(lifecycle.MARKABLE) <= set(lifecycle.EVENT_KINDS)


def test_a_second_extension_notice_does_not_undo_the_first():
    a = assess(evs(("drafted", D(2026, 3, 1)), SENT, ("extended", D(2026, 3, 10)),
                   ("extended", D(2026, 4, 8))), "uk-gdpr", "GB-ENG", D(2026, 4, 20))
    assert a.status == "extended" and a.deadline.due == D(2026, 6, 2)


def test_a_question_asked_after_the_deadline_leaves_the_request_overdue():
    a = assess(evs(("drafted", D(2026, 3, 1)), SENT, ("clarification-requested", D(2026, 4, 20))),
               "uk-gdpr", "GB-ENG", D(2026, 4, 21))
    assert a.status == "overdue" and a.deadline.due == D(2026, 4, 2)


def test_a_partial_answer_still_owes_the_rest():
    a = assess(evs(("drafted", D(2026, 3, 1)), SENT, ("partially-fulfilled", D(2026, 3, 20))),
               "uk-gdpr", "GB-ENG", D(2026, 4, 3))
    assert a.status == "overdue"


def test_data_may_come_in_several_partial_batches():
    a = assess(evs(("drafted", D(2026, 3, 1)), SENT, ("partially-fulfilled", D(2026, 3, 10)),
                   ("partially-fulfilled", D(2026, 3, 20)), ("fulfilled", D(2026, 3, 25))),
               "uk-gdpr", "GB-ENG", D(2026, 3, 26))
    assert a.status == "fulfilled"
    two = derive(evs(("drafted", D(2026, 3, 1)), SENT, ("partially-fulfilled", D(2026, 3, 10)),
                     ("partially-fulfilled", D(2026, 3, 20))))
    assert two.status == "partially-fulfilled"


def test_each_id_round_is_kept():
    state = derive(evs(("drafted", D(2026, 3, 1)), SENT, ("id-requested", D(2026, 3, 3)),
                       ("id-provided", D(2026, 3, 5)), ("id-requested", D(2026, 3, 9)),
                       ("id-provided", D(2026, 3, 16))))
    assert [(p.asked, p.answered) for p in state.facts.id_rounds] == [
        (D(2026, 3, 3), D(2026, 3, 5)), (D(2026, 3, 9), D(2026, 3, 16))]


# Any history a user could record: appending one more non-answer event never
# brings the due date forward (STYLE.md §13).
_FOLLOW_UPS = ["acknowledged", "id-requested", "id-provided", "clarification-requested",
               "clarification-provided", "fee-requested", "fee-paid", "extended", "reminded",
               "note", "reply-received"]


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(_FOLLOW_UPS), st.integers(0, 12)),
                      max_size=8),
       regime=st.sampled_from(["uk-gdpr", "eu-gdpr"]))
def test_no_later_event_makes_the_due_date_earlier(steps, regime):
    history = [Event("drafted", D(2026, 3, 1), seq=1), Event("sent", D(2026, 3, 2), seq=2)]
    on = D(2026, 3, 2)
    previous = assess(history, regime, "GB-ENG", D(2027, 1, 1)).deadline.due
    for kind, gap in steps:
        on += dt.timedelta(days=gap)
        candidate = [*history, Event(kind, on, seq=len(history) + 1)]
        try:
            derive(candidate)
        except InvalidEventError:
            continue
        history = candidate
        due = assess(history, regime, "GB-ENG", D(2027, 1, 1)).deadline.due
        if previous is not None and due is not None:
            assert due >= previous, (kind, on, history)
        if due is not None:
            previous = due
