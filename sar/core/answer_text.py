"""An answer cut into what the review rules read: sentences and table rows, each
with its file, page or sheet, the heading it sits under, and whether it belongs to
a pasted or attached privacy notice.

Pure (used by `sar.core.review`). The reply's own words only: what it quotes of
the requester's letter is dropped (`classify.own_text`), but a ruled line that
frames a pasted privacy notice is kept as a break, not taken for a quotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sar.core.classify import own_text, sentences


def rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(patterns), re.IGNORECASE)


# The topic of a sentence or heading: what it is about, before it is judged.
TOPICS = {
    "purposes": rx(r"\bpurpose", r"\bwhy we (use|hold|process)", r"\bwe use (this|your|the|"
                    r"personal)? ?(data|information)", r"\buses personal data", r"\bused (only )?"
                    r"(to|for)\b", r"\bwe process\b.{0,60}\bto\b", r"how we use", r"\bzweck",
                    r"\bverarbeiten\b.{0,60}\bzu\b", r"\bverwenden (wir )?(deine|ihre|die)\b.{0,60}\b(um|zu|für)\b",
                    r"finalit",
                    r"\butilis(ons|ées?)\b.{0,40}\bpour"),
    "categories": rx(r"categor", r"kategorie", r"catégorie", r"what (data|information) we "
                      r"(hold|collect)", r"\b(record|data|information)( held)?( about you)? "
                      r"(contained|contains|consists of|includes)", r"\bwhat it contains",
                      r"holds? the following (information|data)", r"gespeicherte daten",
                      r"types of (data|information)"),
    "recipients": rx(r"recipient", r"\bshar(e|ed|ing)\b", r"disclos", r"made available to",
                      r"supplied to (a |our )?(client|compan|organi)", r"\bsent to\b",
                      r"passed (on )?to", r"uploaded to", r"had access", r"access(ed)? by",
                      r"hosted (for us )?by", r"who (has seen|can see)", r"empfänger",
                      r"übermittelt\b.{0,40}\ban\b", r"weitergegeben", r"auftragsverarbeiter", r"\bteilen\b", r"geteilt",
                      r"destinataire", r"communiqu", r"partag", r"accessibles? à"),
    "retention": rx(r"retention", r"\bretain", r"how long", r"\bkeep\b", r"\bkept\b",
                     r"stored for", r"deleted (after|at most)", r"\bdeleted\b.{0,30}\bafter\b", r"speicherdauer", r"gelöscht",
                     r"aufbewahr", r"conserv", r"durée"),
    "rights": rx(r"your rights", r"right to", r"\brights?\b", r"ihre rechte", r"deine rechte",
                  r"\brecht\b", r"vos droits", r"\bdroit", r"you can ask us", r"vous pouvez"),
    "complaint": rx(r"complain", r"beschwer", r"réclamation", r"plainte"),
    "sources": rx(r"\bsources?\b", r"comes? from", r"came (to us )?from", r"\bobtain",
                   r"collect(ed)? (from|through|via)", r"we collect information",
                   r"provided by you", r"supplied (to [\w ]{0,20} )?by", r"based on the",
                   r"received from", r"gathered by", r"herkunft", r"\bquelle", r"stammen",
                   r"provien", r"collectées?", r"where we get", r"\b(buy|purchase)\b.{0,40}\bdata\b",
                   r"\bbezieh", r"\bkaufen\b"),
    "automated_decisions": rx(r"automated", r"automatis", r"profil", r"statistical model",
                               r"algorithm", r"modelled", r"personali[sz]", r"personnalis",
                               r"predict", r"solely by automated"),
    "transfers": rx(r"transfer", r"outside the (uk|united kingdom|eea|eu)", r"third countr",
                     r"drittland", r"übermittlung", r"übermittelt", r"hors de l'union",
                     r"stores data in", r"hosted in", r"processed in", r"is held in",
                     r"where it is processed", r"in den usa", r"united states"),
}
HEDGE = rx(r"(?-i:\bmay\b)", r"such as", r"for example", r"\bsome of our\b", r"\bcan include",
            r"\bkönnen\b", r"\bkann\b", r"zum beispiel", r"beispielsweise", r"\bwie z\.",
            r"\bpeuvent\b", r"\bpeut\b", r"tels que", r"par exemple", r"notamment")
# A sentence that sends the reader elsewhere for the answer.
POINTER = rx(r"privacy (notice|policy)", r"datenschutz(richtlinie|erklärung|hinweise)",
              r"politique de confidentialit", r"https?://", r"\bsee our\b")
NOTICE_HEADING = rx(r"privacy notice", r"privacy policy", r"datenschutzhinweis",
                     r"datenschutzerklärung", r"politique de confidentialit", r"hysbysiad preifatrwydd")
NUMBERED = re.compile(r"^(\d{1,2}\.|[A-Z]\d{1,2}\.|Part [A-Z]\b|\([a-h]\))\s*\S")


@dataclass
class Unit:
    """A sentence or a table row, where it is, and under which heading."""

    text: str
    file: str
    where: str
    heading: str = ""
    notice: bool = False
    body: bool = False
    row: bool = False
    para: int = 0
    table: str = ""               # the header row of the table a row belongs to

    def evidence(self, why: str = "") -> dict:
        out = {"file": self.file, "where": self.where, "text": self.text[:300]}
        if why:
            out["why"] = why
        return out

    @property
    def is_heading(self) -> bool:
        return self.row and self.text == self.heading

    def about(self, item: str) -> bool:
        return any(TOPICS[item].search(t) for t in (self.text, self.heading, self.table) if t)


@dataclass
class Answer:
    units: list[Unit] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)
    kind: str = "access"
    identity: tuple[str, ...] = ()


def _is_heading(line: str, prev_blank: bool, following: str = "") -> bool:
    s = line.strip()
    if not s or len(s) > 70 or s.endswith((".", ",", ";")):
        return False
    # A wrapped sentence goes on in an indented or lower-case line: not a heading.
    if following.strip() and (following[:1].isspace() or following.strip()[:1].islower()):
        return False
    if NUMBERED.match(s):
        return True
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return True
    return prev_blank and s[0].isupper() and len(s.split()) <= 6 and ", " not in s


def _units_of(part: dict, para0: int) -> list[Unit]:
    """A part cut into units: prose paragraphs into sentences, other lines as rows."""
    body = bool(part.get("body"))
    text = part["text"]
    out: list[Unit] = []
    heading, notice, buf, para, table = "", bool(part.get("notice")), [], para0, ""
    lines = text.splitlines()
    if not body and any(NOTICE_HEADING.search(x) and len(x) < 80 for x in lines[:5]):
        notice = True

    def flush():
        nonlocal buf, para, table
        table = ""
        if buf:
            para += 1
            for s in sentences("\n".join(buf), keep_case=True):
                out.append(Unit(s, part["file"], part["where"], heading, notice, body, False, para))
        buf = []

    prev_blank = True
    for n, line in enumerate(lines):
        s = line.strip()
        if not s or re.fullmatch(r"[-=_*· ]{3,}", s):
            flush()
            prev_blank = True
            continue
        # A notice's title line: what follows is the notice, not this answer.
        titled = len(s) < 80 and not s.endswith(".") and NOTICE_HEADING.search(s) and prev_blank
        if titled or _is_heading(line, prev_blank, lines[n + 1] if n + 1 < len(lines) else ""):
            flush()
            notice = notice or bool(titled)
            heading = s
            out.append(Unit(s, part["file"], part["where"], heading, notice, body, True, para))
        elif "   " in s or " | " in s or part.get("columns"):
            if buf:
                flush()
            if not table:
                table = s
            out.append(Unit(s, part["file"], part["where"], heading, notice, body, True, para,
                            table))
        else:
            buf.append(s)
        prev_blank = False
    flush()
    return out


_RULE_LINE = re.compile(r"^\s*[-_=*]{10,}\s*$")
_QUOTED_NEXT = re.compile(r"^\s*\*?(from|von|de|sent|gesendet|envoyé)\s*:|original message|"
                          r"ursprüngliche nachricht|message d'origine|forwarded", re.IGNORECASE)


def _keep_pasted(text: str) -> str:
    """A ruled line starts quoted mail only when a header block or "Original message"
    follows it; one that frames a pasted privacy notice is kept as a break."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _RULE_LINE.match(line):
            after = [x for x in lines[i + 1:i + 4] if x.strip()]
            if not (after and _QUOTED_NEXT.search(after[0])):
                lines[i] = ""
    return "\n".join(lines)


def read(parts: list[dict], kind: str = "access", identity=(), our_letters=()) -> Answer:
    """The answer as units. The body (the part marked `body`) loses what it quotes."""
    ans = Answer(parts=parts, kind=kind, identity=tuple(i for i in identity if i))
    para = 0
    for part in parts:
        if part.get("body"):
            part = {**part, "text": own_text(_keep_pasted(part["text"]), list(our_letters))}
        units = _units_of(part, para)
        para = max([u.para for u in units] + [para]) + 1
        ans.units += units
    return ans


def pointer_paragraphs(ans: Answer) -> set[int]:
    """Paragraphs that send the reader to a privacy policy or a link: what they say is
    a summary of a notice, never the answer itself."""
    return {u.para for u in ans.units if not u.row and POINTER.search(u.text)}
