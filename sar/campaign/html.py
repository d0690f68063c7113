"""A campaign's statistics as one self-contained HTML page, charts included.

The page is meant to be mailed around, attached to a complaint or published as it is,
so it is a single file that loads nothing: no external URL, no JavaScript, inline CSS,
and the charts are matplotlib SVG inlined into the page (text kept as text, so it can
be searched and read by screen readers). Every chart also has a text alternative.

Every string in the report (the title, organisation slugs, sector names, outcome and
column labels) is untrusted: participants name organisations themselves. Strings are
cleaned of control and bidi-override characters, HTML-escaped in the page, and drawn
by matplotlib with mathtext and TeX off so that "$...$" stays literal. Before the page
is returned it is checked for scripts, event handlers and external references; a page
that fails the check is never returned.

matplotlib is imported only when a page is built: the CLI must start fast.
"""

from __future__ import annotations

import html
import io
import math
import re
import statistics
import unicodedata
from contextlib import contextmanager

from sar.campaign.html_check import ALLOWED_URLS, check_page  # noqa: F401 - re-exported
from sar.errors import UsageError

MISSING = "\u2014"  # em dash: a suppressed or unknown value
CHART_LABEL_MAX = 40
TABLE_LABEL_MAX = 120
# UK GDPR Art. 12(3): one calendar month (ICO: the corresponding date next month), 28
# to 31 days; a report says how long its month was (the most common length), else 31.
LONGEST_MONTH_DAYS = 31
SHORT_TABLE_ROWS = 25  # a table this short prints whole on one page

# Bidi embeddings, overrides and isolates can make "gro.live" display as "evil.org";
# strip them. Right-to-left letters themselves are kept and isolated with <bdi>.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029")

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00",
             "#CC79A7", "#000000"]
OUTCOME_COLOURS = {
    "answered on time": "#009E73",
    "answered late": "#E69F00",
    "refused": "#D55E00",
    "overdue": "#CC79A7",
    "waiting": "#BBBBBB",
    "bounced": "#0072B2",
}

CSS = """
:root { color-scheme: light; }
body { font-family: "Source Serif Pro", Georgia, "DejaVu Serif", serif; margin: 0;
  color: #1a1a1a; background: #fff; line-height: 1.45; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3, table, figcaption, .as-of, .note, summary, dl {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { margin-bottom: 0.2rem; overflow-wrap: anywhere; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
.as-of { margin-top: 0; color: #444; }
.headline { font-size: 1.3rem; max-width: 48rem; }
.note { background: #f4f4f4; border-left: 4px solid #0072B2; padding: 0.5rem 0.8rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.55rem; vertical-align: top; }
thead th { background: #f4f4f4; text-align: right; vertical-align: bottom; }
thead th:first-child, thead th.text, tbody th, tfoot th { text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td small { color: #555; }
tbody th { font-weight: normal; overflow-wrap: anywhere; max-width: 20rem; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #888; }
tr.suppressed td { color: #777; }
figure { margin: 1rem 0 1rem; }
figure svg { display: block; width: 100%; max-width: 60rem; height: auto; }
figcaption { color: #333; max-width: 60rem; }
details { margin: 0.5rem 0 1.5rem; }
summary { cursor: pointer; }
dl { max-width: 48rem; } dt { font-weight: 600; } dd { margin: 0 0 0.5rem 1.2rem; }
.empty { font-style: italic; color: #444; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  /* The scroll wrapper would cut wide tables off and print a scrollbar. */
  .scroll { overflow: visible !important; }
  table { width: 100%; font-size: 7.5pt; break-inside: auto; }
  th, td { padding: 0.15rem 0.3rem; }
  td { white-space: normal; }
  tbody th { max-width: none; }
  thead { display: table-header-group; }  /* repeated on every page */
  tfoot { display: table-row-group; }  /* the totals once, at the table's end */
  tr, figure, .headline, dt, dd { break-inside: avoid; page-break-inside: avoid; }
  /* The last rows go with the totals, never the totals alone on a page. */
  tbody tr:nth-last-child(-n+2) { break-after: avoid; page-break-after: avoid; }
  table.short { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, caption, summary, dt { break-after: avoid; page-break-after: avoid; }
  figure svg { max-width: 100%; }
  details > summary { list-style: none; font-weight: 600; }
  details > summary::-webkit-details-marker { display: none; }
  .note { border-left-color: #555; }
}
"""


