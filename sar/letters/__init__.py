"""Letters: Jinja2 templates rendered to one structure, then to text, email or DOCX.

A template (templates/letters/LANG/FAMILY/KIND.j2) extends its language's
`_base.j2` and fills four sections: subject, salutation, body and closing. The
body is written in the markup of `sar.letters.markup`. Every template renders in
Jinja2's sandbox with StrictUndefined: a missing field is an error naming the
field and the template line, never a blank in a letter.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sar.core import dates
from sar.errors import TemplateError
from sar.letters.markup import Block, parse


def builtin_templates() -> Path:
    """`sar/templates` in an installed wheel, the repository's `templates/` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


# Which template family each regime's letters come from.
FAMILIES = {"uk-gdpr": "gdpr", "eu-gdpr": "gdpr", "ccpa": "ccpa"}

LAW = {
    "uk-gdpr": {
        "name": "UK GDPR", "full": "the UK General Data Protection Regulation",
        "regulator": "the Information Commissioner's Office (ICO)", "regulator_short": "the ICO",
        "uk": True,
    },
    "eu-gdpr": {
        "name": "GDPR", "full": "the General Data Protection Regulation (EU) 2016/679",
        "regulator": "the competent data protection supervisory authority",
        "regulator_short": "the supervisory authority", "uk": False,
    },
    "ccpa": {
        "name": "CCPA", "full": "the California Consumer Privacy Act, as amended by the CPRA",
        "regulator": "the California Privacy Protection Agency",
        "regulator_short": "the California Privacy Protection Agency", "uk": False,
    },
}

SECTIONS = ("subject", "salutation", "body", "closing")
_RENDERING: contextvars.ContextVar[str] = contextvars.ContextVar("letter_lang", default="en")


# Words the layout needs besides the template's own, by language.
LABELS = {
    "en": {"reference": "Reference:", "attention": "Data Protection Officer"},
    "de": {"reference": "Mein Zeichen:", "attention": "Datenschutzbeauftragte/r"},
    "fr": {"reference": "Référence\u00a0:", "attention": "Délégué(e) à la protection des données"},
}


def longdate(value, lang: str = "en") -> str:
    """31 January 2026, in the letter's language."""
    return dates.long(_as_date(value), lang)


def dateline(letter: Letter) -> str:
    """The date line in the letter's own convention: British "2 December 2026";
    German (DIN 5008) "Leeds, 2. Dezember 2026"; French "Leeds, le 2 décembre 2026"."""
    day = longdate(letter.date, letter.lang)
    if not letter.place or letter.lang not in ("de", "fr"):
        return day
    return f"{letter.place}, le {day}" if letter.lang == "fr" else f"{letter.place}, {day}"


def town(address: list[str]) -> str:
    """The sender's town from their address lines: "10115 Berlin" gives Berlin; else
    the last line without a digit ("Leeds" above "LS1 1AA"); "" when none is clear."""
    return _town(tuple(address))


@lru_cache(maxsize=256)
def _town(address: tuple[str, ...]) -> str:
    for line in reversed(address):
        if m := re.fullmatch(r"(?:[A-Z]{1,2}-)?\d{4,5}\s+(\D+)", line.strip()):
            return m.group(1).strip()
        if line.strip() and not re.search(r"\d", line):
            return line.strip()
    return ""


def daydate(value, lang: str = "en") -> str:
    """Monday 2 March 2026, in the letter's language."""
    return dates.with_weekday(_as_date(value), lang)


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


class Fields(dict):
    """A mapping that knows its own name, so a missing field is named in full."""

    def __init__(self, label: str, data: dict):
        super().__init__(data)  # copied in C; only the mappings inside are wrapped
        self.label = label
        for k, v in data.items():
            if isinstance(v, dict):
                self[k] = Fields(f"{label}.{k}", v)


