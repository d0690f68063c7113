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
from html.parser import HTMLParser

from sar.errors import UsageError

MISSING = "\u2014"  # em dash: a suppressed or unknown value
CHART_LABEL_MAX = 40
TABLE_LABEL_MAX = 120
ONE_MONTH_DAYS = 30

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

# Namespace names matplotlib's SVG declares; identifiers, never fetched.
ALLOWED_URLS = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  margin: 0; color: #1a1a1a; background: #fff; line-height: 1.45; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { margin-bottom: 0.2rem; overflow-wrap: anywhere; }
.as-of { margin-top: 0; color: #444; }
.note { background: #f4f4f4; border-left: 4px solid #0072B2; padding: 0.5rem 0.8rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.55rem; vertical-align: top; }
thead th { background: #f4f4f4; text-align: right; }
thead th:first-child, tbody th, tfoot th { text-align: left; }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody th { font-weight: normal; overflow-wrap: anywhere; max-width: 20rem; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #888; }
tr.suppressed td { color: #777; }
figure { margin: 1rem 0 2rem; }
figure svg { display: block; width: 100%; max-width: 60rem; height: auto; }
figcaption { color: #333; max-width: 60rem; }
details { margin-top: 0.5rem; }
summary { cursor: pointer; }
.empty { font-style: italic; color: #444; }
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


def _fmt_number(value) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}".removesuffix(".0")


def _cell(key: str, value, requests) -> str:
    """A table cell's text: counts get their share of the row's requests."""
    if value is None:
        return MISSING
    if not _is_number(value):
        return _text(value)
    shown = _fmt_number(value)
    is_count = key != "requests" and not key.endswith("_days") and isinstance(value, int)
    if is_count and isinstance(requests, int) and not isinstance(requests, bool) \
            and requests > 0:
        shown += f" ({int(value * 100 / requests + 0.5)}%)"
    return shown


# --- tables ----------------------------------------------------------------------


def _table(table_id: str, caption: str, first_header: str, key: str, rows, columns) -> str:
    head = "".join(f'<th scope="col">{_text(label)}</th>' for _, label in columns)
    body, foot = [], []
    for row in rows:
        name = row.get(key)
        is_total = name == "all"
        suppressed = bool(row.get("suppressed"))
        cells = "".join(f"<td>{_cell(k, row.get(k), row.get('requests'))}</td>"
                        for k, _ in columns)
        label = "All" if is_total else f"<bdi>{_text(name)}</bdi>"
        attrs = ' class="suppressed"' if suppressed else ""
        line = f'<tr{attrs}><th scope="row">{label}</th>{cells}</tr>'
        (foot if is_total else body).append(line)
    parts = [f'<div class="scroll"><table id="{table_id}">',
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


def _svg(fig, chart_id: str, aria_label: str, mpl) -> str:
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
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1).strip()


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


def _response_times(days_by_org: dict) -> list[tuple[str, list[float]]]:
    series = []
    for org, days in (days_by_org or {}).items():
        values = sorted(float(d) for d in (days or []) if _is_number(d))
        if values:
            series.append((org, values))
    # Fastest first (at the top), so the chart reads as a ranking.
    series.sort(key=lambda s: (statistics.median(s[1]), clean(s[0], TABLE_LABEL_MAX)))
    return series


def _chart_times(series, mpl, Figure) -> str:
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
        ax.set_xlim(0, max(top, ONE_MONTH_DAYS + 5) * 1.05)
        ax.axvline(ONE_MONTH_DAYS, color="#D55E00", linestyle="--", linewidth=1.5)
        month = ax.text(ONE_MONTH_DAYS, 1.0, " one month", color="#D55E00",
                        transform=ax.get_xaxis_transform(), ha="left", va="bottom")
        ax.set_xlabel("days from receipt to first answer")
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        _no_math([*ax.get_yticklabels(), month])
        aria = (f"Box plot of days from receipt to first answer for {n} "
                f"organisation{'s' if n != 1 else ''}, with a line at one month; "
                "the figures are in the table that follows.")
        return _svg(fig, "times", aria, mpl)


def _times_table(series) -> str:
    rows = []
    for org, values in series:
        within = sum(1 for v in values if v <= ONE_MONTH_DAYS)
        rows.append(f"<tr><th scope=\"row\"><bdi>{_text(org)}</bdi></th>"
                    f"<td>{len(values)}</td><td>{_fmt_number(values[0])}</td>"
                    f"<td>{_fmt_number(float(statistics.median(values)))}</td>"
                    f"<td>{_fmt_number(values[-1])}</td><td>{within}</td></tr>")
    return ("<details><summary>The figures behind this chart</summary>"
            '<div class="scroll"><table class="chart-data" id="times-data">'
            "<thead><tr><th scope=\"col\">Organisation</th><th scope=\"col\">Answers</th>"
            "<th scope=\"col\">Fastest (days)</th><th scope=\"col\">Median (days)</th>"
            "<th scope=\"col\">Slowest (days)</th>"
            "<th scope=\"col\">Within one month</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div></details>")


def _outcome_counts(outcomes, outcomes_by_sector: dict):
    rows = []
    for sector, counts in (outcomes_by_sector or {}).items():
        counts = counts or {}
        values = [counts.get(o) if _is_number(counts.get(o)) else 0 for o in outcomes]
        rows.append((sector, values))
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
        return _svg(fig, "outcomes", aria, mpl)


def _outcomes_table(outcomes, rows) -> str:
    head = "".join(f'<th scope="col">{_text(o)}</th>' for o in outcomes)
    body = []
    for sector, values in rows:
        total = sum(values)
        cells = "".join(
            f"<td>{v} ({int(v * 100 / total + 0.5)}%)</td>" if total else f"<td>{v}</td>"
            for v in values)
        body.append(f'<tr><th scope="row"><bdi>{_text(sector)}</bdi></th>{cells}</tr>')
    return ("<details><summary>The figures behind this chart</summary>"
            '<div class="scroll"><table class="chart-data" id="outcomes-data">'
            f'<thead><tr><th scope="col">Kind of organisation</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div></details>")


# --- the self-check --------------------------------------------------------------


class _Audit(HTMLParser):
    """Every tag and attribute of the page, as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "img", "link", "base", "form",
                   "frame", "image", "foreignobject"):
            self.problems.append(f"<{tag}> element")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on"):
                self.problems.append(f"event handler {name}")
            if "javascript:" in squeezed or "vbscript:" in squeezed:
                self.problems.append(f"script URL in {name}")
            if name in ("href", "xlink:href", "src", "action", "formaction", "srcset") \
                    and not value.startswith("#"):
                self.problems.append(f"reference in {name}")
            self._urls(value, f"attribute {name}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._urls(data, "style")
            if "@import" in data.lower():
                self.problems.append("@import in style")

    def _urls(self, text, where):
        for url in re.findall(r"(?i)(?:https?:)?//[^\s\"')]+", text):
            if url not in ALLOWED_URLS:
                self.problems.append(f"URL {url} in {where}")
        for target in re.findall(r"(?i)url\(\s*['\"]?([^'\")\s]*)", text):
            if not target.startswith("#"):
                self.problems.append(f"url({target}) in {where}")


def check_page(page: str) -> None:
    """Raise RuntimeError unless the page can run nothing and load nothing."""
    problems = []
    if "<script" in page.lower():
        problems.append("<script")
    audit = _Audit()
    audit.feed(page)
    audit.close()
    problems += audit.problems
    if problems:
        raise RuntimeError("the HTML report failed its safety check: "
                           + "; ".join(sorted(set(problems))))


# --- the page --------------------------------------------------------------------


def as_html(report: dict, extra: str = "") -> str:
    """The campaign report as one HTML5 page that loads nothing and runs nothing.
    `extra`: further sections, already escaped (checked with the rest of the page)."""
    try:
        import matplotlib as mpl
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("the HTML report draws its charts with matplotlib: "
                         "pip install 'sar[charts]'") from None

    title = _text(report.get("title") or "Campaign report")
    as_of_raw = clean(report.get("as_of"), 40)
    as_of = html.escape(as_of_raw, quote=True)
    suppress_below = _suppress_below(report)
    columns = _columns(report)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Belt and braces: even injected markup could neither run nor fetch anything.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{title}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{title}</h1>",
    ]
    if as_of:
        when = (f'<time datetime="{as_of}">{as_of}</time>'
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of_raw) else as_of)
        parts.append(f'<p class="as-of">Figures as of {when}.</p>')
    if suppress_below > 0:
        parts.append(f'<p class="note">Rows counting fewer than {suppress_below} people are '
                     f"left blank ({MISSING}), with as many others as it takes that no blank "
                     "can be worked out from the totals, so that no participant can be "
                     "singled out.</p>")

    parts += ["<h2>By organisation</h2>",
              _table("by-organisation", "Requests by organisation", "Organisation", "org",
                     report.get("by_organisation") or [], columns),
              "<h2>By kind of organisation</h2>",
              _table("by-sector", "Requests by kind of organisation", "Kind of organisation",
                     "sector", report.get("by_sector") or [], columns)]

    parts.append("<h2>How long organisations took to answer</h2>")
    series = _response_times(report.get("days_by_org"))
    if series:
        parts += ["<figure>", _chart_times(series, mpl, Figure),
                  "<figcaption>Days from receipt to first answer, one row per organisation "
                  "(n: answers so far). The box spans the middle half of the answers, the "
                  "thick line is the median and dots are unusually slow or fast answers. "
                  "The dashed line marks one month, the usual deadline.</figcaption>",
                  "</figure>", _times_table(series)]
    else:
        parts.append('<p class="empty">No organisation has answered yet, so there are no '
                     "response times to show.</p>")

    parts.append("<h2>Outcomes by kind of organisation</h2>")
    outcomes = list(report.get("outcomes") or [])
    rows = _outcome_counts(outcomes, report.get("outcomes_by_sector"))
    if rows and outcomes:
        parts += ["<figure>", _chart_outcomes(outcomes, rows, mpl, Figure),
                  "<figcaption>What happened to the requests sent to each kind of "
                  "organisation, as shares of its requests (n: requests).</figcaption>",
                  "</figure>", _outcomes_table(outcomes, rows)]
    else:
        parts.append('<p class="empty">There are no outcomes to show yet: no kind of '
                     "organisation has enough requests to show without singling someone "
                     "out.</p>")

    if extra:
        parts.append(extra)
    parts += ["</main>", "</body>", "</html>", ""]
    page = "\n".join(parts)
    check_page(page)
    return page
