"""Reading a campaign's participants CSV: the whole file is checked before anything is
kept, problems are reported by row and column, and never with the participant's data."""

from __future__ import annotations

import csv
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sar.campaign.participants import Participant, email_key, read_participants
from sar.errors import UsageError

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HEADER = ["name", "email", "address"]
ROBIN = ["Robin Testperson", "robin@example.org", "12 Sample Lane, Exampleton, EX1 2MP"]
ALEX = ["Alex Example", "alex@example.org", "3 Fictional Road\nSampleton\nSA1 1AA"]


def write(tmp_path: Path, rows, header=HEADER, name="participants.csv", **fmt) -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, **fmt)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def read(path: Path, **kw):
    return read_participants(path, now=kw.pop("now", NOW), **kw)


def fails(path: Path, **kw) -> str:
    """The one-line message of a refused file."""
    with pytest.raises(UsageError) as caught:
        read(path, **kw)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(path.name)
    assert "nothing was imported" in message
    return message


def one_problem(tmp_path: Path, row: list[str], header=HEADER, **kw) -> str:
    """The problem reported for a single person row (spreadsheet row 2)."""
    message = fails(write(tmp_path, [row], header), **kw)
    assert message.startswith("participants.csv: 1 problem, nothing was imported: row 2")
    return message.split(": ", 2)[2]


# --- what a good file gives --------------------------------------------------------------

def test_a_good_file_gives_every_participant_with_its_spreadsheet_row(tmp_path):
    header = ["name", "email", "address", "date_of_birth", "previous_addresses",
              "consented_at", "consent_version"]
    rows = [
        ROBIN + ["1980-05-17", "1 Old Road, Oldtown OT1 1AA | 2 Older Street", "2025-06-01", "v2"],
        ALEX + ["", "", "", ""],
    ]
    result = read(write(tmp_path, rows, header))
    robin, alex = result.participants
    assert robin == Participant(
        row=2, name="Robin Testperson", email="robin@example.org",
        email_key="robin@example.org",
        address=["12 Sample Lane", "Exampleton", "EX1 2MP"], date_of_birth="1980-05-17",
        previous_addresses=["1 Old Road, Oldtown OT1 1AA", "2 Older Street"],
        consented_at="2025-06-01T00:00:00Z", consent_version="v2")
    assert alex.row == 3
    assert alex.address == ["3 Fictional Road", "Sampleton", "SA1 1AA"]
    assert (alex.date_of_birth, alex.previous_addresses, alex.consented_at,
            alex.consent_version) == (None, [], None, None)
    assert result.ignored_columns == []


def test_optional_columns_may_be_left_out(tmp_path):
    (robin,) = read(write(tmp_path, [ROBIN])).participants
    assert (robin.date_of_birth, robin.previous_addresses, robin.consented_at) == (None, [], None)


def test_cells_are_stripped(tmp_path):
    header = HEADER + ["date_of_birth", "consented_at", "consent_version"]
    row = ["  Robin Testperson ", " robin@example.org\t", " 12 Sample Lane ,  Exampleton ",
           " 1980-05-17 ", " 2025-06-01 ", " v2 "]
    (robin,) = read(write(tmp_path, [row], header)).participants
    assert robin.name == "Robin Testperson"
    assert robin.email == "robin@example.org"
    assert robin.address == ["12 Sample Lane", "Exampleton"]
    assert (robin.date_of_birth, robin.consented_at, robin.consent_version) == \
        ("1980-05-17", "2025-06-01T00:00:00Z", "v2")


def test_optional_cells_holding_only_spaces_are_empty(tmp_path):
    header = HEADER + ["date_of_birth", "previous_addresses", "consented_at", "consent_version"]
    (robin,) = read(write(tmp_path, [ROBIN + ["  ", " ", " ", "  "]], header)).participants
    assert (robin.date_of_birth, robin.previous_addresses, robin.consented_at,
            robin.consent_version) == (None, [], None, None)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_address_lines_from_windows_or_old_mac_line_breaks_inside_the_cell(tmp_path, newline):
    address = newline.join(["12 Sample Lane", "Exampleton", "EX1 2MP"])
    (robin,) = read(write(tmp_path, [ROBIN[:2] + [address]])).participants
    assert robin.address == ["12 Sample Lane", "Exampleton", "EX1 2MP"]


