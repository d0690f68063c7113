"""Formatting for the terminal: JSON for scripts, tables for people.

Rich is imported only when stdout is a terminal; piped output is plain text
with aligned columns, so `sar list | grep` works and start-up stays fast.
"""

import sys

import typer

STATUS_STYLE = {
    "overdue": "bold red", "draft": "dim", "sent": "cyan", "acknowledged": "cyan",
    "extended": "yellow", "awaiting-id": "yellow", "awaiting-clarification": "yellow",
    "awaiting-fee": "yellow", "fulfilled": "green", "partially-fulfilled": "yellow",
    "no-data-held": "green", "refused": "red", "bounced": "red", "withdrawn": "dim",
    "escalated": "magenta", "send-unknown": "bold yellow",
}


def emit_json(data) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def is_terminal() -> bool:
    return sys.stdout.isatty()


def width() -> int:
    """The terminal's width ($COLUMNS first; 80 when there is no terminal)."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """`text` wrapped to the terminal at spaces only: never inside a word, an email
    address, a hyphenated name or a `command` to copy. `hang` indents the lines
    after the first."""
    import re
    import textwrap

    # A command in backticks is kept on one line: its spaces are not break points.
    kept = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", "\0"), text)
    return textwrap.fill(kept, width=max(width(), 20), initial_indent=indent,
                         subsequent_indent=indent if hang is None else hang,
                         break_long_words=False, break_on_hyphens=False).replace("\0", " ")


def say(text: str, indent: str = "", hang: str | None = None) -> None:
    """Print one paragraph, wrapped to the terminal."""
    typer.echo(wrap(text, indent, hang))


def heading(text: str) -> str:
    """A heading: bold on a terminal (typer.echo drops the style when piped)."""
    return typer.style(text, bold=True)


def styled_status(status: str) -> str:
    colour = STATUS_STYLE.get(status, "")
    return typer.style(status, bold="bold" in colour,
                       fg=colour.split()[-1] if colour and colour != "dim" else None,
                       dim=colour == "dim")


def table(rows: list[dict], columns: list[tuple[str, str]], *, title: str | None = None,
          keep: tuple[str, ...] = (), align: list[dict] | None = None) -> None:
    """Print rows; columns are (key, heading). On a terminal a table sized to it, the
    cells wrapped at spaces; the `keep` columns (references, addresses) never broken.
    Piped: plain text in aligned columns, one row a line. Tables printed one after
    another line up when each is given all their rows as `align` (and, on a
    terminal, they fit side by side unwrapped)."""
    if not rows:
        return
    text = [["" if r.get(k) is None else str(r.get(k)) for k, _ in columns] for r in rows]
    every = [[h for _, h in columns]] + text + [
        ["" if r.get(k) is None else str(r.get(k)) for k, _ in columns] for r in align or ()]
    natural = [max(len(c[i]) for c in every) for i in range(len(columns))]
    # The last column may wrap: the others line up when they fit beside its start.
    fixed = align is not None and \
        sum(natural[:-1]) + min(natural[-1], 12) + 2 * (len(columns) - 1) <= width()
    if is_terminal():
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title, title_justify="left", title_style="bold", header_style="bold",
                  box=None, pad_edge=False)
        for i, (key, heading_) in enumerate(columns):
            kept = key in keep or key in ("ref", "status", "due")
            longest = max(len(w) for c in text for w in c[i].split() or [""])
            least = max(len(c[i]) for c in text) if kept else min(longest, 16)
            t.add_column(heading_, no_wrap=kept, overflow="fold" if not kept else "ellipsis",
                         min_width=natural[i] if fixed and i < len(columns) - 1 else least)
        for row in text:
            cells = []
            for (key, _), value in zip(columns, row, strict=True):
                style = STATUS_STYLE.get(value) if key == "status" else None
                value = value.replace("[", r"\[")
                cells.append(f"[{style}]{value}[/]" if style else value)
            t.add_row(*cells)
        Console(width=width()).print(t)
        return
    if title:
        typer.echo(title)
    cells = [[heading_.upper() for _, heading_ in columns]] + text
    # One write, however many rows (`sar due` can list tens of thousands).
    typer.echo("\n".join("  ".join(c.ljust(w) for c, w in zip(row, natural, strict=True))
                         .rstrip() for row in cells))


def org_names(ws, rows: list[dict]) -> dict[str, str]:
    """slug -> the organisation's name, for the rows a person reads (a slug the
    directory no longer knows stays a slug)."""
    slugs = {r["org"] for r in rows}
    if not slugs:
        return {}
    return ws.directory.names(slugs)


def days_text(days_left: int | None, status: str) -> str:
    if days_left is None:
        return ""
    from sar.core.lifecycle import CLOSED

    if status in CLOSED:
        return ""
    if days_left < 0:
        return f"{-days_left}d overdue"
    if days_left == 0:
        return "due today"
    return f"{days_left}d left"


def board_row(r: dict) -> dict:
    """A request as the board's text shows it: an answer the review found incomplete
    shows as such, with what it lacks."""
    if r.get("answer"):
        gaps = r["answer_gaps"]
        return {**r, "status": r["answer"],
                "when": f"lacks {', '.join(g.replace('_', ' ') for g in gaps[:3])}{', ...' if len(gaps) > 3 else ''}"}
    return {**r, "when": days_text(r["days_left"], r["status"])}


class _Progress:
    """A progress bar on stderr ("sending 120/400 SAR-XXXX"), so a log redirected
    from stdout holds only the results; made only when stderr is a terminal."""

    def __init__(self, what: str = "sending"):
        self.what = what
        self.bar = None
        self.task = None

    def __call__(self, done: int, total: int | None, ref: str = "") -> None:
        """`total` None: not known in advance (a campaign's overdue requests)."""
        if total is not None and total < 2:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TimeRemainingColumn(),
                                TextColumn("{task.fields[ref]}"),
                                transient=True, console=Console(stderr=True),
                                # What the command prints stays on stdout, never
                                # drawn into the bar's stream.
                                redirect_stdout=False, redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task(self.what, total=total, ref="")
        self.bar.update(self.task, completed=done, ref=ref)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class shown_progress:
    """`with shown_progress("reviewing", off=json_) as progress:` a bar (or None),
    closed however the job ends."""

    def __init__(self, what: str = "sending", off: bool = False):
        self.bar = None if off else progress_bar(what)

    def __enter__(self):
        return self.bar

    def __exit__(self, *_):
        if self.bar is not None:
            self.bar.close()


def progress_bar(what: str = "sending"):
    """A bar for a long job, or None when stderr is not a terminal (silent)."""
    return _Progress(what) if sys.stderr.isatty() else None


def sent_line(ws, sent: str = "sent"):
    """A result as a person reads it: "sent SAR-XXXX to Org Name <address>", not the
    transport's receipt (a Maildir file name, a server's reply), which --json keeps."""
    def line(r) -> str:
        if r.status == "sent" and not r.detail.startswith(("posted", "confirmed")):
            from sar.errors import SarError

            try:
                org = ws.queries.org_record(ws.queries.find(r.ref))
            except SarError:  # a line to print, never a reason to fail
                org = {}
            if org.get("email"):
                return f"{sent} {r.ref} to {clean(org.get('name'))} <{org['email']}>"
        return f"{r.status} {r.ref}" + (f": {clean(r.detail)}" if r.detail else "")
    return line


def run_batch(batch, json_: bool, empty: str, line=None):
    """Run a sending batch (`batch(progress)`) with a progress bar, print one line per
    letter (`line(result)`) or JSON, and exit 1 if any failed or is of unknown fate."""
    progress = None if json_ else progress_bar()
    try:
        results = batch(progress)
    finally:
        if progress:
            progress.close()
    if json_:
        emit_json([r.as_dict() for r in results])
    else:
        if not results:
            typer.echo(empty)
        for r in results:
            say(line(r) if line else f"{r.status} {r.ref}" +
                (f": {clean(r.detail)}" if r.detail else ""), hang="  ")
    if getattr(results, "interrupted", False):
        interrupted(sum(r.status == "sent" for r in results))
    if any(r.status in ("failed", "unknown") for r in results):
        raise typer.Exit(1)


def interrupted(sent: int) -> None:
    """Ctrl-C stopped a batch cleanly: say so and exit 130, as for any interruption."""
    typer.echo(f"Interrupted: {sent} sent; the rest were not sent (the same command "
               "sends them)", err=True)
    raise typer.Exit(130)


def parse_rate(value: str | None, option: str = "--rate") -> float | None:
    """'30/min', '2/s', '100/h' -> messages per second (one parser for every --rate)."""
    if value is None:
        return None
    import re

    from sar.errors import UsageError

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|min|h|hour)\s*", value)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"{option} {value!r}: expected a number per s, min or h, like 30/min")
    return float(m.group(1)) / {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600}[m.group(2)]


