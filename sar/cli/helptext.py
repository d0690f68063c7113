"""`--help` as a person reads it: commands in panels, each with its whole first
paragraph (wrapped, never cut with "..."), and arguments shown by their metavar
(REF...), not by a Python type (REF <list[str]>).

Typer draws panels (`rich_help_panel`) only in its rich help, which imports and
lays out rich on every `sar --help` (twice the start-up of the plain one); so the
panels are read here and drawn with Click's own plain formatter.
"""

from typer.core import TyperGroup

DEFAULT_PANEL = "Commands"
# The order `sar --help` shows its panels in; a panel not named here comes after.
PANELS = ("Requests", "Mail", "Tracking", "Campaigns", "Directory", "Care")


def summary(command) -> str:
    """A command's first paragraph, whole: the line `--help` lists it by."""
    text = (command.short_help or command.help or "").strip()
    first = text.split("\n\n", 1)[0]
    return " ".join(first.split())


class PanelGroup(TyperGroup):
    """A group whose command list is split into its commands' help panels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        install(self)

    def format_commands(self, ctx, formatter) -> None:
        panels: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            panel = getattr(cmd, "rich_help_panel", None) or DEFAULT_PANEL
            panels.setdefault(panel, []).append((name, summary(cmd)))
        order = {name: i for i, name in enumerate(PANELS)}
        for panel, rows in sorted(panels.items(), key=lambda p: order.get(p[0], len(order))):
            with formatter.section(panel):
                formatter.write_dl(rows)


def install(command) -> None:
    """Show every argument of `command` and of its subcommands by its metavar."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument" and param.metavar:
            _by_metavar(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        install(sub)


def _by_metavar(param) -> None:
    own = param.get_help_record
    if getattr(own, "by_metavar", False):
        return
    many = param.nargs != 1 and not param.metavar.endswith("...")
    shown = param.metavar + ("..." if many else "")

    def get_help_record(ctx):
        record = own(ctx)
        return None if record is None else (shown, record[1])

    get_help_record.by_metavar = True
    param.get_help_record = get_help_record
