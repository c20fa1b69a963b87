"""The multicentre study end to end: three centres' exports (REDCap raw, REDCap labels, a French CSV) from the
synthetic generator with planted problems → query workbooks → answers typed as a clinician would (openpyxl) →
re-ingestion with the corrections on top of the untouched raw files → audit, stale answers, dashboard."""

import datetime as dt
import hashlib
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from myositis import paths, sam
from myositis.sam import centres, corrections, dashboard, demo, queries
from myositis.exceptions import ParamsError

REI, NCY, NTE = (demo.DEMO_EXPORTS[c][1] for c in ("REI", "NCY", "NTE"))
NTE_LATER = "sam_synthetic_NTE_2021-05-03.csv"


def _sha(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _answer(workbook, answers):
    """Fill answer columns like a clinician: {(record, variable): (corrected value, comment)}."""
    wb = load_workbook(workbook)
    ws = wb["Requêtes"]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in header}
    for row in range(2, ws.max_row + 1):
        key = (str(ws.cell(row, col["N° de fiche"]).value), ws.cell(row, col["Variable"]).value)
        if key in answers:
            value, comment = answers[key]
            ws.cell(row, col["Valeur corrigée"], value)
            ws.cell(row, col["Commentaire"], comment)
            ws.cell(row, col["Répondu par"], "Dr Exemple")
            ws.cell(row, col["Date"], dt.datetime(2021, 4, 20))
    wb.save(workbook)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    exports = root / "exports"
    demo.write_demo_exports(exports)
    first_hashes = _sha(exports)
    cases, issues = sam.load_crf(exports)
    asked = queries.query_table(cases, issues)
    books = queries.write_query_workbooks(asked, root / "queries", date=dt.date(2021, 4, 5))
    by_centre = {p.stem.split("_")[1]: p for p in books}
    (root / "answered").mkdir()
    returned = {c: shutil.copy(p, root / "answered" / p.name) for c, p in by_centre.items()}
    _answer(returned["REI"], {("3", "haemoglobin_g_dl"): ("4.5", None)})
    _answer(returned["NCY"], {("4", "mas_date"): ("2014-05-01", "date retrouvée dans le dossier"),
                               ("6", "last_followup_date"): (None, "exact : perdue de vue en 2010")})
    _answer(returned["NTE"], {("2", "centre"): ("NTE", None), ("3", "ferritin_ng_ml"): ("12 500", None),
                               ("5", "ferritin_ng_ml"): ("3200", "unité : µg/L")})
    # meanwhile Nantes re-exports: same cases, the ferritin of record 5 now written with its unit
    later = (exports / NTE).read_bytes().replace(b"3200 mmol/L", b"3200 \xc2\xb5g/L")
    assert later != (exports / NTE).read_bytes()
    (exports / NTE_LATER).write_bytes(later)
    hashes = _sha(exports)
    answers = corrections.read_answers(root / "answered")
    cases2, issues2 = sam.load_crf(exports, corrections=answers)
    return dict(root=root, exports=exports, first_hashes=first_hashes, hashes=hashes, cases=cases, issues=issues,
                queries=asked, books=by_centre, answers=answers, cases2=cases2, issues2=issues2)


def test_three_formats_read_into_one_series_tagged_by_file(study):
    cases = study["cases"]
    assert set(cases["source_file"]) == {REI, NCY, NTE}
    formats = {d["file"]: d["format"] for d in cases.attrs["files"]}
    assert formats[REI].startswith("REDCap export (raw)") and formats[NCY].startswith("REDCap export (labels)")
    assert "';'" in formats[NTE]
    assert len(cases) == 12 + 13 + 11
    assert {d["file"]: d["export_date"] for d in cases.attrs["files"]}[NCY] == dt.date(2021, 4, 2)


def test_cross_centre_duplicate_found(study):
    cases, issues = study["cases"], study["issues"]
    dup = cases[cases["exclusion_rule"] == "duplicate"]
    assert len(dup) == 1 and dup["source_file"].item() == REI and dup["source_row"].item() == 6  # file line (header = line 1)
    assert "sent by another centre" in dup["excluded"].item()
    kept = cases[(cases["source_file"] == NCY) & (cases["source_row"] == 14)]
    assert kept["exclusion_rule"].item() == ""