def clean(text) -> str:
    """Text from someone else's email, safe to print: control characters (a
    terminal's escape sequences among them) become '?'."""
    if text is None:
        return ""
    return "".join(c if c.isprintable() or c == " " else "?" for c in str(text))


def clean_all(data):
    """`clean` applied to every string in a structure of dicts and lists."""
    if isinstance(data, str):
        return clean(data)
    if isinstance(data, dict):
        return {k: clean_all(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [clean_all(v) for v in data]
    return data


def deliver(text: str, out: str | None, summary: str, *, terminal_safe: bool = False) -> None:
    """Print a document, or write it (private) to `out` and print `summary`. With
    `terminal_safe`, names from records and mail lose escape sequences on screen."""
    if out is None:
        if terminal_safe:
            text = "\n".join(clean(line) for line in text.split("\n"))
        typer.echo(text, nl=False)
        return
    from sar.files import write_private

    write_private(check_output_path(out), text.encode())
    typer.echo(f"{out}: {summary}")


def check_output_path(out: str):
    """Where -o FILE may go: a file (not a folder) in a folder that exists, and none
    of the home's own files, which a report written over them would destroy."""
    from pathlib import Path

    from sar.cli.root import state
    from sar.errors import UsageError
    from sar.home import resolve

    if not str(out).strip():
        raise UsageError("-o needs a file name")
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"cannot write {out}: it is a folder")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {out}: its folder does not exist")
    home = resolve(state.home).resolve()
    target = path.resolve()
    if home in target.parents:
        # The database, the profile, the evidence, the outbox, your records: a file
        # written over any of them would destroy it. A file of your own beside them
        # is yours to write.
        first = target.relative_to(home).parts[0]
        if first in _HOME_FOLDERS or first.startswith(_HOME_FILES):
            raise UsageError(f"cannot write {out}: it is one of sar's own files in the "
                             f"sar home ({home}); choose a file of your own")
    return path


# What the home holds of sar's own (sar.home.Home): never an output path.
_HOME_FOLDERS = ("evidence", "outbox", "orgs", "templates", "campaigns", "letters", "inbox")
_HOME_FILES = ("sar.db", "config.toml", "crypto.json", "groups.toml", ".send.lock")
