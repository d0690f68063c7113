"""The letter as a Word document, for printing and posting.

python-docx is imported here and only here, when a DOCX is asked for. Numbers
and labels are written as text with a hanging indent rather than as Word
auto-numbering, which restarts unreliably between Word and LibreOffice.
"""

from __future__ import annotations

import io

from sar.letters import LABELS, Letter, dateline


def as_docx(letter: Letter) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.5))
    section.top_margin = section.bottom_margin = Cm(2.0)

    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)

    props = doc.core_properties
    props.title = letter.subject
    props.subject = letter.ref
    props.author = letter.signature[0] if letter.signature else ""
    props.language = {"en": "en-GB", "de": "de-DE", "fr": "fr-FR"}.get(letter.lang, letter.lang)
    props.comments = "Written with sar"
    # The document is dated as the letter is, not as python-docx's template was.
    import datetime as dt

    props.created = props.modified = dt.datetime.combine(letter.date, dt.time(12, 0))
    props.last_modified_by = props.author
    props.revision = 1

    def lines(texts, align=None, after=Pt(12)):
        p = doc.add_paragraph()
        for i, t in enumerate(texts):
            run = p.add_run(t)
            if i < len(texts) - 1:
                run.add_break()
        if align is not None:
            p.alignment = align
        p.paragraph_format.space_after = after
        return p

    lines(letter.sender, WD_ALIGN_PARAGRAPH.RIGHT)
    lines([dateline(letter)], WD_ALIGN_PARAGRAPH.RIGHT)
    lines(letter.recipient)
    ref = doc.add_paragraph()
    ref.add_run(f"{LABELS.get(letter.lang, LABELS['en'])['reference']} ").bold = True
    ref.add_run(letter.ref)
    subject = doc.add_paragraph()
    subject.add_run(letter.subject).bold = True
    subject.paragraph_format.space_before = Pt(6)
    doc.add_paragraph(letter.salutation)

    for block in letter.body:
        if block.kind == "heading":
            h = doc.add_heading(block.text, level=2)
            h.paragraph_format.keep_with_next = True
        elif block.kind == "paragraph":
            doc.add_paragraph(block.text)
        else:
            p = doc.add_paragraph()
            indent = Cm(1.0) if block.marker != "•" else Cm(0.6)
            p.paragraph_format.left_indent = indent
            p.paragraph_format.first_line_indent = -indent
            p.paragraph_format.space_after = Pt(3)
            p.paragraph_format.tab_stops.add_tab_stop(indent)
            p.add_run(f"{block.marker}\t{block.text}")

    doc.add_paragraph(letter.closing).paragraph_format.space_before = Pt(12)
    signature_space = doc.add_paragraph()
    signature_space.paragraph_format.space_before = Pt(36)
    signature_space.add_run("_" * 30)
    lines(letter.signature, after=Pt(0))

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
