"""`sar review`: files read within bounds, the Art. 15 rules, storing and overruling,
`sar show`, and the incomplete-answer follow-up. Real files built here with the
libraries that read them; invented people and example.org addresses."""

from __future__ import annotations

import io
import zipfile

import pytest

from sar.core.review import review
from sar.demo import _pdf as one_page_pdf
from sar.review import extract as ex

ME = ("Robin Sample", "robin@example.org")


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r in rows:
            sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _review(body: str, files=(), kind="access"):
    got = ex.extract(body, list(files))
    return review([p.as_dict() for p in got.parts], kind, ME), got


# -- extraction ----------------------------------------------------------------------

def test_every_kind_of_file_is_read_with_where_it_was():
    pdf = one_page_pdf(["Name   Robin Sample", "Mosaic Type   B05 - Example"])
    docx = _docx(["Your data", "We hold your name and address."])
    xlsx = _xlsx({"Elector": [["ID", "NM_ORIGIN"], ["7", "CEL-WLS"]],
                  "Canvass": [["DATE", "VI"], ["2025-01-01", "GRN"]]})
    got = ex.extract("The body.", [
        ("a.pdf", "application/pdf", pdf), ("b.docx", "", docx), ("c.xlsx", "", xlsx),
        ("d.csv", "text/csv", "\ufeffA;B\r\n1;2\r\n".encode()),
        ("e.json", "", b'{"segments": [{"name": "Interest > Cycling"}]}'),
        ("f.html", "", b"<p>Hello <b>there</b></p><script>x()</script>"),
        ("g.zip", "", _zip({"inner/h.txt": b"plain words"}))])
    where = {(p.file, p.where) for p in got.parts}
    assert ("a.pdf", "page 1") in where
    assert ("c.xlsx", "sheet Elector") in where and ("c.xlsx", "sheet Canvass") in where
    assert ("g.zip/inner/h.txt", "") in where
    text = {p.file: p.text for p in got.parts}
    assert "B05 - Example" in text["a.pdf"]
    assert "We hold your name and address." in text["b.docx"]
    assert next(p for p in got.parts if p.file == "d.csv").columns == ["A", "B"]
    assert "Interest > Cycling" in text["e.json"]
    assert text["f.html"] == "Hello there"
    assert all(f.readable for f in got.files)


def test_a_pdf_of_scanned_images_only_is_said_to_be_unreadable():
    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    got = ex.extract("", [("scan.pdf", "application/pdf", buf.getvalue())])
    assert not got.parts
    assert not got.files[0].readable and "scanned images only" in got.files[0].note


def test_a_zip_bomb_and_deep_nesting_are_refused_without_unpacking(monkeypatch):
    bomb = _zip({"big.txt": b"0" * (2 * 1024 * 1024)})  # ratio far over 200
    nested = _zip({"l1.zip": _zip({"l2.zip": _zip({"l3.zip": _zip({"x.txt": b"deep"})})})})
    got = ex.extract("", [("bomb.zip", "", bomb), ("nested.zip", "", nested)])
    notes = {f.file: f for f in got.files}
    assert not notes["bomb.zip/big.txt"].readable
    assert "compressed" in notes["bomb.zip/big.txt"].note
    assert not any("deep" in p.text for p in got.parts)
    assert any("nested more than" in f.note for f in got.files)
    monkeypatch.setattr(ex, "MAX_MEMBERS", 2)
    many = ex.extract("", [("many.zip", "", _zip({f"{i}.txt": b"x" for i in range(3)}))])
    assert "more than 2" in many.files[0].note and not many.parts


def test_a_broken_file_is_named_and_the_rest_still_read():
    got = ex.extract("Body text.", [("bad.xlsx", "", b"not a zip"), ("ok.txt", "", b"fine")])
    assert [p.file for p in got.parts] == ["body", "ok.txt"]
    assert "could not be read" in got.files[0].note


# -- the rules -----------------------------------------------------------------------

def test_a_privacy_notice_alone_is_no_copy_and_may_is_partial():
    notice = one_page_pdf(["Example Party - Privacy Notice", "Sharing",
                           "We may share your data with service providers."])
    r, _ = _review("Attached is all the information we hold about you.",
                   [("notice.pdf", "application/pdf", notice)])
    assert r["items"]["copy"]["status"] == "missing"
    assert r["items"]["recipients"]["status"] == "partial"
    assert r["items"]["transfers"]["status"] == "missing"


