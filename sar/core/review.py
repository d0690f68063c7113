"""Did they answer everything? The answer read against Article 15, item by item.

Pure: `review()` takes what `sar.review.extract` read from the reply and its files
(parts: file, page or sheet, text, table columns and rows), the kind of request and
the requester's own identifiers, and returns for each Art. 15 item `answered`,
`partial` or `missing` with the sentences (or columns) that show it, and what the
answer reveals (`sar.core.disclosures`).

How it reads (English, German, French):
- the reply's own words only: quoted material and our own letter are dropped
  (`classify.own_text`); a pasted or attached privacy notice is marked as such and
  counts only for what it commits to: a definite, universal statement may answer an
  item, "may", "such as" and generic lists only in part;
- text is cut into sentences and table rows, each under the heading it sits under,
  so "How long we keep it" lends its topic to the lines that follow;
- a sentence that only points elsewhere (a privacy policy, a link) answers in part;
- when unsure, `partial` with the reason; never a confident `answered`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sar.core import disclosures as dis
from sar.core.classify import own_text, sentences

RULES_VERSION = "review-1"
ITEMS = ("copy", "purposes", "categories", "recipients", "retention", "rights", "complaint",
         "sources", "automated_decisions", "transfers")
STATUSES = ("answered", "partial", "missing")
# What each item is, in the words of the article, for the follow-up letter.
ARTICLE = {"copy": "15(3)", "purposes": "15(1)(a)", "categories": "15(1)(b)",
           "recipients": "15(1)(c)", "retention": "15(1)(d)", "rights": "15(1)(e)",
           "complaint": "15(1)(f)", "sources": "15(1)(g)", "automated_decisions": "15(1)(h)",
           "transfers": "15(2)"}


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(patterns), re.IGNORECASE)


# The topic of a sentence or heading: what it is about, before it is judged.
TOPICS = {
    "purposes": _rx(r"\bpurpose", r"\bwhy we (use|hold|process)", r"\bwe use (this|your|the|"
                    r"personal)? ?(data|information)", r"\buses personal data", r"\bused (only )?"
                    r"(to|for)\b", r"\bwe process\b.{0,60}\bto\b", r"how we use", r"\bzweck",
                    r"\bverarbeiten\b.{0,60}\bzu\b", r"\bverwenden (wir )?(deine|ihre|die)\b.{0,60}\b(um|zu|für)\b",
                    r"finalit",
                    r"\butilis(ons|ées?)\b.{0,40}\bpour"),
    "categories": _rx(r"categor", r"kategorie", r"catégorie", r"what (data|information) we "
                      r"(hold|collect)", r"\b(record|data|information)( held)?( about you)? "
                      r"(contained|contains|consists of|includes)", r"\bwhat it contains",
                      r"holds? the following (information|data)", r"gespeicherte daten",
                      r"types of (data|information)"),
    "recipients": _rx(r"recipient", r"\bshar(e|ed|ing)\b", r"disclos", r"made available to",
                      r"supplied to (a |our )?(client|compan|organi)", r"\bsent to\b",
                      r"passed (on )?to", r"uploaded to", r"had access", r"access(ed)? by",
                      r"hosted (for us )?by", r"who (has seen|can see)", r"empfänger",
                      r"übermittelt\b.{0,40}\ban\b", r"weitergegeben", r"auftragsverarbeiter", r"\bteilen\b", r"geteilt",
                      r"destinataire", r"communiqu", r"partag", r"accessibles? à"),
    "retention": _rx(r"retention", r"\bretain", r"how long", r"\bkeep\b", r"\bkept\b",
                     r"stored for", r"deleted (after|at most)", r"speicherdauer", r"gelöscht",
                     r"aufbewahr", r"conserv", r"durée"),
    "rights": _rx(r"your rights", r"right to", r"\brights?\b", r"ihre rechte", r"deine rechte",
                  r"\brecht\b", r"vos droits", r"\bdroit", r"you can ask us", r"vous pouvez"),
    "complaint": _rx(r"complain", r"beschwer", r"réclamation", r"plainte"),
    "sources": _rx(r"\bsources?\b", r"comes? from", r"came (to us )?from", r"\bobtain",
                   r"collect(ed)? (from|through|via)", r"we collect information",
                   r"provided by you", r"supplied (to [\w ]{0,20} )?by", r"based on the",
                   r"received from", r"gathered by", r"herkunft", r"\bquelle", r"stammen",
                   r"provien", r"collectées?", r"where we get", r"\b(buy|purchase)\b.{0,40}\bdata\b",
                   r"\bbezieh", r"\bkaufen\b"),
    "automated_decisions": _rx(r"automated", r"automatis", r"profil", r"statistical model",
                               r"algorithm", r"modelled", r"personali[sz]", r"personnalis",
                               r"predict", r"solely by automated"),
    "transfers": _rx(r"transfer", r"outside the (uk|united kingdom|eea|eu)", r"third countr",
                     r"drittland", r"übermittlung", r"übermittelt", r"hors de l'union",
                     r"stores data in", r"hosted in", r"processed in", r"is held in",
                     r"where it is processed", r"in den usa", r"united states"),
}
HEDGE = _rx(r"(?-i:\bmay\b)", r"such as", r"for example", r"\bsome of our\b", r"\bcan include",
            r"\bkönnen\b", r"\bkann\b", r"zum beispiel", r"beispielsweise", r"\bwie z\.",
            r"\bpeuvent\b", r"\bpeut\b", r"tels que", r"par exemple", r"notamment")
# A sentence that sends the reader elsewhere for the answer.
POINTER = _rx(r"privacy (notice|policy)", r"datenschutz(richtlinie|erklärung|hinweise)",
              r"politique de confidentialit", r"https?://", r"\bsee our\b")
NOTICE_HEADING = _rx(r"privacy notice", r"privacy policy", r"datenschutzhinweis",
                     r"datenschutzerklärung", r"politique de confidentialit", r"hysbysiad preifatrwydd")
_NUMBERED = re.compile(r"^(\d{1,2}\.|[A-Z]\d{1,2}\.|Part [A-Z]\b|\([a-h]\))\s*\S")


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
    if _NUMBERED.match(s):
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


def _status(strong: list, weak: list, reason_weak: str) -> tuple[str, list, str]:
    if strong:
        return "answered", strong, ""
    if weak:
        return "partial", weak, reason_weak
    return "missing", [], "nothing in the answer says this"


def _judge(units: list[Unit], item: str, pointer_paras: set[int]) -> tuple[list, list]:
    """Units about `item`, split into definite ones (outside a notice, not hedged, not
    only a pointer) and the rest."""
    strong, weak = [], []
    for u in units:
        if not u.about(item):
            continue
        if u.notice or HEDGE.search(u.text) or u.para in pointer_paras or POINTER.search(u.text):
            weak.append(u)
        else:
            strong.append(u)
    return strong, weak


def pointer_paragraphs(ans: Answer) -> set[int]:
    """Paragraphs that send the reader to a privacy policy or a link: what they say is
    a summary of a notice, never the answer itself."""
    return {u.para for u in ans.units if not u.row and POINTER.search(u.text)}


# -- what the answer reveals ------------------------------------------------------------

SOURCE_VAGUE = _rx(r"commercially available", r"third[- ]part", r"other sources",
                   r"various sources", r"publicly available", r"\bdritte[nr]?\b",
                   r"\btiers\b", r"autres sources", r"websites and apps")
SOURCE_EXCLUSIVE = _rx(r"\bdo(es)? not (buy|obtain|purchase|receive|use)\b.{0,60}(broker|third|"
                       r"commercial|other|compan)", r"\bonly from\b", r"ausschließlich aus",
                       r"\bnur aus\b", r"uniquement (de|auprès)")
RECIPIENT_CATEGORY = _rx(r"client", r"partner", r"processor", r"service provider", r"supplier",
                         r"compan", r"organisation", r"agenc", r"sector", r"third part",
                         r"representative", r"local party", r"dienstleister",
                         r"auftragsverarbeiter", r"unternehmen", r"sous-traitant", r"partenaire",
                         r"sociétés", r"annonceur")
LIST_POINTER = _rx(r"listed in", r"shown in", r"set out (in|below)", r"\bfollowing\b",
                   r"\bbelow\b", r"folgende", r"unten", r"ci-dessous", r"suivant", r"attached")
NOBODY = _rx(r"\b(not|never)\b (been )?(disclos|shar|pass|sold|given)\w*\b.{0,50}"
             r"\b(anyone|any other|anybody|others)\b", r"an niemanden", r"à personne")
EXCEPT = _rx(r"other than", r"except", r"apart from", r"außer", r"sauf", r"à l'exception")
SEARCHES = _rx(r"\bsearches\b", r"suchanfragen", r"recherches effectuées")
DENIES_SPECIAL = _rx(r"(do not|don't|no)\b.{0,30}(hold|process|have).{0,30}special categor",
                     r"keine (besonderen|sensiblen) (kategorien|daten)",
                     r"aucune donnée sensible")


def _data_parts(ans: Answer) -> list[dict]:
    """The files that carry the person's data: a table, a JSON export, or a document
    that names them; never the body, never a privacy notice."""
    notice_files = {u.file for u in ans.units if u.notice and not u.body}
    out = []
    for p in ans.parts:
        if p.get("body") or p["file"] in notice_files:
            continue
        low = p["text"].lower()
        if p.get("columns") or any(i.lower() in low for i in ans.identity):
            out.append(p)
    return out


def reveals(ans: Answer) -> dict:
    """Sources, recipients, special categories and segments, each once, with which
    were stated in the answer's words and which only appear in the data."""
    data_files = {p["file"] for p in _data_parts(ans)}
    stated_src, data_src, stated_rec, code_rec, special, segments = [], [], [], [], [], []
    for u in ans.units:
        if u.about("sources") and not u.is_heading:
            stated_src += dis.source_names(u.text)
        if (u.about("recipients") or (u.row and SEARCHES.search(u.heading))) and not u.is_heading:
            stated_rec += dis.orgs_in(u.text)
        if u.file in data_files or (u.body and not u.notice):
            special += dis.special_in(u.text)
            if u.file in data_files:
                data_src += dis.campaigns_in(u.text)
        if u.row and u.file in data_files and not u.is_heading:
            cells = [c.strip() for c in u.text.split("   ") if c.strip()]
            if len(cells) >= 2 and dis.SEGMENT_LABEL.search(cells[0]) and len(cells[0]) < 50:
                segments.append(f"{cells[0]} {cells[1]}")
    codes = []
    for p in _data_parts(ans):
        if p.get("rows"):
            found = dis.table_findings(p["columns"], p["rows"])
            codes += found["sources"]
            code_rec += found["recipients"]
            segments += found["segments"]
            special += found["special"]
        elif p.get("columns"):      # a JSON document
            found = dis.json_findings(p["text"])
            data_src += found["sources"]
            segments += found["segments"]
            special += found["special"]
    return {"stated_sources": dis.dedupe(stated_src), "data_sources": dis.dedupe(data_src),
            "source_codes": dis.dedupe(codes), "stated_recipients": dis.dedupe(stated_rec),
            "recipient_codes": dis.dedupe(code_rec), "special": sorted(set(special)),
            "segments": list(dict.fromkeys(segments))}


