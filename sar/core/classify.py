"""What a reply says: explainable rules over the organisation's own words.

Pure: `classify()` takes what sar.mail.inbound read from a message (and, once it
is matched, the kind of request and the letter we sent) and returns a Decision:
a label, the rule that decided it, and the words that made the rule fire, so
`sar show` can say why and `sar mark` can overrule it.

Order (after ../shared/reference/mail.md §4): a bounce is recognised by its
structure first (bounces carry Auto-Submitted too), then what the text says, then
automatic-reply headers and subjects. The text is read without quoted material
(`>` lines, "On ... wrote:", "-----Original Message-----", an Outlook header
block, and any line of the letter we sent), and sentences that only say what
might happen ("If we need ...") are not read as saying it happened.

When rules disagree the more cautious label wins: a question asked of the
requester (ID, clarification) stops the clock and needs an answer, so it comes
first; a refusal beats a reply that only looks like an answer; and `fulfilled`,
which would close a request that may still be owed, needs strong evidence: words
that say the data is provided *and* an attachment or a link to it (access), or
words that say the erasure is done (erasure). When unsure: `unclassified`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sar.core import needed

LABELS = ("acknowledged", "id-requested", "clarification-requested", "extended", "fulfilled",
          "partially-fulfilled", "no-data-held", "refused", "bounced", "auto-reply",
          "unclassified")
# Labels that become the request's event of the same name when a reply is matched.
EVENT_LABELS = ("acknowledged", "id-requested", "clarification-requested", "extended",
                "fulfilled", "partially-fulfilled", "no-data-held", "refused", "bounced")
# Labels that close a request (or part of it): held for confirmation when the
# user's provider says the reply failed DKIM/DMARC.
CLOSING = ("fulfilled", "partially-fulfilled", "no-data-held", "refused")


@dataclass(frozen=True)
class Decision:
    label: str
    rule: str                    # the rule's name, stable: e.g. "en.id.verify-identity"
    reason: str                  # in words, for `sar show`
    evidence: str = ""           # the sentence (or header) that made the rule fire
    signals: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"label": self.label, "rule": self.rule, "reason": self.reason,
                "evidence": self.evidence}


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    pattern: re.Pattern
    kinds: tuple[str, ...] | None = None   # request kinds it applies to (None: any)


def _rules(lang: str, label: str, patterns: dict[str, str], kinds=None) -> list[Rule]:
    return [Rule(f"{lang}.{label}.{name}", label, re.compile(p), kinds)
            for name, p in patterns.items()]


_ACCESS = ("access", "portability")
_ERASE = ("erasure",)
_STOP = ("objection", "restriction")

# Each pattern runs over one lower-cased sentence of the organisation's own text,
# with curly quotes made straight. Keep them specific: a phrase that our own
# letter uses, or that a reply uses about what might happen, must not match.
RULES: list[Rule] = [
    # --- English ---------------------------------------------------------------
    *_rules("en", "id-requested", {
        "verify-identity": r"\b(verify|confirm|prove|establish|check|validate) (your|the requester's) identity",
        "verification-process": r"\b(complete|pass|undergo|go through|start)\b.{0,30}\b(identity )?verification (process|check)",
        "proof-of": r"\bproof of (your )?(identity|id|address|current address)",
        "photo-id": r"\bphoto(graphic)? (id|identification)\b",
        "copy-of-id": r"\bcopy of (your |a |one form of )?(passport|driving licen[cs]e|identity card|id\b|identification)",
        "verify-you": r"\b(once|until|after|before) we (have )?(verified|confirmed|checked) (that )?you are\b|\b(verify|confirm) (that )?you are the (account holder|person|data subject)",
        "documents": r"\b(send|provide|upload|attach|forward)\b.{0,80}\b(utility bill|bank statement|council tax bill|passport|driving licen[cs]e)",
        "document-listed": r"^(a |one )?(recent |current )?(copy of (a |your )?)?(utility bill|bank statement|council tax bill|passport|driving licen[cs]e|photo(graphic)? id)\b",
        "security-questions": r"\bsecurity questions?\b|\b(answer|complete) (the|these|our) (following )?(security|verification) questions",
        "identify-you": r"\b(need|require|unable|not able|cannot|can't)\b.{0,60}\bidentify you\b",
        "who-you-are": r"\b(confirm|prove|verify|check|establish) who you are\b",
    }),
    *_rules("en", "clarification-requested", {
        "narrow-down": r"\bnarrow (it|this|your request|the request) down\b|\bnarrow down\b",
        "clarify": r"\b(please|could you|can you|would you)\b.{0,40}\b(clarify|specify|be more specific)\b",
        "let-us-know": r"\b(could|can|would) you (please )?(let (me|us) know|tell (me|us)|confirm)\b(.{0,60}\b(whether|which)\b|\s*:$)",
        "which-data": r"\b(please (tell|let) us|could you (tell|let) us)\b.{0,40}\bwhich (data|information|records|systems|period|part)",
    }),
    *_rules("en", "partial", {
        "withheld": r"^(?!.*(n't|\bnot|\bnothing|\bno information)( been)? (withheld|redacted)).*\b(withheld|redacted|not (been )?disclosed|not (been )?included|not (been )?provided)\b",
        "exemption": r"\b(exemption|exempt)\b.{0,80}\b(appl|withh|rel(y|ied))",
        "partly": r"\b(partial|partially|in part|some of (the|your) (data|information))\b.{0,60}\b(withheld|refus|retain|kept|not)",
        # Erased, except what is kept: the erasure is partial (suppression aside).
        "kept": r"^(?!.*(suppress|opt-out|do not contact|this request)).*\b(we('ve| have)?|we) (kept|retained)\b",
    }),
    *_rules("en", "refused", {
        "manifestly": r"\bmanifestly (unfounded|excessive)\b",
        "decided-not": r"\b(decided|decide) not to (erase|delete|comply|provide|disclose|act|respond)",
        "will-not": r"\b(will|shall|can|are) (therefore |now )?not (be )?(responding|comply|complying|act|acting|provid|disclos|eras|delet)",
        "refuse": r"\bwe (must |have to |have |are )?(refuse|refusing|refused|decline|declining|declined)\b",
        "not-controller": r"\bnot the (data )?controller\b|\b(only|merely|acting as|as) a (data )?processor\b",
        "cannot-act": r"\b(not able|unable) to act on your\b.{0,20}\brequest",
        "must-keep": r"^(?!.*(suppress|opt-out|do not contact)).*\b(we|we're) (must|are |)?(legally )?(required to|obliged to|have to|need to|will need to|must) (keep|retain)\b",
        "cannot-delete": r"\b(can't|cannot|can not|could not|couldn't) be (deleted|erased)\b",
        "unable-to-erase": r"\b(unable|not able) to (comply with|erase|delete|action) (your|this|the)",
    }),
    *_rules("en", "extended", {
        "extend-time": r"\bextend(ing|ed)? (the )?(time|deadline|period|time limit|response time)",
        "further-months": r"\b(further|additional|extra|more) (two|2) months\b|\b(two|2) (further|additional|extra|more) months\b",
        "article-12-3": r"\b(extend|extension|further|additional)\b.{0,80}\barticle 12\s?\(3\)|\barticle 12\s?\(3\).{0,80}\b(extend|extension|further (two|2) months)",
        "more-time": r"\b(need|require) (more|additional|further) time\b",
    }),
    *_rules("en", "no-data-held", {
        "hold-none": r"\b(do|does|did) not (hold|have|process|store) any (personal )?(data|information|records)|\b(don't|doesn't|didn't) (hold|have|process|store) any (personal )?(data|information|records)",
        "found-none": r"\b(did not|could not|couldn't|cannot|can't|were unable to|was unable to|are unable to|have been unable to) (find|locate|identify) any\b",
        "hold-no": r"\b(we|it) (hold|holds|have|has) no (personal )?(data|information|records)",
        "no-records": r"\bno (personal )?(data|information|records) (about|relating to|matching|linked to|associated with) you",
    }),
    # Access: the data is provided. Strong evidence also needs an attachment or link.
    *_rules("en", "provided", {
        "find-attached": r"\b(please )?find (attached|enclosed)\b.{0,40}\b(your|the|our|a copy)\b.{0,40}\b(data|information|response|report|file|files|records|copy|export|archive)\b",
        "attach-response": r"\b(attach|attached|enclose|enclosed)\b.{0,30}\b(our response|your (personal )?(data|information)|a copy of (your|the))",
        "data-ready": r"\byour (personal )?(data|information|report|file) is (now )?(ready|available)|\b(copy of your|your)\b.{0,40}\b(data|information|archive)\b.{0,30}\bis (now )?(ready|available)",
        "attach-file": r"\b(attach|attached|enclose|enclosed)\b.{0,20}\b(a |the )?(zip|pdf|csv|file|archive|report)\b",
        "download": r"\b(download|access) (it|(your|the) (personal )?(data|information|file|files|archive|export|report|copy)) (from|at|here|via|using|by)\b",
        "here-is": r"\bhere is (a copy of )?(your|the) (personal )?(data|information)",
        # Sent through a portal or a link rather than attached (still needs the link).
        "portal": r"\b(your|the) (personal )?(data|information|response|file|files|report|records)\b.{0,60}\b(uploaded|available|ready|published)\b.{0,40}\b(portal|secure (link|site|area|platform))",
        "secure-link": r"\b(secure|encrypted|download) link\b.{0,60}\b(your|the) (personal )?(data|information|file|files|response|report|records)|\b(your|the) (personal )?(data|information|file|files|response|report)\b.{0,60}\b(secure|encrypted|download) link\b",
    }, kinds=_ACCESS),
    # Sent by post or courier, with the data: as strong as an attachment.
    *_rules("en", "posted-data", {
        "sent-by-post": r"\b(has been|have been|was|were|we('ve| have)) (sent|posted|dispatched)\b.{0,60}\b(by (post|royal mail|recorded|special|signed|tracked|registered|courier)|first class)",
    }, kinds=_ACCESS),
    *_rules("en", "erased", {
        "been-deleted": r"\b(has|have) (now )?been (permanently |securely )?(deleted|erased|removed|anonymi[sz]ed)\b",
        "we-deleted": r"\bwe (have|'ve) (now )?(permanently |securely )?(deleted|erased|removed|anonymi[sz]ed)\b",
        "completed-erasure": r"\b(completed|actioned|processed) your (erasure|deletion) request|\b(completed|actioned) your request to (delete|erase)",
        "suppressed": r"\b(added|placed) .{0,40}\bsuppression (file|list|record)",
    }, kinds=_ERASE),
    *_rules("en", "stopped", {
        "no-longer": r"\b(will )?no longer (process|use|send)\b",
        "stopped": r"\bwe (have|'ve) (now )?(stopped|ceased|restricted)\b",
        "suppressed": r"\b(added|placed)\b.{0,60}\bsuppression (file|list|record)",
    }, kinds=_STOP),
    *_rules("en", "rectified", {
        "corrected": r"\b(has|have) (now )?been (corrected|updated|amended|rectified)\b|\bwe (have|'ve) (now )?(corrected|updated|amended|rectified)\b",
    }, kinds=("rectification",)),
    *_rules("en", "completed", {
        "completed-request": r"\bwe have (now )?completed your request\b|\bwe('ve| have) (now )?actioned your request\b",
    }, kinds=(*_ERASE, *_STOP, "rectification")),
    *_rules("en", "acknowledged", {
        "received": r"\b(we have|we've|we) (now )?(received|logged|registered) your\b(\s[\w-]+){0,4}?\s(request|email|letter|message)",
        "has-been-received": r"\byour (request|email|letter)\b.{0,30}\b(has been|was) (received|logged)",
        "receipt": r"\b(confirms?|acknowledges?) (the )?(receipt|that we have received)",
        "respond-within": r"\b(respond|reply|response)\b.{0,20}\bwithin (one|1|a) (calendar )?month",
        "passed-on": r"\bpassed (it|this|your (request|email|letter)) on to\b",
        "passed-to-team": r"\bpassed (it |this |your request )?(over |on )?to our (data protection|privacy|dpo|legal|data)",
        "will-delete": r"\bwe will (delete|erase|remove) your (data|account|details|personal)",
    }),
    *_rules("en", "redirect", {
        "web-form": r"\b(use|complete|submit|fill in|go to) (our|the) (online |web |privacy |dedicated )?(web ?form|online form|request form|form|portal)\b",
    }),
    # --- German ----------------------------------------------------------------
    *_rules("de", "id-requested", {
        "identitaet": r"\bidentität\b.{0,40}\b(bestätigen|überprüfen|prüfen|nachweisen|verifizieren|feststellen)",
        "nachweis": r"\b(identitätsnachweis|ausweiskopie|kopie (ihres|ihrer) (personalausweis|ausweis|reisepass))",
    }),
    *_rules("de", "clarification-requested", {
        "praezisieren": r"\b(präzisieren|konkretisieren|eingrenzen)\b",
        "welche-daten": r"\b(teilen sie uns|bitte) .{0,30}\bwelche (daten|informationen|zeitraum)",
        "mitzuteilen": r"\bbitten sie\b.{0,30}\buns mitzuteilen\b|\bnicht hervor, welche\b",
    }),
    *_rules("de", "partial", {
        "teilweise": r"\b(teilweise|geschwärzt|zurückgehalten|nicht enthalten|nicht bestandteil|nicht offengelegt|geschäftsgeheimnis\w*)\b",
        "aufbewahrt": r"^(?!.*sperrliste).*\b(aufbewahrt|weiterhin gespeichert)\b",
    }),
    *_rules("de", "refused", {
        "offenkundig": r"\boffenkundig (unbegründet|exzessiv)|\bexzessiv\b",
        "ablehnen": r"\b(lehnen|müssen) (wir )?(ihren antrag|ihre anfrage|ihr ersuchen|dies)? ?(leider )?ab\b|\babgelehnt\b",
        "nicht-verantwortlich": r"\bnicht (der )?verantwortliche\b|\b(sind wir|wir sind) (lediglich |nur |als )?auftragsverarbeiter\b",
        "nicht-nachkommen": r"\b(können|könnten) wir\b.{0,20}\bnicht (nachkommen|entsprechen)\b|\b(löschung|auskunft) ist\b.{0,30}\bausgeschlossen\b",
        "nicht-geloescht": r"\bnicht gelöscht\b",
        "aufbewahren": r"\b(gesetzlich )?verpflichtet\b.{0,80}\baufzubewahren\b|\baufbewahrungspflicht",
    }),
    *_rules("de", "extended", {
        "verlaengern": r"\b(frist|bearbeitungsfrist)\b.{0,60}\bverlänger|\bverlänger\w*\b.{0,40}\bfrist\b|\bfristverlängerung\b|\b(um )?(zwei|2) weitere monate\b",
    }),
    *_rules("de", "no-data-held", {
        "keine-daten": r"\b(keine|keinerlei) (personenbezogenen )?(daten|informationen)\b.{0,40}\b(gespeichert|gefunden|vorhanden|verarbeitet)|\bkeine daten (zu|über) ihrer person",
    }),
    *_rules("de", "provided", {
        "anbei": r"\b(im anhang|anbei|beigefügt|in der anlage)\b.{0,60}\b(daten|auskunft|kopie|informationen)",
        "herunterladen": r"\bherunterladen\b",
    }, kinds=_ACCESS),
    *_rules("de", "erased", {
        "geloescht": r"\b(wurden|wurde|haben|sind)\b.{0,200}(?<!nicht )\b(gelöscht|entfernt|anonymisiert)\b|(?<!nicht )\b(gelöscht|entfernt|anonymisiert) (wurden|wurde|worden)\b",
    }, kinds=_ERASE),
    *_rules("de", "acknowledged", {
        "erhalten": r"\b(ihre|ihr|ihren) (anfrage|e-mail|nachricht|auskunftsersuchen|antrag|schreiben)\b.{0,40}\b(erhalten|eingegangen)",
        "eingang": r"\beingang (ihrer|ihres)\b.{0,40}\bbestätigen|\bbestätigen (wir |ihnen )*(hiermit )?den eingang",
        "monat": r"\binnerhalb (eines|von einem|der gesetzlichen frist von einem) monat|\bfrist von einem monat\b",
    }),
    *_rules("de", "redirect", {
        "formular": r"\b(nutzen|verwenden|benutzen) sie\b.{0,40}\b(formular|portal)|\bkontaktformular\b",
    }),
    # --- French ----------------------------------------------------------------
    *_rules("fr", "id-requested", {
        "identite": r"\b(justificatif|pièce|preuve) d'identité|\bvérifier votre identité|\bcopie de votre (carte d'identité|passeport)",
    }),
    *_rules("fr", "clarification-requested", {
        "preciser": r"\b(préciser|clarifier)\b",
    }),
    *_rules("fr", "partial", {
        "partiel": r"\b(partiellement|occultée?s?|caviardée?s?|non communiquée?s?)\b",
        "conserve": r"^(?!.*opposition).*\b(conservons|avons conservé|sont conservées)\b",
    }),
    *_rules("fr", "refused", {
        "manifestement": r"\bmanifestement (infondée|excessive)",
        "refus": r"\b(refusons|ne pouvons\b.{0,30}\bpas\b.{0,10}\b(y )?(donner (une )?suite|faire droit))|\bpas en mesure de (faire droit|donner suite)",
        "suite-favorable": r"\bpas\b.{0,40}\bsuite favorable\b",
        "conserver": r"\b(sommes|est) tenus? de conserver\b",
        "pas-responsable": r"\bpas (le )?responsable (du|de) traitement\b|\bsous-traitant\b",
    }),
    *_rules("fr", "extended", {
        "prolonger": r"\b(prolong|prorog)\w*\b.{0,60}\b(deux|2) mois|\bdélai supplémentaire\b",
    }),
    *_rules("fr", "no-data-held", {
        "aucune": r"\b(ne (détenons|disposons d'|conservons|traitons))\s?aucune donnée|\baucune donnée (personnelle )?vous concernant",
    }),
    *_rules("fr", "provided", {
        "ci-joint": r"\b(veuillez trouver|trouverez|vous trouverez) ci-joint|\bci-joint\b.{0,40}\b(données|copie)",
        "telecharger": r"\btélécharger\b",
    }, kinds=_ACCESS),
    *_rules("de", "rectified", {
        "berichtigt": r"\b(wurden|wurde|haben)\b.{0,120}\b(berichtigt|korrigiert|aktualisiert)\b",
    }, kinds=("rectification",)),
    *_rules("fr", "rectified", {
        "corrige": r"\b(avons|ont été|a été)\b.{0,20}\b(corrigée?s?|modifiée?s?|mise?s? à jour|rectifiée?s?)\b",
    }, kinds=("rectification",)),
    *_rules("fr", "erased", {
        "supprimees": r"\b(ont été|a été|avons) (supprimé|effacé)",
    }, kinds=_ERASE),
    *_rules("fr", "redirect", {
        "formulaire": r"\butiliser\b.{0,40}\bformulaire\b",
    }),
    *_rules("fr", "acknowledged", {
        "reception": r"\baccus(ons|er) (bonne )?réception|\bavons (bien )?reçu votre (demande|courriel|message|lettre)",
        "un-mois": r"\bdans un délai d'un mois\b",
    }),
]

_BOUNCE_RULE = {"multipart/report delivery-status notification": "dsn",
                "a delivery-status part": "status-part",
                "X-Failed-Recipients header": "x-failed-recipients",
                "X-MS-Exchange-Message-Is-Ndr header": "exchange-ndr",
                "sent by a mailer daemon": "mailer-daemon",
                "a null return path and a delivery-failure subject": "null-path"}
# What a label's rule group is called in RULES, and what it proves.
_FULFIL = ("provided", "posted-data", "erased", "stopped", "rectified", "completed")

# A sentence about what might happen is not a statement that it did.
_CONDITIONAL = re.compile(
    r"^(if|should|in case|where|unless|wenn|falls|sollten|si|au cas)\b|"
    r"\b(if|whether) (we|you) (need|have|require|would)|\bmay (need|ask|have to)\b|"
    # "the period may be extended": a possibility the law allows, not a notice (Art. 12(3))
    r"\b(may|might|could|can) (also )?(be (further )?extended|extend)\b|"
    r"\b(kann|könnte)\b.{0,40}\bverlängert werden\b|\bpeut (être|etre) prolong")
# "Once your data has been deleted, we will confirm": not done yet.
_PENDING = re.compile(r"^(once|when|after|before|until|as soon as|sobald|nachdem|bevor|"
                      r"dès que|lorsque|quand|une fois)\b")
# A sentence that says something was not done (yet) does not say it was done.
_NEGATED = re.compile(r"n't\b|\b(not|no|none|nothing|never|yet|nicht|kein\w*|noch|bisher|"
                      r"pas|aucune?|jamais|plus)\b")
_URL = re.compile(r"https?://\S+")

_QUOTE_START = [re.compile(p, re.IGNORECASE) for p in (
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|message original|"
    r"forwarded message|weitergeleitete nachricht)\s*-{2,}\s*$",
    r"^[-_=]{10,}\s*$",
    r"^.{0,250}\bwrote\b[\s:-]*$",
    r"^\s*am\b.{0,250}\bschrieb\b.{0,200}:\s*$",
    r"^.{0,200}\bschrieb am\b.{0,100}:\s*$",
    r"^\s*le\b.{0,250}\ba écrit\s*:\s*$",
)]
# A confidentiality footer is boilerplate: its "do not disclose" says nothing here.
_DISCLAIMER = re.compile(
    r"^\s*(confidentiality notice|disclaimer|this (e-?mail|message|communication)\b.{0,60}\b"
    r"(confidential|privileged|intended (solely |only )?for)|the information (contained )?in "
    r"this (e-?mail|message)\b.{0,40}\bconfidential|diese (e-?mail|nachricht)\b.{0,60}\b"
    r"vertraulich|ce (message|courriel|mail)\b.{0,60}\bconfidentiel)", re.IGNORECASE)
_HEADER_BLOCK = re.compile(r"^\s*\*?(from|von|de)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|gesendet|datum|envoyé|to|an|à|subject|betreff|objet)"
                          r"\s*:", re.IGNORECASE)


# Where the organisation's own words end, in one pattern: any of the above.
_ENDS = re.compile("|".join(f"(?:{p.pattern})" for p in (*_QUOTE_START, _DISCLAIMER)),
                   re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-_=]{10,}\s*$")
_ON = re.compile(r"^\s*on\b", re.IGNORECASE)
_WROTE = re.compile(r"\bwrote:\s*$", re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
                    .lower().split())


def own_text(text: str, our_letters: list[str] = ()) -> str:
    """The organisation's own words: `text` without what it quotes."""
    ours = {norm for letter in our_letters for line in letter.splitlines()
            if len(norm := _norm(line)) >= 25}
    lines = text.splitlines()
    kept = []
    # A ticket system's notification (Zendesk: "##- Please type your reply above
    # this line -##") puts the newest comment after the first separator line, and
    # the history, our letter included, after the next.
    separators = 1 if any(line.strip().startswith("##-") for line in lines[:5]) else 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if separators and _SEPARATOR.match(stripped):
            separators -= 1
            continue
        if _ENDS.match(stripped):
            break
        # "On Tue, 2 Apr 2026 at 10:00, Alex Morgan\n<alex@example.org> wrote:"
        if _ON.match(stripped) and i + 1 < len(lines) and \
                _WROTE.search(lines[i + 1]) and len(stripped) < 250:
            break
        if _HEADER_BLOCK.match(stripped) and any(
                _HEADER_NEXT.match(x) for x in lines[i + 1:i + 4]):
            break
        if stripped.startswith(">") or stripped.startswith("##-"):
            continue
        if ours and _norm(stripped) in ours:
            continue
        kept.append(line)
    return "\n".join(kept)


