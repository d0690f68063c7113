"""Issue 15: letters a data protection officer cannot refuse, point by point.

Each test renders the real letter (text, and DOCX re-opened with python-docx where
the layout matters) and asserts on what it says in English, German and French.
"""

from __future__ import annotations

import io

import pytest

LANGS = ("en", "de", "fr")


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def draft(me, kind, org, *extra, lang="en"):
    run = me("new", kind, "--to", org, "--lang", lang, "--again", "--json", *extra)
    return run.json()[0]["ref"], run.stderr


def letter(me, ref) -> str:
    return flat(me("letter", ref).stdout)


def docx_text(me, ref) -> str:
    from docx import Document

    raw = me("letter", ref, "--format", "docx").stdout_bytes
    return flat("\n".join(p.text for p in Document(io.BytesIO(raw)).paragraphs))


# -- 1. erasure to a credit reference agency: the marketing data, not the credit file --

SCOPED = {"en": ("for direct marketing", "Mosaic, ChannelView, ConsumerView",
                 "please leave that unchanged", "(a) the data are no longer necessary"),
          "de": ("zum Zwecke der Direktwerbung über mich", "Mosaic, ChannelView, ConsumerView",
                 "bitte lassen Sie sie unverändert", "(a) die Daten sind für keinen"),
          "fr": ("à des fins de prospection, en application",
                 "Mosaic, ChannelView, ConsumerView", "je vous prie de le laisser inchangé",
                 "(a) les données ne sont plus nécessaires")}


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_to_a_cra_covers_marketing_and_leaves_the_credit_file(me, lang):
    scoped, products, keep, ground_a = SCOPED[lang]
    ref, notes = draft(me, "erasure", "experian", lang=lang)
    text = docx_text(me, ref)
    assert scoped in text and products in text and keep in text
    # Art. 17(1)(a) is not claimed against data held on legitimate interests.
    assert ground_a not in text
    assert "--scope all" in notes
    everything, _ = draft(me, "erasure", "experian", "--scope", "all", lang=lang)
    text = letter(me, everything)
    assert ground_a in text and keep not in text


def test_erasure_to_a_broker_is_marketing_scoped_without_a_credit_file(me):
    ref, _ = draft(me, "erasure", "acme")
    text = letter(me, ref)
    assert "for direct marketing" in text and "credit file" not in text
    party, _ = draft(me, "erasure", "fictional-party")
    assert "erase all personal data you hold about me" in letter(me, party)


def test_scope_belongs_to_erasure_only(me):
    line = me.fails("new", "access", "--to", "acme", "--scope", "all")
    assert "--scope goes with an erasure letter" in line


# -- 2. Art. 18(1)(d) only with an Art. 21(1) objection -----------------------------------

RESTRICT_D = {"en": "Article 18(1)(d)", "de": "Art. 18 Abs. 1 lit. d",
              "fr": "article 18, paragraphe 1, point d)"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["erasure", "objection"])
def test_restriction_under_18_1_d_is_asked_only_with_a_21_1_objection(me, lang, kind):
    plain, _ = draft(me, kind, "fictional-party", lang=lang)
    assert RESTRICT_D[lang] not in letter(me, plain)
    reasons, _ = draft(me, kind, "fictional-party", "--details",
                       "I am a candidate's spouse and fear harassment.", lang=lang)
    assert RESTRICT_D[lang] in letter(me, reasons)


# -- 6. the objection's timing --------------------------------------------------------------

TIMING = {"en": ("promptly and in any case before any further marketing",
                 ("as soon as you receive", "from the moment you receive")),
          "de": ("umgehend und jedenfalls vor jeder weiteren Werbung",
                 ("wird wirksam, sobald", "ab dem Zeitpunkt, zu dem")),
          "fr": ("avant toute nouvelle prospection", ("prend effet dès", "dès la réception"))}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["erasure", "objection"])
def test_the_objection_must_be_acted_on_promptly_not_on_receipt(me, lang, kind):
    said, overstated = TIMING[lang]
    text = letter(me, draft(me, kind, "acme", lang=lang)[0])
    assert said in text
    assert not any(o in text for o in overstated)


# -- 3. portability where Art. 20 cannot apply ---------------------------------------------