# -- the items ----------------------------------------------------------------------------

COPY_PARTIAL = _rx(r"\bnot (your|the|a) (full|complete|statutory)", r"main items",
                   r"selected categories", r"ausgewählte kategorien", r"seulement un extrait",
                   r"(full|complete|vollständige|complète|intégrale) (copy|kopie|copie)\b.{0,160}"
                   r"(tool|download|herunterladen|télécharg|at any time|jederzeit|self-service)",
                   r"download your information", r"informationen herunterladen",
                   r"télécharger vos informations")
PERIOD = _rx(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirteen|"
             r"eighteen|twenty-four|ein|zwei|drei|vier|fünf|sechs|sieben|acht|zehn|zwölf|"
             r"un|deux|trois|quatre|cinq|dix|douze|treize)\s+(\w+\s+)?(years?|months?|weeks?|"
             r"days?|jahre?n?|monate?n?|wochen|tage?n?|ans|années|mois|semaines|jours|"
             r"parliamentary cycles)\b", r"until you unsubscribe", r"replaced (each|every)",
             r"overwritten", r"as long as (we hold|it is current|you remain|you are)",
             r"while it is current", r"bis zu", r"jusqu'à")
NECESSARY = _rx(r"(no longer|as long) (than|as) (is )?necessary", r"solange (dies )?erforderlich",
                r"aussi longtemps que nécessaire", r"durée nécessaire")
