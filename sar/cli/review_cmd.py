"""`sar review`: the answer read against Art. 15, item by item."""

from typing import Annotated

import typer

from sar.cli import output
from sar.cli.root import app, workspace

_MARK = {"answered": "+", "partial": "~", "missing": "-"}


@app.command(rich_help_panel="Requests")
def review(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The request's reference.")],
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="ITEM=STATUS", help="Overrule an item (answered, partial or missing), e.g. --set recipients=answered; repeatable.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read the answer against Art. 15: what it gave and what it lacks.

    Each Art. 15 item answered, partial or missing, with the sentence or column that
    shows it, and the sources, recipients, special-category data and segments it
    reveals. Stored; `--set` overrules an item.
    """
    ws = workspace()
    r = ws.reviews.overrule(ref, set_) if set_ else ws.reviews.run(ref)
    if json_:
        output.emit_json(r)
        return
    typer.echo(f"{r['ref']}: {r['summary']['text']}  (rules {r['rules']})")
    for item, v in r["items"].items():
        mark = _MARK[v["status"]]
        by = f" (overruled; the rules said {v['found']})" if v.get("overruled") else ""
        typer.echo(f"  {mark} {item:<20} {v['status']}{by}")
        if v["status"] != "answered" and v.get("reason") and not v.get("overruled"):
            typer.echo(f"      {v['reason']}")
        for e in v["evidence"][:1]:
            where = ", ".join(x for x in (e.get("file"), e.get("where")) if x)
            typer.echo(f"      \u201c{output.clean(e['text'][:110])}\u201d"
                       + (f" [{output.clean(where)}]" if where else ""))
    for key, title in (("sources", "Sources named"), ("recipients", "Recipients named"),
                       ("special_category", "Special-category or inferred data"),
                       ("segments", "Segments and scores")):
        if r[key]:
            typer.echo(f"{title}: {output.clean('; '.join(r[key][:20]))}")
    if r["segments"] and not r.get("segments_key"):
        typer.echo("  no key to these codes and scores was given")
    for f in r["files"]:
        if not f["readable"]:
            typer.echo(f"! {output.clean(f['file'])}: {f['note']}")
    if not r["summary"]["complete"]:
        typer.echo(f"\nNext: `sar letter {r['ref']} --follow-up incomplete` asks for the rest; "
                   f"`sar send {r['ref']} --follow-up incomplete` sends it")
