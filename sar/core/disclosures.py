"""What an answer reveals: the sources and recipients it names, the special-category
or inferred data it shows, and the profiling segments and scores in it.

Pure: plain text and table columns in, names out. Names are taken as written (a
code such as `EXP_MOSAIC_2023Q4` included), because the person has to recognise
them and a campaign counts them. Used by `sar.core.review`.
"""

from __future__ import annotations

import re

# A company as it is written: capitalised words (single spaces only, so two cells
# of a table never join) ending in a legal form.
_LEGAL = (r"(?:Ltd\.?|Limited|plc|PLC|LLP|LLC|GmbH|AG|SE|KG|e\.\s?V\.|Inc\.?|Corp\.?|SA|SAS|SARL"
          r"|S\.A\.|B\.V\.|N\.V\.|S\.r\.l\.)")
_WORD = r"[A-ZÄÖÜÉÈ][\w&'’.\-]*"
_JOIN = r"(?: (?:of|and|&|de|du|des|la|le|und|für|für die))?"
ORG = re.compile(rf"\b{_WORD}(?:{_JOIN} {_WORD}){{0,5}}? {_LEGAL}(?![\w])")
# Public bodies that supply the electoral register, and the officers who do.
COUNCIL = re.compile(r"\b(?:London Borough of [A-Z]\w+|(?:City of |Royal Borough of )?"
                     r"[A-Z]\w+(?: [A-Z]\w+){0,2} (?:City |County |Borough |District )?Council)\b")
# Platforms and processors commonly named without a legal form.
PLATFORMS = re.compile(r"\b(Facebook|Instagram|Meta|Google|YouTube|TikTok|Snapchat|LinkedIn|"
                       r"Twitter|NationBuilder|Mailchimp|Salesforce|Microsoft|Amazon Web Services|"
                       r"Experian|Equifax|TransUnion|CACI|Acxiom)\b(?! model)")
# A named local unit that had the data (a branch of a party, a constituency party).
LOCAL_UNIT = re.compile(r"\b(?:the )?([A-Z][\w'-]+(?: [A-Z][\w'-]+)? (?:branch|association|"
                        r"constituency party|CLP) of (?:the )?[A-Z][\w]+(?: [A-Z][\w]+){0,2})")
DOMAIN = re.compile(r"(?<![@\w.-])((?:[a-z0-9-]+\.)+(?:example|com|org|net|co\.uk|org\.uk|uk|fr|de|eu|io))\b")
# Kinds of source named as such (Art. 15(1)(g)), in the three languages.
SOURCE_TERMS = re.compile(
    r"(open \(edited\) electoral register|edited (?:electoral )?register|open register|"
    r"full electoral register|electoral register|electoral roll|marked register|"
    r"electoral registration officer|returning officer|\bwebsite\b|"
    r"[A-Z][\w]+ model\b|own calculation|own model|"
    r"wählerverzeichnis|amtliche[nr]? statistik|amtlichen? wahlergebniss\w*(?: der \w+ \d{4})?|"
    r"eigene (?:berechnung|ableitung|namensanalyse)|liste électorale|calcul interne)",
    re.IGNORECASE)
# A sign-up or competition named by its title: "petition: Save our NHS",
# "petition 'Scotland's Future'", "Gewinnspiel „Sommerträume 2018“".
CAMPAIGN = re.compile(
    r"\b((?:petition|Petition|Gewinnspiel|competition|prize draw|jeu-concours|concours|pétition)"
    r"\s*(?::\s*[A-Z][^\n;(|]{2,40}?(?=\s*(?:$|[;(|\n])|\s{2})|"
    r"['‘\"“„«]\s?.{2,40}?['’\"”“»](?=[\s(),.;]|$)))")

_SPECIAL = {
    "political opinion": re.compile(
        r"voting intention|intention de vote|wahlabsicht|\bvoting (?:for |labour|green|"
        r"conservative|snp|reform|lib|plaid)|canvass(?:ing)?[ _]resp|party affinity|"
        r"parteiaffinit|affinité politique|support score|politic|politique|\bpolitik|"
        r"\bindy\b|swing voter", re.IGNORECASE),
    "ethnicity": re.compile(r"ethni|namensherkunft|nam_herk|nm_origin|name[_ ]origin|"
                            r"onomast|origine (?:ethnique|du nom)|cultural origin|race\b",
                            re.IGNORECASE),
    "health": re.compile(r"diabet|diabète|pharmac|santé|gesundheit|medical|médical|medizin|"
                         r"disabilit|handicap|pregnan|schwanger|enceinte|mental health|"
                         r"health condition|illness|krankheit|maladie", re.IGNORECASE),
    "religion": re.compile(r"religio|konfession|church member|kirchenmitglied", re.IGNORECASE),
}
# Columns whose values are the answer's own codes for a disclosure to a platform.
RECIPIENT_CODE = re.compile(r"^(?:FB|META|GOOGLE|GGL|TWITTER|TIKTOK|SNAP)_|UPLD|UPLOAD|SHARED_WITH",
                            re.IGNORECASE)