RIGHTS = {
    "rectification": _rx(r"rectif", r"\bcorrect(ed|ion|ing)?\b", r"berichtig", r"corrig",
                         r"inaccurate data"),
    "erasure": _rx(r"\beras(e|ed|ure)\b", r"\bdelet(e|ion)\b", r"\blöschung", r"\blöschen",
                   r"effacement", r"\beffacer", r"suppression de vos"),
    "restriction": _rx(r"restrict", r"einschränk", r"limitation", r"\blimiter"),
    "objection": _rx(r"\bobject(ion)?\b", r"widersp", r"\bopposer", r"opposition", r"opt[- ]out"),
}
YOU = _rx(r"\byou(r)?\b", r"\bsie\b", r"\bihre?[nrs]?\b", r"\bdu\b", r"\bdeine?[nrs]?\b",
          r"\bvous\b", r"\bvos\b", r"\bvotre\b")
REGULATOR = _rx(r"information commissioner", r"\bico\b", r"supervisory authority",
                r"aufsichtsbehörde", r"beauftragte[nr]? für datenschutz", r"\bcnil\b",
                r"autorité de contrôle", r"data protection (commission|authority)")
COUNTRY = _rx(r"united states", r"\busa?\b", r"\bus\b", r"\bindia\b", r"états-unis", r"\binde\b",
              r"vereinigten staaten", r"\bindien\b", r"canada", r"australia", r"philippines",
              r"\bchina\b", r"japan", r"brazil", r"israel", r"switzerland", r"singapore",
              r"south africa")
