"""The campaign HTML page: right figures, hostile names kept inert, nothing loaded.

All organisations, sectors and numbers here are invented.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from sar.campaign.html import as_html, check_page, clean
from sar.errors import UsageError

COLUMNS = [["requests", "Requests"], ["bounced", "Bounced"], ["acknowledged", "Acknowledged"],
           ["id_demanded", "ID demanded"], ["extended", "Extended"], ["answered", "Answered"],
           ["on_time", "Answered on time"], ["refused", "Refused"],
           ["overdue_now", "Overdue now"], ["median_days", "Median days"],
           ["p90_days", "90th pct days"]]
OUTCOMES = ["answered on time", "answered late", "refused", "overdue", "waiting", "bounced"]
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
           "</svg><script>x</script>", "$\\alpha$", "a\nb"]
ALLOWED_URLS = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def stats(key, name, requests, i=0):
    return {key: name, "requests": requests, "bounced": i % 3, "acknowledged": requests - 2,
            "id_demanded": requests // 4, "extended": i, "answered": requests - 4,
            "on_time": requests - 6, "refused": 1, "overdue_now": 2 + i,
            "median_days": 20.0 + i, "p90_days": 30.5 + i}


def suppressed(key, name):
    return {key: name, **{k: None for k, _ in COLUMNS}, "suppressed": True}


def report(orgs=("alpha-party", "beta-credit", "gamma-broker"), sectors=("party", "credit"),
           tiny="tiny-club", days=True, outcomes=True):
    by_org = [stats("org", org, 50 - i, i) for i, org in enumerate(orgs)]
    if tiny:
        by_org.append(suppressed("org", tiny))
    by_org.append(stats("org", "all", 200))
    by_sector = [stats("sector", s, 80 + i, i) for i, s in enumerate(sectors)]
    by_sector.append(stats("sector", "all", 200))
    counts = [20, 5, 1, 10, 0, 1]
    return {
        "title": "Invented campaign 2026",
        "as_of": "2027-02-01",
        "suppress_below": 5,
        "columns": COLUMNS,
        "by_organisation": by_org,
        "by_sector": by_sector,
        "days_by_org": ({org: [3 + i, 10, 28 + i, 31, 40 - i] for i, org in enumerate(orgs)}
                        if days else {}),
        "outcomes": OUTCOMES,
        "outcomes_by_sector": ({s: dict(zip(OUTCOMES, counts, strict=True)) for s in sectors}
                               if outcomes else {}),
    }


class Page(HTMLParser):
    """The parts of a page the tests look at: tables' rows, svg count, every tag."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs = 0
        self._table = None
        self._row = None
        self._cell = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "svg":
            self.svgs += 1
        elif tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def svg_parts(page):
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


def test_a_realistic_report_renders_tables_and_two_charts():
    page = as_html(report())
    parsed = Page(page)

    assert page.startswith("<!DOCTYPE html>")
    assert parsed.svgs == 2 and len(svg_parts(page)) == 2
    assert "<h1>Invented campaign 2026</h1>" in page
    assert "2027-02-01" in page
    assert "Figures counting fewer than 5 people are hidden" in page  # the method

    orgs = parsed.tables["by-organisation"]
    # The header, three organisations, the suppressed one and the total.
    assert len(orgs) == 1 + 3 + 1 + 1
    assert orgs[0] == ["Organisation"] + [label for _, label in COLUMNS]
    assert [r[0] for r in orgs[1:]] == ["alpha-party", "beta-credit", "gamma-broker",
                                        "tiny-club", "All"]
    assert orgs[4][1:] == ["\u2014"] * len(COLUMNS)
    # Counts carry their share of the row's requests; days do not.
    alpha = dict(zip(orgs[0], orgs[1], strict=True))
    assert alpha["Requests"] == "50"
    assert alpha["ID demanded"] == "12 (24%)"
    assert alpha["Median days"] == "20.0"  # one decimal, as everywhere
    assert alpha["90th pct days"] == "30.5"

    sectors = parsed.tables["by-sector"]
    assert len(sectors) == 1 + 2 + 1
    # Kinds by name, not slug ("party" is no known kind: its slug, capitalised).
    assert [r[0] for r in sectors[1:]] == ["Party", "Credit", "All"]

    times, outcomes = svg_parts(page)
    for org in ("alpha-party", "beta-credit", "gamma-broker"):
        assert org in times
    assert "tiny-club" not in times
    # Labels stay <text> (searchable, and escaped by matplotlib), not glyph outlines.
    assert re.search(r"<text\b[^>]*>alpha-party \(n=5\)</text>", times)
    assert re.search(r"<text\b[^>]*>answered on time</text>", outcomes)
    assert "one month (31 days)" in times and "days from sending to first answer" in times
    for outcome in OUTCOMES:
        assert outcome in outcomes
    # Each chart has a text alternative: an aria-label and a table of its figures.
    svg_tags = [a for t, a in parsed.tags if t == "svg"]
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svg_tags)
    assert len(parsed.tables["times-data"]) == 1 + 3
    assert len(parsed.tables["outcomes-data"]) == 1 + 2
    # Ids are unique although both charts come from matplotlib.
    ids = [a["id"] for _, a in parsed.tags if "id" in a]
    assert len(ids) == len(set(ids))


def test_no_suppression_note_when_nothing_is_suppressed():
    r = report(tiny=None)
    r["suppress_below"] = 0
    assert "are hidden" not in as_html(r)