# --- strings ---------------------------------------------------------------------


def clean(value, limit: int) -> str:
    """One line of printable text: controls and bidi overrides gone, at most `limit`."""
    text = "" if value is None else str(value)
    kept = []
    for ch in text:
        if ch in LINE_BREAKS:
            kept.append(" ")
        elif ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs"):
            continue  # Cs: a lone surrogate cannot even be written out as UTF-8
        else:
            kept.append(ch)
    text = " ".join("".join(kept).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return text


def _text(value, limit: int = TABLE_LABEL_MAX) -> str:
    """Untrusted text, ready to sit between tags or inside a quoted attribute."""
    return html.escape(clean(value, limit), quote=True)


def _label(value) -> str:
    """Untrusted text for a chart label (matplotlib escapes it when writing SVG)."""
    return clean(value, CHART_LABEL_MAX)


def _is_number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _cell(key: str, value, requests) -> str:
    """A table cell's text: days to one decimal (as in every format), counts with
    their share of the row's requests."""
    from sar.report import days

    if value is None:
        return MISSING
    if not _is_number(value):
        return _text(value)
    if key.endswith("_days"):
        return days(value)
    shown = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    is_count = key != "requests" and isinstance(value, int)
    if is_count and isinstance(requests, int) and not isinstance(requests, bool) \
            and requests > 0:
        shown += f" <small>({int(value * 100 / requests + 0.5)}%)</small>"
    return shown


def _name(report: dict, key: str, value) -> str:
    """A row's name for people (the organisation's, the kind's), cleaned and escaped."""
    from sar.report import label

    return _text(label(report, key, value))


# --- tables ----------------------------------------------------------------------


def _table(report: dict, table_id: str, caption: str, first_header: str, key: str, rows,
           columns) -> str:
    head = "".join(f'<th scope="col">{_text(label)}</th>' for _, label in columns)
    body, foot = [], []
    for row in rows:
        name = row.get(key)
        is_total = name == "all"
        suppressed = bool(row.get("suppressed"))
        cells = "".join(f"<td>{_cell(k, row.get(k), row.get('requests'))}</td>"
                        for k, _ in columns)
        label = "All" if is_total else f"<bdi>{_name(report, key, name)}</bdi>"
        attrs = ' class="suppressed"' if suppressed else ""
        line = f'<tr{attrs}><th scope="row">{label}</th>{cells}</tr>'
        (foot if is_total else body).append(line)
    short = ' class="short"' if len(rows) <= SHORT_TABLE_ROWS else ""
    parts = [f'<div class="scroll"><table id="{table_id}"{short}>',
             f"<caption>{caption}</caption>",
             f'<thead><tr><th scope="col">{first_header}</th>{head}</tr></thead>',
             "<tbody>", *body, "</tbody>"]
    if foot:
        parts += ["<tfoot>", *foot, "</tfoot>"]
    parts.append("</table></div>")
    return "\n".join(parts)


def _columns(report) -> list[tuple[str, str]]:
    columns = []
    for pair in report.get("columns") or []:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise UsageError("each column must be a [key, label] pair")
        columns.append((str(pair[0]), pair[1]))
    return columns


def _suppress_below(report) -> int:
    value = report.get("suppress_below") or 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError("suppress_below must be a whole number")
    return value


# --- charts ----------------------------------------------------------------------


def _svg(fig, chart_id: str, aria_label: str, mpl, title: str = "") -> str:
    """The figure as an <svg> element for inlining: no prolog, no metadata, ids unique."""
    buf = io.StringIO()
    # With every metadata key None, matplotlib writes no <metadata> block, and so
    # neither a date (the page stays deterministic) nor the Dublin Core URLs.
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None,
                                             "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop <?xml?> and the DOCTYPE (which names a URL)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)

    # Two charts share a page, and matplotlib numbers its ids per file ("axes_1"):
    # prefix them. Only tags are touched; text between tags is the labels' own.
    def prefix_ids(tag):
        t = tag.group(0)
        t = re.sub(r'(\sid=")', rf"\g<1>{chart_id}-", t)
        t = t.replace("url(#", f"url(#{chart_id}-")
        return re.sub(r'(href=")#', rf"\g<1>#{chart_id}-", t)

    svg = re.sub(r"<[^>]*>", prefix_ids, svg)
    label = html.escape(aria_label, quote=True)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{label}" '
                      f'aria-labelledby="{chart_id}-title {chart_id}-desc"', 1)
    # A title and a description inside the drawing, for screen readers and SVG viewers.
    head = svg.index(">") + 1
    return (svg[:head] + f'<title id="{chart_id}-title">{html.escape(title or aria_label)}'
            f'</title><desc id="{chart_id}-desc">{label}</desc>' + svg[head:]).strip()