def test_columns_not_used_are_named_and_not_kept(tmp_path):
    header = ["Phone", "name", "email", "address", "Notes", ""]
    path = write(tmp_path, [["+44 7700 900123"] + ROBIN + ["met at the stall", ""]], header)
    result = read(path)
    assert result.ignored_columns == ["Phone", "Notes", "column 6 (no name)"]
    kept = repr(result.participants)
    assert "7700" not in kept and "stall" not in kept


def test_email_key_is_casefolded_but_keeps_dots_and_tags():
    assert email_key(" Robin.Testperson+campaign@Example.ORG ") == \
        "robin.testperson+campaign@example.org"


@pytest.mark.parametrize("header", [
    ["Name", "Email", "Address"],
    [" NAME ", " E-mail ", "Postal Address"],
    ["full name", "email address", "postal_address"],
    ["Full_Name", "E-Mail Address", "postal address"],
])
def test_header_names_ignore_case_and_spaces_and_accept_aliases(tmp_path, header):
    (robin,) = read(write(tmp_path, [ROBIN], header)).participants
    assert (robin.name, robin.email) == ("Robin Testperson", "robin@example.org")


@pytest.mark.parametrize("column", ["dob", "DOB", "Date of birth", "date_of_birth"])
def test_date_of_birth_aliases(tmp_path, column):
    (robin,) = read(write(tmp_path, [ROBIN + ["1980-05-17"]], HEADER + [column])).participants
    assert robin.date_of_birth == "1980-05-17"


def test_a_semicolon_separated_file_from_a_european_excel_is_read(tmp_path):
    path = write(tmp_path, [ROBIN, ALEX], header=HEADER, delimiter=";")
    robin, alex = read(path).participants
    assert robin.address == ["12 Sample Lane", "Exampleton", "EX1 2MP"]
    assert alex.name == "Alex Example"


# --- encoding ----------------------------------------------------------------------------

def test_utf8_with_and_without_bom(tmp_path):
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_text("name,email,address\nZoë Ñúñez,zoe@example.org,1 Rue Exemple\n",
                        encoding=encoding)
        (zoe,) = read(path).participants
        assert zoe.name == "Zoë Ñúñez"


def test_latin1_is_refused_naming_the_row_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "participants.csv"
    text = "name,email,address\r\nRobin Testperson,robin@example.org,1 Lane\r\n" \
           "Zoë Núñez,zoe@example.org,1 Rue Exemple\r\n"
    path.write_bytes(text.encode("latin-1"))
    assert fails(path) == ("participants.csv is not UTF-8 text (first bad byte in row 3): "
                           "save it as CSV UTF-8 and try again; nothing was imported")


def test_bad_byte_row_counts_records_not_lines(tmp_path):
    path = tmp_path / "participants.csv"
    text = 'name,email,address\nRobin Testperson,robin@example.org,"1 Lane\nTown\nEX1 2MP"\n' \
           "Zoë Núñez,zoe@example.org,1 Rue Exemple\n"
    path.write_bytes(text.encode("latin-1"))
    assert "(first bad byte in row 3)" in fails(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_refused(tmp_path, encoding):
    path = tmp_path / "participants.csv"
    text = "name,email,address\nRobin Testperson,robin@example.org,1 Lane\n"
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}.get(encoding, "")
    path.write_bytes((bom + text).encode(encoding))
    message = fails(path)
    assert message.startswith("participants.csv is not UTF-8 text (it is UTF-16)")
    assert "save it as CSV UTF-8" in message