def test_hostile_strings_stay_text():
    r = report(orgs=HOSTILE, sectors=HOSTILE)
    r["title"] = HOSTILE[0]
    r["outcomes"] = HOSTILE + OUTCOMES
    r["outcomes_by_sector"] = {s: {o: 3 for o in r["outcomes"]} for s in HOSTILE}
    r["columns"] = [*COLUMNS, ["x", HOSTILE[1]]]
    page = as_html(r)
    parsed = Page(page)

    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert not [t for t, _ in parsed.tags if t in ("script", "img")]
    assert not [(t, n) for t, a in parsed.tags for n in a if n.startswith("on")]
    # "onerror=" survives only as text, after an escaped "<img".
    assert "onerror=" in page
    assert not re.findall(r"(?<!&lt;img src=x )onerror=", page)
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert html.escape(HOSTILE[1], quote=True) in page
    assert "&lt;/svg&gt;&lt;script&gt;x&lt;/script&gt;" in page

    # The "</svg>" in a name did not close a chart early.
    assert page.count("<svg") == 2 and page.count("</svg>") == 2 and parsed.svgs == 2
    times, outcomes = svg_parts(page)
    for svg in (times, outcomes):
        assert "$\\alpha$" in svg  # mathtext off: drawn literally, not as a Greek letter
        assert "\u03b1" not in svg
        assert "&lt;/svg&gt;&lt;script&gt;x&lt;/script&gt;" in svg
    # The newline became a space, in the tables and the charts.
    assert "a\nb" not in page
    assert ">a b<" in page and "a b (n=5)" in times

    rows = Page(page).tables["by-organisation"]
    assert [row[0] for row in rows[1:4]] == [clean(h, 200) for h in HOSTILE[:3]]


def test_controls_bidi_overrides_and_long_names_are_cleaned():
    long_name = "org-" + "x" * 200
    r = report(orgs=["evil\u202egro.\x00\x07ok", long_name])
    page = as_html(r)
    times = svg_parts(page)[0]

    assert "\u202e" not in page and "\x00" not in page and "\x07" not in page
    assert "evilgro.ok" in page
    assert long_name not in times
    assert "org-" + "x" * 35 + "\u2026 (n=5)" in times  # 40 characters with the ellipsis
    assert long_name[:110] in page  # the table keeps far more of it


def test_no_answers_yet_shows_sentences_not_empty_charts():
    page = as_html(report(days=False, outcomes=False))
    parsed = Page(page)

    assert parsed.svgs == 0 and "<svg" not in page
    assert "No organisation has answered yet" in page
    assert "There are no outcomes to show yet" in page
    assert len(parsed.tables["by-organisation"]) == 1 + 3 + 1 + 1


def test_organisations_with_empty_day_lists_are_no_chart():
    r = report(outcomes=False)
    r["days_by_org"] = {org: [] for org in r["days_by_org"]}
    page = as_html(r)
    assert "<svg" not in page and "No organisation has answered yet" in page


def test_the_same_report_renders_the_same_page():
    assert as_html(report()) == as_html(report())


def test_the_page_references_nothing_outside_itself():
    page = as_html(report())
    parsed = Page(page)

    for tag, attrs in parsed.tags:
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            assert attrs.get(name) is None or attrs[name].startswith("#"), (tag, name)
    assert not re.findall(r"(?i)\b(?:src|href)\s*=\s*(?![\"']?#)", page)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= ALLOWED_URLS
    assert not re.findall(r"url\((?!#)", page)
    assert "@import" not in page and "javascript:" not in page.lower()
    assert "<metadata" not in page and "<!DOCTYPE svg" not in page


def test_twenty_organisations_fit_in_300_kb():
    orgs = [f"organisation-{i:02d}" for i in range(20)]
    r = report(orgs=orgs, sectors=[f"sector-{i}" for i in range(6)])
    r["days_by_org"] = {org: [(i * 7 + j * 3) % 60 for j in range(60)]
                        for i, org in enumerate(orgs)}
    page = as_html(r)
    assert Page(page).svgs == 2
    assert len(page.encode()) < 300_000


@pytest.mark.parametrize("bad", [
    "<p>hi</p><SCRIPT>x</SCRIPT>",
    '<div onclick="x()">hi</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://tracker.example/p">x</a>',
    '<svg><image xlink:href="//tracker.example/p.png"/></svg>',
    '<p style="background: url(https://tracker.example/p.png)">x</p>',
    "<style>@import 'x.css';</style>",
])
def test_the_self_check_refuses_unsafe_pages(bad):
    with pytest.raises(RuntimeError):
        check_page(f"<!DOCTYPE html><html><body>{bad}</body></html>")


def test_the_self_check_accepts_what_escaping_leaves():
    check_page("<p>&lt;script&gt; onerror=alert(1) https://example.org/ javascript:x</p>")


def test_a_page_whose_escaping_broke_is_never_returned(monkeypatch):
    import sar.campaign.html as module

    monkeypatch.setattr(module, "_text", lambda value, limit=120: str(value))
    with pytest.raises(RuntimeError):
        as_html(report(orgs=HOSTILE[:2]))


def test_without_matplotlib_the_user_is_told_what_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(UsageError, match=r"pip install 'sar\[charts\]'"):
        as_html(report())


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, sar.campaign.html; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
