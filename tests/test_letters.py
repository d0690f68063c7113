"""Letter templates: the markup, the whole kind x regime matrix, and template errors."""

from __future__ import annotations

import email
import io
from email import policy

import pytest

from sar.letters.markup import parse

KINDS = ["access", "erasure", "objection", "rectification", "restriction", "portability"]
MATRIX = [(k, r) for r in ("uk-gdpr", "eu-gdpr") for k in KINDS] + \
         [("access", "ccpa"), ("erasure", "ccpa")]


def test_markup_blocks():
    blocks = parse("""Intro line one
continues here.

## Heading
+ first
  continued
+ second

(a) labelled
- bullet

After.
+ goes on

## Another heading
+ still goes on""")
    assert [(b.kind, b.marker, b.text) for b in blocks] == [
        ("paragraph", "", "Intro line one continues here."),
        ("heading", "", "Heading"),
        ("item", "1.", "first continued"),
        ("item", "2.", "second"),
        ("item", "(a)", "labelled"),
        ("item", "•", "bullet"),
        ("paragraph", "", "After."),
        # One count through the letter: "point 3" names one item, whatever the section.
        ("item", "3.", "goes on"),
        ("heading", "", "Another heading"),
        ("item", "4.", "still goes on"),
    ]


def test_a_stretch_read_before_is_numbered_where_it_stands():
    """parse reads each stretch between blank lines once per process: the same
    stretch met again, later in a letter or in another letter, takes the numbers of
    its new place, and the stretch met first keeps its own."""
    shared = "+ the source of my data\n+ every recipient"
    first = parse(shared)
    later = parse("+ a copy of my data\n\n \t\n" + shared + "\n\n" + shared)
    assert [b.marker for b in first] == ["1.", "2."]
    assert [(b.marker, b.text) for b in later] == [
        ("1.", "a copy of my data"), ("2.", "the source of my data"), ("3.", "every recipient"),
        ("4.", "the source of my data"), ("5.", "every recipient")]
    assert [b.marker for b in parse(shared)] == ["1.", "2."]


def test_the_letter_names_the_s164a_complaint_before_the_regulator(me):
    """From 19 June 2026 (DPA 2018 s.164A) a UK request's letter says the next step is
    a complaint to the organisation itself, then the ICO; before that day, and under
    the EU GDPR, it goes straight to the regulator."""
    def closing(regime: str, today: str) -> str:
        ref = me("new", "access", "--to", "acme", "--regime", regime, "--json", "--again",
                 today=today).json()[0]["ref"]
        text = " ".join(me("letter", ref, today=today).stdout.split())
        return text[text.index("If I do not have a complete answer"):].split(".")[0]

    assert closing("uk-gdpr", "2026-07-01") == (
        "If I do not have a complete answer by then, I will complain to you under section "
        "164A of the Data Protection Act 2018 and, if that does not resolve it, to the ICO")
    assert closing("uk-gdpr", "2026-06-18") == (
        "If I do not have a complete answer by then, I will complain to the Information "
        "Commissioner's Office (ICO)")
    assert "164A" not in closing("eu-gdpr", "2026-07-01")
    for lang in ("de", "fr"):  # the same step, in the letter's language
        for regime, named in (("uk-gdpr", True), ("eu-gdpr", False)):
            ref = me("new", "access", "--to", "acme", "--regime", regime, "--lang", lang,
                     "--again", "--json", today="2026-07-01").json()[0]["ref"]
            text = " ".join(me("letter", ref, today="2026-07-01").stdout.split())
            assert ("164A du Data Protection Act 2018" in text or
                    "Section 164A des Data Protection Act 2018" in text) == named, (lang, regime)


@pytest.mark.parametrize("kind,regime", MATRIX, ids=[f"{k}-{r}" for k, r in MATRIX])
def test_every_letter_renders_in_every_format(me, kind, regime):
    from docx import Document

    args = ["new", kind, "--to", "acme", "--regime", regime, "--json"]
    args += ["--california-resident"] if regime == "ccpa" else []
    if kind in ("rectification", "objection", "restriction"):
        args += ["--details", "My address is 12 Sample Lane, not 21 Sample Lane."]
    ref = me(*args).json()[0]["ref"]
    text = me("letter", ref).stdout
    assert ref in text and "Robin Testperson" in text
    assert "{{" not in text and "{%" not in text and "@@" not in text
    # No doubled spaces or run-together words from template joins.
    assert all("  " not in line.strip() for line in text.splitlines())
    raw = me("letter", ref, "--format", "eml").stdout_bytes
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert f"[{ref}]" in msg["Subject"]
    docx = me("letter", ref, "--format", "docx").stdout_bytes
    body = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert ref in body
    assert me("show", ref, "--json").json()["status"] == "draft"  # rendering records nothing


