"""The root of the `sar` command: the Typer app every command module registers on,
its group class (a SarError is one line on stderr), the global `--home` and
`workspace()`, which commands call to reach sar.workspace.

Command modules import from here, never from the `sar.cli` package, which only
assembles them; so there is no import cycle between the package and its modules.
Only typer, the standard library and sar's light modules are imported here.
"""

import os
from typing import Annotated

import typer

from sar.cli import coercion
from sar.cli.helptext import PanelGroup
from sar.errors import SarError


class _State:
    def __init__(self):
        self.home: str | None = None
        # Warnings about the home (a setting not valid), said once the command has
        # done its work; a command that fails says only its error, on its one line.
        self.warnings: list[str] = []


state = _State()


class SarGroup(PanelGroup):
    """Turns SarError into one line on stderr and exit status 1, reads text
    parameters without pydantic (sar.cli.coercion) and lists its commands in panels
    (sar.cli.helptext)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Typer builds the subcommands first, so the whole tree is here.
        coercion.install(self)

    def get_params(self, ctx):
        # Typer adds --install-completion and --show-completion after the group is
        # made: read them without pydantic too (else every command would import it).
        params = super().get_params(ctx)
        for param in params:
            coercion.plain(param)
        return params

    def invoke(self, ctx):
        state.warnings, ok = [], False
        try:
            result = self._run(ctx)
            ok = True
            return result
        except typer.Exit as e:
            ok = e.exit_code == 0
            raise
        finally:  # the warnings gathered, after the output of a command that worked
            warnings, state.warnings = state.warnings, []
            for line in warnings if ok else ():
                typer.echo(line, err=True)

    def _run(self, ctx):
        try:
            return super().invoke(ctx)
        except SarError as e:
            if os.environ.get("SAR_DEBUG"):
                raise
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            # Ctrl-C: every change is a transaction, so none is half made.
            typer.echo("\nInterrupted.", err=True)
            raise typer.Exit(130) from None
        except typer.Abort as e:
            # A prompt got no answer: Ctrl-C at the prompt, or the end of the input.
            if isinstance(e.__context__, KeyboardInterrupt):
                typer.echo("\nInterrupted.", err=True)
                raise typer.Exit(130) from None
            typer.echo("\nError: no answer was given; nothing was changed", err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader went away (`sar list | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            raise typer.Exit(1) from None
        except OSError as e:
            if os.environ.get("SAR_DEBUG"):
                raise
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            typer.echo(f"Error: {e.strerror or e}{where}", err=True)
            raise typer.Exit(1) from None
        except Exception as e:
            # sqlite3 is not imported at start-up, so its errors are recognised by
            # module: a locked or damaged database is one line, not a traceback.
            if type(e).__module__ not in ("sqlite3", "sqlcipher3.dbapi2") or \
                    os.environ.get("SAR_DEBUG"):
                raise
            if "readonly database" in str(e):  # sar.store.db: a read-only home
                typer.echo("Error: the sar home is read-only: it can be looked at (status, "
                           "list, show, report, export), not changed", err=True)
                raise typer.Exit(1) from None
            typer.echo(f"Error: the database could not be used: {e}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=SarGroup,
    name="sar",
    help="Write, send and track data-protection requests: subject access, erasure and "
         "follow-ups, with every statutory deadline.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (docs/guide.md)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from sar import __version__

        typer.echo(f"sar {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    home: Annotated[str | None, typer.Option(
        "--home", help="Keep all state in this folder (default: $SAR_HOME, else the "
                       "platform's user data folder).", metavar="DIR")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    state.home = home
    # Everything sar writes is personal data: private to this user (and to any
    # library it calls, such as mailbox or sqlite3, that creates files itself).
    os.umask(0o077)


def workspace(today=None):
    """The home the command works on; a note about the home (a long recompute coming)
    goes to stderr."""
    from sar.workspace import Workspace

    ws = Workspace(state.home, today=today)
    ws.notice = lambda text: typer.echo(text, err=True)  # work about to take a while
    ws.warn = lambda text: state.warnings.append(f"Warning: {text}")
    return ws
