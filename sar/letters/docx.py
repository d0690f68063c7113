"""The letter as a Word document, for printing and posting.

python-docx is imported here and only here, when a DOCX is asked for. Numbers
and labels are written as text with a hanging indent rather than as Word
auto-numbering, which restarts unreliably between Word and LibreOffice.

The typeface is Arial, named for every script (ascii, hAnsi, eastAsia, cs) so no
theme font or east-asian/complex-script default lets a reader's word processor
pick another: Word has Arial everywhere, and LibreOffice and fontconfig replace it
with the metric-compatible Liberation Sans, so lines and page breaks fall in the
same places. A sans face, as UK public bodies write (GOV.UK style): plain, and
legible at 11 pt on paper and screen.
"""

from __future__ import annotations

import datetime as dt
import functools
import io

from sar.core import refs
from sar.letters import LABELS, Letter, dateline

FONT = "Arial"
LANGUAGE = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR"}
# The footer on every page: the reference, then page X of Y.
PAGE_OF = {"en": ("page", "of"), "de": ("Seite", "von"), "fr": ("page", "sur")}


def as_docx(letter: Letter) -> bytes:
    from docx import Document

    doc = Document(io.BytesIO(_template(LANGUAGE.get(letter.lang, letter.lang))))
    _properties(doc, letter)
    _footer(doc, letter)
    _head(doc, letter)
    _body(doc, letter)
    _close(doc, letter)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def _template(language: str) -> bytes:
    """python-docx's default document with the letters' page, fonts and styles set
    (for `language`), made once a run: each letter opens it and adds itself."""
    from docx import Document

    doc = Document()
    _page(doc)
    _styles(doc, language)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _page(doc) -> None:
    from docx.shared import Cm

    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.footer_distance = Cm(1.0)


