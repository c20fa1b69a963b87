import datetime as dt

import pytest

from myositis import io
from myositis.exceptions import InputFileError


@pytest.mark.parametrize("cell, value, unit, comparator", [
    ("12,5", 12.5, "", ""), ("12.5", 12.5, "", ""), ("1 234", 1234.0, "", ""), ("1\u00a0234,5", 1234.5, "", ""),
    ("3,2 g/L", 3.2, "g/L", ""), ("< 0,5", 0.5, "", "<"), ("≥30", 30.0, "", ">="), ("8000 ng/mL", 8000.0, "ng/mL", ""),
    ("-4", -4.0, "", ""), ("1e3", 1000.0, "", ""), (7, 7.0, "", ""),
])
def test_parse_number_as_clinicians_write(cell, value, unit, comparator):
    n = io.parse_number(cell, decimal=",")
    assert (n.value, n.unit, n.comparator) == (pytest.approx(value), unit, comparator)


def test_thousands_comma_in_english_export():
    assert io.parse_number("1,234", decimal=".").value == 1234.0
    assert io.parse_number("1,5", decimal=".").value == 1.5


@pytest.mark.parametrize("cell", ["", "NA", "ND", "inconnu", None, float("nan")])
def test_missing_cells(cell):
    assert io.parse_number(cell) is None
    assert io.parse_date(cell) is None
    assert io.parse_bool(cell) is None


@pytest.mark.parametrize("cell", ["abc", "12 34 56 x", "1,2,3"])
def test_not_a_number_raises_quoting_the_cell(cell):
    with pytest.raises(ValueError, match="not a number"):
        io.parse_number(cell, decimal=",")


def test_dates():
    assert io.parse_date("03/02/2015") == dt.date(2015, 2, 3)  # dd/mm/yyyy, never mm/dd
    assert io.parse_date("2015-02-03") == dt.date(2015, 2, 3)
    with pytest.raises(ValueError, match="not a date"):
        io.parse_date("31/02/2015")


def test_booleans_french_english_redcap():
    assert io.parse_bool("Oui") is True and io.parse_bool("non") is False
    assert io.parse_bool("Checked") is True and io.parse_bool("0") is False
    with pytest.raises(ValueError):
        io.parse_bool("peut-être")


def test_read_french_csv_cp1252(tmp_path):
    f = tmp_path / "centre.csv"
    f.write_bytes("code;fébrile;ferritine\nAB;oui;12 000,5\nCD;non;ND\n".encode("cp1252"))
    df, info = io.read_table(f)
    assert (info.encoding, info.separator, info.decimal, info.rows) == ("cp1252", ";", ",", 2)
    assert list(df.columns) == ["code", "fébrile", "ferritine"]
    assert df.loc[0, "ferritine"] == "12 000,5" and df.loc[1, "ferritine"] == "ND"


def test_read_utf8_bom_and_excel(tmp_path):
    import pandas as pd

    f = tmp_path / "a.csv"
    f.write_bytes("\ufeffa,b\n1,2\n".encode("utf-8"))
    df, info = io.read_table(f)
    assert info.encoding == "utf-8-sig" and list(df.columns) == ["a", "b"]
    x = tmp_path / "a.xlsx"
    pd.DataFrame({"a": [1, 2], "b": ["x", None]}).to_excel(x, index=False)
    df, info = io.read_table(x)
    assert df["a"].tolist() == ["1", "2"] and df["b"].tolist() == ["x", ""]


def test_missing_and_empty_files_name_the_file(tmp_path):
    with pytest.raises(InputFileError, match="nope.csv: file not found"):
        io.read_table(tmp_path / "nope.csv")
    (tmp_path / "e.csv").write_text("  \n")
    with pytest.raises(InputFileError, match="e.csv: file is empty"):
        io.read_table(tmp_path / "e.csv")


def test_write_csv_is_deterministic(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"x": [1 / 3, 2.0], "y": ["a", "b"]})
    a = io.write_csv(df, tmp_path / "a.csv").read_bytes()
    b = io.write_csv(df, tmp_path / "b.csv").read_bytes()
    assert a == b == b"x,y\n0.333333,a\n2,b\n"


# --- structure-aware reading (issue 9) ------------------------------------------------------------------------

def _read(tmp_path, data: bytes, name="f.csv", **kw):
    f = tmp_path / name
    f.write_bytes(data)
    df, info = io.read_table(f, **kw)
    assert f.read_bytes() == data  # raw files are never modified
    return df, info, {(i.row, i.severity): i.rule for i in info.issues}


def test_trailing_separator_never_shifts_columns(tmp_path):
    df, info, issues = _read(tmp_path, b"id;initials;birth;centre;mas\n1;DUJE;05/03/1960;REI;24/04/2016;\n")
    assert df.loc[0, "id"] == "1" and df.loc[0, "mas"] == "24/04/2016"
    assert info.lines == (2,) and any("trailing separator" in i.rule for i in info.issues)


def test_unbalanced_quote_does_not_merge_rows(tmp_path):
    data = b'id;mas;agent;ferritin\n1;24/04/2016;"CMV;8000\n2;25/04/2016;EBV;900\n3;26/04/2016;grippe";700\n'
    df, info, issues = _read(tmp_path, data)
    assert df["id"].tolist() == ["1", "2", "3"] and df["ferritin"].tolist() == ["8000", "900", "700"]
    assert info.lines == (2, 3, 4) and "unbalanced quote" in issues[(2, "warning")]


def test_quoted_value_spanning_lines_is_one_row(tmp_path):
    df, info, issues = _read(tmp_path, b'id;note;x\n1;"a\nb";3\n2;c;4\n')
    assert df["note"].tolist() == ["a\nb", "c"] and info.lines == (2, 4) and not info.issues