def test_a_nul_byte_is_refused(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes(b"name,email,address\nRobin\x00Testperson,robin@example.org,1 Lane\n")
    assert fails(path).startswith("participants.csv contains a NUL byte in row 2")


@pytest.mark.parametrize("magic", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0"])
def test_a_workbook_saved_under_a_csv_name_is_refused(tmp_path, magic):
    path = tmp_path / "participants.csv"
    path.write_bytes(magic + b"\x14\x00\x06\x00rest of a workbook")
    assert fails(path).startswith("participants.csv is a spreadsheet workbook, not CSV")


def test_a_quote_never_closed_is_refused_naming_its_row(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text('name,email,address\nRobin Testperson,robin@example.org,1 Lane\n'
                    'Alex Example,alex@example.org,"3 Fictional Road\nSampleton\n', "utf-8")
    assert fails(path).startswith("participants.csv cannot be read as CSV from row 3")


# --- the header --------------------------------------------------------------------------

def test_a_missing_required_column_is_the_one_problem_reported(tmp_path):
    path = write(tmp_path, [["Robin Testperson", "not an address", "=bad"]],
                 ["Name", "Address", "Phone"])
    assert fails(path) == ("participants.csv has no column 'email' "
                           "(columns: 'Name', 'Address', 'Phone'); nothing was imported")


def test_several_missing_columns_are_named_together(tmp_path):
    message = fails(write(tmp_path, [["Robin Testperson"]], ["name"]))
    assert message.startswith("participants.csv has no column 'email' or 'address' ")


def test_a_first_row_holding_a_person_is_not_printed(tmp_path):
    path = write(tmp_path, [ALEX], header=ROBIN)
    message = fails(path)
    assert "has no column 'name'" in message and "seems to hold a participant" in message
    assert "Robin" not in message and "robin@" not in message and "Sample" not in message


@pytest.mark.parametrize("header", [
    ["name", "email", "address", "email"],
    ["name", "email", "address", "E-mail"],
    ["name", "email", "address", "Notes", "notes"],
])
def test_a_column_twice_is_refused(tmp_path, header):
    path = write(tmp_path, [ROBIN + ["x"] * (len(header) - 3)], header)
    assert "has two columns for" in fails(path)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf"])
def test_an_empty_file_has_no_participants(tmp_path, content):
    path = tmp_path / "participants.csv"
    path.write_bytes(content)
    assert fails(path) == "participants.csv is empty: no participants; nothing was imported"


@pytest.mark.parametrize("rows", [[], [["", "", ""], []], [[" ", "", "  "]]])
def test_a_header_alone_has_no_participants(tmp_path, rows):
    assert "no participants" in fails(write(tmp_path, rows))


# --- rows --------------------------------------------------------------------------------

def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers(tmp_path):
    robin, alex = read(write(tmp_path, [ROBIN, [], ["", " ", ""], ALEX])).participants
    assert (robin.row, alex.row) == (2, 5)
    problem = fails(write(tmp_path, [ROBIN, [], ["Alex Example", "alex", "1 Lane"]]))
    assert "row 4, column email: not an email address" in problem


def test_more_cells_than_columns_names_the_row(tmp_path):
    path = write(tmp_path, [ROBIN, ["Alex Example", "alex@example.org", "3 Fictional Road",
                                    "Sampleton"]])
    assert fails(path) == ("participants.csv: 1 problem, nothing was imported: row 3: 4 cells "
                           "but 3 columns in the header (a comma in a cell without quotes?)")


def test_empty_cells_beyond_the_header_are_harmless(tmp_path):
    (robin,) = read(write(tmp_path, [ROBIN + ["", ""]])).participants
    assert robin.name == "Robin Testperson"


def test_fewer_cells_than_columns_leave_the_rest_empty(tmp_path):
    assert one_problem(tmp_path, ROBIN[:2]) == "row 2, column address: empty"


def test_more_than_max_rows_is_refused(tmp_path):
    rows = [[f"Person {i}", f"p{i}@example.org", "1 Lane"] for i in range(4)]
    assert len(read(write(tmp_path, rows), max_rows=4).participants) == 4
    message = fails(write(tmp_path, rows + [[], []]), max_rows=3)
    assert message.startswith("participants.csv has more than 3 participants")


# --- name --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "problem"), [
    ("", "empty"),
    ("R" * 201, "longer than 200 characters"),
    ("Robin\nTestperson", "contains a line break or control character"),
    ("Robin\tTestperson", "contains a line break or control character"),
    ("Robin\u2028Testperson", "contains a line break or control character"),
    ("Robin\x85Testperson", "contains a line break or control character"),
    ('=HYPERLINK("http://x","y")', "looks like a spreadsheet formula"),
    ("+Robin", "looks like a spreadsheet formula"),
    ("-Robin", "looks like a spreadsheet formula"),
    ("@Robin", "looks like a spreadsheet formula"),
    ("  =1+1", "looks like a spreadsheet formula"),
])
def test_name_problems(tmp_path, name, problem):
    assert one_problem(tmp_path, [name] + ROBIN[1:]) == f"row 2, column name: {problem}"


def test_a_name_of_200_characters_with_inner_punctuation_is_fine(tmp_path):
    name = "Ann-Marie O'Example " + "x" * 180
    (p,) = read(write(tmp_path, [[name] + ROBIN[1:]])).participants
    assert p.name == name


# --- email -------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "problem"), [
    ("", "empty"),
    ("robin.example.org", "not an email address"),
    ("robin@example", "not an email address"),
    ("robin@exa mple.org", "not an email address"),
    ("robin@example.org\nBcc: x@example.org", "contains a line break or control character"),
    ("=robin@example.org", "looks like a spreadsheet formula"),
])
def test_email_problems_do_not_show_the_address(tmp_path, email, problem):
    message = one_problem(tmp_path, [ROBIN[0], email, ROBIN[2]])
    assert message == f"row 2, column email: {problem}"