def test_column_headers_reveal_inferred_ethnicity_a_denial_cannot_hide():
    letter = _docx(["What data we hold",
                    "The data held about you consists of your register entry and canvass "
                    "responses.",
                    "We do not hold any special category data about you."])
    data = _xlsx({"Model": [["ID", "NM_ORIGIN", "TURNOUT_PROB"], ["1", "CEL-WLS", "0.8"]]})
    r, _ = _review("Please find our letter attached.",
                   [("letter.docx", "", letter), ("extract.xlsx", "", data)])
    assert "ethnicity" in r["special_category"]
    assert r["items"]["categories"]["status"] == "partial"
    assert "NM_ORIGIN CEL-WLS" in r["segments"]
    assert r["items"]["copy"]["status"] == "answered"


def test_sources_only_as_codes_in_the_data_are_partial_and_listed():
    csv = b"ID,REG_SRC,MOSAIC_SRC,FB_CA_UPLD_202501\r\n1,ER_EX_2025,EXP_MOSAIC_X,Y\r\n"
    r, _ = _review("Your record is based on the electoral register. The attached file "
                   "holds it.", [("record.csv", "text/csv", csv)])
    assert r["items"]["sources"]["status"] == "partial"
    assert {"EXP_MOSAIC_X", "electoral register"} <= set(r["sources"])
    assert r["recipients"] == ["FB_CA_UPLD_202501"]
    assert r["items"]["recipients"]["status"] == "partial"


def test_definite_named_answers_are_answered_in_german_and_french():
    de = ("Ihre Daten stammen von der Beispiel Versand GmbH. Empfänger: Ihre Daten wurden "
          "an die Muster Werbung AG übermittelt. Eine Übermittlung in ein Drittland findet "
          "nicht statt. Sie haben das Recht auf Berichtigung, Löschung, Einschränkung und "
          "können widersprechen. Sie können sich bei der Aufsichtsbehörde beschweren.")
    r, _ = _review(de)
    assert {k: r["items"][k]["status"] for k in ("sources", "recipients", "transfers",
                                                  "rights", "complaint")} == dict.fromkeys(
        ("sources", "recipients", "transfers", "rights", "complaint"), "answered")
    assert "Muster Werbung AG" in r["recipients"]
    fr = ("Transferts : certaines données sont accessibles à Exemple Corp. aux États-Unis. "
          "Ces transferts sont encadrés par les clauses contractuelles types.")
    assert _review(fr)[0]["items"]["transfers"]["status"] == "answered"
    assert _review("We may transfer data abroad with appropriate safeguards.")[0][
        "items"]["transfers"]["status"] == "partial"


def test_the_requesters_own_quoted_letter_answers_nothing():
    body = ("Thank you for your request. Your data is attached.\n\n"
            "-----Original Message-----\nFrom: Robin Sample <robin@example.org>\n"
            "Please tell me the recipients, the retention period, the source and whether "
            "you transfer my data outside the UK, and my right to complain to the ICO.")
    r, _ = _review(body)
    for item in ("recipients", "retention", "sources", "transfers", "complaint"):
        assert r["items"][item]["status"] == "missing", item


def test_profiling_denied_while_the_data_holds_scores_is_partial():
    csv = b"ID,VI_SCORE,TURNOUT_SCORE\n1,63,0.7\n"
    r, _ = _review("We do not use profiling.", [("d.csv", "", csv)])
    assert r["items"]["automated_decisions"]["status"] == "partial"
    r2, _ = _review("We do not use profiling.")
    assert r2["items"]["automated_decisions"]["status"] == "answered"


# -- the command ---------------------------------------------------------------------