def test_every_line_is_accounted_for(tmp_path):
    data = b"Export du 03/04/2021\n\nid;a;b\n1;2;3\n\n2;x;y;z\n3;4\n4;5;6\n5;6"
    df, info, issues = _read(tmp_path, data)
    assert info.header_line == 3 and df["id"].tolist() == ["1", "4"] and info.lines == (4, 8)
    assert "above the header" in issues[(1, "warning")] and "blank line" in issues[(5, "warning")]
    assert "4 fields" in issues[(6, "error")] and "2 fields" in issues[(7, "error")]
    assert "truncated last line" in issues[(9, "error")]
    assert sorted(r for r, _ in issues) == [1, 2, 5, 6, 7, 9]


def test_title_line_found_by_known_columns(tmp_path):
    df, info, _ = _read(tmp_path, b"Centre;Reims;;\nid;mas;ferritin;x\n1;2;3;4\n", known_columns=["MAS", "id"])
    assert info.header_line == 2 and df.columns.tolist() == ["id", "mas", "ferritin", "x"]


def test_mixed_encoding_is_decoded_per_line(tmp_path):
    data = "id;dep\n1;Hématologie\n".encode() + "2;Hématologie\n".encode("cp1252") + "3;Réa\n".encode()
    df, info, issues = _read(tmp_path, data)
    assert df["dep"].tolist() == ["Hématologie", "Hématologie", "Réa"]
    assert "cp1252" in issues[(3, "warning")] and "cp1252" in info.encoding


@pytest.mark.parametrize("name, data, error, words", [
    ("bom.csv", b"\xef\xbb\xbf", "EmptyFileError", "byte-order mark"),
    ("e.csv", b"", "EmptyFileError", "empty"),
    ("bin.csv", bytes(range(256)) * 4, "NotATableError", "binary"),
    ("t.xlsx", b"a;b\n1;2\n", "ExcelFormatError", "not an Excel workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "ExcelFormatError", "save it as .xlsx"),
    ("cut.xlsx", b"PK\x03\x04" + b"\0" * 100, "ExcelFormatError", "damaged"),
    ("w.csv", b"PK\x03\x04" + b"\0" * 100, "ExcelFormatError", "rename"),
])
def test_unreadable_files_raise_named_errors(tmp_path, name, data, error, words):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputFileError) as err:
        io.read_table(tmp_path / name)
    assert type(err.value).__name__ == error and name in str(err.value) and words in str(err.value)


def _workbook(path, sheets):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)


def test_excel_data_sheet_found_by_headers(tmp_path):
    x = tmp_path / "centre.xlsx"
    _workbook(x, {"Saisie": [["id", "mas_date"]], "Notice": [["remplir la feuille suivante"]],
                  "Saisie (2)": [["Appel à observations"], ["id", "mas_date"], [1, dt.datetime(2016, 4, 24)],
                                 [None, None], [2, 42485]]})
    df, info = io.read_table(x, known_columns=["id", "mas_date"])
    assert (info.sheet, info.header_line, info.lines) == ("Saisie (2)", 2, (3, 5))
    assert df["mas_date"].tolist() == ["2016-04-24", "42485"]
    rules = " ".join(i.rule for i in info.issues)
    assert "sheet 'Saisie (2)'" in rules and "empty row" in rules and "above the header" in rules


def test_xlsx_named_xls_is_read_with_a_warning(tmp_path):
    x = tmp_path / "a.xlsx"
    _workbook(x, {"S": [["a", "b"], [1, 2.5]]})
    (tmp_path / "a.xls").write_bytes(x.read_bytes())
    df, info = io.read_table(tmp_path / "a.xls")
    assert df.to_dict("records") == [{"a": "1", "b": "2.5"}] and "named .xls" in info.issues[0].rule


def test_writers_neutralise_formulas_but_keep_numbers(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"v": ["=1+2", "@SUM(A1)", "+336", "-2+3", "\tx", "-12,5", "-3", "ok"], "n": range(-4, 4)})
    text = io.write_csv(df, tmp_path / "r.csv").read_text()
    assert text.splitlines()[1:] == ["'=1+2,-4", "'@SUM(A1),-3", "+336,-2", "'-2+3,-1", "'\tx,0", '"-12,5",1',
                                     "-3,2", "ok,3"]
    from openpyxl import load_workbook

    io.write_excel({"r": df}, tmp_path / "r.xlsx")
    ws = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in ws["A"]][1:4] == ["'=1+2", "'@SUM(A1)", "+336"]
    assert [c.value for c in ws["B"]][1:3] == [-4, -3] and ws["A2"].data_type == "s"


def test_blank_rows_as_pandas_string_strip_gives_them():
    """io.blank_rows is the pandas expression the readers used, ``(frame.apply(lambda s: s.str.strip()) == "")
    .all(axis=1)``: spaces, tabs and Unicode spaces are blank; a missing (non-text) cell is not."""
    import numpy as np
    import pandas as pd

    cells = ["", " ", "\t", "\u00a0", "\u2003 ", "x", " 0 ", None, np.nan, "-"]
    rng = np.random.default_rng(0)
    for k in range(60):
        n_cols = int(rng.integers(1, 5))
        frame = pd.DataFrame([[cells[int(i)] for i in rng.integers(0, len(cells) if k % 2 else 5, n_cols)]
                              for _ in range(12)], columns=[f"c{j}" for j in range(n_cols)], dtype=object)
        expected = (frame.apply(lambda s: s.str.strip()) == "").all(axis=1).to_numpy()
        assert io.blank_rows(frame).tolist() == expected.tolist()
    assert io.blank_rows(pd.DataFrame(index=range(3))).tolist() == [True, True, True]
    assert io.blank_rows(pd.DataFrame(columns=["a"])).tolist() == []
