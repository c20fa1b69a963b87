"""One parser per kind of value (issue 9): numbers, dates, answers, durations, decimal sniffing."""

import datetime as dt
import time

import pytest

from myositis import parsing
from myositis.exceptions import CellError


@pytest.mark.parametrize("cell, decimal, value", [
    ("8.000", ",", 8000.0), ("8.000", ".", 8.0), ("1.234.567", ",", 1234567.0), ("1,234,567", ".", 1234567.0),
    ("1.234,5", ".", 1234.5), ("1,234.5", ",", 1234.5), ("0,125", None, 0.125), ("12,5", None, 12.5),
    ("1 234", None, 1234.0), ("12\u202f000,5", ",", 12000.5), ("-12,5", ",", -12.5), ("−3", ".", -3.0),
])
def test_thousands_follow_the_file_convention(cell, decimal, value):
    assert parsing.parse_number(cell, decimal).value == pytest.approx(value)


@pytest.mark.parametrize("cell", ["1.234", "8,000", "12.500"])
def test_ambiguous_number_when_the_file_cannot_tell(cell):
    with pytest.raises(CellError, match="ambiguous number") as err:
        parsing.parse_number(cell, decimal=None)
    assert "ambiguous number" in err.value.rule


@pytest.mark.parametrize("cell", ["1e999", "-1E400", "9" * 500])
def test_overflow_is_a_cell_issue(cell):
    with pytest.raises(CellError) as err:
        parsing.parse_number(cell, ",")
    assert err.value.rule == "number too large: set missing"


def test_a_30000_digit_cell_is_read_in_linear_time():
    start = time.perf_counter()
    for _ in range(20):
        with pytest.raises(CellError):
            parsing.parse_number("9" * 30_000 + ",5", ",")
        parsing.sniff_decimal(["1" * 30_000 + ",5"] * 5, ";")
    assert time.perf_counter() - start < 1.0  # the quadratic version took 3.3 s for ONE cell


@pytest.mark.parametrize("cell, value, unit", [
    ("4,5 10^9/L", 4.5, "10^9/L"), ("4,5 x10^9/L", 4.5, "x10^9/L"), ("4,5 G/L", 4.5, "G/L"),
    ("4500/mm3", 4500.0, "/mm3"), ("4500 /mm³", 4500.0, "/mm³"), ("12,5 g/L", 12.5, "g/L"), ("<0,5", 0.5, ""),
])
def test_declared_units_are_read(cell, value, unit):
    n = parsing.parse_number(cell, ",")
    assert (n.value, n.unit) == (pytest.approx(value), unit)


@pytest.mark.parametrize("cell", ["oui ?", "Oui?", "?", "non (?)"])
def test_uncertain_answers_are_reported_not_guessed(cell):
    with pytest.raises(CellError, match="uncertain"):
        parsing.parse_bool(cell)


@pytest.mark.parametrize("cell", ["F?", "Femme ?", "?"])
def test_uncertain_choice(cell):
    with pytest.raises(CellError, match="uncertain"):
        parsing.check_answer(cell)
    assert parsing.check_answer("F") == "F"


def test_missing_tokens_never_apply_to_codes():
    assert parsing.is_missing("NAN") and parsing.is_missing("NA")
    assert not parsing.is_missing("NAN", code=True) and not parsing.is_missing("NA", code=True)
    assert parsing.is_missing("  ", code=True)


def test_dates_french_iso_excel_serial():
    assert parsing.parse_date("03/02/2015") == dt.date(2015, 2, 3)
    assert parsing.parse_date("03.02.2015") == dt.date(2015, 2, 3)
    assert parsing.parse_date("2015-02-03 00:00:00") == dt.date(2015, 2, 3)
    # Excel 1900 date system: 42484 is 24/04/2016 (=DATE(2016;4;24) in Excel)
    assert parsing.parse_date(42484, excel_serials=True) == dt.date(2016, 4, 24)
    assert parsing.parse_date("42484", excel_serials=True) == dt.date(2016, 4, 24)
    with pytest.raises(CellError):
        parsing.parse_date("42484")
    with pytest.raises(CellError, match="no such day"):
        parsing.parse_date("31/02/2015")
    with pytest.raises(CellError, match="year"):
        parsing.parse_date("03/02/20")  # truncated or two-digit year: 1920 or 2020?


def test_durations():
    assert parsing.parse_duration("3 mois", "months") == pytest.approx(3)
    assert parsing.parse_duration("1,5 an", "months", ",") == pytest.approx(18)
    assert parsing.parse_duration("10 j", "days") == pytest.approx(10)
    assert parsing.parse_duration("2", "years") == 2
    with pytest.raises(CellError, match="time unit"):
        parsing.parse_duration("3 parsecs", "days")


def test_decimal_sniffing_is_deterministic_on_ties():
    tie = ["12,5", "3.25"]
    assert parsing.sniff_decimal(tie, ";") == ","
    assert parsing.sniff_decimal(list(reversed(tie)), ";") == ","
    assert parsing.sniff_decimal(tie, "\t") == "."
    assert parsing.sniff_decimal(tie, ",") == "."
    assert parsing.sniff_decimal(["8.000", "1,234", "12"], ";") is None  # nothing tells
    assert parsing.sniff_decimal(["8.000", "0,5"], ";") == ","