def search_environment(search_path: tuple[str, ...], trusted: bool = False):
    """The Jinja environment over `search_path`. A user's templates run in a bounded
    sandbox; sar's own (`trusted`, nothing else on the path) in a plain environment
    that does not check every attribute and call, and does not look at the files'
    dates again before each letter: they do not change while sar runs."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class NamedUndefined(StrictUndefined):
        @property
        def _undefined_message(self) -> str:
            owner = self._undefined_obj
            if isinstance(owner, Fields):
                return f"field '{owner.label}.{self._undefined_name}' is undefined"
            return f"field '{self._undefined_name}' is undefined"

    from jinja2.exceptions import SecurityError

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        """A user's template may not hang or exhaust sar: ranges, repeated strings and
        lists, and powers are bounded (a letter needs none of them large)."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            if operator == "**" and isinstance(right, int) and abs(right) > 64:
                raise SecurityError("a power over 64")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                            and len(seq) * n > MAX_TEMPLATE_ITEMS:
                        raise SecurityError(f"a repeat of more than {MAX_TEMPLATE_ITEMS:,}")
            return super().call_binop(context, operator, left, right)

    def bounded_range(*args):
        r = range(*args)
        if len(r) > MAX_TEMPLATE_RANGE:
            raise SecurityError(f"a range of more than {MAX_TEMPLATE_RANGE:,}")
        return r

    env = (Environment if trusted else BoundedSandbox)(
        loader=ChoiceLoader([FileSystemLoader(p) for p in search_path]),
        undefined=NamedUndefined, autoescape=False, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, auto_reload=not trusted,
    )
    # The filters write dates in the language of the letter being rendered, also
    # inside imported macros, which do not see the template's variables.
    env.filters["longdate"] = lambda v: longdate(v, _RENDERING.get())
    env.filters["daydate"] = lambda v: daydate(v, _RENDERING.get())
    env.filters["sentence"] = sentence
    env.globals["range"] = bounded_range
    env.globals.pop("lipsum", None)  # filler text has no place in a letter
    return env


# Bounds for a user's templates (sar.letters.search_environment): two nested loops of
# the largest range are a million steps, well under a second.
MAX_TEMPLATE_RANGE = 1_000
MAX_TEMPLATE_ITEMS = 100_000


@lru_cache(maxsize=8)
def environment(user_templates: str | None = None):
    paths = ([user_templates] if user_templates else []) + [str(builtin_templates())]
    return search_environment(tuple(paths), trusted=not user_templates)


def template_name(lang: str, regime: str, kind: str) -> str:
    return f"letters/{lang}/{FAMILIES.get(regime, regime)}/{kind}.j2"


def available(lang: str, regime: str, kind: str, user_templates: Path | None = None) -> bool:
    name = template_name(lang, regime, kind)
    roots = ([user_templates] if user_templates else []) + [builtin_templates()]
    return any((root / name).is_file() for root in roots)


@dataclass
class Letter:
    """A rendered letter, ready for any output format."""

    ref: str
    kind: str
    date: dt.date
    sender: list[str]
    recipient: list[str]
    subject: str
    salutation: str
    body: list[Block]
    closing: str
    signature: list[str]
    lang: str = "en"
    due: dt.date | None = None
    meta: dict = field(default_factory=dict)
    place: str = ""  # the sender's town, for the German and French date line