def test_query_workbooks_one_per_centre_in_french_with_masked_identifiers(study):
    books = study["books"]
    assert set(books) == {"REI", "NCY", "NTE"}
    wb = load_workbook(books["REI"])
    assert wb.sheetnames == ["Requêtes", "Mode d'emploi"]
    rows = list(wb["Requêtes"].iter_rows(values_only=True))
    assert list(rows[0]) == queries.QUERY_COLUMNS
    table = pd.DataFrame(rows[1:], columns=rows[0])
    assert set(table["Centre"]) == {"REI"} and set(table["Fichier"]) == {REI}
    hb = table[table["Variable"] == "haemoglobin_g_dl"].iloc[0]
    assert (hb["N° de fiche"], hb["Champ"], hb["Valeur reçue"]) == ("3", "Hémoglobine (g/dL)", "45")
    assert hb["Règle"] == "valeur hors de la plage plausible [2, 22] g/dL : ignorée"
    assert all(hb[c] is None for c in queries.ANSWER_COLUMNS)
    dup = table[table["Variable"] == "initials"].iloc[0]
    assert dup["Valeur reçue"] == sam.MASKED and NCY not in dup["Règle"] and "autre centre" in dup["Règle"]
    nte = pd.DataFrame(list(load_workbook(books["NTE"])["Requêtes"].iter_rows(values_only=True))[1:],
                       columns=queries.QUERY_COLUMNS)
    centre = nte[nte["Variable"] == "centre"]
    assert len(centre) == 1 and centre["Règle"].item().startswith(
        "centre ambigu : « NAN » désigne Nancy (NCY) ou Nantes (NTE)")
    for centre, book in books.items():   # no other centre's file, no unmasked identifier in any workbook
        text = " ".join(str(v) for row in load_workbook(book)["Requêtes"].iter_rows(values_only=True) for v in row)
        own = demo.DEMO_EXPORTS[centre][1]
        assert own in text and not any(name in text for name in {REI, NCY, NTE} - {own})
        for initials in study["cases"]["initials"].dropna():
            assert initials not in text


def test_answers_read_back_as_a_corrections_table(study):
    a = study["answers"].sort_values(["centre", "record_id", "field"]).reset_index(drop=True)
    assert list(a.columns) == corrections.CORRECTION_COLUMNS
    assert list(zip(a["centre"], a["record_id"], a["field"], a["old_value"], a["new_value"])) == [
        ("NCY", "4", "mas_date", "", "2014-05-01"), ("NCY", "6", "last_followup_date", "01/01/2010", ""),
        ("NTE", "2", "centre", "NAN", "NTE"), ("NTE", "3", "ferritin_ng_ml", "12 5OO", "12 500"),
        ("NTE", "5", "ferritin_ng_ml", "3200 mmol/L", "3200"), ("REI", "3", "haemoglobin_g_dl", "45", "4.5")]
    assert set(a["who"]) == {"Dr Exemple"} and set(a["when"]) == {"2021-04-20"}


def test_corrections_applied_with_audit_and_stale_answer_reported(study):
    cases = study["cases2"]
    audit = corrections.audit_trail(cases)
    status = {(r.export_file, r.record_id, r.field): r.status for r in audit.itertuples()}
    assert status[(REI, "3", "haemoglobin_g_dl")] == "applied"
    assert status[(NCY, "4", "mas_date")] == "applied"
    assert status[(NCY, "6", "last_followup_date")].startswith("unchanged")
    for export in (NTE, NTE_LATER):
        assert status[(export, "2", "centre")] == "applied"
        assert status[(export, "3", "ferritin_ng_ml")] == "applied"
    assert status[(NTE, "5", "ferritin_ng_ml")] == "applied"
    assert status[(NTE_LATER, "5", "ferritin_ng_ml")] == "stale: not applied (the export now holds '3200 µg/L')"
    assert len(audit) == 1 + 2 + 3 + 3   # REI 1, NCY 2, NTE 3 in each of its two exports
    row = lambda f, r: cases[(cases["source_file"] == f) & (cases["source_row"] == r)].iloc[0]  # noqa: E731
    assert row(REI, 4)["haemoglobin_g_dl"] == 4.5
    assert row(NCY, 5)["mas_date"] == pd.Timestamp("2014-05-01") and row(NCY, 5)["exclusion_rule"] == ""
    assert row(NTE_LATER, 3)["centre"] == "NTE" and row(NTE_LATER, 3)["recognition_code"].endswith("NTE")
    assert row(NTE_LATER, 4)["ferritin_ng_ml"] == 12500
    assert row(NTE_LATER, 6)["ferritin_ng_ml"] == 3200   # the centre's own re-export, not the stale answer


