"""Attachments: what the organisation sent, listed and written back out."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace


@app.command(rich_help_panel="Mail")
def attachments(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")],
    save: Annotated[str | None, typer.Option("--save", metavar="DIR", help="Write every attachment into DIR (made if missing; never over a file there, never inside the sar home).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The files the organisation attached to its replies: your data, as they sent it."""
    from sar import attachments as att

    ws = workspace()
    row = ws.queries.find(ref)
    items = att.save(ws, row, save) if save else att.listed(ws, row)
    if json_:
        output.emit_json(items)
        return
    if not items:
        typer.echo(f"{row['ref']}: no attachments in the replies so far")
        return
    for a in items:
        where = f"  -> {a['path']}" if save else ""
        # The name and type come from the sender: cleaned of terminal escapes.
        typer.echo(f"#{a['message']}  {output.clean(a['name'])}  "
                   f"{output.clean(a['content_type'] or '')}  {_size(a['size'])}  "
                   f"{a['sha256'][:12]}{where}")
    if save:
        typer.echo(f"{len(items)} file{'s' if len(items) != 1 else ''} written to {save}")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MB"  # pragma: no cover