def test_the_column_is_named_as_the_file_names_it(tmp_path):
    message = one_problem(tmp_path, ["Robin Testperson", "robin", "1 Lane"],
                          header=["Full name", "E-mail", "Postal address"])
    assert message == "row 2, column E-mail: not an email address"


# --- address -----------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "problem"), [
    ("", "empty"),
    (" , ; ", "empty"),
    ("12 Sample Lane\n=1+2\nEX1 2MP", "line 2 looks like a spreadsheet formula"),
    ("@SUM(A1), Exampleton", "line 1 looks like a spreadsheet formula"),
    (", ".join(f"Line {i}" for i in range(9)), "9 lines, at most 8"),
    ("1 " + "Long" * 50 + " Lane, Exampleton", "a line is longer than 200 characters"),
    ("1 " + "Long" * 80 + " Lane, Exampleton", "a line is longer than 200 characters"),
    ("12 Sample\tLane, Exampleton", "contains a line break or control character"),
])
def test_address_problems(tmp_path, address, problem):
    message = one_problem(tmp_path, ROBIN[:2] + [address])
    assert message == f"row 2, column address: {problem}"


def test_eight_address_lines_are_fine(tmp_path):
    address = "\n".join(f"Line {i}" for i in range(8))
    (p,) = read(write(tmp_path, [ROBIN[:2] + [address]])).participants
    assert len(p.address) == 8


def test_previous_addresses_are_one_line_each(tmp_path):
    header = HEADER + ["previous_addresses"]
    message = one_problem(tmp_path, ROBIN + ["1 Old Road | 2 Older\nStreet"], header)
    assert message == ("row 2, column previous_addresses: "
                       "address 2: contains a line break or control character")
    message = one_problem(tmp_path, ROBIN + ["1 Old Road|=cmd()"], header)
    assert message == ("row 2, column previous_addresses: "
                       "address 2: looks like a spreadsheet formula")


# --- dates and consent -------------------------------------------------------------------

@pytest.mark.parametrize(("dob", "problem"), [
    ("17/05/1980", "not a date in the form YYYY-MM-DD"),
    ("19800517", "not a date in the form YYYY-MM-DD"),
    ("1980-02-30", "not a real date"),
    ("2026-03-03", "in the future"),
    ("1899-12-31", "before 1900"),
])
def test_date_of_birth_problems(tmp_path, dob, problem):
    message = one_problem(tmp_path, ROBIN + [dob], HEADER + ["date_of_birth"])
    assert message == f"row 2, column date_of_birth: {problem}"