def test_raw_files_byte_identical(study):
    after = _sha(study["exports"])
    assert after == study["hashes"]
    assert {k: v for k, v in after.items() if k != NTE_LATER} == study["first_hashes"]
    assert {d["file"]: d["sha256"] for d in study["cases2"].attrs["files"]} == after


def test_same_centre_resent_cases_keep_the_latest_export(study):
    cases = study["cases2"]
    old = cases[cases["source_file"] == NTE]
    assert (old["exclusion_rule"] == "duplicate").all()
    assert old["excluded"].str.contains(f"{NTE_LATER} row").all()
    assert old["excluded"].str.contains("resent by the same centre").all()
    new = cases[cases["source_file"] == NTE_LATER]
    assert (new["exclusion_rule"] != "duplicate").all()


def test_dashboard_counts(study):
    cases = study["cases2"]
    asked = queries.query_table(cases, study["issues2"])
    board = dashboard.dashboard(cases, asked, study["answers"]).set_index("centre")
    # REI: 12 rows; 1 duplicate of NCY (invalid) → 11 valid; 1 MAS before the window → 10 analysed
    # NCY: 13 rows, the missing MAS date answered → 13 valid and analysed
    # NTE: 2 exports of 11 rows; the 11 of the earlier export resent → 11 valid, 11 analysed
    expected = {"REI": (1, 12, 11, 10, 1), "NCY": (1, 13, 13, 13, 2), "NTE": (2, 22, 11, 11, 3)}
    for centre, (exports, received, valid, analysed, answered) in expected.items():
        got = board.loc[centre]
        assert (got["exports"], got["received"], got["valid"], got["analysed"], got["queries_answered"]) == (
            exports, received, valid, analysed, answered), centre
    assert board.loc["NTE", "last_export"] == dt.date(2021, 5, 3)
    assert board.loc["REI", "last_export"] == dt.date(2021, 3, 31)
    # open queries after the corrections: REI still has its MAS before the window and the duplicate of NCY's
    # case (2); NCY's follow-up answered by a comment; NTE's earlier export is superseded (not a question) and
    # its re-export reads cleanly (3200 µg/L)
    assert dict(board.set_index(board.index)["queries_open"]) == {"NCY": 0, "NTE": 0, "REI": 2}
    assert set(asked.loc[asked["Centre"] == "REI", "Variable"]) == {"mas_date", "initials"}
    assert 0 < board.loc["NTE", "complete % Identification"] <= 100


def test_completeness_by_hand():
    """Two cases of one centre, the identification form's always-asked questions (record_id excluded):
    initials, birth_date, centre, department, sex, form_completed_by → case 1 answers 6/6, case 2 answers 3/6
    (initials, birth date, centre) → 75 %."""
    from myositis import crf as crf_module
    fields = [f for f in crf_module.load().fields if f.form == "identification" and not f.branching
              and not f.free_text and f.name != "record_id"]
    assert [f.name for f in fields] == ["initials", "birth_date", "centre", "department", "sex", "form_completed_by"]
    cases = pd.DataFrame({"record_id": ["1", "2"], "initials": ["ABCD", "EFGH"],
                          "birth_date": [pd.Timestamp("1960-01-01")] * 2, "centre": ["REI", "REI"],
                          "department": ["1", None], "sex": ["F", None], "form_completed_by": ["1", None],
                          "exclusion_rule": ["", ""]})
    table = dashboard.completeness(cases.reindex(
        columns=list(cases.columns) + [c for f in crf_module.load().fields for c in f.columns
                                       if c not in cases.columns]))
    assert table.loc["REI", "Identification"] == pytest.approx(0.75)


@pytest.mark.parametrize("start, reminder, closing", [
    ("2021-01-15", dt.date(2021, 4, 15), dt.date(2021, 7, 15)),
    ("2020-08-31", dt.date(2020, 11, 30), dt.date(2021, 2, 28)),   # short months: the month's last day
    ("2023-11-30", dt.date(2024, 2, 29), dt.date(2024, 5, 30)),    # leap year
])
def test_collection_calendar(start, reminder, closing):
    cal = dashboard.calendar(start).set_index("step")["date"]
    assert (cal["start"], cal["reminder"], cal["closing"]) == (dt.date.fromisoformat(start), reminder, closing)
    with pytest.raises(ParamsError, match="must fall inside"):
        dashboard.calendar(start, months=6, reminder_months=6)