@contextmanager
def _rc(mpl, salt: str):
    """Our own matplotlib settings, whatever the user's matplotlibrc says."""
    with mpl.rc_context():
        # Start from the defaults: a matplotlibrc with text.usetex would run labels
        # through LaTeX, and other settings would make pages differ between machines.
        mpl.rcdefaults()
        mpl.rcParams.update({
            "text.usetex": False,
            "text.parse_math": False,  # "$\\alpha$" in a slug stays literal
            "svg.fonttype": "none",  # text stays <text>, escaped by matplotlib
            "svg.hashsalt": salt,  # clip-path ids fixed: the same report, the same page
            "font.family": "sans-serif",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        })
        yield


def _no_math(texts):
    for t in texts:
        t.set_parse_math(False)
        t.set_usetex(False)


def _response_times(report: dict) -> list[tuple[str, list[float]]]:
    from sar.report import label

    series = []
    for org, days in (report.get("days_by_org") or {}).items():
        values = sorted(float(d) for d in (days or []) if _is_number(d))
        if values:
            series.append((label(report, "org", org), values))
    # Fastest first (at the top), so the chart reads as a ranking.
    series.sort(key=lambda s: (statistics.median(s[1]), clean(s[0], TABLE_LABEL_MAX)))
    return series


def _chart_times(series, month_days: int, mpl, Figure) -> str:
    with _rc(mpl, "sar-campaign-times"):
        n = len(series)
        fig = Figure(figsize=(9, 1.3 + 0.36 * n), layout="constrained")
        ax = fig.add_subplot()
        data = [values for _, values in series]
        positions = list(range(n, 0, -1))  # first row at the top
        ax.boxplot(data, positions=positions, orientation="horizontal", widths=0.55,
                   patch_artist=True, showfliers=True,
                   boxprops={"facecolor": "#56B4E9", "edgecolor": "#1a1a1a"},
                   medianprops={"color": "#000000", "linewidth": 2},
                   flierprops={"marker": "o", "markersize": 4,
                               "markerfacecolor": "#1a1a1a", "markeredgecolor": "none"})
        labels = [f"{_label(org)} (n={len(values)})" for org, values in series]
        ax.set_yticks(positions, labels=labels)
        ax.set_ylim(0.4, n + 0.6)
        top = max(max(values) for _, values in series)
        ax.set_xlim(0, max(top, month_days + 5) * 1.05)
        ax.axvline(month_days, color="#D55E00", linestyle="--", linewidth=1.5)
        month = ax.text(month_days, 1.0, f" one month ({month_days} days)", color="#D55E00",
                        transform=ax.get_xaxis_transform(), ha="left", va="bottom")
        ax.set_xlabel("days from sending to first answer")
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        _no_math([*ax.get_yticklabels(), month])
        aria = (f"Box plot of days from sending to the first answer for {n} "
                f"organisation{'s' if n != 1 else ''}, with a line at one month "
                f"({month_days} days); the figures are in the table that follows.")
        return _svg(fig, "times", aria, mpl, "Days from sending to the first answer")


