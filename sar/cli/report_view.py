"""`sar report` in the terminal: tables with human column names that fit the width.

Eleven figures do not fit 80 columns beside a name, so each grouping is two tables:
what happened to the requests, and how they were answered. Rich draws them when
stdout is a terminal (imported only then); piped, they are plain aligned text, with
names shortened ("…") so that no line is wider than the terminal ($COLUMNS).
"""

from __future__ import annotations

import shutil
import textwrap

from sar import report as rep

MISSING = "\u2014"
GAP = 2
# (key, heading): headings break onto two lines where that saves width.
TABLES = (
    ("Requests", (("requests", "Requests"), ("bounced", "Bounced"),
                  ("acknowledged", "Acknowledged"), ("id_demanded", "ID\ndemanded"),
                  ("extended", "Extended"))),
    ("Answers", (("answered", "Answered"), ("on_time", "On\ntime"),
                 ("refused", "Refused"), ("overdue_now", "Overdue\nnow"),
                 ("median_days", "Median\ndays"), ("p90_days", "90th pct\ndays"))),
)
GROUPS = (("By organisation", "org", "by_organisation", "Organisation"),
          ("By kind of organisation", "sector", "by_sector", "Kind"))


def width() -> int:
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _rows(data: dict, key: str, rows: list[dict], columns) -> list[list[str]]:
    out = []
    for r in rows:
        cells = [MISSING if r.get("suppressed") else rep.cell(c, r.get(c)) for c, _ in columns]
        out.append([rep.label(data, key, r[key]), *cells])
    return out


def plain_table(title: str, first: str, columns, rows: list[list[str]], limit: int) -> list[str]:
    """Aligned text no wider than `limit`: numbers right, the name shortened to fit."""
    heads = [first.split("\n"), *(h.split("\n") for _, h in columns)]
    depth = max(len(h) for h in heads)
    heads = [[""] * (depth - len(h)) + h for h in heads]
    widths = [max([len(x) for x in heads[i]] + [len(r[i]) for r in rows])
              for i in range(len(heads))]
    room = limit - sum(widths[1:]) - GAP * (len(widths) - 1)
    widths[0] = max(8, min(widths[0], room))

    def line(cells):
        name = cells[0] if len(cells[0]) <= widths[0] else cells[0][:widths[0] - 1] + "\u2026"
        parts = [name.ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:],
                                                                      strict=True)]
        return (" " * GAP).join(parts).rstrip()

    out = [title]
    out += [line([h[i] for h in heads]) for i in range(depth)]
    out.append("-" * min(limit, sum(widths) + GAP * (len(widths) - 1)))
    out += [line(r) for r in rows]
    return out


def text_lines(data: dict, limit: int) -> list[str]:
    """The whole report as plain lines of at most `limit` characters."""
    lines = textwrap.wrap(rep.headline(data), limit) + [""]
    for title, key, rows_key, first in GROUPS:
        for part, columns in TABLES:
            lines += plain_table(f"{title}: {part.lower()}", first, columns,
                                 _rows(data, key, data[rows_key], columns), limit) + [""]
    return lines + _notes(data, limit)


def _notes(data: dict, limit: int) -> list[str]:
    notes = [rep.hidden_note(data) or "",
             "Days: from sending to the first answer. On time: answered, not refused, by "
             "the deadline as it then stood. Definitions: sar report --format md."]
    return [line for n in notes if n for line in textwrap.wrap(n, limit)]


def show(data: dict, terminal: bool) -> None:
    """Print the report: rich tables on a terminal, plain aligned text when piped."""
    limit = width()
    if not terminal:
        import typer

        from sar.cli.output import clean

        for line in text_lines(data, limit):
            typer.echo(clean(line))
        return
    from rich.console import Console

    print_rich(data, Console(width=limit))


def print_rich(data: dict, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from sar.cli.output import clean

    console.print(escape(clean(rep.headline(data))))
    console.print()
    for title, key, rows_key, first in GROUPS:
        for part, columns in TABLES:
            t = Table(title=f"{title}: {part.lower()}", title_justify="left",
                      header_style="bold", box=None, pad_edge=False, padding=(0, 1))
            t.add_column(first, overflow="fold", ratio=1)
            for _, heading in columns:
                t.add_column(heading, justify="right", no_wrap=True)
            rows = _rows(data, key, data[rows_key], columns)
            for i, row in enumerate(rows):
                total = i == len(rows) - 1  # "All", set off and bold
                t.add_row(escape(clean(row[0])), *row[1:], style="bold" if total else None,
                          end_section=i == len(rows) - 2)
            console.print(t)
            console.print()
    for line in _notes(data, console.width):
        console.print(escape(line))