_SPLIT = re.compile(r"(?<=[.!?])\s+|\s+[-*\u2022]\s+|(?<=:)\s+(?=\d\.)")


def sentences(text: str, keep_case: bool = False) -> list[str]:
    """Sentences, lower-cased for the rules (or as written, to quote them);
    paragraphs are joined first, so a sentence broken over lines (or by a
    quoted-printable soft break) is one sentence again."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        flat = _norm(para) if not keep_case else " ".join(
            para.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ").split())
        out += [s.strip().lstrip("-*\u2022 ") for s in _SPLIT.split(flat) if s.strip()]
    return out


# Each rule as it reads the sentences joined by newlines: `^` and `$` at each
# sentence's edges, `.` never across one. A rule that matches a sentence alone
# matches there too (its rules look behind only for words, ahead only with `.`),
# so a rule that misses the joined text fires on no sentence; one that matches
# it is then tried on each sentence as before (tests/test_classify_fixtures.py).
_WHOLE = {r.name: re.compile(r.pattern.pattern, r.pattern.flags | re.MULTILINE)
          for r in RULES}
# And before that search, the words it cannot match without (sar.core.needed).
_NEEDS = needed.Index({r.name: needed.needed(r.pattern) for r in RULES})


def _hits(said: list[str], kind: str | None) -> dict[str, tuple[Rule, str, int]]:
    """The first rule that fires for each rule group, with its sentence and where.
    Each rule's own pattern is searched (Python's re finds a rule's literal words
    fast; one alternation of all the rules is three times slower than all of them
    one by one), and only a sentence some rule matches is read for the words that
    undo a match (conditional, pending, negated)."""
    found: dict[str, tuple[Rule, str, int]] = {}
    # One search of each rule over all the sentences first, so only the few rules
    # that can fire are tried sentence by sentence (see _WHOLE).
    whole = "\n".join(said)
    maybe = _NEEDS.candidates(whole)
    rules = [r for r in RULES if (r.kinds is None or kind is None or kind in r.kinds)
             and r.name in maybe and _WHOLE[r.name].search(whole)]
    if not rules:
        return found
    for i, sentence in enumerate(said):
        fired = [(rule, m) for rule in rules if rule.label not in found
                 and (m := rule.pattern.search(sentence))]
        if not fired:
            continue
        conditional = bool(_CONDITIONAL.search(sentence))
        negated = bool(_NEGATED.search(sentence))
        pending = bool(_PENDING.search(sentence))
        for rule, m in fired:
            if rule.label in found:
                continue
            if conditional and rule.label != "acknowledged":
                continue
            if rule.label in _FULFIL and pending:
                continue
            if negated and rule.label in _FULFIL and _NEGATED.search(
                    sentence[max(0, m.start() - 30):m.end() + 12]):
                continue  # "none of it has been deleted yet"
            found[rule.label] = (rule, sentence, i)
    return found


def _decide(label: str, hit: tuple[Rule, str, int], reason: str, signals=(),
            written: list[str] = ()) -> Decision:
    rule, sentence, i = hit
    # Quote the organisation's words as they wrote them, where the split agrees.
    quoted = written[i] if i < len(written) and written[i].lower() == sentence else sentence
    return Decision(label, rule.name, reason, quoted[:300], tuple(signals))


def classify(msg, kind: str | None = None, our_letters: list[str] = ()) -> Decision:
    """Label one incoming message (an sar.mail.inbound.Inbound). `kind` is the
    request's kind once matched: what counts as done differs between an access
    and an erasure request."""
    if msg.bounce_signals:
        if msg.bounce_actions and not any(a.startswith("failed") for a in msg.bounce_actions):
            return Decision("auto-reply", "bounce.delayed",
                            "a delivery report saying the letter is delayed, not failed "
                            f"({', '.join(msg.bounce_actions)}): it may still arrive",
                            signals=tuple(msg.bounce_signals))
        status = f" (status {msg.bounce_status})" if msg.bounce_status else ""
        return Decision("bounced", "bounce." + _BOUNCE_RULE.get(msg.bounce_signals[0], "other"),
                        f"a bounce: {msg.bounce_signals[0]}{status}",
                        msg.bounce_diagnostic or "", tuple(msg.bounce_signals))
    own = own_text(msg.text, our_letters)
    said = sentences(own)
    hits = _hits(said, kind)
    # As written, for quoting: only a rule that fired is quoted.
    written = sentences(own, keep_case=True) if hits else []

    def _decision(label, hit, reason, signals=()):
        return _decide(label, hit, reason, signals, written)

    fulfil = next((hits[g] for g in _FULFIL if g in hits), None)
    if fulfil and fulfil[0].label == "provided":
        # The data itself must be there: a document attached (not a logo), or a link
        # in the sentence that says so or the two after it (not one in a signature).
        near = " ".join(said[fulfil[2]:fulfil[2] + 3])
        attached = any(not a.content_type.startswith("image/") and a.data
                       for a in msg.attachments)
        if not attached and not _URL.search(near):
            fulfil = None  # says it sends the data, but there is nothing to see
    auto = tuple(msg.auto_signals)

    if "id-requested" in hits:
        return _decision("id-requested", hits["id-requested"],
                         "asks you to prove who you are", auto)
    if "clarification-requested" in hits:
        return _decision("clarification-requested", hits["clarification-requested"],
                         "asks you to say more precisely what you want", auto)
    if fulfil and ("partial" in hits or "refused" in hits):
        why = hits.get("partial") or hits["refused"]
        return _decision("partially-fulfilled", why,
                         f"provides or does part of it (\u201c{fulfil[1][:80]}\u201d) but "
                         "withholds or refuses the rest", auto)
    if "refused" in hits:
        return _decision("refused", hits["refused"], "refuses the request", auto)
    if "extended" in hits:
        return _decision("extended", hits["extended"], "extends the time to answer", auto)
    if "no-data-held" in hits:
        return _decision("no-data-held", hits["no-data-held"],
                         "says it holds no data about you", auto)
    if fulfil:
        what = {"provided": "provides the data",
                "posted-data": "says the data went by post"}.get(fulfil[0].label,
                                                                 "says it is done")
        return _decision("fulfilled", fulfil, what + (" (with an attachment)" if
                                                      msg.attachments else ""), auto)
    if "redirect" in hits:
        # A request by email is valid whatever channel the organisation prefers (ICO:
        # a request may be made by any means), but the user should know and decide.
        return _decision("unclassified", hits["redirect"],
                         "points you to its web form or portal instead: a request by email "
                         "still counts, but read it, then `sar mark`", auto)
    if "acknowledged" in hits:
        return _decision("acknowledged", hits["acknowledged"],
                         "acknowledges the request" + (" (automatically)" if auto else ""),
                         auto)
    if auto:
        return Decision("auto-reply", "auto." + _slug(auto[0]),
                        f"an automatic reply ({auto[0]}) that says nothing about the request",
                        signals=auto)
    if "provided" in hits:
        return _decision("unclassified", hits["provided"],
                         "says it sends your data, but nothing is attached or linked: "
                         "read it, then `sar mark`")
    return Decision("unclassified", "none",
                    "no rule was sure what this says: read it, then `sar mark`")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