def test_date_of_birth_today_and_in_1900_are_fine(tmp_path):
    rows = [ROBIN + ["2026-03-02"], ALEX + ["1900-01-01"]]
    result = read(write(tmp_path, rows, HEADER + ["dob"]))
    assert [p.date_of_birth for p in result.participants] == ["2026-03-02", "1900-01-01"]


@pytest.mark.parametrize(("written", "stored"), [
    ("2025-06-01", "2025-06-01T00:00:00Z"),
    ("2025-06-01T10:30", "2025-06-01T10:30:00Z"),
    ("2025-06-01 10:30:15", "2025-06-01T10:30:15Z"),
    ("2025-06-01T10:30:15.250Z", "2025-06-01T10:30:15Z"),
    ("2025-06-01T10:30:15+01:00", "2025-06-01T09:30:15Z"),
    ("2025-06-01T00:30:00+0200", "2025-05-31T22:30:00Z"),
    ("2026-03-02T12:00:00Z", "2026-03-02T12:00:00Z"),
])
def test_consented_at_is_normalised_to_utc(tmp_path, written, stored):
    (p,) = read(write(tmp_path, [ROBIN + [written]], HEADER + ["consented_at"])).participants
    assert p.consented_at == stored


@pytest.mark.parametrize(("written", "problem"), [
    ("2026-03-02T12:00:01Z", "in the future"),
    ("2026-03-02T13:30:00+01:00", "in the future"),
    ("2026-03-03", "in the future"),
    ("01/06/2025 10:30", "not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM:SSZ)"),
    ("2025-06-01T25:00", "not a real date and time"),
])
def test_consented_at_problems(tmp_path, written, problem):
    message = one_problem(tmp_path, ROBIN + [written], HEADER + ["consented_at"])
    assert message == f"row 2, column consented_at: {problem}"


def test_now_without_a_timezone_is_utc(tmp_path):
    path = write(tmp_path, [ROBIN + ["2026-03-02T12:00:00Z"]], HEADER + ["consented_at"])
    assert read(path, now=datetime(2026, 3, 2, 12, 0)).participants
    assert "in the future" in fails(path, now=datetime(2026, 3, 2, 11, 59))


def test_consent_version_rules(tmp_path):
    header = HEADER + ["consented_at", "consent_version"]
    assert one_problem(tmp_path, ROBIN + ["2025-06-01", "v" * 41], header) == \
        "row 2, column consent_version: longer than 40 characters"
    assert one_problem(tmp_path, ROBIN + ["2025-06-01", "v2\n"  "draft"], header) == \
        "row 2, column consent_version: contains a line break or control character"
    assert one_problem(tmp_path, ROBIN + ["", "v2"], header) == \
        "row 2, column consent_version: given without consented_at"
    assert one_problem(tmp_path, ROBIN + ["v2"], HEADER + ["consent_version"]) == \
        "row 2, column consent_version: given without consented_at"
    (p,) = read(write(tmp_path, [ROBIN + ["2025-06-01", "v" * 40]], header)).participants
    assert p.consent_version == "v" * 40


# --- duplicates --------------------------------------------------------------------------

def test_the_same_address_twice_is_reported_once_per_pair(tmp_path):
    rows = [ROBIN, ALEX, ["Robin Again", "ROBIN@Example.org", "1 Lane"],
            ["Robin Thrice", "robin@example.org", "2 Lane"]]
    message = fails(write(tmp_path, rows))
    assert message == ("participants.csv: 2 problems, nothing was imported: "
                       "rows 2 and 4, column email: the same address twice; "
                       "rows 2 and 5, column email: the same address twice")