def _fonts(rpr) -> None:
    """Name FONT for every script in a run-properties element, dropping the theme
    fonts (which win over named ones) python-docx's template sets."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def _styles(doc, language: str) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = defaults.find(qn("w:rPr"))
    _fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:val"), language)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    _fonts(normal.element.get_or_add_rPr())
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Heading 2", "Footer"):
        style = doc.styles[name]
        _fonts(style.element.get_or_add_rPr())
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
    doc.styles["Heading 2"].font.size = Pt(12)
    doc.styles["Footer"].font.size = Pt(9)
    _keep_styles(doc, USED_STYLES)


# The styles a letter uses (by style id). python-docx's template brings 164, and each
# paragraph given a style looks through all of them; the rest are left out, which
# makes the file a quarter smaller and a letter's styles all that Word lists.
USED_STYLES = ("Normal", "Heading2", "Footer")


def _keep_styles(doc, used) -> None:
    """Remove every style but `used`, the defaults (Word and LibreOffice fall back to
    them), those the template's list numbering names, and the styles all of these
    are based on, linked to or followed by."""
    from docx.oxml.ns import qn

    element = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in element.findall(qn("w:style"))}
    numbered = {e.get(qn("w:val")) for e in doc.part.numbering_part.element.iter(qn("w:pStyle"))}
    keep = {sid for sid, s in by_id.items() if s.get(qn("w:default")) == "1"} | set(used) | {
        sid for sid in numbered if sid in by_id}
    todo = list(keep)
    while todo:
        style = by_id[todo.pop()]
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag))
            sid = ref.get(qn("w:val")) if ref is not None else None
            if sid in by_id and sid not in keep:
                keep.add(sid)
                todo.append(sid)
    for sid, style in by_id.items():
        if sid not in keep:
            element.remove(style)


def _properties(doc, letter: Letter) -> None:
    props = doc.core_properties
    props.title = letter.subject
    props.subject = letter.ref
    props.author = letter.signature[0] if letter.signature else ""
    props.language = LANGUAGE.get(letter.lang, letter.lang)
    props.comments = "Written with sar"
    # The document is dated as the letter is, not as python-docx's template was.
    props.created = props.modified = dt.datetime.combine(letter.date, dt.time(12, 0))
    props.last_modified_by = props.author
    props.revision = 1


def _field(paragraph, code: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin / instruction / separate / result / end
    runs, which Word and LibreOffice both update when they lay the pages out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run(shown)
    fld_char("end")


def _footer(doc, letter: Letter) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    page, of = PAGE_OF.get(letter.lang, PAGE_OF["en"])
    p = doc.sections[0].footer.paragraphs[0]
    p.style = doc.styles["Footer"]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _text(p, f"{letter.ref} \u2014 {page} ")
    _field(p, "PAGE", "1")
    p.add_run(f" {of} ")
    _field(p, "NUMPAGES", "1")


def _text(paragraph, text: str, bold: bool | None = None) -> None:
    """`text` added to the paragraph (its tabs and line breaks as Word's). A
    reference's hyphen is a non-breaking one (w:noBreakHyphen, in a run of its own),
    so "SAR-7K2QX" is never split across two lines, where a reader copying it would
    get "SAR-" and "7K2QX" apart; Word, LibreOffice, python-docx and the text of a PDF
    made from it all read it as "-"."""
    at = refs.hyphens(text)
    if not at:
        _run(paragraph, text, bold)
        return
    from docx.oxml import OxmlElement

    start = 0
    for hyphen in at:
        _run(paragraph, text[start:hyphen], bold)
        _run(paragraph, "", bold)._r.append(OxmlElement("w:noBreakHyphen"))
        start = hyphen + 1
    _run(paragraph, text[start:], bold)


def _run(paragraph, text: str, bold: bool | None):
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    return run


def _lines(doc, texts, align=None, after=None):
    from docx.shared import Pt

    p = doc.add_paragraph()
    for i, t in enumerate(texts):
        run = p.add_run(t)
        if i < len(texts) - 1:
            run.add_break()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(12) if after is None else after
    return p


def _head(doc, letter: Letter) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    _lines(doc, letter.sender, WD_ALIGN_PARAGRAPH.RIGHT)
    _lines(doc, [dateline(letter)], WD_ALIGN_PARAGRAPH.RIGHT)
    _lines(doc, letter.recipient)
    ref = doc.add_paragraph()
    ref.add_run(f"{LABELS.get(letter.lang, LABELS['en'])['reference']} ").bold = True
    _text(ref, letter.ref)
    subject = doc.add_paragraph()
    _text(subject, letter.subject, bold=True)
    subject.paragraph_format.space_before = Pt(6)
    doc.add_paragraph(letter.salutation)


def _body(doc, letter: Letter) -> None:
    from docx.shared import Cm, Pt

    # The style looked up once: add_heading would look it up by name for each.
    heading = doc.styles["Heading 2"]
    for block in letter.body:
        if block.kind == "heading":
            h = doc.add_paragraph(style=heading)
            _text(h, block.text)
            h.paragraph_format.keep_with_next = True
        elif block.kind == "paragraph":
            _text(doc.add_paragraph(), block.text)
        else:
            p = doc.add_paragraph()
            indent = Cm(1.0) if block.marker != "•" else Cm(0.6)
            p.paragraph_format.left_indent = indent
            p.paragraph_format.first_line_indent = -indent
            p.paragraph_format.space_after = Pt(3)
            p.paragraph_format.tab_stops.add_tab_stop(indent)
            _text(p, f"{block.marker}\t{block.text}")


def _close(doc, letter: Letter) -> None:
    """The closing line, the space to sign and the name, kept on one page: each
    paragraph keeps with the next and is not split, and the letter's last paragraph
    keeps with the closing, so the signature never stands alone at the top of a page."""
    from docx.shared import Pt

    if doc.paragraphs:
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    closing = doc.add_paragraph(letter.closing)
    closing.paragraph_format.space_before = Pt(12)
    signature_space = doc.add_paragraph()
    signature_space.paragraph_format.space_before = Pt(36)
    signature_space.add_run("_" * 30)
    name = _lines(doc, letter.signature, after=Pt(0))
    for p in (closing, signature_space, name):
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.keep_together = True