def test_review_of_the_demos_answer_is_stored_overruled_and_shown(sar, demo):
    home, day, ref = demo
    r = sar("--home", home, "review", ref, "--json", today=day).json()
    assert set(r["items"]) == {"copy", "purposes", "categories", "recipients", "retention",
                               "rights", "complaint", "sources", "automated_decisions",
                               "transfers"}
    assert r["items"]["copy"]["status"] == "answered"
    assert r["items"]["transfers"]["status"] == "missing"
    assert "London Borough of Islington" in r["sources"]
    assert r["files"][0]["file"] == "experian-response.pdf"
    over = sar("--home", home, "review", ref, "--set", "transfers=answered", "--json",
               today=day).json()
    assert over["items"]["transfers"] == {**over["items"]["transfers"], "status": "answered",
                                          "found": "missing", "overruled": True}
    again = sar("--home", home, "review", ref, "--json", today=day).json()
    assert again["items"]["transfers"]["status"] == "answered"  # survives a re-run
    shown = sar("--home", home, "show", ref, "--json", today=day).json()
    assert shown["review"]["missing"] == [] and "transfers" not in shown["review"]["partial"]
    assert "Answer reviewed: " in sar("--home", home, "show", ref, today=day).stdout
    bad = sar("--home", home, "review", ref, "--set", "colour=answered", ok=False, today=day)
    assert bad.exit_code == 1 and "the item must be one of" in bad.stderr


def test_the_incomplete_follow_up_asks_for_exactly_what_is_missing(sar, demo):
    home, day, ref = demo
    sar("--home", home, "review", ref, today=day)
    text = sar("--home", home, "letter", ref, "--follow-up", "incomplete", today=day).stdout
    assert "Article 15(2)" in text            # transfers: missing
    assert "Article 15(1)(c)" in text         # recipients: partial, quoted
    assert "may be shared with our clients" in text
    assert "Article 15(1)(e)" not in text     # rights were answered
    # The DOCX keeps each item's text as the markup joined it: one space between the
    # quoted words and the reason (two came from the template's own line break).
    from docx import Document

    sar("--home", home, "letter", ref, "--follow-up", "incomplete", "-o",
        home / "inc.docx", today=day)
    item = next(p.text for p in Document(home / "inc.docx").paragraphs
                if "may be shared with our clients" in p.text)
    assert '." This is not enough' in item and "  " not in item
    sar("--home", home, "review", ref, *[f"--set={i}=answered" for i in (
        "recipients", "automated_decisions", "transfers")], today=day)
    done = sar("--home", home, "letter", ref, "--follow-up", "incomplete", ok=False, today=day)
    assert done.exit_code == 1 and "every Art. 15 item answered" in done.stderr


def test_an_unanswered_request_has_nothing_to_review_or_chase(sar, demo):
    home, day, _ = demo
    rows = sar("--home", home, "list", "--json", today=day).json()
    labour = next(r for r in rows if r["org"] == "labour")["ref"]
    run = sar("--home", home, "review", labour, ok=False, today=day)
    assert run.exit_code == 1 and "nothing to review" in run.stderr
    letter = sar("--home", home, "letter", labour, "--follow-up", "incomplete", ok=False,
                 today=day)
    assert letter.exit_code == 1 and "no answer recorded" in letter.stderr


def test_a_fulfilled_answer_the_review_finds_incomplete_is_flagged_on_the_board_once(sar, demo):
    home, day, ref = demo
    # The demo reviewed it (day 24): transfers missing, recipients in part.
    row = next(r for r in sar("--home", home, "list", "--json", today=day).json()
               if r["ref"] == ref)
    assert row["status"] == "fulfilled" and row["answer"] == "answered-incomplete"
    assert "transfers" in row["answer_gaps"]
    only = sar("--home", home, "list", "--status", "answered-incomplete", "--json",
               today=day).json()
    assert [r["ref"] for r in only] == [ref]
    groups = sar("--home", home, "status", "--json", today=day).json()["groups"]
    yours = next(g for g in groups if g["name"] == "yours")
    assert ref in [r["ref"] for r in yours["requests"]]
    text = sar("--home", home, "status", today=day).stdout
    assert "answered-incomplete" in text and "lacks" in text
    # `show` does not call it done: its next step asks for the rest.
    shown = sar("--home", home, "show", ref, "--json", today=day).json()
    assert f"sar send {ref} --follow-up incomplete" in shown["next"]
    told = sar("--home", home, "notify", "--json", today=day).json()
    assert any(ref in line and "--follow-up incomplete" in line for line in told)
    assert not any(ref in line for line in sar("--home", home, "notify", "--json",
                                               today=day).json())  # once
    sar("--home", home, "review", ref, today=day)  # read again: news again
    assert any(ref in line for line in sar("--home", home, "notify", "--json",
                                           today=day).json())
    # Every item overruled to answered: complete, back among the answered.
    sar("--home", home, "review", ref, *[f"--set={i}=answered" for i in row["answer_gaps"]],
        today=day)
    row = next(r for r in sar("--home", home, "list", "--json", today=day).json()
               if r["ref"] == ref)
    assert "answer" not in row


