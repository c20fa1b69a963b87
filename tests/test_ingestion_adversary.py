"""Regression tests for the failures an independent corpus of malformed exports found (issue 9, helper
"adversary"; corpus written without reading tests/ingestion_corpus.py or tests/test_fuzz*.py). Each test is the
smallest reproducer of one failure; what it checks failed on main before the fix."""

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

from myositis import io, mi2, parsing, sam


def _workbook(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


# --- a header cell holding a line break (Alt+Enter in Excel, then "save as CSV") ----------------------------

def test_a_quoted_header_spanning_two_lines_is_one_header(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text('record_id;"Date de\nnaissance";mas_date\n1;01/02/1960;24/04/2016\n2;03/04/1970;25/04/2016\n',
                      encoding="utf-8")
    df, info = io.read_table(export)
    assert list(df.columns) == ["record_id", "Date de naissance", "mas_date"]
    assert info.lines == (3, 4) and info.header_line == 1
    cases, issues = sam.load_crf(export)
    assert list(cases["source_row"]) == [3, 4]                      # was: every row unreadable
    assert list(cases["record_id"]) == ["1", "2"]
    assert cases.at[0, "birth_date"] == pd.Timestamp("1960-02-01")
    assert (issues["rule"].str.startswith("header spans lines 1-2")).sum() == 1


# --- a formula cell whose value the workbook did not save --------------------------------------------------

def test_a_formula_without_saved_value_is_reported_not_read_as_empty(tmp_path):
    book = _workbook(tmp_path / "export.xlsx", [["record_id", "mas_date", "crp_mg_l"],
                                                [1, dt.datetime(2016, 4, 24), "=B2/0"],
                                                [2, dt.datetime(2016, 4, 25), 12]])
    df, info = io.read_table(book)
    assert list(df["crp_mg_l"]) == ["=B2/0", "12"]
    cases, issues = sam.load_crf(book)
    hit = issues[(issues["row"] == 2) & (issues["field"] == "crp_mg_l")]
    assert len(hit) == 1 and "formula" in hit["rule"].iloc[0]     # was: no issue, the cell silently empty
    assert pd.isna(cases.at[0, "crp_mg_l"]) and cases.at[1, "crp_mg_l"] == 12


def test_mi2_formula_cell_is_reported(tmp_path):
    book = _workbook(tmp_path / "patients.xlsx", [["id", "group", "sex", "follow_up_years"],
                                                  ["P1", "IMNM", "F", "=A1+1"]])
    issues = mi2.validate_cohort(book, kind="patients")
    hit = issues[(issues["row"] == 2) & (issues["field"] == "follow_up_years")]
    assert len(hit) == 1 and "formula" in hit["rule"].iloc[0]


# --- the same header twice ----------------------------------------------------------------------------------

def test_sam_repeated_header_is_reported_under_its_name(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("record_id;mas_date;ferritin_ng_ml;ferritin_ng_ml\n1;24/04/2016;500;600\n", encoding="utf-8")
    cases, issues = sam.load_crf(export)
    assert cases.at[0, "ferritin_ng_ml"] == 500
    hit = issues[issues["field"] == "ferritin_ng_ml"]             # was: 'ferritin_ng_ml.1: unknown column'
    assert list(hit["rule"]) == ["second column for ferritin_ng_ml (first: ferritin_ng_ml): ignored"]


def test_mi2_repeated_header_is_reported_under_its_field(tmp_path):
    export = tmp_path / "patients.csv"
    export.write_text("N° patient;Groupe;Sexe;CK max (UI/L);CK max (UI/L)\nP1;IMNM;F;1200;1300\n", encoding="utf-8")
    issues = mi2.validate_cohort(export, kind="patients")
    hit = issues[issues["field"] == "ck_max_u_l"]
    assert hit["rule"].str.startswith("column given more than once").any()


# --- dates written month first (REDCap "M-D-Y" export) -----------------------------------------------------

def test_month_first_dates_are_read_month_first(tmp_path):
    export = tmp_path / "redcap.csv"
    export.write_text("record_id,birth_date,mas_date,last_followup_date\n"
                      "1,06/10/1983,04/24/2016,12/31/2017\n2,03/04/1970,11/05/2015,01/02/2016\n", encoding="utf-8")
    cases, issues = sam.load_crf(export)
    # was: 06/10/1983 read as 6 October, 03/04/1970 as 3 April, silently
    assert list(cases["birth_date"]) == [pd.Timestamp("1983-06-10"), pd.Timestamp("1970-03-04")]
    assert cases.at[1, "mas_date"] == pd.Timestamp("2015-11-05")
    assert issues["rule"].str.startswith("dates written month first").sum() == 1


def test_one_month_first_typo_does_not_turn_a_french_file_around():
    assert parsing.sniff_date_order(["03/04/2016", "04/13/2016"]) is None
    assert parsing.sniff_date_order(["03/04/2016", "24/04/2016", "04/13/2016"]) == "dmy"
    assert parsing.sniff_date_order(["04/13/2016", "04/24/2016"]) == "mdy"
    assert parsing.sniff_date_order(["13/04/2016", "24/04/2016", "04/13/2016", "04/24/2016"]) == "mixed"
    assert parsing.parse_date("03/04/2016", order="mdy") == dt.date(2016, 3, 4)
    with pytest.raises(parsing.CellError):
        parsing.parse_date("04/13/2016")


# --- a year typed alone in a date cell of a workbook -------------------------------------------------------

def test_a_year_alone_in_a_workbook_date_cell_is_not_a_day_of_1905(tmp_path):
    book = _workbook(tmp_path / "export.xlsx", [["record_id", "birth_date", "mas_date"],
                                                [1, 1960, dt.datetime(2016, 4, 24)],
                                                [2, 42484, dt.datetime(2016, 4, 25)]])
    cases, issues = sam.load_crf(book)
    assert pd.isna(cases.at[0, "birth_date"])                  # was: 1905-05-13, silently
    assert cases.at[1, "birth_date"] == pd.Timestamp("2016-04-24")   # a serial still reads as a date
    hit = issues[(issues["row"] == 2) & (issues["field"] == "birth_date")]
    assert hit["rule"].str.startswith("a year alone").any()


# --- the header again inside the data; variable names in capitals ------------------------------------------

def test_a_repeated_header_line_is_skipped_and_reported(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("record_id;initials;mas_date\n1;DUJE;24/04/2016\nrecord_id;initials;mas_date\n"
                      "2;MAPA;25/04/2016\n", encoding="utf-8")
    cases, issues = sam.load_crf(export)
    assert list(cases["source_row"]) == [2, 4]                 # was: a third 'case' made of the header's names
    assert list(issues.loc[issues["row"] == 3, "rule"]) == [io.REPEATED_HEADER]
    book = _workbook(tmp_path / "export.xlsx", [["Numéro de fiche", "Date du diagnostic du SAM"],
                                                ["record_id", "mas_date"], [1, dt.datetime(2016, 4, 24)]])
    cases, issues = sam.load_crf(book)
    assert list(cases["source_row"]) == [3] and list(cases["record_id"]) == ["1"]
    assert list(issues.loc[issues["row"] == 2, "rule"]) == [io.REPEATED_HEADER]


def test_variable_names_in_capitals_are_matched(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("RECORD_ID;MAS_DATE;DM_ANTIBODIES___OTHER;DM_ANTIBODIES_OTHER\n1;24/04/2016;1;anti-PL7\n",
                      encoding="utf-8")
    cases, issues = sam.load_crf(export)
    assert cases.at[0, "dm_antibodies___other"] == True  # noqa: E712  (was: both columns 'unknown')
    assert cases.at[0, "dm_antibodies_other"] == "anti-PL7"
    assert not issues["rule"].str.startswith("unknown column").any()


def test_two_month_first_typos_among_iso_dates_do_not_turn_the_file_around():
    cells = ["2015-12-01", "2016-01-05", "2016-02-03", "12/13/2015", "12/14/2015"]
    assert parsing.sniff_date_order(cells) is None
    assert parsing.sniff_date_order(["12/13/2015", "12/14/2015", "2016-01-05"]) == "mdy"


# --- pseudonymisation key files as Windows editors save them -----------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_a_key_file_in_any_windows_encoding_gives_the_same_key(tmp_path, monkeypatch, encoding):
    monkeypatch.delenv(sam.KEY_ENV, raising=False)
    monkeypatch.delenv(sam.KEY_FILE_ENV, raising=False)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_bytes("clé très secrète du centre\r\n".encode(encoding))   # was: UnicodeDecodeError (cp1252,
    key = sam.pseudonym_key(tmp_path / "export.csv", key_file=str(key_file))  # utf-16) raised raw
    assert key == "clé très secrète du centre".encode()


# --- a cp1252 file with one UTF-8 line: the odd line is the one reported -----------------------------------

def test_the_minority_encoding_line_is_the_one_reported(tmp_path):
    export = tmp_path / "export.csv"
    lines = [f"{i};REI;24/04/2016;Légionelle".encode("cp1252") for i in range(1, 6)]
    lines.insert(2, "9;REI;24/04/2016;Méningocoque".encode("utf-8"))
    export.write_bytes(b"record_id;centre;mas_date;mas_infection_agent\n" + b"\n".join(lines) + b"\n")
    df, info = io.read_table(export)
    assert list(df["mas_infection_agent"]) == ["Légionelle"] * 2 + ["Méningocoque"] + ["Légionelle"] * 3
    flagged = [i.row for i in info.issues if "encoded" in i.rule]
    assert flagged == [4]                      # was: the 5 cp1252 lines flagged as odd, not the UTF-8 one
    assert info.encoding == "cp1252 (1 line UTF-8)"


# --- one record number on two different cases -------------------------------------------------------------

def test_a_record_number_used_for_two_cases_is_reported(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("record_id;initials;birth_date;centre;sex;mas_date\n1;DUJE;01/02/1960;REI;F;24/04/2016\n"
                      "1;MAPA;03/04/1970;REI;M;25/04/2016\n2;LOPI;03/04/1971;REI;M;25/04/2016\n", encoding="utf-8")
    cases, issues = sam.load_crf(export)
    hit = issues[issues["field"] == "record_id"]                # was: no issue (a correction would hit both)
    assert list(hit["row"]) == [3] and hit["rule"].str.startswith("record number also used on line 2").all()
    assert list(cases["exclusion_rule"]) == ["", "", ""]         # both cases kept


# --- cases on two sheets of one workbook --------------------------------------------------------------------

def test_rows_on_a_second_sheet_with_the_same_headers_are_reported(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Saisie"
    header = ["record_id", "centre", "mas_date"]
    ws.append(header)
    ws.append([1, "REI", dt.datetime(2016, 4, 24)])
    copy = wb.create_sheet("Saisie (2)")
    copy.append(header)
    copy.append([2, "REI", dt.datetime(2016, 5, 2)])
    copy.append([3, "REI", dt.datetime(2016, 5, 3)])
    wb.save(tmp_path / "export.xlsx")
    cases, issues = sam.load_crf(tmp_path / "export.xlsx")
    assert list(cases["record_id"]) == ["2", "3"]                # the sheet with more rows is read
    hit = issues[issues["rule"].str.startswith("sheet 'Saisie' also holds 1 row(s) under the same headers")]
    assert len(hit) == 1                                        # was: only "read from sheet 'Saisie (2)' of 2"
