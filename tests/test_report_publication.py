"""The report as a publication: its print stylesheet does what paper needs, its
figures agree across the HTML table, the charts' data, Markdown, CSV and JSON (a real
campaign with refusals, late answers, an extension, bounces and silence), suppression
is said honestly, and `sar report` fits an 80-column terminal. Everything invented."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from tests.conftest import PERSON, Sar, invoke, text
from tests.report_campaign import AS_OF, ORGS, build


class Page(HTMLParser):
    """Tables by id (rows of cell texts), <details> tags and the <style> text."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.details: list[dict] = []
        self.style = ""
        self._in = None
        self._table = self._row = self._cell = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style":
            self._in = "style"
        elif tag == "details":
            self.details.append(attrs)
        elif tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "style":
            self._in = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in == "style":
            self.style += data
        elif self._cell is not None:
            self._cell.append(data)

    def table(self, table_id: str) -> dict[str, dict[str, str]]:
        """{row name: {column heading: cell}}."""
        head, *rows = self.tables[table_id]
        return {r[0]: dict(zip(head, r, strict=True)) for r in rows}


def print_rules(style: str) -> dict[str, str]:
    """{selector: declarations} inside @media print."""
    start = style.index("@media print")
    body, depth, i = [], 0, style.index("{", start)
    for ch in style[i:]:
        depth += ch == "{"
        depth -= ch == "}"
        body.append(ch)
        if depth == 0:
            break
    inner = re.sub(r"/\*.*?\*/", "", "".join(body)[1:-1], flags=re.S)
    rules = {}
    for selectors, decls in re.findall(r"([^{}]+)\{([^}]*)\}", inner):
        for sel in selectors.split(","):
            rules[sel.strip()] = rules.get(sel.strip(), "") + decls
    return rules


def section(md: str, heading: str) -> str:
    start = md.index(heading + "\n")
    return md[start:md.index("\n## ", start + 1)]


