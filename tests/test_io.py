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