def test_bundled_demo_equals_a_regeneration():
    folder = paths.resolve(demo.DEMO_DIR)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == demo.demo_exports()


def test_rule_translations_cover_every_rule_of_the_demo(study):
    assert not study["queries"]["Règle"].str.startswith("(règle non traduite)").any()


def test_a_folder_without_exports_is_a_named_error(tmp_path):
    from myositis.exceptions import InputFileError
    with pytest.raises(InputFileError, match="no export"):
        centres.export_files(tmp_path)
    shutil.rmtree(tmp_path)


def test_a_central_export_sends_each_centre_its_own_rows():
    """One export holding several centres (a coordinating REDCap project): each query goes to its row's centre."""
    cases, issues = sam.load_crf(sam.SYNTHETIC_FILE)
    asked = queries.query_table(cases, issues)
    by_record = dict(zip(cases["record_id"], cases["centre"]))
    rows = asked[asked["N° de fiche"] != "(fichier)"]
    assert len(rows) and (rows["Centre"] == rows["N° de fiche"].map(by_record)).all()
    assert rows["Centre"].nunique() > 1


def _edit_french_csv(data: bytes, edits: dict) -> bytes:
    """A French CSV export (``;``, BOM, CRLF) with cells replaced: {(record_id, column): text}."""
    import csv
    import io as _io

    text = data.decode("utf-8-sig")
    rows = list(csv.reader(_io.StringIO(text), delimiter=";"))
    header = rows[0]
    for row in rows[1:]:
        for (record, column), value in edits.items():
            if row[header.index("record_id")] == record:
                row[header.index(column)] = value
    out = _io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def test_query_workbook_writes_formulas_inert_and_numbers_unchanged(tmp_path):
    """One policy with io.write_csv / io.write_excel: a received '=HYPERLINK(...)' reaches the workbook as inert
    text (apostrophe, cell type text), a received '-2' as it was typed; the answer to the formula-like value is
    still applied (the apostrophe is not taken for a change of the export)."""
    link = '=HYPERLINK("http://example.org/x";"cliquer")'
    data = _edit_french_csv(demo.demo_exports()[NTE], {("1", "ferritin_ng_ml"): link, ("1", "platelets_g_l"): "-2"})
    export = tmp_path / "exports" / NTE
    export.parent.mkdir()
    export.write_bytes(data)
    cases, issues = sam.load_crf(export)
    books = queries.write_query_workbooks(queries.query_table(cases, issues), tmp_path / "queries")
    ws = load_workbook(books[0])["Requêtes"]
    header = [c.value for c in ws[1]]
    cells = {(ws.cell(r, header.index("N° de fiche") + 1).value, ws.cell(r, header.index("Variable") + 1).value):
             ws.cell(r, header.index("Valeur reçue") + 1) for r in range(2, ws.max_row + 1)}
    formula = cells[("1", "ferritin_ng_ml")]
    assert formula.value == "'" + link and formula.data_type == "s"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    minus = cells[("1", "platelets_g_l")]
    assert minus.value == "-2"
    (tmp_path / "answered").mkdir()
    answered = shutil.copy(books[0], tmp_path / "answered" / books[0].name)
    _answer(answered, {("1", "ferritin_ng_ml"): ("1200", None)})
    answers = corrections.read_answers(tmp_path / "answered")
    assert answers.loc[answers["field"] == "ferritin_ng_ml", "old_value"].item() == link
    cases2, _ = sam.load_crf(export, corrections=answers)
    audit = corrections.audit_trail(cases2)
    assert audit.loc[audit["field"] == "ferritin_ng_ml", "status"].item() == "applied"
    assert cases2.loc[cases2["record_id"] == "1", "ferritin_ng_ml"].item() == 1200