@pytest.mark.parametrize("org", ["fictional-party", "experian", "acme"])
def test_portability_to_a_party_or_cra_warns_and_offers_access(me, org):
    _, notes = draft(me, "portability", org)
    assert "Article 20" in notes and "sar new access" in notes


def test_portability_to_a_platform_does_not_warn(me):
    me("orgs", "add", "--slug", "shop", "--name", "Shop Ltd", "--email", "dpo@shop.example",
       "--kind", "platform")
    _, notes = draft(me, "portability", "shop")
    assert "Article 20" not in notes


# -- 10. the date of birth, by organisation kind --------------------------------------------

def test_date_of_birth_goes_to_a_cra_but_not_to_a_party(me):
    me("init", "--name", "Robin Testperson", "--email", "robin@example.org",
       "--address", "12 Sample Lane, Exampleton, EX1 2MP", "--dob", "1980-05-17",
       "--no-input")
    party, _ = draft(me, "access", "fictional-party")
    cra, _ = draft(me, "access", "experian")
    assert "17 May 1980" not in letter(me, party)
    assert "17 May 1980" in letter(me, cra)
    me("config", "set", "letters.date_of_birth", "always")
    assert "17 May 1980" in letter(me, party)
    me("config", "set", "letters.date_of_birth", "never")
    assert "17 May 1980" not in letter(me, cra)


# -- 10. a restriction names its ground -----------------------------------------------------

GROUND = {"en": ("(Article 18(1)(a))", "while you check its accuracy"),
          "de": ("(Art. 18 Abs. 1 lit. a", "solange Sie"),
          "fr": ("(article 18, paragraphe 1, point a)", "pendant que vous")}


@pytest.mark.parametrize("lang", LANGS)
def test_a_restriction_names_the_users_ground(me, lang):
    cited, _ = GROUND[lang]
    ref, notes = draft(me, "restriction", "acme", "--ground", "accuracy", "--details",
                       "My address is wrong.", lang=lang)
    text = letter(me, ref)
    assert cited in text and "--ground" not in notes
    # The other grounds are not listed as if they were claimed.
    assert {"en": "18(1)(c)", "de": "lit. c", "fr": "point c)"}[lang] not in text
    _, notes = draft(me, "restriction", "acme", lang=lang)
    assert "--ground" in notes


# -- 5. post-Brexit CJEU rulings persuade a UK controller; SCHUFA is not for parties ------

PERSUASIVE = {"en": "persuasive in the UK, not binding: CJEU",
              "de": "im Vereinigten Königreich nicht bindend, aber richtungweisend: EuGH",
              "fr": "non contraignant au Royaume-Uni, mais persuasif : CJUE"}
ICO_RECIPIENTS = "recipients or categories of recipient"


@pytest.mark.parametrize("lang", LANGS)
def test_uk_access_letters_call_every_cjeu_ruling_persuasive(me, lang):
    uk = letter(me, draft(me, "access", "acme", lang=lang)[0])
    eu = letter(me, draft(me, "access", "acme", "--regime", "eu-gdpr", lang=lang)[0])
    # Every citation of a post-2020 ruling carries the marker in the UK letter.
    for case in ("C-487/21", "C-154/21", "C-634/21"):
        before = uk.split(case)[0]
        assert PERSUASIVE[lang] in before[-100:], (case, before[-100:])
    assert ICO_RECIPIENTS in uk
    assert PERSUASIVE[lang] not in eu and ICO_RECIPIENTS not in eu
    assert "as the CJEU held" not in uk and "so der EuGH" not in uk


@pytest.mark.parametrize("lang", LANGS)
def test_a_party_access_letter_cites_no_credit_scoring_ruling(me, lang):
    party = letter(me, draft(me, "access", "fictional-party", lang=lang)[0])
    assert "C-634/21" not in party and "SCHUFA" not in party
    assert "C-634/21" in letter(me, draft(me, "access", "experian", lang=lang)[0])
    # For inferred special category data the UK letter cites the ICO first.
    assert "ICO, Guidance for the use of personal data in political campaigning" in party


# -- 10. what a party and a credit reference agency access letter asks -------------------