SOURCE_COLUMN = re.compile(r"(?:^|_)(?:SRC|SOURCE|QUELLE|HERKUNFT|ORIGINE|PROVENANCE)(?:_|$)",
                           re.IGNORECASE)
# Columns and labels of modelled attributes: scores, segments, estimates (Art. 15(1)(h)).
SEGMENT_COLUMN = re.compile(
    r"SCORE|_EST$|^EST_|PROB|PROPENS|SEGMENT|^SEG|MOSAIC_(?:TYPE|GROUP)|ACORN|PERSUADE|SWING|"
    r"PRIORITY|_ORIGIN$|NAM_HERK|AFFIN|_AFF$|^PA_|^KKI$|LEBENSPHASE|TURNOUT|_SUPPORT$|"
    r"AGE_BAND|LOOKALIKE|GESCHL_ABG", re.IGNORECASE)
SEGMENT_LABEL = re.compile(
    r"score|propensity|likelihood|segment|mosaic (?:type|group)|acorn|\(modelled\)|modelled|"
    r"squeezab|salience|affinit|kaufkraft|lebensphase|namensherkunft|tactical target|"
    r"reach flag|affluence band", re.IGNORECASE)
SEGMENT_PATH = re.compile(r"segment|lookalike|inferred|interest|bcts|ad_preferences|"
                          r"categories_used|audience", re.IGNORECASE)
TRUE = {"y", "yes", "true", "1", "ja", "oui"}


def clean_name(name: str) -> str:
    return " ".join(name.strip(" ,;:.()|\t").split()) if name else ""


def orgs_in(text: str) -> list[str]:
    """Companies, councils, platforms and local units named in a line of text."""
    found = [m.group(0) for m in ORG.finditer(text)]
    found += [m.group(0) for m in COUNCIL.finditer(text)]
    found += [m.group(1) for m in PLATFORMS.finditer(text)]
    found += [m.group(1) for m in LOCAL_UNIT.finditer(text)]
    return [clean_name(f) for f in found]


def source_names(text: str) -> list[str]:
    """What a line given as a source names: organisations, kinds of source, titled
    sign-ups and web domains."""
    names = orgs_in(text)
    names += [m.group(1) for m in SOURCE_TERMS.finditer(text)]
    names += [m.group(1) for m in DOMAIN.finditer(text)]
    return [clean_name(n) for n in names]


def campaigns_in(text: str) -> list[str]:
    return [clean_name(m.group(1)) for m in CAMPAIGN.finditer(text)]


def special_in(text: str) -> list[str]:
    return [k for k, p in _SPECIAL.items() if p.search(text)]


def dedupe(names) -> list[str]:
    """Names once each, the longer spelling kept when one contains the other."""
    out: list[str] = []
    for n in sorted({clean_name(x) for x in names if x and len(clean_name(x)) > 2},
                    key=lambda s: -len(s)):
        low = n.lower()
        if not any(low == o.lower() or (len(low) > 6 and low in o.lower()) for o in out):
            out.append(n)
    return sorted(out, key=str.lower)


def table_findings(columns: list[str], rows: list[list[str]]) -> dict:
    """From a table: source codes (a *_SRC column's values), recipient codes (an
    upload flag set), segments (modelled columns with their values) and the
    special categories its headers or values show."""
    out = {"sources": [], "recipients": [], "segments": [], "special": []}
    for i, col in enumerate(columns):
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if SOURCE_COLUMN.search(col) and not col.upper().endswith("FILE"):
            out["sources"] += values
        elif RECIPIENT_CODE.search(col) and any(v.lower() in TRUE for v in values):
            out["recipients"].append(col)
        elif SEGMENT_COLUMN.search(col) and not re.search(r"_(CONF|MODEL|SRC|DATE|RUN)$", col):
            out["segments"] += [f"{col} {v}" for v in values[:3]]
        hit = special_in(col) or ([] if len(col) > 3 else [])
        out["special"] += hit
    # A value can show it too (a canvass response "Green", a product category).
    for r in rows[:200]:
        for v in r:
            out["special"] += special_in(v)
    return out


def json_findings(text: str) -> dict:
    """From a JSON document read as `path: value` lines: segments under paths
    that hold them, advertisers that gave the platform the person's data, and
    off-platform activity naming where it came from."""
    out = {"sources": [], "segments": [], "special": []}
    for line in text.splitlines():
        path, _, value = line.partition(": ")
        value = value.strip()
        if not value or value in ("None", "null"):
            value = ""
        leaf = path.rpartition(".")[2]
        if re.search(r"advertiser", path, re.I) and leaf.endswith("name") and value or re.search(r"off_(?:meta|facebook)|activity_off", path, re.I) and leaf == "name":
            out["sources"].append(value)
        elif SEGMENT_PATH.search(path) and (leaf in ("name", "value", "segment_id", "score")
                                            or re.search(r"inferred", path, re.I)) and value:
            out["segments"].append(value if leaf != "score" else f"{path} {value}")
        out["special"] += special_in(value)
    return out
