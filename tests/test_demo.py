"""`sar demo` does the whole job in a throwaway home and leaves real files behind."""

from __future__ import annotations

import mailbox

from docx import Document


def test_demo_runs_end_to_end(sar, tmp_path):
    target = tmp_path / "demo"
    run = sar("demo", "--home", str(target), today="2026-03-02")
    out = run.stdout
    assert "The board on day 45 (2026-04-16)" in out
    assert f"export SAR_HOME={target} SAR_TODAY=2026-04-16" in out
    assert "sar overdue" in out
    # Letters as text and DOCX, re-opened.
    docx = sorted((target / "letters").glob("*.docx"))
    texts = sorted((target / "letters").glob("*.txt"))
    assert len(docx) == len(texts) == 6
    for path in docx:
        body = "\n".join(p.text for p in Document(str(path)).paragraphs)
        ref = path.name.split("-")[0] + "-" + path.name.split("-")[1]
        assert ref in body
    # Five emails in the outbox; the SNP's letter was posted.
    assert len(mailbox.Maildir(target / "outbox", create=False).keys()) == 5
    # The board, read back through the CLI as a user would.
    board = {r["org"] + "/" + r["kind"]: r for r in
             sar("--home", str(target), "list", "--json", today="2026-04-16").json()}
    assert board["labour/access"]["status"] == "overdue"
    assert board["experian/access"]["status"] == "fulfilled"
    assert board["experian/erasure"]["status"] == "fulfilled"
    assert board["libdems/access"]["status"] == "extended"
    assert board["conservatives/access"]["due"] == "2026-04-08"  # ID on day 6 restarted it
    assert board["snp/access"]["channel"] == "post"


def test_demo_refuses_a_folder_with_something_in_it(sar, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    assert "not empty" in sar.fails("demo", "--home", str(target))
    assert "not a directory" in sar.fails("demo", "--home", str(target / "keep.txt"))
    assert (target / "keep.txt").read_text() == "mine"


def test_demo_json(sar, tmp_path):
    data = sar("demo", "--home", str(tmp_path / "d"), "--json", today="2026-03-02").json()
    assert data["today"] == "2026-04-16"
    assert {r["status"] for r in data["overdue"]} == {"overdue"}


def test_demo_in_a_temporary_folder_says_it_stays_and_how_to_remove_it(sar, tmp_path,
                                                                      monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("SAR_HOME")
    out = sar("demo", today="2026-03-02").stdout
    made = [p for p in tmp_path.iterdir() if p.name.startswith("sar-demo-")]
    assert len(made) == 1
    assert "The demo's folder stays until you remove it:" in out
    assert f"\n  rm -r {made[0]}\n" in out