def _times_table(series, month_days: int) -> str:
    from sar.report import days

    rows = []
    for org, values in series:
        within = sum(1 for v in values if v <= month_days)
        rows.append(f"<tr><th scope=\"row\"><bdi>{_text(org)}</bdi></th>"
                    f"<td>{len(values)}</td><td>{days(values[0])}</td>"
                    f"<td>{days(round(float(statistics.median(values)), 1))}</td>"
                    f"<td>{days(values[-1])}</td><td>{within}</td></tr>")
    # Open, so that it prints and reads without a click.
    return ("<details open><summary>The figures behind this chart</summary>"
            '<div class="scroll"><table class="chart-data short" id="times-data">'
            "<thead><tr><th scope=\"col\">Organisation</th><th scope=\"col\">Answers</th>"
            "<th scope=\"col\">Fastest (days)</th><th scope=\"col\">Median (days)</th>"
            "<th scope=\"col\">Slowest (days)</th>"
            f"<th scope=\"col\">Within {month_days} days</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div></details>")


def _outcome_counts(report: dict, outcomes):
    from sar.report import label

    rows = []
    for sector, counts in (report.get("outcomes_by_sector") or {}).items():
        counts = counts or {}
        values = [counts.get(o) if _is_number(counts.get(o)) else 0 for o in outcomes]
        rows.append((label(report, "sector", sector), values))
    return rows


def _colours(outcomes) -> list[str]:
    spare = iter(OKABE_ITO * (len(outcomes) // len(OKABE_ITO) + 1))
    return [OUTCOME_COLOURS.get(str(o)) or next(spare) for o in outcomes]


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


def _chart_outcomes(outcomes, rows, mpl, Figure) -> str:
    from matplotlib.patches import Patch

    with _rc(mpl, "sar-campaign-outcomes"):
        n = len(rows)
        names = [_label(o) for o in outcomes]
        ncol = len(names) if sum(len(s) for s in names) + 6 * len(names) <= 100 else 3
        legend_rows = math.ceil(len(names) / ncol) if names else 0
        fig = Figure(figsize=(9, 1.2 + 0.42 * n + 0.3 * legend_rows), layout="constrained")
        ax = fig.add_subplot()
        colours = _colours(outcomes)
        positions = list(range(n, 0, -1))
        left = [0.0] * n
        texts = []
        for i, colour in enumerate(colours):
            shares = [(values[i] / sum(values) if sum(values) else 0.0) for _, values in rows]
            ax.barh(positions, shares, left=left, height=0.7, color=colour,
                    edgecolor="#ffffff", linewidth=0.6)
            for pos, start, share in zip(positions, left, shares, strict=True):
                if share >= 0.07:  # a label only where it fits
                    texts.append(ax.text(start + share / 2, pos, f"{round(share * 100)}%",
                                         ha="center", va="center", fontsize=8.5,
                                         color=_ink(colour)))
            left = [a + b for a, b in zip(left, shares, strict=True)]
        labels = [f"{_label(sector)} (n={sum(values)})" for sector, values in rows]
        ax.set_yticks(positions, labels=labels)
        ax.set_ylim(0.4, n + 0.6)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], labels=["0%", "25%", "50%", "75%", "100%"])
        ax.set_xlabel("share of requests")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        handles = [Patch(facecolor=c, edgecolor="#1a1a1a", linewidth=0.4) for c in colours]
        # Above the bars, outside them, so it never hides a segment.
        legend = fig.legend(handles, names, loc="outside upper center", ncol=ncol,
                            frameon=False, handlelength=1.2, columnspacing=1.4)
        _no_math([*ax.get_yticklabels(), *texts, *legend.get_texts()])
        aria = (f"Stacked bars: the share of each outcome for {n} "
                f"kind{'s' if n != 1 else ''} of organisation; "
                "the figures are in the table that follows.")
        return _svg(fig, "outcomes", aria, mpl, "Outcomes by kind of organisation")