def render(context: dict, *, lang: str, regime: str, kind: str,
           user_templates: Path | None = None) -> dict[str, str]:
    """The four sections of a letter as rendered markup text."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    env = environment(str(user_templates) if user_templates else None)
    name = template_name(lang, regime, kind)
    try:
        template = env.get_template(name)
        token = _RENDERING.set(lang)
        try:
            try:
                text = template.render(lang=lang, **context)
            except UndefinedError:
                # Again with every mapping knowing its name, so the error names the
                # field in full ('org.email'); a letter that renders needs no names.
                text = template.render(lang=lang, **{
                    k: Fields(k, v) if isinstance(v, dict) else v for k, v in context.items()})
        finally:
            _RENDERING.reset(token)
    except TemplateNotFound:
        raise TemplateError(f"no {kind} letter for {regime} in language {lang!r} "
                            f"(looked for {name})") from None
    except TemplateSyntaxError as e:
        raise TemplateError(f"template {e.name or name} line {e.lineno}: {e.message}") from None
    except UndefinedError as e:
        where = _template_line(sys.exc_info()[2], name)
        raise TemplateError(f"template {where}: {e.message}") from None
    except SecurityError as e:
        where = _template_line(sys.exc_info()[2], name)
        raise TemplateError(f"template {where} tried something unsafe: {e}") from None
    except (OverflowError, MemoryError, RecursionError, TypeError, ValueError,
            ZeroDivisionError) as e:
        # A user's template that breaks in any other way: one line, not a traceback.
        where = _template_line(sys.exc_info()[2], name)
        raise TemplateError(f"template {where}: {type(e).__name__}: {e}") from None
    return split_sections(text, name)


# What str.splitlines takes as a line end besides "\n".
_OTHER_LINE_ENDS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def split_sections(text: str, name: str) -> dict[str, str]:
    """The sections of a rendered template ("@@body" on a line of its own starts
    one), each stripped; a section named twice is the later one. Only the "@@" are
    looked for and the text between them sliced out whole (a letter is some hundred
    lines); a text with other line ends (str.splitlines') is first given "\\n" ones."""
    if any(c in text for c in _OTHER_LINE_ENDS):
        text = "\n".join(text.splitlines())  # the same lines, each ended by "\n"
    sections: dict[str, str] = {}
    current, start = None, 0
    at = text.find("@")  # one character: found at the speed of memchr
    while at >= 0:
        if text.startswith("@@", at) and (at == 0 or text[at - 1] == "\n"):
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            section = text[at + 2:end].strip()
            if section in SECTIONS:
                if current is not None:
                    sections[current] = text[start:at].strip()
                current, start = section, end
        at = text.find("@", at + 1)
    if current is not None:
        sections[current] = text[start:].strip()
    missing = [s for s in SECTIONS if s not in sections]
    if missing:
        raise TemplateError(f"template {name} has no {', '.join(missing)} section "
                            "(does it extend _base.j2?)")
    return sections


def _template_line(tb, fallback: str) -> str:
    """'letters/en/gdpr/access.j2 line 12' from a Jinja-rewritten traceback."""
    found = fallback
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            root = str(builtin_templates())
            shown = filename[len(root) + 1:] if filename.startswith(root) else filename
            found = f"{shown} line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


@lru_cache(maxsize=1024)
def _same_name(line: str) -> str:
    """A recipient line as compared for repeats: "Equifax Limited" is "Equifax Ltd"."""
    words = line.casefold().replace("limited", "ltd").replace(".", "").split()
    while words and words[-1] in ("ltd", "plc", "inc", "gmbh", "sa", "sas", "llc"):
        words.pop()
    return " ".join(words)


def sentence(text) -> str:
    """The user's own words (--details) as a sentence in the letter: a full stop added
    when they end without one, so the next sentence does not run on."""
    text = str(text).strip()
    return text if not text or text[-1] in ".!?…»\"“”)" else text + "."


def build(context: dict, *, lang: str, regime: str, kind: str,
          user_templates: Path | None = None) -> Letter:
    """Render the templates for a request and lay the letter out."""
    sections = render(context, lang=lang, regime=regime, kind=kind,
                      user_templates=user_templates)
    req, me, org = context["request"], context["requester"], context["org"]
    sender = [me["name"], *me["address"], me["email"]]
    labels = LABELS.get(lang, LABELS["en"])
    # A record's own addressee ('HQ Data Protection Team') is English: used in
    # English letters only.
    # A complaint names its addressee in the letter's language (`addressee`) and its
    # authority's postal address (`full_address`), whatever the request's channel.
    attention = (org.get("addressee") or (org.get("attention") if lang == "en" else None)
                 or labels["attention"])
    if regime == "ccpa" and attention == LABELS["en"]["attention"]:
        # The CCPA knows no data protection officer: requests go to the business's
        # designated methods (Cal. Civ. Code 1798.130(a)(1)); the letter greets the
        # privacy team, so it is addressed to it too.
        attention = "Privacy Team"
    recipient = [attention, org["name"]]
    # The postal address whenever it is known, so any letter (an emailed one too) can
    # be printed and posted as it stands; many addresses start with the organisation's
    # name: print it once.
    recipient += [line for line in org.get("address") or []
                  if _same_name(line) not in (_same_name(r) for r in recipient)]
    if not (req.get("channel") == "post" or not org.get("email") or org.get("full_address")):
        recipient.append(org["email"])
    signature = [me["name"]]
    return Letter(
        ref=req["ref"], kind=kind, date=_as_date(req["date"]), sender=sender,
        recipient=recipient, subject=" ".join(sections["subject"].split()),
        salutation=sections["salutation"], body=parse(sections["body"]),
        closing=sections["closing"], signature=signature, lang=lang,
        due=_as_date(req["due"]) if req.get("due") else None, place=town(me["address"]),
    )