SAFEGUARD = _rx(r"international data transfer (agreement|addendum)", r"\bidta\b",
                r"data privacy framework", r"standard contractual clauses",
                r"standardvertragsklauseln", r"clauses contractuelles types",
                r"adequacy (decision|regulation)", r"angemessenheitsbeschluss", r"adéquation",
                r"binding corporate rules", r"uk extension", r"uk addendum",
                r"britische erweiterung")
NO_TRANSFER = _rx(r"\b(not|never|no)\b[^.]{0,40}\b(transfer|outside)", r"findet nicht statt",
                  r"aucun transfert", r"\bne\b.{0,30}\bpas\b.{0,30}transf",
                  r"nicht\b.{0,30}übermittelt")
CONCRETE_LOGIC = _rx(r"concretely", r"concrètement", r"\bkonkret",
                     r"(augmente|increases?|raises?|erhöht|réduit|reduces?|lowers?|senkt|"
                     r"verringert)\b.{0,80}(probabilit|likelihood|chance|score|wahrscheinlichkeit)")
DENIES_PROFILING = _rx(r"\b(no|not|never|nicht|kein\w*|pas|aucun)\b.{0,60}profil",
                       r"profil\w*.{0,60}(findet nicht statt|\bnot\b)")


def _copy(ans: Answer, found: dict) -> tuple[str, list, str]:
    data = _data_parts(ans)
    if not data:
        notices = {u.file for u in ans.units if u.notice and not u.body}
        why = ("only a privacy notice is attached, not your data" if notices
               else "no copy of your data came with the answer")
        return "missing", [], why
    ev = [{"file": p["file"], "where": p["where"], "text": "your data"} for p in data[:5]]
    cut = [u for u in ans.units if COPY_PARTIAL.search(u.text)]
    if cut:
        return ("partial", [u.evidence() for u in cut[:3]] + ev[:2],
                "the answer gives an excerpt or summary, or leaves the rest to a self-service tool")
    return "answered", ev, ""


def _categories(ans: Answer, found: dict, pointers: set[int]) -> tuple[str, list, str]:
    strong, weak = _judge(ans.units, "categories", pointers)
    # An answer that calls itself a selection has not named every category.
    selected = [u for u in ans.units if re.search(r"selected|ausgewählte|sélectionnées", u.text, re.I)]
    weak += selected
    strong = [] if selected else [u for u in strong if not u.is_heading]
    denial = [u for u in ans.units if DENIES_SPECIAL.search(u.text)]
    if strong and denial and found["special"]:
        return ("partial", [u.evidence() for u in strong[:2] + denial[:1]],
                f"the list leaves out what the data shows ({', '.join(found['special'])})")
    if strong:
        return "answered", [u.evidence() for u in strong[:3]], ""
    data = _data_parts(ans)
    # A report laid out in numbered sections (a PDF, a letter) names its categories.
    reports = {p["file"] for p in data if p["where"].startswith("page") or
               p["file"].lower().endswith((".docx", ".html", ".htm"))}
    numbered = [u for u in ans.units if u.is_heading and _NUMBERED.match(u.text)
                and u.file in reports]
    if len(numbered) >= 3:
        return "answered", [u.evidence("section heading") for u in numbered[:5]], ""
    if weak:
        return ("partial", [u.evidence() for u in weak[:3]],
                "categories only as what they may collect, from a notice or a link")
    if data:
        return ("partial", [{"file": p["file"], "where": p["where"],
                             "text": ", ".join(p.get("columns", [])[:12])} for p in data[:2]],
                "the categories can only be inferred from the data's column headers")
    return "missing", [], "nothing in the answer says this"