def _outcomes_table(outcomes, rows) -> str:
    head = "".join(f'<th scope="col">{_text(o)}</th>' for o in outcomes)
    body = []
    for sector, values in rows:
        total = sum(values)
        cells = "".join(
            f"<td>{v} ({int(v * 100 / total + 0.5)}%)</td>" if total else f"<td>{v}</td>"
            for v in values)
        body.append(f'<tr><th scope="row"><bdi>{_text(sector)}</bdi></th>{cells}</tr>')
    return ("<details open><summary>The figures behind this chart</summary>"
            '<div class="scroll"><table class="chart-data short" id="outcomes-data">'
            f'<thead><tr><th scope="col">Kind of organisation</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div></details>")


# --- the page --------------------------------------------------------------------


def _league(report: dict) -> str:
    """The organisations ranked, best first, by the figures of the full table."""
    from sar.report import league

    ranked = league(report)
    if not ranked:
        return ""
    body = []
    for r in ranked:
        n = r["requests"]
        cells = [_cell("requests", n, n), _cell("on_time", r["on_time"], n),
                 _cell("refused", r["refused"], n), _cell("overdue_now", r["overdue_now"], n),
                 _cell("median_days", r["median_days"], n)]
        body.append(f'<tr><td>{r["rank"]}</td><th scope="row"><bdi>'
                    f'{_name(report, "org", r["org"])}</bdi></th>'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    short = ' class="short"' if len(ranked) <= SHORT_TABLE_ROWS else ""
    return "\n".join([
        "<h2>League table</h2>",
        f'<div class="scroll"><table id="league"{short}><caption>Organisations ranked by '
        "the share of requests answered on time, then the share overdue, then the median "
        "days</caption>",
        '<thead><tr><th scope="col">Rank</th><th scope="col" class="text">Organisation</th>'
        '<th scope="col">Requests</th><th scope="col">Answered on time</th>'
        '<th scope="col">Refused</th><th scope="col">Overdue now</th>'
        '<th scope="col">Median days</th></tr></thead>',
        "<tbody>", *body, "</tbody></table></div>"])


def _method(report: dict, columns) -> str:
    """Dates, participants, what was asked and every definition: how to read the rest."""
    from sar.report import DEFINITIONS

    m = report.get("method") or {}
    month = _month_days(report)
    facts = []
    if m.get("first_sent"):
        first, last = _text(m["first_sent"], 20), _text(m.get("last_sent"), 20)
        facts.append(f"Requests were sent {'on ' + first if first == last else 'from ' + first + ' to ' + last}"
                     f" and the figures are as of {_text(report.get('as_of'), 40)}.")
    if m.get("participants") is not None:
        facts.append(f"{int(m['participants'])} participants took part, writing to "
                     f"{int(m.get('organisations') or 0)} organisations.")
    if report.get("asked"):
        facts.append(f"What was asked: {_text(report['asked'], 400)}.")
    facts.append(f"The deadline is one calendar month from receipt (UK GDPR Art. 12(3); the "
                 f"ICO counts to the corresponding date next month), {month} days for most "
                 "of these requests; an extension (Art. 12(3)) or a request for proof of "
                 "identity moves it, and on time means by the deadline as it then stood.")
    k = _suppress_below(report)
    if k:
        facts.append(f"Figures counting fewer than {k} people are hidden ({MISSING}), with "
                     "as many others as it takes that none can be worked out from the "
                     "totals, and are left out of the charts.")
    terms = "".join(f"<dt>{_text(label)}</dt><dd>{_text(DEFINITIONS[key], 400)}.</dd>"
                    for key, label in columns if key in DEFINITIONS)
    return "\n".join(["<h2>Method</h2>", *(f"<p>{f}</p>" for f in facts),
                      f'<h3>Definitions</h3><dl id="definitions">{terms}</dl>'])


def _month_days(report: dict) -> int:
    value = (report.get("method") or {}).get("month_days")
    return value if isinstance(value, int) and 28 <= value <= 31 else LONGEST_MONTH_DAYS


def _head(title: str) -> list[str]:
    return ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # Belt and braces: even injected markup could neither run nor fetch anything.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            f"<title>{title}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
            "<main>", f"<h1>{title}</h1>"]


def _empty(report: dict, what: str) -> str:
    """Why a chart is missing, honestly: nothing yet, or hidden by suppression."""
    from sar.report import hidden_note

    if hidden_note(report):
        return (f'<p class="empty">No {what} to show: every organisation\'s figures count '
                f"fewer than {_suppress_below(report)} people, and are hidden.</p>"
                if report["by_organisation"][-1].get("suppressed") else
                f'<p class="empty">No {what} to show: the organisations with some count '
                f"fewer than {_suppress_below(report)} people, and are hidden.</p>")
    if what == "response times":
        return ('<p class="empty">No organisation has answered yet, so there are no '
                "response times to show.</p>")
    return '<p class="empty">There are no outcomes to show yet.</p>'


def _charts(report: dict, mpl, Figure) -> list[str]:
    parts = ["<h2>How long organisations took to answer</h2>"]
    series = _response_times(report)
    month = _month_days(report)
    if series:
        parts += ["<figure>", _chart_times(series, month, mpl, Figure),
                  "<figcaption>Days from sending to the first answer (refusals included), "
                  "one row per organisation (n: its answers, as in the table's Answered). "
                  "The box spans the middle half of the answers, the thick line is the "
                  f"median and dots are unusually slow or fast answers. The dashed line "
                  f"marks one month ({month} days), the usual deadline.</figcaption>",
                  "</figure>", _times_table(series, month)]
    else:
        parts.append(_empty(report, "response times"))
    parts.append("<h2>Outcomes by kind of organisation</h2>")
    outcomes = list(report.get("outcomes") or [])
    rows = _outcome_counts(report, outcomes)
    if rows and outcomes:
        parts += ["<figure>", _chart_outcomes(outcomes, rows, mpl, Figure),
                  "<figcaption>What happened to the requests sent to each kind of "
                  "organisation, as shares of its requests (n: requests). Each request "
                  "counts once: a refusal is refused, never answered on time, as in the "
                  "tables.</figcaption>",
                  "</figure>", _outcomes_table(outcomes, rows)]
    else:
        parts.append(_empty(report, "outcomes"))
    return parts


def as_html(report: dict, extra: str = "") -> str:
    """The campaign report as one HTML5 page that loads nothing and runs nothing:
    the finding, the league table, the full tables, the charts, then the method.
    `extra`: further sections, already escaped (checked with the rest of the page)."""
    try:
        import matplotlib as mpl
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("the HTML report draws its charts with matplotlib: "
                         "pip install 'sar[charts]'") from None
    from sar.report import headline, hidden_note

    title = _text(report.get("title") or "Campaign report")
    as_of_raw = clean(report.get("as_of"), 40)
    as_of = html.escape(as_of_raw, quote=True)
    columns = _columns(report)
    _suppress_below(report)  # a bad one fails before anything is drawn
    parts = _head(title)
    if as_of:
        when = (f'<time datetime="{as_of}">{as_of}</time>'
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of_raw) else as_of)
        parts.append(f'<p class="as-of">Figures as of {when}.</p>')
    if report.get("by_organisation"):
        parts.append(f'<p class="headline">{_text(headline(report), 600)}</p>')
    note = hidden_note(report)
    if note and note != headline(report):  # said once, not twice
        parts.append(f'<p class="note">{_text(note, 400)}</p>')
    parts += [_league(report),
              "<h2>By organisation</h2>",
              _table(report, "by-organisation", "Requests by organisation", "Organisation",
                     "org", report.get("by_organisation") or [], columns),
              "<h2>By kind of organisation</h2>",
              _table(report, "by-sector", "Requests by kind of organisation",
                     "Kind of organisation", "sector", report.get("by_sector") or [],
                     columns),
              *_charts(report, mpl, Figure)]
    if extra:
        parts.append(extra)
    parts += [_method(report, columns), "</main>", "</body>", "</html>", ""]
    page = "\n".join(parts)
    check_page(page)
    return page
