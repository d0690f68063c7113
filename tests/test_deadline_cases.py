"""Every worked deadline case, run through `sar deadline --json` as a user would.

reference_cases.toml holds the cases of legal.md §3; deadline_cases.toml holds
our own, derived independently from the rules.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def _cases(name: str) -> list[dict]:
    path = DATA / name
    if not path.exists():
        return []
    return tomllib.loads(path.read_text(encoding="utf-8"))["case"]


CASES = _cases("reference_cases.toml") + _cases("deadline_cases.toml")


def _args(case: dict) -> list[str]:
    args = ["deadline", "--json", "--regime", case["regime"], "--received", case["received"]]
    for key in ("calendar", "via", "delivered", "id_requested", "id_received",
                "fee_requested", "fee_paid", "extended_on", "post_rule", "email_rule",
                "pause_rule"):
        if key in case:
            args += [f"--{key.replace('_', '-')}", case[key]]
    for pause in case.get("clarifications", []):
        args += ["--clarification", pause]
    if case.get("extended"):
        args.append("--extended")
    return args


def test_ids_are_unique():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(_cases("reference_cases.toml")) >= 20
    assert len(_cases("deadline_cases.toml")) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(sar, case):
    result = sar(*_args(case)).json()
    assert result["due"] == case["expect_due"], (case["why"], result["explanation"])
    if "expect_ack_due" in case:
        assert result["ack_due"] == case["expect_ack_due"]
    if "expect_ext_notice_due" in case:
        assert result["ext_notice_due"] == case["expect_ext_notice_due"]
    assert result["explanation"][-1].startswith("due ")


@pytest.mark.parametrize("args,message", [
    (["--received", "9999-12-31"], "outside the years 2000-2100"),
    (["--received", "0001-01-01T09:00"], "outside the years 2000-2100"),
    (["--received", "2026-03-02", "--id-requested", "2206-03-03"], "--id-requested"),
    (["--received", "2026-13-01"], "not a date"),
])
def test_the_calculator_refuses_impossible_dates(sar, args, message):
    assert message in sar.fails("deadline", *args)


def test_a_what_if_today_must_be_a_plausible_date(sar):
    assert "SAR_TODAY" in sar.fails("list", today="1066-10-14")
