"""`sar demo`: the whole job in a throwaway home."""

from __future__ import annotations

from typing import Annotated

import typer

from sar.cli import app, state


@app.command()
def demo(
    home: Annotated[str | None, typer.Option(
        "--home", metavar="DIR", help="Keep the demo's files here (default: a new temporary folder).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the final board as JSON.")] = False,
) -> None:
    """Show sar at work in a throwaway home: letters to UK parties and Experian, sent,
    answered (or not), and the board two months on."""
    from sar.demo import run_demo

    target = home or state.home
    run_demo(target, echo=None if json_ else typer.echo, as_json=json_)
