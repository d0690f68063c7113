"""`sar review` measured on the shared sample answers (../shared/reference/responses):
item statuses against the per-item ground truth, and the sources and recipients
found. Skipped when the samples are not there."""

import json

import pytest

from sar.core.review import ITEMS, review
from sar.review.extract import extract, html_text
from tests.conftest import SHARED

SAMPLES = SHARED / "reference" / "responses"
pytestmark = pytest.mark.skipif(not (SAMPLES / "manifest.json").exists(),
                                reason="shared sample answers not present")
IDENTITY = ("Alex Morgan", "alex.morgan@mail.example")


def _norm(s: str) -> str:
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("„", '"')):
        s = s.replace(a, b)
    return " ".join(s.casefold().split())


def found(name: str, names: list[str]) -> bool:
    """A name counts as found when a name sar reports is it, contains it, or is the
    longer part of it (at least six characters): "amtlichen Wahlergebnisse" for
    "amtlichen Wahlergebnisse der Bundestagswahl 2017"."""
    g = _norm(name)
    return any(g == _norm(f) or (len(_norm(f)) >= 6 and _norm(f) in g)
               or (len(g) >= 6 and g in _norm(f)) for f in names)


def reviewed(case: dict) -> dict:
    folder = SAMPLES / case["case"]
    if (folder / "body.txt").exists():
        body = (folder / "body.txt").read_text(encoding="utf-8")
    else:
        body = html_text((folder / "body.html").read_text(encoding="utf-8"))
    for k, v in (("{{ requester_name }}", "Alex Morgan"), ("{{ ref }}", "SAR-TEST1"),
                 ("{{ sent_subject }}", "Subject access request [SAR-TEST1]")):
        body = body.replace(k, v)
    files = [(f.name, "", f.read_bytes()) for f in sorted(folder.iterdir())
             if not f.name.startswith("body")]
    got = extract(body, files)
    return review([p.as_dict() for p in got.parts], case["request_kind"], IDENTITY)


@pytest.fixture(scope="module")
def results():
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    return [(case, reviewed(case)) for case in manifest]


def test_item_statuses_are_right_for_nine_in_ten_and_never_missing_as_answered(results):
    right = total = 0
    for case, r in results:
        for item in ITEMS:
            truth, got = case["items"][item], r["items"][item]["status"]
            total += 1
            right += truth == got
            assert not (truth == "missing" and got == "answered"), (case["case"], item)
    assert right / total >= 0.90, f"{right}/{total}"


def test_four_in_five_named_sources_and_recipients_are_found(results):
    hits = total = 0
    for case, r in results:
        for key in ("sources", "recipients"):
            for name in case[key]:
                total += 1
                hits += found(name, r[key])
    assert hits / total >= 0.80, f"{hits}/{total}"


def test_special_categories_shown_by_the_data_are_reported(results):
    for case, r in results:
        assert set(case["special_category"]) <= set(r["special_category"]), case["case"]


def test_a_privacy_notice_alone_is_not_a_copy(results):
    plaid = next(r for c, r in results if c["case"].startswith("06"))
    assert plaid["items"]["copy"]["status"] == "missing"
    assert "privacy notice" in plaid["items"]["copy"]["reason"]