def test_uk_and_eu_letters_name_their_own_law_and_regulator(me):
    uk = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    eu = me("new", "access", "--to", "acme", "--regime", "eu-gdpr", "--again",
            "--json").json()[0]["ref"]
    uk_text, eu_text = me("letter", uk).stdout, me("letter", eu).stdout
    assert "UK GDPR" in uk_text and "Information Commissioner" in uk_text
    assert "Article 15(1A)" in uk_text
    assert "UK GDPR" not in eu_text and "(EU) 2016/679" in eu_text
    assert "Article 15(1A)" not in eu_text
    uk_flat, eu_flat = " ".join(uk_text.split()), " ".join(eu_text.split())
    # CJEU rulings bind EU controllers; to a UK one they are persuasive, and said so.
    assert "persuasive in the UK, not binding: CJEU C-154/21" in uk_flat
    assert "(CJEU C-154/21" in eu_flat and "persuasive" not in eu_flat
    assert "Dawson-Damer" in uk_flat and "Dawson-Damer" not in eu_flat
    assert "C-307/22" in eu_flat and "C-307/22" not in uk_flat
    # Art. 15(1)(a) is the purposes; the lawful basis is asked for, not claimed as (a).
    for flat in (uk_flat, eu_flat):
        assert "(a) the purposes for which you process my data; (b)" in flat
        # ...and apart from Art. 15, so a refusal of it cannot hold up the answer.
        assert ("Separately from my Article 15 request, and without affecting its deadline, "
                "I would be grateful to know the lawful basis") in flat
        assert "(Article 5(2))" not in flat


def with_user_template(me, home, subject: str, body: str) -> str:
    """Draft an access request and drop in a user's own access template."""
    ref = me("new", "access", "--to", "acme", "--json").json()[0]["ref"]
    target = home / "templates" / "letters" / "en" / "gdpr"
    target.mkdir(parents=True)
    (target / "access.j2").write_text(
        '{% extends "letters/en/_base.j2" %}\n'
        f"{{% block subject %}}{subject}{{% endblock %}}\n"
        f"{{% block body %}}{body}{{% endblock %}}\n")
    return ref


def test_a_user_template_with_a_missing_field_names_it(me, home):
    ref = with_user_template(me, home, "Hi [{{ request.ref }}]",
                             "\nLine one.\nYour phone: {{ org.telephone }}\n")
    line = me.fails("letter", ref)
    assert "org.telephone" in line and "line 5" in line


def test_a_user_template_cannot_reach_python_internals(me, home):
    ref = with_user_template(me, home, "x",
                             "{{ request.__class__.__mro__[1].__subclasses__() }}")
    line = me.fails("letter", ref)
    # The sandbox stops the walk to Python's class tree before anything runs.
    assert "unsafe" in line or "is undefined" in line
    assert "<class" not in line and "subprocess" not in line


def test_a_user_template_overrides_the_builtin_one(me, home):
    ref = with_user_template(me, home, "Custom [{{ request.ref }}]",
                             "\nA campaign's own words for {{ org.name }}.\n")
    text = me("letter", ref).stdout
    assert f"Custom [{ref}]" in text and "campaign's own words for Acme Data Ltd" in text


@pytest.mark.parametrize("pad", range(0, 80, 3))
def test_wrapping_never_splits_a_reference_or_an_address(pad):
    from sar.letters import Letter
    from sar.letters.text import body_lines

    text = "x" * pad + " My reference is SAR-KYEWF; write to robin.testperson@example.org."
    letter = Letter(ref="SAR-KYEWF", kind="access", date=None, sender=[], recipient=[],
                    subject="", salutation="", body=parse(text), closing="", signature=[])
    lines = body_lines(letter)
    assert any("SAR-KYEWF" in line for line in lines)
    assert any("robin.testperson@example.org" in line for line in lines)


@pytest.mark.parametrize("lang,held", [("de", "im Vereinigten Königreich nicht bindend"),
                                       ("fr", "non contraignant au Royaume-Uni")])
def test_uk_letters_in_other_languages_cite_uk_authority_too(me, lang, held):
    uk = me("new", "access", "--to", "acme", "--lang", lang, "--json").json()[0]["ref"]
    eu = me("new", "access", "--to", "acme", "--lang", lang, "--regime", "eu-gdpr", "--again",
            "--json").json()[0]["ref"]
    uk_flat = " ".join(me("letter", uk).stdout.split())
    eu_flat = " ".join(me("letter", eu).stdout.split())
    assert held in uk_flat and "Dawson-Damer" in uk_flat and "C-307/22" not in uk_flat
    assert held not in eu_flat and "C-307/22" in eu_flat and "Dawson-Damer" not in eu_flat


@pytest.mark.parametrize("body, words", [
    ("{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
     "range of more than"),
    ("{{ range(10**9) | length }}", "unsafe"),
    ("{{ ('x' * 10**9) | length }}", "repeat of more than"),
    ("{{ lipsum(n=1000000) }}", "lipsum"),
    ("{{ 2 ** 100000 }}", "power over 64"),
])
def test_a_user_template_cannot_hang_or_exhaust_sar(me, home, body, words):
    import time

    ref = with_user_template(me, home, "x", "\n" + body + "\n")
    start = time.monotonic()
    line = me.fails("letter", ref)
    assert words in line and "Traceback" not in line
    assert time.monotonic() - start < 10
