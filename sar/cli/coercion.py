"""Parameters read without pydantic, where pydantic would add nothing.

Typer coerces every parameter value (bar a bool flag's own True or False) through
a pydantic TypeAdapter, which it builds the first time the parameter is processed,
even for an absent value, which it then returns as it is. So every command, even
`sar status`, whose options all default to None, imported pydantic (about 0.2 s):
the first was the --help option itself, processed with no value. Nearly all of
sar's parameters are text (`str`, `str | None`, `list[str]`, with no parser of
their own), and for text the adapter returns the text as it was given.

So every parameter gets a coercion that answers, as Typer's does, None (or () for
one that takes many values) for an absent value and the text itself for a text
parameter given text, and hands anything else to Typer's own: a path, a parser, a
value that is not text. A whole number (`--limit 20`, `--alarm`'s default 3) is
answered too when it is plain digits within the parameter's bounds; anything else
(a sign, a space, a value out of bounds and its message) is Typer's.
tests/test_startup.py checks the answers against Typer's own coercion.
"""

import re
from typing import get_args, get_origin

_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")


class PlainCoercion:
    """Typer's coercion of one parameter, for an absent value or (`text`) a text one."""

    def __init__(self, text: str | None, typers_own, bounds: tuple = (None, None)):
        self.text = text                # "one": str; "many": list[str]; "int"; None: other
        self.typers_own = typers_own    # the parameter's own get_runtime_param
        self.bounds = bounds            # an "int" one's (min, max), None for none

    def get(self) -> "PlainCoercion":
        return self

    def coerce(self, value, param, ctx):
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        if self.text == "many" and multiple and isinstance(value, (list, tuple)) \
                and all(type(v) is str for v in value):
            return list(value)
        if self.text == "one" and not multiple and type(value) is str:
            return value
        if self.text == "int" and not multiple:
            number = value if type(value) is int else \
                int(value) if type(value) is str and _DIGITS.fullmatch(value) else None
            low, high = self.bounds
            if number is not None and (low is None or number >= low) and \
                    (high is None or number <= high):
                return number
        return self.typers_own().coerce(value, param=param, ctx=ctx)


def text_kind(descriptor) -> str | None:
    """"one" for a `str` parameter, "many" for `list[str]`, "int" for an `int` one
    (not clamped), None for any other or one with a parser of its own."""
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None or descriptor.file_annotation is not None:
        return None
    annotation = descriptor.annotation
    if annotation is str:
        return "one"
    if annotation is int and not getattr(info, "clamp", False):
        return "int"
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return "many"
    return None


def install(command) -> None:
    """Give every parameter of `command` and of all its subcommands the plain
    coercion, with the parameter's own behind it; and the --help option too, which
    Typer makes only when a command is first parsed. A parameter that is not Typer's
    (no type descriptor, no get_runtime_param) is left as it is."""
    for param in getattr(command, "params", ()):
        plain(param)
    make_help_option = getattr(command, "get_help_option", None)
    if callable(make_help_option):
        def get_help_option(ctx):
            option = make_help_option(ctx)
            if option is not None:
                plain(option)
            return option

        command.get_help_option = get_help_option
    for sub in (getattr(command, "commands", None) or {}).values():
        install(sub)


def plain(param) -> None:
    """Put the plain coercion in front of one parameter's own (once)."""
    descriptor = getattr(param, "type_descriptor", None)
    own = getattr(param, "get_runtime_param", None)
    if descriptor is not None and callable(own) and \
            not isinstance(getattr(own, "__self__", None), PlainCoercion):
        info = descriptor.parameter_info
        bounds = (getattr(info, "min", None), getattr(info, "max", None))
        param.get_runtime_param = PlainCoercion(text_kind(descriptor), own, bounds).get
