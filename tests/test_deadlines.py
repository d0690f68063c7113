"""The deadline engine, tested as a pure function: rules, options and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sar.core import calendars
from sar.core.dates import add_months
from sar.core.deadlines import (
    DeadlineInputError,
    Facts,
    Options,
    Pause,
    due_date,
)

D = dt.date
days = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31))
UK_CALENDARS = ["GB-ENG", "GB-WLS", "GB-SCT", "GB-NIR"]


def due(facts, regime="uk-gdpr", calendar="GB-ENG", **options):
    return due_date(facts, regime, calendar, Options(**options))


# -- rules --------------------------------------------------------------------------


def test_add_months_clamps_and_says_so():
    assert add_months(D(2026, 1, 31), 1) == (D(2026, 2, 28), True)
    assert add_months(D(2028, 1, 31), 1) == (D(2028, 2, 29), True)
    assert add_months(D(2026, 11, 30), 3) == (D(2027, 2, 28), True)
    assert add_months(D(2026, 12, 15), 1) == (D(2027, 1, 15), False)


def test_explanation_reads_like_the_design_example():
    r = due(Facts(D(2026, 1, 31)))
    text = " | ".join(r.explanation)
    assert "received Sat 31 Jan 2026 by email" in text
    assert "no 31 Feb 2026, so the last day of that month, Sat 28 Feb 2026" in text
    assert "next working day Mon 2 Mar 2026 (England & Wales)" in text
    assert r.rule == "uk-gdpr/ico-2019"


def test_scottish_and_english_calendars_differ_on_2_january():
    # 2 Jan 2026 is a bank holiday in Scotland only (received Tue 2 Dec 2025).
    assert due(Facts(D(2025, 12, 2)), calendar="GB-ENG").due == D(2026, 1, 2)
    assert due(Facts(D(2025, 12, 2)), calendar="GB-SCT").due == D(2026, 1, 5)


def test_northern_ireland_has_st_patricks_day():
    assert due(Facts(D(2026, 2, 17)), calendar="GB-ENG").due == D(2026, 3, 17)
    assert due(Facts(D(2026, 2, 17)), calendar="GB-NIR").due == D(2026, 3, 18)


def test_id_requested_but_not_received_stops_the_clock():
    r = due(Facts(D(2026, 3, 2), id_requested=D(2026, 3, 4)))
    assert r.due is None
    assert r.waiting_for == "ID"
    assert r.paused_since == D(2026, 3, 4)


def test_open_clarification_stops_the_clock():
    r = due(Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 3, 6)),)))
    assert r.due is None and r.waiting_for == "clarification"


def test_resume_counting_gives_one_day_less():
    # Received Mon 1 Jun 2026, clarification asked 2 Jun, answered 3 Jun.
    facts = Facts(D(2026, 6, 1), clarifications=(Pause(D(2026, 6, 2), D(2026, 6, 3)),))
    assert due(facts).due == D(2026, 7, 3)                          # 1 Jul + 2 days
    assert due(facts, pause_counting="resume").due == D(2026, 7, 2)  # 1 Jul + 1 day


def test_two_clarification_pauses_add_up():
    facts = Facts(D(2026, 3, 2), clarifications=(
        Pause(D(2026, 3, 4), D(2026, 3, 5)), Pause(D(2026, 3, 10), D(2026, 3, 12))))
    # 2 Apr + 2 + 3 = 7 Apr 2026, a working day after Easter Monday.
    assert due(facts).due == D(2026, 4, 7)


def test_clarification_under_eu_gdpr_does_not_stop_the_clock():
    facts = Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 3, 6), D(2026, 3, 16)),))
    r = due(facts, regime="eu-gdpr", calendar="IE")
    assert r.due == D(2026, 4, 2)
    assert any("does not move the deadline" in s for s in r.explanation)


def test_eu_id_wait_is_a_suspension_not_a_restart():
    facts = Facts(D(2026, 3, 2), id_requested=D(2026, 3, 10), id_received=D(2026, 3, 12))
    # EU: 2 Apr + 3 days waiting = Sun 5 Apr, Easter Monday in Ireland, so Tue 7 Apr.
    assert due(facts, regime="eu-gdpr", calendar="IE").due == D(2026, 4, 7)
    # UK: a fresh month from 12 Mar = Sun 12 Apr, so Mon 13 Apr.
    assert due(facts).due == D(2026, 4, 13)


def test_ccpa_ignores_id_verification():
    facts = Facts(D(2026, 3, 2), id_requested=D(2026, 3, 3), id_received=D(2026, 3, 20))
    assert due(facts, regime="ccpa", calendar="US-CA").due == D(2026, 4, 16)


def test_late_extension_is_flagged_and_moves_nothing():
    late = Facts(D(2026, 1, 31), extension_notified=D(2026, 3, 3))
    r = due(late)
    assert r.due == D(2026, 3, 2)
    assert not r.extended
    assert any("too late to be valid" in w for w in r.warnings)
    in_time = due(Facts(D(2026, 1, 31), extension_notified=D(2026, 3, 2)))
    assert in_time.extended and in_time.due == D(2026, 4, 30)


def test_extension_deadline_includes_clarification_pause():
    facts = Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 3, 6), D(2026, 3, 16)),),
                  extended=True)
    r = due(facts)
    assert r.ext_notice_due == D(2026, 4, 13)
    assert r.due == D(2026, 6, 15)  # 2 Jun + 11 days = Sat 13 Jun -> Mon 15 Jun


def test_clarification_asked_after_the_deadline_cannot_stop_it():
    r = due(Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 4, 10), D(2026, 4, 20)),)))
    assert r.due == D(2026, 4, 2)
    assert any("after the deadline" in w for w in r.warnings)


def test_cpr_email_rule_counts_late_arrivals_from_the_next_business_day():
    late = Facts(dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC))  # 17:00 GMT, a Wednesday
    assert due(late).due == D(2026, 4, 7)  # 4 Apr is a Saturday, then Easter
    assert due(late, email_receipt="cpr-6.26").due == D(2026, 4, 7)
    early = Facts(dt.datetime(2026, 3, 13, 17, 0, tzinfo=dt.UTC))  # a Friday
    assert due(early).due == D(2026, 4, 13)
    assert due(early, email_receipt="cpr-6.26").due == D(2026, 4, 16)


def test_strict_reading_is_a_warning_never_an_earlier_due_date():
    r = due(Facts(D(2025, 9, 3)), uk_counting="strict")
    assert r.due == D(2025, 10, 3)
    assert any("Thu 2 Oct 2025" in w for w in r.warnings)


def test_second_class_post_is_the_fourth_working_day():
    # Posted Thu 2 Apr 2026: Fri 3 (Good Friday), Mon 6 (Easter Monday) do not count.
    r = due(Facts(D(2026, 4, 2), via="second-class"))
    assert r.receipt == D(2026, 4, 10)


def test_impossible_facts_are_refused():
    with pytest.raises(DeadlineInputError):
        due(Facts(D(2026, 3, 2), id_requested=D(2026, 3, 5), id_received=D(2026, 3, 4)))
    with pytest.raises(DeadlineInputError):
        due(Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 3, 1), D(2026, 3, 4)),)))
    with pytest.raises(DeadlineInputError):
        due(Facts(D(2026, 3, 2), via="first-class", delivered=D(2026, 3, 1)))
    with pytest.raises(DeadlineInputError):
        due(Facts(D(2026, 3, 2), via="pigeon"))


def test_unknown_calendar_is_a_clear_error():
    with pytest.raises(calendars.UnknownCalendarError, match="GB-ENG"):
        calendars.get("GB")
    with pytest.raises(calendars.UnknownCalendarError):
        calendars.get("ZZ")


@pytest.mark.parametrize("country", ["GB", "DE", "US", "FR", "UK", "CH"])
def test_calendar_codes_are_those_the_holidays_package_lists(country):
    # calendars.get asks one country's class, not list_supported_countries (which
    # imports all of them); the codes it accepts and names must be that list's.
    import holidays

    subdivisions = holidays.list_supported_countries()[country]
    with pytest.raises(calendars.UnknownCalendarError) as err:
        calendars.get(f"{country}-NOWHERE")
    named = str(err.value).partition("known for ")[2].partition(": ")[2].rstrip(")")
    assert named.split(", ") == [f"{country}-{s.upper()}" for s in subdivisions]
    for s in subdivisions[:3]:
        assert calendars.is_known(f"{country}-{s}")


# -- properties ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(received=days, cal=st.sampled_from(UK_CALENDARS))
def test_uk_due_is_a_working_day_about_a_month_later(received, cal):
    r = due(Facts(received), calendar=cal)
    assert calendars.get(cal).is_working_day(r.due)
    assert 28 <= (r.due - received).days <= 36
    assert r.due >= add_months(received, 1)[0]


@settings(max_examples=200, deadline=None)
@given(a=days, b=days, cal=st.sampled_from(UK_CALENDARS + ["IE", "FR"]))
def test_a_later_receipt_never_gives_an_earlier_due_date(a, b, cal):
    a, b = sorted((a, b))
    regime = "uk-gdpr" if cal.startswith("GB") else "eu-gdpr"
    assert due(Facts(a), regime, cal).due <= due(Facts(b), regime, cal).due


@settings(max_examples=200, deadline=None)
@given(received=days, asked=st.integers(0, 20), waited=st.integers(0, 40))
def test_id_and_clarification_never_bring_the_date_forward(received, asked, waited):
    base = due(Facts(received)).due
    ask = received + dt.timedelta(days=asked)
    answer = ask + dt.timedelta(days=waited)
    with_id = due(Facts(received, id_requested=ask, id_received=answer)).due
    assert with_id >= base
    with_pause = due(Facts(received, clarifications=(Pause(ask, answer),))).due
    assert with_pause >= base


@settings(max_examples=200, deadline=None)
@given(received=days, notified=st.integers(0, 45))
def test_an_extension_never_shortens_and_only_counts_in_time(received, notified):
    plain = due(Facts(received))
    r = due(Facts(received, extension_notified=received + dt.timedelta(days=notified)))
    if r.extended:
        assert r.due >= plain.due
        assert received + dt.timedelta(days=notified) <= plain.due
    else:
        assert r.due == plain.due and r.warnings


@settings(max_examples=150, deadline=None)
@given(received=days)
def test_uk_and_eu_rules_give_the_same_dates_on_one_calendar(received):
    # Reg. 1182/71 and the ICO's counting agree (legal.md §0.2).
    assert due(Facts(received), "uk-gdpr", "GB-ENG").due == \
        due(Facts(received), "eu-gdpr", "GB-ENG").due


@settings(max_examples=150, deadline=None)
@given(received=days)
def test_ccpa_is_45_calendar_days_rolled_to_a_business_day(received):
    import holidays

    r = due(Facts(received), "ccpa", "US-CA")
    closed = holidays.country_holidays("US", subdiv="CA")
    # Issue 15: a 45th day on a weekend or holiday moves to the next business day
    # (Civ. Code §§10-11), so no reply is called late before the regulator would.
    raw = received + dt.timedelta(days=45)
    assert r.due >= raw and r.due.weekday() < 5 and r.due not in closed
    assert all(d.weekday() >= 5 or d in closed
               for d in (raw + dt.timedelta(days=i) for i in range((r.due - raw).days)))
    # Ten business days, counted here straight from the holiday list.
    day, counted = received, 0
    while counted < 10:
        day += dt.timedelta(days=1)
        counted += day.weekday() < 5 and day not in closed
    assert r.ack_due == day


@settings(max_examples=150, deadline=None)
@given(posted=days, method=st.sampled_from(["first-class", "second-class", "signed-for"]))
def test_post_is_deemed_received_after_posting(posted, method):
    r = due(Facts(posted, via=method))
    assert (r.receipt - posted).days >= (4 if method == "second-class" else 2)
    assert calendars.get("GB-ENG").is_working_day(r.receipt)


@settings(max_examples=150, deadline=None)
@given(when=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31),
                         timezones=st.just(dt.UTC)))
def test_a_zoned_datetime_counts_from_its_london_date(when):
    from zoneinfo import ZoneInfo

    london = when.astimezone(ZoneInfo("Europe/London")).date()
    assert due(Facts(when)).due == due(Facts(london)).due


# -- questions and notices judged on the day they came --------------------------------


def test_a_clarification_during_a_valid_extension_still_pauses():
    facts = Facts(D(2026, 3, 2), extension_notified=D(2026, 3, 10),
                  clarifications=(Pause(D(2026, 4, 10), D(2026, 4, 20)),))
    r = due(facts)
    assert r.due == D(2026, 6, 15)  # 2 Jun + 11 days = Sat 13 Jun -> Mon 15 Jun
    assert not r.warnings


def test_an_unanswered_question_after_the_deadline_stops_nothing():
    late = Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 4, 20)),))
    r = due(late)
    assert r.due == D(2026, 4, 2) and r.waiting_for is None
    assert any("after the deadline" in w for w in r.warnings)
    late_id = due(Facts(D(2026, 3, 2), id_requested=D(2026, 4, 20), id_received=D(2026, 5, 25)))
    assert late_id.due == D(2026, 4, 2)  # no fresh month for an ID request made too late


def test_every_round_of_id_waiting_counts_under_eu_law():
    one = Facts(D(2026, 3, 2), id_rounds=(Pause(D(2026, 3, 3), D(2026, 3, 20)),))
    two = Facts(D(2026, 3, 2), id_rounds=(Pause(D(2026, 3, 3), D(2026, 3, 20)),
                                          Pause(D(2026, 3, 21), D(2026, 3, 22))))
    first = due(one, regime="eu-gdpr", calendar="IE").due
    second = due(two, regime="eu-gdpr", calendar="IE").due
    assert first == D(2026, 4, 20)  # 2 Apr + 18 days
    assert second == D(2026, 4, 22)  # and 2 more


def test_uk_restarts_from_the_last_id_to_arrive():
    facts = Facts(D(2026, 3, 2), id_rounds=(Pause(D(2026, 3, 3), D(2026, 3, 5)),
                                            Pause(D(2026, 3, 9), D(2026, 3, 16))))
    assert due(facts).due == D(2026, 4, 16)


def test_overlapping_pauses_count_each_day_once():
    facts = Facts(D(2026, 3, 2), clarifications=(Pause(D(2026, 3, 5), D(2026, 3, 8)),
                                                  Pause(D(2026, 3, 7), D(2026, 3, 10))))
    r = due(facts)
    assert any("once the 6 paused days are added" in s for s in r.explanation)
    assert r.due == D(2026, 4, 8)  # 2 Apr + 6 days


def test_resume_counting_says_so_in_the_explanation():
    facts = Facts(D(2026, 6, 1), clarifications=(Pause(D(2026, 6, 2), D(2026, 6, 3)),))
    text = " ".join(due(facts, pause_counting="resume").explanation)
    assert "resume counting" in text and "1 day does not count" in text


def test_the_calculator_names_the_flag_that_is_wrong(sar):
    assert "--post-rule must be one of" in sar.fails("deadline", "--received", "2026-03-02",
                                                     "--post-rule", "foo")
    assert "posted letter" in sar.fails("deadline", "--received", "2026-03-02",
                                        "--delivered", "2026-03-04")
    assert "--id-received" in sar.fails("deadline", "--received", "2026-03-02",
                                        "--id-received", "2026-13-01")
    waiting = sar("deadline", "--received", "2026-03-02", "--clarification", "2026-03-05:",
                  "--json").json()
    assert waiting["due"] is None and waiting["waiting_for"] == "clarification"


def test_each_wait_names_its_own_source():
    fee = due(Facts(D(2026, 1, 5), fee_requested=D(2026, 1, 6), fee_paid=D(2026, 1, 19)))
    assert fee.due == D(2026, 2, 19)
    fee_line = next(line for line in fee.explanation if line.startswith("fee received"))
    assert "Art. 12(5)" in fee_line and "Art. 12A" in fee_line
    id_ = due(Facts(D(2026, 1, 5), id_requested=D(2026, 1, 6), id_received=D(2026, 1, 19)))
    id_line = next(line for line in id_.explanation if line.startswith("ID received"))
    assert "Art. 12(6)" in id_line and "12(5)" not in id_line and "s.54" not in id_line


def test_an_eu_fee_request_does_not_stop_the_clock():
    # Only a wait for ID suspends the EU period; a fee asked for stops nothing.
    plain = due(Facts(D(2026, 3, 2)), "eu-gdpr", "IE")
    fee = due(Facts(D(2026, 3, 2), fee_requested=D(2026, 3, 4), fee_paid=D(2026, 3, 20)),
              "eu-gdpr", "IE")
    assert fee.due == plain.due == D(2026, 4, 2)
    assert any("fee asked" in line and "does not move" in line for line in fee.explanation)
    waiting = due(Facts(D(2026, 3, 2), fee_requested=D(2026, 3, 4)), "eu-gdpr", "IE")
    assert waiting.due == D(2026, 4, 2) and waiting.paused_since is None