def test_addresses_differing_only_in_dots_or_tags_are_different_people(tmp_path):
    rows = [["Sam Example", "sam.example@example.org", "1 Lane"],
            ["Sam Other", "samexample@example.org", "2 Lane"],
            ["Sam Tagged", "sam.example+campaign@example.org", "3 Lane"]]
    assert len(read(write(tmp_path, rows)).participants) == 3


def test_a_participant_already_in_the_campaign(tmp_path):
    path = write(tmp_path, [ROBIN, ["Alex Example", "Alex@Example.ORG", "1 Lane"]])
    message = fails(path, existing_keys={email_key("alex@example.org")})
    assert message.endswith("row 3, column email: already a participant (read a growing "
                            "export again with --skip-existing)")
    # With --skip-existing the row is left out and counted, the rest read.
    from sar.campaign.participants import read_participants

    got = read_participants(path, existing_keys={email_key("alex@example.org")},
                            skip_existing=True)
    assert ([p.name for p in got.participants], got.already) == (["Robin Testperson"], 1)
    assert len(read(path, existing_keys={"someone.else@example.org"}).participants) == 2


# --- the message as a whole --------------------------------------------------------------

def test_the_first_ten_problems_then_a_count(tmp_path):
    rows = [[f"Person {i}", f"person{i}", "1 Lane"] for i in range(12)]
    message = fails(write(tmp_path, rows))
    head, _, listed = message.partition(": ")
    assert head == "participants.csv"
    assert listed.startswith("12 problems, nothing was imported: row 2, column email: ")
    problems = listed.split(": ", 1)[1].split("; ")
    assert problems[:10] == [f"row {r}, column email: not an email address"
                             for r in range(2, 12)]
    assert problems[10:] == ["and 2 more"]


def test_all_problems_are_found_in_one_pass(tmp_path):
    rows = [["=x", "robin", ""], ALEX, ["Sam Example", "sam@example.org", "-1 Lane"]]
    message = fails(write(tmp_path, rows))
    assert message == ("participants.csv: 4 problems, nothing was imported: "
                       "row 2, column name: looks like a spreadsheet formula; "
                       "row 2, column email: not an email address; "
                       "row 2, column address: empty; "
                       "row 4, column address: line 1 looks like a spreadsheet formula")


def test_no_message_shows_what_a_participant_wrote(tmp_path):
    secrets = ["Robin Zzyzx", "zzyzx-mail", "Zzyzx Manor", "Zzyzxton", "1980-13-45"]
    header = HEADER + ["date_of_birth", "previous_addresses", "consented_at"]
    rows = [
        ["=Robin Zzyzx", "zzyzx-mail", "=Zzyzx Manor, Zzyzxton", "1980-13-45",
         "Zzyzx Manor\nZzyzxton", "Zzyzx"],
        ["Robin Zzyzx\n", "zzyzx@example.org", "Zzyzx Manor\tZzyzxton", "", "", ""],
        ["Robin Zzyzx", "zzyzx@EXAMPLE.org", "Zzyzx Manor, Zzyzxton, " * 5, "", "", ""],
    ]
    message = fails(write(tmp_path, rows, header), existing_keys={"zzyzx@example.org"})
    assert message.startswith("participants.csv: 11 problems")
    assert message.endswith("; and 1 more")
    assert "zzyzx" not in message.casefold()
    for secret in secrets:
        assert secret not in message


def test_a_missing_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read participants.csv"):
        read(tmp_path / "participants.csv")


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"),
                    reason="named pipes")
def test_the_file_is_read_once_as_a_stream(tmp_path):
    # A named pipe can be read only once, front to back: reading the file twice, or
    # seeking in it, would fail or hang here.
    pipe = tmp_path / "participants.csv"
    os.mkfifo(pipe)
    rows = "".join(f"Person {i},p{i}@example.org,{i} Sample Lane\n" for i in range(5000))

    def feed():
        with pipe.open("w", encoding="utf-8") as f:
            f.write("name,email,address\n" + rows)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = read(pipe)
    writer.join(timeout=10)
    assert len(result.participants) == 5000
    assert result.participants[-1].row == 5001
