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

from sar.core import disclosures as dis
from sar.core.answer_text import (
    HEDGE,
    NUMBERED,
    POINTER,
    Answer,
    Unit,
    pointer_paragraphs,
    read,
    rx,
)

RULES_VERSION = "review-1"
ITEMS = ("copy", "purposes", "categories", "recipients", "retention", "rights", "complaint",
         "sources", "automated_decisions", "transfers")
STATUSES = ("answered", "partial", "missing")
# What each item is, in the article's words (UK GDPR), for the follow-up letter.
WORDING = {
    "copy": "a copy of the personal data undergoing processing (Article 15(3))",
    "purposes": "the purposes of the processing (Article 15(1)(a))",
    "categories": "the categories of personal data concerned (Article 15(1)(b))",
    "recipients": "the recipients or categories of recipient to whom the personal data "
                  "have been or will be disclosed (Article 15(1)(c))",
    "retention": "the envisaged period for which the personal data will be stored, or the "
                 "criteria used to determine that period (Article 15(1)(d))",
    "rights": "the existence of the right to request rectification or erasure, restriction "
              "of processing, and to object to it (Article 15(1)(e))",
    "complaint": "the right to lodge a complaint with a supervisory authority "
                 "(Article 15(1)(f))",
    "sources": "where the personal data are not collected from me, any available "
               "information as to their source (Article 15(1)(g))",
    "automated_decisions": "the existence of automated decision-making, including profiling, "
                           "and meaningful information about the logic involved and its "
                           "envisaged consequences for me (Article 15(1)(h))",
    "transfers": "where the data are transferred to a third country or an international "
                 "organisation, the appropriate safeguards (Article 15(2))",
}
# What each item is, in the words of the article, for the follow-up letter.
ARTICLE = {"copy": "15(3)", "purposes": "15(1)(a)", "categories": "15(1)(b)",
           "recipients": "15(1)(c)", "retention": "15(1)(d)", "rights": "15(1)(e)",
           "complaint": "15(1)(f)", "sources": "15(1)(g)", "automated_decisions": "15(1)(h)",
           "transfers": "15(2)"}


def _status(strong: list, weak: list, reason_weak: str) -> tuple[str, list, str]:
    if strong:
        return "answered", strong, ""
    if weak:
        return "partial", weak, reason_weak
    return "missing", [], "nothing in the answer says this"


# "with the purposes, recipients and sources of the data": a table of contents, which
# says what the answer claims to hold, not what it says.
CONTENTS = rx(r"\bpurposes\b", r"\brecipients\b", r"\bsources?\b", r"\bcategories\b",
              r"how long we keep", r"\bretention\b", r"\bzwecke\b", r"\bempfänger\b",
              r"\bfinalités\b", r"\bdestinataires\b")


def _contents_only(u: Unit) -> bool:
    return not u.row and len({m.group(0).lower() for m in CONTENTS.finditer(u.text)}) >= 2 \
        and len(u.text) < 200


def _judge(units: list[Unit], item: str, pointer_paras: set[int]) -> tuple[list, list]:
    """Units about `item`, split into definite ones (outside a notice, not hedged, not
    only a pointer) and the rest."""
    strong, weak = [], []
    for u in units:
        if not u.about(item) or _contents_only(u):
            continue
        if u.notice or HEDGE.search(u.text) or u.para in pointer_paras or POINTER.search(u.text):
            weak.append(u)
        else:
            strong.append(u)
    return strong, weak


# -- what the answer reveals ------------------------------------------------------------

SOURCE_VAGUE = rx(r"commercially available", r"third[- ]part", r"other sources",
                   r"various sources", r"publicly available", r"\bdritte[nr]?\b",
                   r"\btiers\b", r"autres sources", r"websites and apps")
SOURCE_EXCLUSIVE = rx(r"\bdo(es)? not (buy|obtain|purchase|receive|use)\b.{0,60}(broker|third|"
                       r"commercial|other|compan)", r"\bonly from\b", r"ausschließlich aus",
                       r"\bnur aus\b", r"uniquement (de|auprès)")
RECIPIENT_CATEGORY = rx(r"client", r"partner", r"processor", r"service provider", r"supplier",
                         r"compan", r"organisation", r"agenc", r"sector", r"third part",
                         r"representative", r"local party", r"dienstleister",
                         r"auftragsverarbeiter", r"unternehmen", r"sous-traitant", r"partenaire",
                         r"sociétés", r"annonceur")
LIST_POINTER = rx(r"listed in", r"shown in", r"set out (in|below)", r"\bfollowing\b",
                   r"\bbelow\b", r"folgende", r"unten", r"ci-dessous", r"suivant", r"attached")
NOBODY = rx(r"\b(not|never)\b (been )?(disclos|shar|pass|sold|given)\w*\b.{0,50}"
             r"\b(anyone|any other|anybody|others)\b", r"an niemanden", r"à personne")
