"""`sar complain`: the prerequisites, the letter, and a bundle whose hashes verify."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from sar.complaint import verify


@pytest.fixture
def ignored(me):
    """An access request to acme sent 2 March 2026, due 2 April, never answered."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    me("send", ref)
    return ref


def test_the_prerequisites_each_say_what_is_missing_and_change_nothing(me, ignored, tmp_path):
    ref = ignored
    bundle = tmp_path / "c.zip"
    cases = [
        (("-o", bundle), "2026-03-20", "not overdue (due 2026-04-02)"),
        (("-o", bundle), "2026-04-07", "remind the organisation first"),
        (("-o", tmp_path / "no" / "c.zip"), "2026-04-07", "does not exist"),
        (("-o", tmp_path / "c.txt"), "2026-04-07", "-o FILE.zip"),
        (("-o", bundle, "--without-reminder", "--to", "acme"), "2026-04-07",
         "acme is not a supervisory authority"),
        (("-o", bundle, "--without-reminder", "--to", "nosuchauthority"), "2026-04-07",
         "nosuchauthority"),
        (("-o", bundle, "--without-reminder", "--to", "frcnil"), "2026-04-07",
         "frcnil oversees eu-gdpr"),
    ]
    before = me.state()
    for args, today, words in cases:
        assert words in me.fails("complain", ref, *args, today=today), words
    assert me.state() == before and not bundle.exists()
    me("remind", ref, today="2026-04-07")
    line = me.fails("complain", ref, "-o", bundle, today="2026-04-15")
    assert "gave them until 2026-04-21" in line


def test_a_complaint_inside_the_extension_is_refused(me, ignored, tmp_path):
    me("mark", ignored, "extended", "--on", "2026-03-20", today="2026-03-20")
    line = me.fails("complain", ignored, "-o", tmp_path / "c.zip", "--without-reminder",
                    today="2026-04-20")
    assert "still inside the extension (due 2026-06-02)" in line


def test_the_bundle_holds_the_evidence_and_its_hashes_verify(me, ignored, tmp_path, home):
    ref = ignored
    me("remind", ref, today="2026-04-07")
    bundle = tmp_path / "complaint.zip"
    result = me("complain", ref, "-o", bundle, "--harm", "I cannot see what they hold.",
                "--json", today="2026-04-22").json()
    assert result["authority"] == "ico" and result["status"] == "escalated"
    data = bundle.read_bytes()
    assert hashlib.sha256(data).hexdigest() == result["sha256"]
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert all(n.startswith(f"{ref}/") and ".." not in n for n in names)
        assert {n.split("/", 1)[1] for n in names} >= {
            "complaint.txt", "complaint.docx", "timeline.csv", "timeline.md",
            "manifest.json", "SHA256SUMS"}
        letters = sorted(n for n in names if "/messages/" in n)
        assert [n.rsplit("/", 1)[1].split("-")[1] for n in letters] == ["letter", "reminder"]
        # The letter in the bundle is the letter as sent, byte for byte.
        sent = [m for m in me("show", ref, "--json", today="2026-04-22").json()["messages"]
                if m["direction"] == "out"][0]
        assert hashlib.sha256(z.read(letters[0])).hexdigest() == sent["sha256"]
        text = z.read(f"{ref}/complaint.txt").decode()
        assert "Article 77 UK GDPR" in text and "Information Commissioner's Office" in text
        assert "did not answer by the deadline of 2 April 2026" in text
        assert "I cannot see what they hold." in text
        # The request's own Message-ID, not the reminder's.
        assert sent["message_id"] in text.replace("\n", "")
        import io

        from docx import Document

        docx = Document(io.BytesIO(z.read(f"{ref}/complaint.docx")))
        assert any("Article 77" in p.text for p in docx.paragraphs)
    assert verify(bundle) == []
    shown = me("show", ref, "--json", today="2026-04-22").json()
    assert shown["status"] == "escalated"
    escalated = [e for e in shown["events"] if e["kind"] == "escalated"][0]
    assert escalated["details"]["bundle_sha256"] == result["sha256"]
    # A second complaint about the same request is refused.
    assert "already escalated" in me.fails("complain", ref, "-o", tmp_path / "again.zip",
                                           today="2026-04-23")


def test_a_tampered_bundle_fails_verification(me, ignored, tmp_path):
    me("remind", ignored, today="2026-04-07")
    bundle = tmp_path / "c.zip"
    me("complain", ignored, "-o", bundle, today="2026-04-22")
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("timeline.md"):
                data = data.replace(b"reminder", b"nothing")
            dst.writestr(item, data)
    assert verify(tampered) == ["timeline.md"]


def test_a_refusal_can_go_to_the_regulator_without_a_reminder(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    result = me("complain", ignored, "-o", tmp_path / "c.zip", "--json",
                today="2026-03-12").json()
    assert any("refused the request on 10 March 2026" in f for f in result["failures"])


def test_a_late_complaint_is_made_but_the_ico_window_is_pointed_out(me, ignored, tmp_path):
    me("mark", ignored, "refused", "--on", "2026-03-10", today="2026-03-10")
    run = me("complain", ignored, "-o", tmp_path / "c.zip", today="2026-07-20")
    assert "within three months of your last contact" in run.stderr
    assert (tmp_path / "c.zip").exists()