def count(cell: str) -> int:
    """"12 (50%)" -> 12."""
    return int(cell.split()[0])


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """The demo-like campaign, built once, and its report in every format."""
    tmp = tmp_path_factory.mktemp("pub")
    home = tmp / "home"
    sar = Sar(home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SAR_HOME", str(home))
        name = build(sar, tmp, home)
        out = {fmt: sar("campaign", "report", name, "--format", fmt, today=AS_OF).stdout
               for fmt in ("json", "md", "csv", "html")}
        out["hidden"] = sar("campaign", "report", name, "--format", "html",
                            "--suppress-below", "20", today=AS_OF).stdout
        out["hidden-md"] = sar("campaign", "report", name, "--format", "md",
                               "--suppress-below", "20", today=AS_OF).stdout
    return out


def test_the_print_stylesheet_keeps_tables_whole_and_opens_the_chart_data(campaign):
    page = Page(campaign["html"])
    rules = print_rules(page.style)
    # The scroll wrapper must not clip a table on paper, nor print a scrollbar.
    assert "overflow: visible" in rules[".scroll"]
    assert "break-inside: avoid" in rules["tr"]
    assert "break-inside: avoid" in rules["table.short"]
    assert "table-header-group" in rules["thead"]  # the header repeats on every page
    assert "table-row-group" in rules["tfoot"]  # the totals once, with their table
    assert "break-after: avoid" in rules["tbody tr:nth-last-child(-n+2)"]
    assert "break-after: avoid" in rules["h2"]
    # The figures behind the charts are open, so they print and read without a click.
    assert len(page.details) == 2 and all("open" in d for d in page.details)
    # Short tables carry the class the stylesheet keeps whole.
    assert re.search(r'<table id="by-organisation" class="short">', campaign["html"])


def test_a_publication_has_a_finding_a_ranking_names_and_a_method(campaign):
    html = campaign["html"]
    page = Page(html)
    assert re.search(r'<p class="headline">Of 60 requests sent to 5 organisations, 17 '
                     r"\(28%\) were answered on time; 6 \(10%\) were refused", html)
    league = page.tables["league"]
    assert [r[1] for r in league[1:]] == [
        "Green Example Party", "Example Ad Exchange plc", "Example Labour Party",
        "Example Credit Reference Ltd", "Acme Data Brokers Ltd"]
    assert [r[0] for r in league[1:]] == ["1", "2", "3", "4", "5"]
    # Names and kinds as people read them, never slugs.
    orgs = page.table("by-organisation")
    assert set(orgs) == {name for name, _ in ORGS.values()} | {"All"}
    assert "Credit reference agencies" in page.table("by-sector")
    for slug in ("green-party", "credit-reference-agency", "political-party"):
        assert f">{slug}<" not in html and f"{slug} (n=" not in html
    method = html[html.index("<h2>Method</h2>"):]
    assert "sent on 2026-03-02" in method and "as of 2026-05-01" in method
    assert "12 participants took part, writing to 5 organisations" in method
    assert "a copy of their personal data" in method
    assert "Answered on time</dt><dd>answered with data" in method and "not a refusal" in method


def test_the_figures_agree_across_table_charts_markdown_csv_and_json(campaign):
    import json

    data = json.loads(campaign["json"])
    page = Page(campaign["html"])
    names = data["names"]
    orgs = {names.get(r["org"], "All"): r for r in data["by_organisation"]}
    html_orgs = page.table("by-organisation")
    csv_rows = {r["name"]: r for r in csv.DictReader(io.StringIO(campaign["csv"]))
                if r["group"] == "organisation"}
    md = {line.split(" | ")[0].lstrip("| "): [c.strip() for c in line.strip()[1:-1].split("|")]
          for line in section(campaign["md"], "## By organisation").splitlines()
          if line.startswith("| ")}
    head = md["Organisation"]
    for name, row in orgs.items():
        slug = row["org"]
        shown = html_orgs[name]
        for key, label in data["columns"]:
            want = row[key]
            md_cell = md[name][head.index(label)]
            if key.endswith("_days"):
                expect = "" if want is None else f"{want:.1f}"
                assert md_cell == expect and shown[label] == (expect or "\u2014"), (name, key)
                assert csv_rows[slug][key] == ("" if want is None else str(want))
            else:
                assert count(shown[label]) == want == int(md_cell) == int(csv_rows[slug][key])
    # A refusal answers but is never on time: 6 refused in time at Example Labour Party.
    labour = orgs["Example Labour Party"]
    assert (labour["answered"], labour["on_time"], labour["refused"]) == (12, 0, 6)
    assert labour["median_days"] == 28.5 and html_orgs["Green Example Party"][
        "Median days"] == "18.0"
    # The outcomes chart's figures are the table's, by kind.
    kinds = page.table("by-sector")
    outcomes = page.table("outcomes-data")
    for kind, row in outcomes.items():
        table = kinds[kind]
        assert count(row["answered on time"]) == count(table["Answered on time"])
        assert count(row["refused"]) == count(table["Refused"])
        assert count(row["answered late"]) == count(table["Answered"]) - count(
            table["Answered on time"]) - count(table["Refused"])
        assert count(row["overdue"]) == count(table["Overdue now"])
    # The times chart's figures: answers as in Answered, the median as in the table.
    times = page.table("times-data")
    for name, row in times.items():
        assert int(row["Answers"]) == count(html_orgs[name]["Answered"])
        assert row["Median (days)"] == html_orgs[name]["Median days"]
    # The one-month line at the real month: sent 2 March, due 2 April, 31 days.
    assert data["method"]["month_days"] == 31
    svg = re.search(r'<svg\b.*?</svg>', campaign["html"], flags=re.S).group(0)
    assert "one month (31 days)" in svg and "<title" in svg and "<desc" in svg
    assert "Within 31 days" in page.tables["times-data"][0]


def test_suppression_is_said_honestly(campaign):
    html, md = campaign["hidden"], campaign["hidden-md"]
    assert "No organisation has answered yet" not in html
    sentence = ("3 organisations answered; figures counting fewer than 20 people are "
                "hidden (5 of 5 organisations)")
    assert sentence in html and sentence in md
    assert "every organisation's figures count fewer than 20 people" in html
    assert "<svg" not in html
    assert "participants took part" not in html  # 12 people: fewer than 20, so not said


def test_sar_report_fits_80_columns_with_human_headings(me):
    me("orgs", "add", "--slug", "long-name", "--name", "The Very Long Named Example "
       "Organisation For Testing Widths Ltd", "--email", "dpo@long.example",
       "--domain", "long.example", "--kind", "credit-reference-agency")
    for org in ("acme", "fictional-party", "long-name"):
        ref = me("new", "access", "--to", org, "--json").json()[0]["ref"]
        me("send", ref)
        if org == "acme":
            me("mark", ref, "refused", "--on", "2026-03-10", today="2026-03-10")
    env = {"SAR_HOME": str(me.home), "SAR_TODAY": "2026-05-01", "SAR_DEBUG": "",
           "COLUMNS": "80"}
    from typer.testing import CliRunner

    run = invoke(CliRunner(), ["report"], env, None)
    out = text(run.stdout_bytes)
    assert run.exit_code == 0, out
    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "Acme Data Ltd" in out and "Credit reference agencies" in out
    assert "ID" in out and "demanded" in out and "Median" in out
    for key in ("id_demanded", "p90_days", "overdue_now", "|"):
        assert key not in out
    assert "The Very Long Named Example" in out and "\u2026" in out
    assert PERSON["name"] not in out


def test_the_rich_tables_fit_80_columns_too(me):
    from rich.console import Console

    from sar import report
    from sar.cli.report_view import print_rich
    from sar.workspace import Workspace

    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    ws = Workspace(me.home)
    data = report.build(ws)
    buf = io.StringIO()
    print_rich(data, Console(width=80, file=buf, force_terminal=False, color_system=None))
    lines = buf.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Acme Data Ltd" in buf.getvalue() and "p90_days" not in buf.getvalue()