def _answered(me, tmp_path, lang: str, body: str) -> str:
    """A request in `lang` to acme, sent, and answered by a reply the inbox reads."""
    from email.message import EmailMessage

    ref = me("new", "access", "--to", "acme", "--lang", lang, "--json").json()[0]["ref"]
    me("send", ref)
    sent = next(m for m in me("show", ref, "--json").json()["messages"]
                if m["direction"] == "out")
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    msg = EmailMessage()
    msg["From"], msg["To"] = "privacy@acme.example", "robin@example.org"
    msg["Subject"], msg["Message-ID"] = f"Re: [{ref}]", f"<answer-{lang}@acme.example>"
    msg["In-Reply-To"], msg["Date"] = sent["message_id"], "Fri, 20 Mar 2026 10:00:00 +0000"
    msg.set_content(body)
    msg.add_attachment(b"ID,SCORE\n1,7\n", maintype="text", subtype="csv",
                       filename="daten.csv")
    (box / "new" / f"answer-{lang}.example").write_bytes(bytes(msg))
    me("watch", "--maildir", box, today="2026-03-21")
    me("mark", ref, "fulfilled", "--on", "2026-03-20", today="2026-03-21", ok=False)
    return ref


@pytest.mark.parametrize("lang, body, asks, quoted, absent", [
    ("de", "Anbei erhalten Sie eine Kopie Ihrer personenbezogenen Daten. Ihre Daten "
           "können an Partner weitergegeben werden.",
     ["Art. 15 Abs. 2", "Art. 15 Abs. 1 lit. g", "Was Ihre Antwort nicht enthält",
      "bis Donnerstag, 2. April 2026"], "Sie schreiben: „", "Article 15"),
    ("fr", "Veuillez trouver ci-joint une copie de vos données personnelles. Vos données "
           "peuvent être communiquées à des partenaires.",
     ["article 15, paragraphe 2", "article 15, paragraphe 1, point g",
      "Ce que votre réponse omet"], "Vous écrivez : « ", "Article 15(2)"),
])
def test_the_incomplete_follow_up_is_written_in_the_requests_language(
        me, tmp_path, lang, body, asks, quoted, absent):
    ref = _answered(me, tmp_path, lang, body)
    r = me("review", ref, "--json", today="2026-03-21").json()
    assert r["items"]["transfers"]["status"] == "missing"
    assert r["items"]["recipients"]["status"] == "partial"
    text = me("letter", ref, "--follow-up", "incomplete", today="2026-03-21").stdout
    for words in asks:
        assert words in " ".join(text.split()), words
    assert quoted in text and absent not in text


def test_the_complaint_bundle_carries_the_review_and_names_what_is_lacking(me, tmp_path):
    import json
    import zipfile

    from sar.complaint import verify

    ref = _answered(me, tmp_path, "en", "Please find attached a copy of the personal data "
                    "we hold about you. Your data may be shared with our partners.")
    me("mark", ref, "partially-fulfilled", "--on", "2026-03-20", today="2026-03-21")
    me("review", ref, "--set", "sources=answered", today="2026-03-21")
    bundle = tmp_path / "c.zip"
    me("complain", ref, "-o", bundle, today="2026-03-22")
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        stored = json.loads(z.read(f"{ref}/review.json"))
        md = z.read(f"{ref}/review.md").decode()
        complaint = " ".join(z.read(f"{ref}/complaint.txt").decode().split())
        sums = z.read(f"{ref}/SHA256SUMS").decode()
    assert f"{ref}/review.md" in names and "review.json" in sums
    assert stored["items"]["sources"] == {**stored["items"]["sources"], "status": "answered",
                                          "overruled": True}
    assert "| transfers | 15(2) | missing |" in md and "(set by me)" in md
    assert "their answer is incomplete: it leaves out" in complaint
    assert "transfers (Article 15(2))" in complaint and "sources (Article" not in complaint
    assert verify(bundle) == []
