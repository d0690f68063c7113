"""Issue 19: the DOCX letter's look — black headings, one named font for every script,
a footer with the reference and page X of Y on every page, and a closing block that
keeps with the signature. Each test drafts a real request and re-opens the DOCX bytes
`sar letter REF --format docx` writes with python-docx."""

from __future__ import annotations

import io

import pytest

LANGS = ("en", "de", "fr")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SCRIPTS = ("ascii", "hAnsi", "eastAsia", "cs")


def docx(me, kind="access", org="acme", lang="en"):
    from docx import Document

    ref = me("new", kind, "--to", org, "--lang", lang, "--again", "--json").json()[0]["ref"]
    return ref, Document(io.BytesIO(me("letter", ref, "--format", "docx").stdout_bytes))


@pytest.mark.parametrize(("lang", "words"), [("en", ("page", "of")),
                                             ("de", ("Seite", "von")),
                                             ("fr", ("page", "sur"))])
def test_footer_has_the_reference_and_page_fields_in_the_letters_language(me, lang, words):
    ref, doc = docx(me, lang=lang)
    footer = doc.sections[0].footer
    assert not footer.is_linked_to_previous
    xml = footer._element.xml
    instructions = [i.text.strip() for i in footer._element.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert xml.count('w:fldCharType="begin"') == 2 == xml.count('w:fldCharType="end"')
    text = footer.paragraphs[0].text
    page, of = words
    assert text == f"{ref} \u2014 {page} 1 {of} 1"


def test_headings_are_black_and_upright(me):
    _, doc = docx(me, org="fictional-party")
    headings = [p for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings
    style = doc.styles["Heading 2"]
    color = style.element.rPr.find(f"{W}color")
    assert color.get(f"{W}val") == "000000" and color.get(f"{W}themeColor") is None
    assert style.font.italic is False
    for p in headings:
        for run in p.runs:
            assert run.font.color.rgb in (None, style.font.color.rgb)
            assert not run.font.italic


@pytest.mark.parametrize("org", ["acme", "fictional-party"])
def test_every_style_the_letter_names_is_in_it_and_little_else(me, org):
    """The template's 164 styles are trimmed to those a letter uses, the defaults and
    what they are based on or linked to: nothing any paragraph, run or style names is
    left out."""
    import re
    import zipfile

    ref = me("new", "access", "--to", org, "--again", "--json").json()[0]["ref"]
    data = me("letter", ref, "--format", "docx").stdout_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
        parts = "".join(z.read(n).decode() for n in z.namelist()
                        if n.startswith("word/") and n.endswith(".xml") and n != "word/styles.xml")
    defined = set(re.findall(r'<w:style [^>]*w:styleId="([^"]+)"', styles))
    named = set(re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', parts))
    named |= set(re.findall(r'<w:(?:basedOn|link|next) w:val="([^"]+)"', styles))
    assert {"Normal", "Heading2", "Footer"} <= defined and named <= defined, named - defined
    assert "Heading2" in named and len(defined) < 20


@pytest.mark.parametrize("style", ["Normal", "Heading 2", "Footer"])
def test_the_font_is_named_for_every_script_and_no_theme_font_overrides_it(me, style):
    _, doc = docx(me)
    fonts = doc.styles[style].element.rPr.find(f"{W}rFonts")
    assert {s: fonts.get(f"{W}{s}") for s in SCRIPTS} == dict.fromkeys(SCRIPTS, "Arial")
    assert not [k for k in fonts.attrib if "Theme" in k or "theme" in k]
    # Nor may the document defaults bring a theme font back.
    defaults = doc.styles.element.find(f"{W}docDefaults").iter(f"{W}rFonts")
    for element in defaults:
        assert not [k for k in element.attrib if "heme" in k]
        assert element.get(f"{W}eastAsia") == "Arial" and element.get(f"{W}cs") == "Arial"


@pytest.mark.parametrize("lang", LANGS)
def test_closing_block_keeps_with_the_signature(me, lang):
    _, doc = docx(me, lang=lang)
    paragraphs = doc.paragraphs
    closing = next(i for i, p in enumerate(paragraphs)
                   if p.text.strip().startswith("_" * 10)) - 1
    block = paragraphs[closing:]
    assert len(block) == 3 and block[-1].text == "Robin Testperson"
    for p in block:
        assert p.paragraph_format.keep_with_next is True
        assert p.paragraph_format.keep_together is True
    # The letter's last paragraph comes over with it; the body before is not glued on.
    assert paragraphs[closing - 1].paragraph_format.keep_with_next is True
    assert paragraphs[closing - 2].paragraph_format.keep_with_next is not True


def test_libreoffice_lays_it_out_in_liberation_sans_with_numbered_footers(me, tmp_path):
    """Rendered for real: the PDF LibreOffice makes has the footer's fields filled in on
    every page, uses the metric-compatible Liberation Sans (never DejaVu, its stand-in
    for an unnamed or missing font), and ends with the closing and the signature on one
    page after some of the letter's text."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    from pypdf import PdfReader

    ref, _ = docx(me, org="fictional-party")
    path = tmp_path / "letter.docx"
    path.write_bytes(me("letter", ref, "--format", "docx").stdout_bytes)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    pages = PdfReader(tmp_path / "letter.pdf").pages
    assert len(pages) >= 2
    texts = [" ".join(page.extract_text().split()) for page in pages]
    for n, text in enumerate(texts, 1):
        assert f"{ref} \u2014 page {n} of {len(pages)}" in text
    fonts = {str(font["/BaseFont"]) for page in pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("LiberationSans" in f for f in fonts), fonts
    last = texts[-1]
    assert "Yours faithfully" in last and "Robin Testperson" in last
    assert not last.startswith("Yours faithfully")  # not alone on its page


def test_a_reference_is_never_split_across_two_lines(tmp_path):
    """Each reference's hyphen is a non-breaking one, so LibreOffice never ends a line
    with "SAR-" (a reader copying it would get the reference in two pieces), and the
    PDF's text still reads it with a plain hyphen. The paragraphs put the reference at
    every offset around the end of a line."""
    import datetime as dt
    import shutil
    import subprocess

    from docx import Document
    from pypdf import PdfReader

    from sar.letters import Letter
    from sar.letters.docx import as_docx
    from sar.letters.markup import Block

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    ref = "SAR-7K2QX"
    letter = Letter(ref=ref, kind="access", date=dt.date(2026, 3, 2),
                    sender=["Robin Testperson"], recipient=["Acme Data Ltd"],
                    subject=f"About my request [{ref}]", salutation="Dear Sir or Madam,",
                    body=[Block("paragraph", "x" * k + f" [{ref}]") for k in range(60, 110)],
                    closing="Yours faithfully,", signature=["Robin Testperson"])
    path = tmp_path / "letter.docx"
    path.write_bytes(as_docx(letter))
    doc = Document(path)
    assert all(f"[{ref}]" in p.text for p in doc.paragraphs if p.text.startswith("xxx"))
    assert f"{ref}" not in doc.element.xml  # no plain hyphen inside any reference
    assert all(r.bold for p in doc.paragraphs if p.text.startswith("About my") for r in p.runs)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    lines = [line.strip() for page in PdfReader(tmp_path / "letter.pdf").pages
             for line in page.extract_text().splitlines()]
    assert sum(line.endswith(f"[{ref}]") for line in lines) >= 50
    assert not [line for line in lines if line.endswith(("[SAR-", "[SAR\u2011", "[SAR"))]