def _recipients(ans: Answer, found: dict, pointers: set[int]) -> tuple[str, list, str]:
    strong, weak = _judge(ans.units, "recipients", pointers)
    strong = [u for u in strong if not u.is_heading]
    named = [u for u in strong if dis.orgs_in(u.text)]
    category_only = [u for u in strong if not dis.orgs_in(u.text) and RECIPIENT_CATEGORY.search(u.text)
                     and not LIST_POINTER.search(u.text)]
    category_only += [u for u in strong if EXCEPT.search(u.text)]
    nobody = [u for u in strong if NOBODY.search(u.text) and not EXCEPT.search(u.text)]
    if (named or nobody) and not weak and not category_only:
        return "answered", [u.evidence() for u in (named + nobody)[:4]], ""
    if weak or category_only or named:
        return ("partial", [u.evidence() for u in (category_only + weak + named)[:4]],
                "recipients only by category, as what may happen, or for part of the data")
    if found["recipient_codes"]:
        return ("partial", [{"file": "", "where": "column", "text": c}
                            for c in found["recipient_codes"]],
                "a disclosure shows only as a code in the data, never named")
    return "missing", [], "nothing in the answer says this"


def _retention(ans: Answer, pointers: set[int]) -> tuple[str, list, str]:
    about = [u for u in ans.units if u.about("retention") and not u.is_heading]
    strong = [u for u in about if PERIOD.search(u.text) and not NECESSARY.search(u.text)
              and u.para not in pointers and not HEDGE.search(u.text)]
    return _status(strong, about, "no period or criterion: 'as long as necessary', or a link")


def _rights(ans: Answer, pointers: set[int]) -> tuple[str, list, str]:
    given: dict[str, Unit] = {}
    linked = []
    for u in ans.units:
        if not YOU.search(u.text) and not u.about("rights"):
            continue
        for right, rx in RIGHTS.items():
            if rx.search(u.text):
                given.setdefault(right, u)
        if u.about("rights") and POINTER.search(u.text):
            linked.append(u)
    if len(given) == len(RIGHTS):
        return "answered", [u.evidence(r) for r, u in given.items()], ""
    if given or linked:
        missing = [r for r in RIGHTS if r not in given]
        return ("partial", [u.evidence(r) for r, u in given.items()] + [u.evidence() for u in linked[:1]],
                "not stated: " + ", ".join(missing))
    return "missing", [], "nothing in the answer says this"


def _complaint(ans: Answer, pointers: set[int]) -> tuple[str, list, str]:
    about = [u for u in ans.units if u.about("complaint") and not u.is_heading]
    strong = [u for u in about if REGULATOR.search(u.text) and not
              (u.para in pointers and POINTER.search(u.text) and "://" in u.text)]
    return _status(strong, about, "a complaint route without the regulator, or a link only")


def _sources(ans: Answer, found: dict, pointers: set[int]) -> tuple[str, list, str]:
    about = [u for u in ans.units if u.about("sources") and not u.is_heading]
    notice = [u for u in about if u.notice]
    own = [u for u in about if not u.notice]
    named_own = [u for u in own if dis.source_names(u.text)]
    vague = [u for u in own if SOURCE_VAGUE.search(u.text) or HEDGE.search(u.text)]
    said = " ".join(u.text for u in ans.units if not u.row).lower()
    hidden = [c for c in found["source_codes"] if c.lower() not in said]
    if named_own:
        if vague:
            return ("partial", [u.evidence() for u in (vague + named_own)[:4]],
                    "some sources only as categories ('commercially available', 'third parties')")
        if hidden:
            return ("partial", [u.evidence() for u in named_own[:2]] +
                    [{"file": "", "where": "column", "text": c} for c in hidden[:4]],
                    "some sources appear only as codes in the data, never explained")
        return "answered", [u.evidence() for u in named_own[:4]], ""
    if notice:
        exclusive = [u for u in notice if SOURCE_EXCLUSIVE.search(u.text)]
        if exclusive and any(dis.source_names(u.text) for u in notice):
            return "answered", [u.evidence() for u in (notice[:2] + exclusive[:1])], ""
        return "partial", [u.evidence() for u in notice[:3]], "sources only as a notice's general list"
    if own:
        return "partial", [u.evidence() for u in own[:3]], "sources only as categories, none named"
    if found["data_sources"] or found["source_codes"]:
        return ("partial", [{"file": "", "where": "data", "text": s}
                            for s in (found["data_sources"] + found["source_codes"])[:5]],
                "sources only inside the data, never stated")
    return "missing", [], "nothing in the answer says where the data came from"


