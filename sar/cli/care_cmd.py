"""Looking after the home: doctor and backup."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command(rich_help_panel="Care")
def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="Make files private again and recompute cached statuses.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Check the home for problems; exit 1 if anything is wrong.

    Permissions, database integrity, the event log's hash chain, evidence, cached
    statuses, letters of unknown fate.
    """
    from sar.doctor import check

    report = check(workspace(), fix=fix)
    if json_:
        output.emit_json(report.as_dict())
    else:
        for line in report.fixed:
            typer.echo(f"fixed: {line}")
        for line in report.problems:
            typer.echo(f"problem: {line}")
        for line in report.notes:
            typer.echo(f"note: {line}")
        checked = ", ".join(f"{n:,} {what}" for what, n in report.checked.items())
        typer.echo(("All well" if not report.problems else
                    f"{len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}")
                   + (f" ({checked} checked)." if checked else "."))
    if report.problems:
        raise typer.Exit(1)


@app.command(rich_help_panel="Care")
def backup(
    out: Annotated[str, typer.Option("--output", "-o", metavar="FILE.tar.gz", help="Where to write the backup (outside the home).")],
    json_: JsonOpt = False,
) -> None:
    """A consistent copy of the home, taken while sar runs.

    The database, config, your own records and templates, and every evidence file.
    """
    from sar.doctor import backup as take

    result = take(workspace(), out)
    if json_:
        output.emit_json(result)
    else:
        typer.echo(f"{result['backup']}: {result['files']} files, {result['bytes']:,} bytes")
    if result["missing_evidence"]:
        typer.echo(f"Warning: {result['missing_evidence']} evidence files named in the log "
                   "were missing and are not in the backup: run `sar doctor`", err=True)