def test_old_redcap_label_export_with_the_previous_centre_header(tmp_path):
    """A REDCap label export made with CRF version 1 (centre typed as 'the first 3 letters of the city', header
    'Centre : 3 premières lettres de la ville du centre') is read through the header alias: no unknown or
    absent column, old letters naming one city resolved to its code, 'NAN' reported as ambiguous."""
    import csv
    import io as _io

    rows = list(csv.reader(_io.StringIO(demo.demo_exports()[NCY].decode("utf-8"))))
    k = rows[0].index("Centre")
    rows[0][k] = "Centre : 3 premières lettres de la ville du centre"
    for row in rows[1:]:
        row[k] = "REI"
    rows[2][k] = "NAN"
    out = _io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    old = tmp_path / "sam_REI_2020-12-01_redcap_labels_v1.csv"
    old.write_text(out.getvalue(), encoding="utf-8")
    cases, issues = sam.load_crf(old)
    assert cases.attrs["format"].startswith("REDCap export (labels)")
    assert not ((issues["field"] == "centre") & issues["rule"].str.contains("column absent")).any()
    assert not issues["rule"].str.startswith("unknown column").any()
    assert cases["centre"].tolist() == ["REI"] + [None] + ["REI"] * (len(rows) - 3)
    rules = issues.loc[(issues["field"] == "centre") & (issues["row"] == 3), "rule"]
    assert rules.str.startswith("ambiguous centre: 'NAN' is Nancy (NCY) or Nantes (NTE)").sum() == 1
    # the current export's header still reads, and the alias is never written into the REDCap dictionary
    current = tmp_path / NCY
    current.write_bytes(demo.demo_exports()[NCY])
    assert sam.load_crf(current)[0]["centre"].eq("NCY").all()
    from myositis import crf

    assert "3 premières lettres" not in crf.redcap_dictionary().to_csv()


def test_collection_calendar_parameters_give_named_errors():
    with pytest.raises(ParamsError, match=r"collection_start '01/03/2021' is not a date written YYYY-MM-DD"):
        dashboard.calendar("01/03/2021", 6, 3)
    with pytest.raises(ParamsError, match=r"the reminder \(7 months\) must fall inside the collection \(6 months\)"):
        dashboard.calendar("2021-03-01", 6, 7)
    assert list(dashboard.calendar("2021-03-01", 6, 3)["date"].astype(str)) == [
        "2021-03-01", "2021-06-01", "2021-09-01"]


@pytest.mark.parametrize("content", [b"", b"\x00\x01PK\x03\x04\xff\xfe garbage \x00" * 20])
def test_one_unreadable_export_does_not_stop_the_collection(tmp_path, content):
    """Three centres' exports, one of them empty (or binary): the other two are read, the unreadable one is an
    issue row (file, row 1, what to do), counted in the inclusion flow and the dashboard; raw files untouched."""
    from myositis.exceptions import InputFileError
    demo.write_demo_exports(tmp_path)
    (tmp_path / NCY).write_bytes(content)  # Nancy's export arrived empty / is not a table
    before = _sha(tmp_path)
    cases, issues = sam.load_crf(tmp_path)
    assert _sha(tmp_path) == before
    assert set(cases["source_file"]) == {REI, NTE}
    assert len(cases) == 12 + 11
    row = issues[issues["rule"] == centres.UNREADABLE]
    assert len(row) == 1 and row["file"].iloc[0] == NCY and row["row"].iloc[0] == 1
    assert row["severity"].iloc[0] == "error" and "ask the centre to export it again" in row["rule"].iloc[0]
    assert cases.attrs["unreadable"][0]["file"] == NCY
    assert [d["format"] for d in cases.attrs["files"]].count("unreadable") == 1
    assert NCY not in cases.attrs["file"]
    flow = sam.inclusion_flow(cases)
    assert flow.iloc[0].tolist() == ["not read", 1, f"unreadable export file(s): {NCY}"]
    assert flow.loc[flow["step"] == "received", "n"].iloc[0] == 23
    board = dashboard.dashboard(cases).set_index("centre")
    assert board.loc["NCY", "unreadable_exports"] == 1 and board.loc["NCY", "received"] == 0
    assert board.loc["NCY", "exports"] == 1
    assert board.loc["REI", "unreadable_exports"] == 0 and board.loc["REI", "received"] == 12
    # every export unreadable: the run stops, naming each file
    for name in (REI, NTE):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputFileError, match="no export could be read"):
        sam.load_crf(tmp_path)
    # a single export that cannot be read still stops with its own error
    with pytest.raises(InputFileError):
        sam.load_crf(tmp_path / REI)