def _automated(ans: Answer, found: dict) -> tuple[str, list, str]:
    about = [u for u in ans.units if u.about("automated_decisions") and not u.is_heading
             and not u.row]
    # The logic is often spelt out in the sentence after the one that names it.
    paras = {u.para for u in about}
    concrete = [u for u in ans.units if u.para in paras and CONCRETE_LOGIC.search(u.text)]
    denial = [u for u in about if DENIES_PROFILING.search(u.text)]
    if concrete:
        return "answered", [u.evidence() for u in concrete[:2]], ""
    if denial:
        if found["segments"]:
            return ("partial", [u.evidence() for u in denial[:1]] +
                    [{"file": "", "where": "data", "text": s} for s in found["segments"][:3]],
                    "profiling is denied, yet the data holds modelled scores or segments")
        return "answered", [u.evidence() for u in denial[:2]], ""
    if about:
        return ("partial", [u.evidence() for u in about[:3]],
                "profiling or scores mentioned without their logic or effect")
    return "missing", [], "nothing in the answer says this"


def _transfers(ans: Answer) -> tuple[str, list, str]:
    about = [u for u in ans.units if u.about("transfers") and not u.is_heading]
    by_para: dict[int, list[Unit]] = {}
    for u in ans.units:
        by_para.setdefault(u.para, []).append(u)
    strong = [u for u in about if NO_TRANSFER.search(u.text) and not HEDGE.search(u.text)]
    for u in about:
        para = " ".join(x.text for x in by_para[u.para])
        if COUNTRY.search(para) and SAFEGUARD.search(para) and u not in strong:
            strong.append(u)
    return _status(strong, about, "transfers as what may happen, or without the safeguard")


def review(parts: list[dict], kind: str = "access", identity=(), our_letters=()) -> dict:
    """The answer read against Art. 15: each item's status, evidence and reason,
    and what the answer reveals."""
    ans = read(parts, kind, identity, our_letters)
    found = reveals(ans)
    ptr = pointer_paragraphs(ans)
    p_strong, p_weak = _judge(ans.units, "purposes", ptr)
    p_strong = [u for u in p_strong if not u.is_heading]
    results = {
        "copy": _copy(ans, found),
        "purposes": _status(p_strong, p_weak, "purposes only from a notice, as what may "
                            "happen, or behind a link"),
        "categories": _categories(ans, found, ptr),
        "recipients": _recipients(ans, found, ptr),
        "retention": _retention(ans, ptr),
        "rights": _rights(ans, ptr),
        "complaint": _complaint(ans, ptr),
        "sources": _sources(ans, found, ptr),
        "automated_decisions": _automated(ans, found),
        "transfers": _transfers(ans),
    }
    items = {k: {"status": s, "evidence": [e if isinstance(e, dict) else e.evidence() for e in ev][:6],
                 "reason": why, "rule": f"{RULES_VERSION}.{k}"}
             for k, (s, ev, why) in results.items()}
    return {"rules": RULES_VERSION, "items": items,
            "sources": dis.dedupe(found["stated_sources"] + found["data_sources"]
                                  + found["source_codes"]),
            "recipients": dis.dedupe(found["stated_recipients"] + found["recipient_codes"]),
            "special_category": found["special"], "segments": found["segments"],
            "segments_key": _key_given(ans)}


def _key_given(ans: Answer) -> bool:
    """Whether the answer explains its codes and scores: a key, a legend, or the
    scale they run on."""
    return any(re.search(r"\b(key to|legend|legende|légende|schlüssel|glossar\w*|"
                         r"scores? run from|codes? (means?|bedeute\w*))\b", u.text, re.I)
               for u in ans.units)