PARTY_ASKS = {"en": ("marked register", "edition of the electoral register (full or open)",
                     "online voter registration look-ups", "separate from you",
                     "notice Article 14 requires", "November 2020"),
              "de": ("marked register", "vollständige oder öffentliche",
                     "Online-Abfragen zur Wählerregistrierung", "getrennte Verantwortliche",
                     "Art. 14", "November 2020"),
              "fr": ("marked register", "intégrale ou publique",
                     "vérifications en ligne de l'inscription", "distincts de vous",
                     "article 14", "novembre 2020")}
CRA_ASKS = {"en": ("Consumer Credit Act 1974, s.158", "Mosaic, ChannelView, ConsumerView",
                   "for which clients"),
            "de": ("Consumer Credit Act 1974, s.158", "Mosaic, ChannelView, ConsumerView",
                   "für welche Kunden"),
            "fr": ("Consumer Credit Act 1974, s.158", "Mosaic, ChannelView, ConsumerView",
                   "pour quels clients")}


@pytest.mark.parametrize("lang", LANGS)
def test_party_and_cra_access_letters_ask_what_the_review_found_missing(me, lang):
    party = docx_text(me, draft(me, "access", "fictional-party", lang=lang)[0])
    for ask in PARTY_ASKS[lang]:
        assert ask in party, ask
    cra = letter(me, draft(me, "access", "experian", lang=lang)[0])
    for ask in CRA_ASKS[lang]:
        assert ask in cra, ask
    broker = letter(me, draft(me, "access", "acme", lang=lang)[0])
    assert "s.158" not in broker


# -- 9. a German party's erasure: §50 BMG ------------------------------------------------

BMG = {"en": ("section 50(1) of the Federal Registration Act", "section 50(5)"),
       "de": ("§ 50 Abs. 1 BMG", "§ 50 Abs. 5 BMG"),
       "fr": ("article 50, paragraphe 1, de la loi fédérale", "article 50, paragraphe 5")}


@pytest.mark.parametrize("lang", LANGS)
def test_german_party_erasure_asks_for_bmg_deletion_and_names_the_objection(me, lang):
    me("orgs", "add", "--slug", "partei", "--name", "Beispielpartei", "--email",
       "datenschutz@partei.example", "--kind", "political-party", "--country", "DE",
       "--calendar", "DE", "--regime", "eu-gdpr")
    text = letter(me, draft(me, "erasure", "partei", lang=lang)[0])
    deletion, objection = BMG[lang]
    assert deletion in text and objection in text
    assert "von Gesetzes wegen besitzen" not in text
    uk = letter(me, draft(me, "erasure", "fictional-party", lang=lang)[0])
    assert deletion not in uk


# -- 10. follow-ups: no extension can now be claimed; an objection needs no ID -------------

def sent_on(me, kind="access", org="acme", lang="en"):
    ref = me("new", kind, "--to", org, "--lang", lang, "--json").json()[0]["ref"]
    me("send", ref)
    return ref