EXCEPT = rx(r"other than", r"except", r"apart from", r"außer", r"sauf", r"à l'exception")
SEARCHES = rx(r"\bsearches\b", r"suchanfragen", r"recherches effectuées")
DENIES_SPECIAL = rx(r"(do not|don't|no)\b.{0,30}(hold|process|have).{0,30}special categor",
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

COPY_PARTIAL = rx(r"\bnot (your|the|a) (full|complete|statutory)", r"main items",
                   r"selected categories", r"ausgewählte kategorien", r"seulement un extrait",
                   r"(full|complete|vollständige|complète|intégrale) (copy|kopie|copie)\b.{0,160}"
                   r"(tool|download|herunterladen|télécharg|at any time|jederzeit|self-service)",
                   r"download your information", r"informationen herunterladen",
                   r"télécharger vos informations")
PERIOD = rx(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirteen|"
             r"eighteen|twenty-four|ein|zwei|drei|vier|fünf|sechs|sieben|acht|zehn|zwölf|"
             r"un|deux|trois|quatre|cinq|dix|douze|treize)\s+(\w+\s+)?(years?|months?|weeks?|"
             r"days?|jahre?n?|monate?n?|wochen|tage?n?|ans|années|mois|semaines|jours|"
             r"parliamentary cycles)\b", r"until you unsubscribe", r"replaced (each|every)",
             r"overwritten", r"as long as (we hold|it is current|you remain|you are)",
             r"while it is current", r"bis zu", r"jusqu'à")
NECESSARY = rx(r"(no longer|as long) (than|as) (is )?necessary", r"solange (dies )?erforderlich",
                r"aussi longtemps que nécessaire", r"durée nécessaire")
RIGHTS = {
    "rectification": rx(r"rectif", r"\bcorrect(ed|ion|ing)?\b", r"berichtig", r"corrig",
                         r"inaccurate data"),
    "erasure": rx(r"\beras(e|ed|ure)\b", r"\bdelet(e|ion)\b", r"\blöschung", r"\blöschen",
                   r"effacement", r"\beffacer", r"suppression de vos"),
    "restriction": rx(r"restrict", r"einschränk", r"limitation", r"\blimiter"),
    "objection": rx(r"\bobject(ion)?\b", r"widersp", r"\bopposer", r"opposition", r"opt[- ]out"),
}
YOU = rx(r"\byou(r)?\b", r"\bsie\b", r"\bihre?[nrs]?\b", r"\bdu\b", r"\bdeine?[nrs]?\b",
          r"\bvous\b", r"\bvos\b", r"\bvotre\b")
REGULATOR = rx(r"information commissioner", r"\bico\b", r"supervisory authority",
                r"aufsichtsbehörde", r"beauftragte[nr]? für datenschutz", r"\bcnil\b",
                r"autorité de contrôle", r"data protection (commission|authority)")
COUNTRY = rx(r"united states", r"\busa?\b", r"\bus\b", r"\bindia\b", r"états-unis", r"\binde\b",
              r"vereinigten staaten", r"\bindien\b", r"canada", r"australia", r"philippines",
              r"\bchina\b", r"japan", r"brazil", r"israel", r"switzerland", r"singapore",
              r"south africa")
SAFEGUARD = rx(r"international data transfer (agreement|addendum)", r"\bidta\b",
                r"data privacy framework", r"standard contractual clauses",
                r"standardvertragsklauseln", r"clauses contractuelles types",
                r"adequacy (decision|regulation)", r"angemessenheitsbeschluss", r"adéquation",
                r"binding corporate rules", r"uk extension", r"uk addendum",
                r"britische erweiterung")
NO_TRANSFER = rx(r"\b(not|never|no)\b[^.]{0,40}\b(transfer|outside)", r"findet nicht statt",
                  r"aucun transfert", r"\bne\b.{0,30}\bpas\b.{0,30}transf",
                  r"nicht\b.{0,30}übermittelt")
CONCRETE_LOGIC = rx(r"concretely", r"concrètement", r"\bkonkret",
                     r"(augmente|increases?|raises?|erhöht|réduit|reduces?|lowers?|senkt|"
                     r"verringert)\b.{0,80}(probabilit|likelihood|chance|score|wahrscheinlichkeit)")
DENIES_PROFILING = rx(r"\b(no|not|never|nicht|kein\w*|pas|aucun)\b.{0,60}profil",
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
    numbered = [u for u in ans.units if u.is_heading and NUMBERED.match(u.text)
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
        for right, pattern in RIGHTS.items():
            if pattern.search(u.text):
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


def overruled(result: dict, overrides: dict) -> dict:
    """The stored review with the user's say on items: `status` is theirs, `found`
    keeps what the rules said."""
    items = {}
    for k, v in result["items"].items():
        if k in overrides and overrides[k] != v["status"]:
            items[k] = {**v, "status": overrides[k], "found": v["status"], "overruled": True}
        else:
            items[k] = v
    return {**result, "items": items}


def summary(items: dict) -> dict:
    """How much of Art. 15 the answer gave: for `sar show` and the board."""
    missing = [k for k in ITEMS if items[k]["status"] == "missing"]
    partial = [k for k in ITEMS if items[k]["status"] == "partial"]
    answered = len(ITEMS) - len(missing) - len(partial)
    words = f"answer reviewed: {answered} of {len(ITEMS)} items"
    def named(keys):  # automated_decisions -> automated decisions
        return ", ".join(k.replace("_", " ") for k in keys)

    if missing:
        words += f"; missing: {named(missing)}"
    if partial:
        words += f"; in part: {named(partial)}"
    return {"answered": answered, "missing": missing, "partial": partial, "text": words,
            "complete": not missing and not partial}