NO_EXTENSION = {"en": "so none can now be claimed (Article 12(3))",
                "de": "kann daher nicht mehr in Anspruch genommen werden",
                "fr": "aucune ne peut donc plus être invoquée"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_reminder_says_no_extension_can_now_be_claimed(me, lang):
    ref = sent_on(me, lang=lang)
    text = flat(me("letter", ref, "--follow-up", "reminder", today="2026-04-07").stdout)
    assert NO_EXTENSION[lang] in text
    me("mark", ref, "extended", "--on", "2026-03-20", today="2026-03-20")
    text = flat(me("letter", ref, "--follow-up", "reminder", today="2026-06-05").stdout)
    assert NO_EXTENSION[lang] not in text


NO_ID = {"en": "needs no identification", "de": "bedarf keines Identitätsnachweises",
         "fr": "n'exige aucune vérification de mon identité"}


@pytest.mark.parametrize("lang", LANGS)
def test_an_id_reply_to_an_objection_says_the_marketing_objection_needs_no_id(me, lang):
    ref = sent_on(me, "objection", lang=lang)
    me("mark", ref, "id-requested", "--on", "2026-03-02")
    assert NO_ID[lang] in flat(me("letter", ref, "--follow-up", "id-reply").stdout)
    access = sent_on(me, "access", "fictional-party", lang=lang)
    me("mark", access, "id-requested", "--on", "2026-03-02")
    assert NO_ID[lang] not in flat(me("letter", access, "--follow-up", "id-reply").stdout)


# -- 11. deadlines ----------------------------------------------------------------------

def test_id_received_without_a_request_does_not_move_the_deadline(sar):
    out = sar("deadline", "--received", "2026-03-02", "--id-received", "2026-03-05",
              "--json").json()
    assert out["due"] == "2026-04-02"
    assert any("no request for it is recorded" in w for w in out["warnings"])
    asked = sar("deadline", "--received", "2026-03-02", "--id-requested", "2026-03-03",
                "--id-received", "2026-03-05", "--json").json()
    assert asked["due"] == "2026-04-07"  # 5 Apr + Easter


def test_a_late_id_request_is_flagged(sar):
    out = sar("deadline", "--received", "2026-03-02", "--id-requested", "2026-03-20",
              "--id-received", "2026-03-25", "--json").json()
    assert any("ICO expects identity to be checked promptly" in w for w in out["warnings"])
    early = sar("deadline", "--received", "2026-03-02", "--id-requested", "2026-03-03",
                "--id-received", "2026-03-05", "--json").json()
    assert not any("promptly" in w for w in early["warnings"])


def test_ccpa_day_45_on_a_sunday_rolls_to_monday(sar):
    out = sar("deadline", "--regime", "ccpa", "--received", "2026-12-17", "--json").json()
    assert out["due"] == "2027-02-01"  # day 45 is Sun 31 Jan 2027


# -- 12. text ---------------------------------------------------------------------------

def test_one_paused_day_is_worded_in_the_singular(sar):
    out = sar("deadline", "--received", "2026-03-02", "--clarification",
              "2026-03-06:2026-03-06", "--json").json()
    text = " ".join(out["explanation"])
    assert "1 day does not count" in text and "once the paused day is added" in text
    assert "1 day do not count" not in text and "1 paused day are" not in text


# -- 4. CCPA to a UK controller ------------------------------------------------------------

def test_a_ccpa_letter_from_leeds_is_refused_and_to_a_uk_controller_warns(me):
    line = me.fails("new", "access", "--to", "experian", "--regime", "ccpa")
    assert "not in California" in line and "1798.140(i)" in line
    _, notes = draft(me, "access", "experian", "--regime", "ccpa", "--california-resident")
    assert "experian is in GB" in notes and "--regime uk-gdpr" in notes


def californian(me):
    me("init", "--address", "1 Palm Way, Sacramento, CA 95814", "--no-input")
    me("orgs", "add", "--slug", "shop", "--name", "Shop Inc", "--email",
       "privacy@shop.example", "--kind", "platform", "--country", "US")


def test_a_ccpa_letter_is_addressed_and_greets_the_privacy_team(me):
    californian(me)
    for kind in ("access", "erasure"):
        ref, _ = draft(me, kind, "shop", "--regime", "ccpa")
        text = me("letter", ref).stdout
        # Cal. Civ. Code 1798.130(a)(1): there is no DPO; the privacy team is addressed.
        assert "Privacy Team\nShop Inc" in text and "Dear Privacy Team," in text
        assert "Data Protection Officer" not in text
        assert "Privacy Team" in docx_text(me, ref).split("Shop Inc")[0]


def test_a_ccpa_request_to_know_carries_the_perjury_declaration(me):
    californian(me)
    access = letter(me, draft(me, "access", "shop", "--regime", "ccpa")[0])
    # 11 CCR 7062(c); Cal. Code Civ. Proc. 2015.5 (date and place of execution).
    assert "declare under penalty of perjury under the laws of the State of California" \
        in access and "11 CCR § 7062(c)" in access
    assert "Executed on 2 March 2026 at 1 Palm Way, Sacramento, CA 95814" in access
    erasure = letter(me, draft(me, "erasure", "shop", "--regime", "ccpa")[0])
    assert "penalty of perjury" not in erasure


def test_ccpa_opt_out_and_limit_are_due_in_15_business_days(me):
    californian(me)
    text = letter(me, draft(me, "erasure", "shop", "--regime", "ccpa")[0])
    assert "no later than 15 business days after receiving this request" in text
    assert "7026(f) and 7027(g)), which by my calculation is Monday 23 March 2026" in text
    assert "respond to the request to delete within 45 calendar days" in text


def test_sar_remind_writes_a_ccpa_reminder_citing_7021(me):
    californian(me)
    ref = me("new", "erasure", "--to", "shop", "--regime", "ccpa", "--json").json()[0]["ref"]
    me("send", ref)
    assert "not overdue" in me.fails("remind", ref, today="2026-04-16")
    me("remind", ref, today="2026-04-17")
    text = flat(me("letter", ref, "--follow-up", "reminder", today="2026-04-17").stdout)
    assert "11 CCR § 7021(b) required you to respond within 45 calendar days" in text
    assert "so none can now be claimed (§ 7021(b))" in text
    # The opt-out date runs from the request's receipt, not from the reminder's date.
    assert "by Monday 23 March 2026 (11 CCR §§ 7026(f) and 7027(g))" in text
    assert "Article 12" not in text and "Dear Privacy Team," in text
    assert "complain to the California Privacy Protection Agency" in text


def test_ccpa_id_reply_and_extension_challenge_cite_the_ccpa_not_the_gdpr(me):
    californian(me)
    ref = me("new", "erasure", "--to", "shop", "--regime", "ccpa", "--json").json()[0]["ref"]
    me("send", ref)
    me("mark", ref, "id-requested", "--on", "2026-03-04", today="2026-03-04")
    text = flat(me("letter", ref, "--follow-up", "id-reply", today="2026-03-05").stdout)
    # 11 CCR 7021(b): the 45 days run whatever time verification takes.
    assert "whatever time verification takes (11 CCR § 7021(b))" in text
    assert "need no verification (11 CCR §§ 7026 and 7027)" in text
    assert "Article 12" not in text and "Dear Privacy Team," in text
    other = me("new", "access", "--to", "shop", "--regime", "ccpa", "--again",
               "--json").json()[0]["ref"]
    me("send", other)
    me("mark", other, "extended", "--on", "2026-03-20", today="2026-03-20")
    text = flat(me("letter", other, "--follow-up", "extension-challenge",
                   today="2026-03-21").stdout)
    assert "11 CCR § 7021(b) allows one extension of up to 45 more calendar days" in text
    assert "Monday 1 June 2026 at the latest" in text  # day 90 is a Sunday: rolled
    assert "Article 12" not in text


def test_a_ccpa_complaint_goes_to_the_cppa_or_the_attorney_general(me, tmp_path):
    import zipfile

    californian(me)
    ref = me("new", "access", "--to", "shop", "--regime", "ccpa", "--json").json()[0]["ref"]
    me("send", ref)
    out = me("complain", ref, "-o", tmp_path / "c.zip", "--without-reminder", "--json",
             today="2026-04-20").json()
    assert out["authority"] == "cppa"
    assert out["send_to"] == "https://cppa.ca.gov/webapplications/complaint"
    with zipfile.ZipFile(tmp_path / "c.zip") as z:
        text = flat(z.read(f"{ref}/complaint.txt").decode("utf-8"))
    assert "Under 11 CCR § 7021(b) its response was due by Thursday 16 April 2026" in text
    assert "Article 77" not in text
    other = me("new", "access", "--to", "shop", "--regime", "ccpa", "--again",
               "--json").json()[0]["ref"]
    me("send", other)
    assert "made under ccpa" in me.fails("complain", other, "-o", tmp_path / "x.zip",
                                         "--without-reminder", "--to", "ico",
                                         today="2026-04-20")
    ag = me("complain", other, "-o", tmp_path / "ag.zip", "--without-reminder",
            "--to", "ca-attorney-general", "--json", today="2026-04-20").json()
    assert ag["authority"] == "ca-attorney-general" and "oag.ca.gov" in ag["send_to"]


def test_the_scottish_world_cup_holiday_is_not_called_the_final(sar):
    out = sar("deadline", "--calendar", "GB-SCT", "--received", "2026-05-15",
              "--json").json()
    assert out["due"] == "2026-06-16"
    text = " ".join(out["explanation"])
    assert "special bank holiday for Scotland at the 2026 FIFA World Cup" in text
    assert "World Cup final" not in text


def test_an_unknown_land_lists_all_sixteen(sar):
    line = sar.fails("deadline", "--regime", "eu-gdpr", "--calendar", "DE-XX",
                     "--received", "2026-03-02")
    lands = ["BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"]
    assert all(f"DE-{code}" in line for code in lands), line
    assert "DE-AUGSBURG" in line


def test_a_complaint_names_no_possessive_of_a_plural_name(me, tmp_path):
    ref = me("new", "access", "--to", "libdems", "--json").json()[0]["ref"]
    me("send", ref)
    bundle = tmp_path / "c.zip"
    me("complain", ref, "-o", bundle, "--without-reminder", today="2026-04-07")
    import zipfile

    with zipfile.ZipFile(bundle) as z:
        text = flat(z.read(f"{ref}/complaint.txt").decode("utf-8"))
    assert "investigate how Liberal Democrats handled my request" in text
    assert "Democrats's" not in text


def test_german_letters_say_ausnahmetatbestand_and_cite_points_as_lit(me):
    uk = letter(me, draft(me, "access", "fictional-party", lang="de")[0])
    assert "den Ausnahmetatbestand nach Art. 9 Abs. 2" in uk
    assert "die Bedingung nach Art. 9" not in uk
    for kind, extra in (("restriction", ("--ground", "accuracy", "--details", "Falsch.")),
                        ("objection", ("--details", "Ich werde belästigt.")),
                        ("erasure", ("--details", "Ich werde belästigt.")),
                        ("rectification", ("--details", "Meine Adresse ist falsch."))):
        text = letter(me, draft(me, kind, "fictional-party", *extra, lang="de")[0])
        assert "lit. " in text and "Buchst." not in text, kind


# -- 11. a German municipal holiday -------------------------------------------------------

@pytest.mark.parametrize("calendar", ["DE-AUGSBURG", "DE-BY-CATHOLIC", "de-augsburg"])
def test_assumption_day_counts_in_augsburg_and_catholic_bavaria(sar, calendar):
    # 15 Aug 2025 is a Friday: a holiday there (Bavarian FTG Art. 1(1) Nr. 2), not in DE-BY.
    out = sar("deadline", "--regime", "eu-gdpr", "--calendar", calendar,
              "--received", "2025-07-15", "--json").json()
    assert out["due"] == "2025-08-18" and "Assumption Day" in " ".join(out["explanation"])
    plain = sar("deadline", "--regime", "eu-gdpr", "--calendar", "DE-BY",
                "--received", "2025-07-15", "--json").json()
    assert plain["due"] == "2025-08-15"


def test_a_category_the_country_lacks_is_one_clear_line(sar):
    line = sar.fails("deadline", "--regime", "eu-gdpr", "--calendar", "FR-BL-CATHOLIC",
                     "--received", "2025-07-15")
    assert "keeps no catholic holidays for FR" in line


@pytest.mark.parametrize("address,californian", [
    (["1 Palm Way", "Sacramento, CA 95814"], True),
    (["1 Palm Way", "San Diego CA 92101-1234"], True),
    (["PO Box 1", "Eureka, California"], True),
    (["12 Sample Lane", "Leeds", "LS1 1AA"], False),
    (["Hauptstraße 1", "90402 Nürnberg"], False),      # a German 9xxxx postcode
    (["1 Aloha St", "Honolulu, HI 96813"], False),
    (["PSC 1", "APO AP 96201"], False),                 # 962xx is military mail
])
def test_what_reads_as_a_californian_address(address, californian):
    from sar.core import ccpa

    assert ccpa.in_california(address) is californian


# -- the final DPO-style read (this session): what a refusing DPO would still use --

DPO_READ = {
    # Art. 17(1)(d) as a condition, with the question that tests it, not a finding.
    "ground_d": {"en": "(d) to the extent that you obtained my data from third parties",
                 "de": "(d) soweit Sie meine Daten ohne die nach Art. 14",
                 "fr": "(d) dans la mesure où vous avez obtenu mes données"},
    # Art. 12(6): the controller judges identification; the letter only believes.
    "believe": {"en": "I believe these details are enough to identify me.",
                "de": "Ich gehe davon aus, dass diese Angaben ausreichen",
                "fr": "J'estime que ces informations suffisent à m'identifier."},
    # Art. 4(1), 15(4): household data only as they are linked to the requester.
    "household": {"en": "including data linked to me through my household or postcode",
                  "de": "über meinen Haushalt oder mein Postleitzahlgebiet mit mir verknüpften",
                  "fr": "y compris celles qui me sont rattachées par mon foyer ou mon code"},
}


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_ground_d_is_a_condition_and_identity_a_belief(me, lang):
    ref, _ = draft(me, "erasure", "experian", "--scope", "all", lang=lang)
    text = letter(me, ref)
    assert DPO_READ["ground_d"][lang] in text
    assert DPO_READ["believe"][lang] in text
    assert "have been processed unlawfully" not in text
    assert "This is enough to identify me" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_broker_access_asks_for_household_data_only_as_linked_to_me(me, lang):
    ref, _ = draft(me, "access", "experian", lang=lang)
    text = letter(me, ref)
    assert DPO_READ["household"][lang] in text
    # The supplier's contract is not an Art. 15 item: not demanded in the list.
    assert "the contract under which you did" not in text


def test_users_words_end_as_a_sentence_and_restriction_labels_them(me):
    ref, _ = draft(me, "restriction", "acme", "--ground", "accuracy", "--details",
                   "my address is out of date")
    assert "Which data, and why: my address is out of date." in letter(me, ref)
    ref, _ = draft(me, "objection", "acme", "--details", "I am a carer and I object to profiling")
    text = letter(me, ref)
    assert "I object to profiling. You must stop" in text


def test_party_access_asks_which_democratic_engagement_basis(me):
    ref, _ = draft(me, "access", "labour")
    text = letter(me, ref)
    assert "Article 6(1)(ea) and Annex 1 UK GDPR" in text and "s.8(e)" in text


def test_docx_numbering_runs_on_through_the_whole_letter(me):
    """Issue 19: numbered points never restart per section, so "point 2" is one point."""
    import re

    from docx import Document

    ref, _ = draft(me, "access", "labour")
    raw = me("letter", ref, "--format", "docx").stdout_bytes
    numbers = [int(m.group(1)) for p in Document(io.BytesIO(raw)).paragraphs
               if (m := re.match(r"(\d+)\.\s", p.text))]
    assert len(numbers) > 5
    assert numbers == list(range(1, len(numbers) + 1))


def test_an_emailed_letter_carries_the_postal_address_too(me):
    """Issue 19: the DOCX of an emailed request can be printed and posted as it stands."""
    me("orgs", "add", "--slug", "posted-too", "--name", "Posted Too Ltd",
       "--email", "dpo@posted-too.example", "--address", "9 Example Road, Exampleton, EX1 1AA")
    ref, _ = draft(me, "access", "posted-too")
    text = docx_text(me, ref)
    assert "9 Example Road" in text and "dpo@posted-too.example" in text


@pytest.mark.parametrize("lang,line", [("en", "2 March 2026"),
                                       ("de", "Exampleton, 2. März 2026"),
                                       ("fr", "Exampleton, le 2 mars 2026")])
def test_the_date_line_follows_the_letters_convention(me, lang, line):
    """Issue 19: DIN 5008 place and date in German, "le" in French, the date alone in
    British letters."""
    ref, _ = draft(me, "access", "acme", lang=lang)
    lines = [x.strip() for x in me("letter", ref).stdout.replace("\u00a0", " ").splitlines()]
    assert line in lines
    from docx import Document

    raw = me("letter", ref, "--format", "docx").stdout_bytes
    assert line in [p.text.replace("\u00a0", " ") for p in Document(io.BytesIO(raw)).paragraphs]


def test_the_town_is_read_from_the_address():
    from sar.letters import town

    assert town(["1 High Street", "Leeds", "LS1 1AA"]) == "Leeds"
    assert town(["Hauptstraße 5", "10115 Berlin"]) == "Berlin"
    assert town(["12 rue Blanche", "F-75009 Paris"]) == "Paris"
    assert town(["Flat 2", "12 Road 4"]) == ""
