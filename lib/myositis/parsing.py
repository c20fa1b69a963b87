"""One parser per kind of value, as clinicians write them: numbers, dates, durations, yes/no answers, units.

Every parser takes the text of one cell and returns the value, ``None`` for a missing cell, or raises
:class:`myositis.exceptions.CellError` (a ``ValueError``) whose ``rule`` is the sentence the issue table shows
("ambiguous number ...", "uncertain answer ...", "number too large ..."). Loaders catch ``CellError`` and write
one issue per cell; nothing here guesses silently.

* Numbers: decimal comma or point, thousands separators following the file's convention (``8.000`` is 8000 in a
  decimal-comma file; "ambiguous number" when the file's convention cannot tell), spaces and no-break spaces as
  thousands separators, an exponent, a comparator (``<0,5``), a unit written after the number (``12,5 g/L``,
  ``4,2 10^9/L``, ``4200/mm3``). Linear in the length of the cell (a 30,000-digit cell is read in microseconds);
  ``1e999`` is an issue, never an ``OverflowError``.
* Dates: dd/mm/yyyy (``/``, ``-`` or ``.``), ISO yyyy-mm-dd (with a time), Excel serial numbers where the file
  stores them; a two-digit year is refused (``03/02/60``: 1960 or 2060?).
* Uncertain answers (``oui ?``, ``F?``, ``?``) are reported and set missing, never read as the answer.
* Missing-value tokens (``NA``, ``ND``, ``nan``, ``inconnu``...) mean "missing" for measurements and answers
  only; codes and identifiers keep them as text (``NAN`` is the centre Nantes).

References
----------
OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection (for :func:`neutralise_cell`,
used by every writer of :mod:`myositis.io`).
Microsoft. Date systems in Excel (1900 date system, serial 1 = 1900-01-01, with the 1900 leap-year bug).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np

from .exceptions import CellError
from .units import DAYS_PER_MONTH

#: Average year in days; ``DAYS_PER_MONTH`` is the one of :mod:`myositis.units`.
DAYS_PER_YEAR = 12 * DAYS_PER_MONTH

#: Tokens meaning "missing" in a measurement or an answer (compared lowercase, stripped). Never applied to codes.
MISSING = frozenset({"", "na", "n/a", "nd", "nr", "nc", "-", "inconnu", "unknown", "missing", "nan", "none",
                     "null", "non fait", "non dosé", "non dose", "not done"})

_SPACES = " \u00a0\u202f\u2009"
_BODY = re.compile(r"\d+(?:[.,'" + _SPACES + r"]\d+)*")
_EXPONENT = re.compile(r"[eE][-+]?\d{1,6}(?!\d)")
_UNIT = re.compile(r"(?:[A-Za-zµμ%°×*/(]|10\s*[\^*]|10[⁹³])[\w/%°^.\-×*µμ³⁹²() ]*")
_COMPARATORS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}
_UNCERTAIN = re.compile(r"(?:^|\s|\()\?+\)?$|\?$")


@dataclass(frozen=True)
class Number:
    """A number read from a cell: value, unit written after it (may be ''), and a comparator like '<'."""

    value: float
    unit: str = ""
    comparator: str = ""


def is_missing(cell, code: bool = False) -> bool:
    """True when the cell means "missing". For a code or identifier (``code=True``) only an empty cell is."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return True
    text = str(cell).strip()
    if code:
        return text == ""
    return text.lower() in MISSING


def is_uncertain(cell) -> bool:
    """True for an answer written with a question mark (``oui ?``, ``F?``, ``?``, ``12 (?)``)."""
    return isinstance(cell, str) and cell.strip().endswith(("?", "?)"))


def _formula(text: str):
    """A spreadsheet formula in a cell (``=B2/0``): the workbook did not save its value."""
    if len(text) > 1 and text.startswith("="):
        raise CellError(f"spreadsheet formula {text[:40]!r}, not a value",
                        "spreadsheet formula, not a value (type the value; a workbook saved without computed "
                        "values: open it in Excel and save it again): set missing")


def _uncertain(text: str):
    raise CellError(f"uncertain answer {text!r}: set missing (ask the centre)", "uncertain answer: set missing")


def _digits_value(body: str, decimal: str | None, text: str) -> float:
    """Value of the digits part (no sign, no exponent): separators resolved with the file's convention."""
    if any(c in body for c in _SPACES + "'"):
        groups = re.split(r"[" + _SPACES + "']", body)
        if any(len(g) != 3 or not g.isdigit() for g in groups[1:-1]) or len(groups[-1].split(",")[0].split(".")[0]
                                                                                ) != 3:
            raise CellError(f"{text!r} is not a number", "not a number: set missing")
        body = "".join(groups)
    commas, points = body.count(","), body.count(".")
    if commas and points:
        dec = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if dec == "," else ","
        if body.count(dec) > 1:
            raise CellError(f"{text!r} is not a number", "not a number: set missing")
        whole, frac = body.split(dec)
        groups = whole.split(thousands)
        if len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise CellError(f"{text!r} is not a number", "not a number: set missing")
        return float("".join(groups) + "." + frac)
    sep = "," if commas else "." if points else ""
    if not sep:
        return float(body)
    groups = body.split(sep)
    if len(groups) > 2:  # 1.234.567: thousands only
        if len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]) or sep == decimal:
            raise CellError(f"{text!r} is not a number", "not a number: set missing")
        return float("".join(groups))
    whole, frac = groups
    thousands_shaped = len(frac) == 3 and 1 <= len(whole) <= 3 and whole != "0"
    if not thousands_shaped:
        return float(whole + "." + frac)
    if decimal == sep:
        return float(whole + "." + frac)
    if decimal is not None:  # the file's decimal is the other separator: this one groups thousands
        return float(whole + frac)
    raise CellError(f"ambiguous number {text!r}: {whole}{sep}{frac} is {whole}{frac} with a thousands separator "
                    f"or {whole}.{frac} with a decimal {sep!r}, and the file's other numbers do not tell",
                    "ambiguous number (thousands or decimal separator?): set missing")


def parse_number(cell, decimal: str | None = ".") -> Number | None:
    """Parse a numeric cell as clinicians write it: ``"12,5"``, ``"1 234"``, ``"8.000"``, ``"3.2 g/L"``, ``"<0.5"``.

    Parameters
    ----------
    cell : str or number
        The cell (text as received, or a number from a workbook).
    decimal : {".", ",", None}
        The file's decimal separator (see :func:`sniff_decimal`); the other one is read as a thousands
        separator when a group of three digits follows it. ``None``: the file does not tell, and ``1,234`` or
        ``1.234`` is an ambiguous number.

    Returns
    -------
    Number or None
        None for a missing cell (see ``MISSING``).

    Raises
    ------
    CellError
        Not a number, an ambiguous number, an uncertain answer (``12 ?``), or a number too large for a float
        (``1e999``, a 400-digit cell); the error's ``rule`` is the issue sentence.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, (bool, np.bool_)):
        raise CellError(f"{cell!r} is not a number", "not a number: set missing")
    if isinstance(cell, (int, float, np.integer, np.floating)):
        value = float(cell)
        if not math.isfinite(value):
            raise CellError(f"{cell!r} is too large", "number too large: set missing")
        return Number(value)
    text = str(cell).strip()
    if text.lower() in MISSING:
        return None
    if is_uncertain(text):
        _uncertain(text)
    if text[:2] not in ("=<", "=>"):
        _formula(text)
    s = text
    comparator = ""
    for token in ("<=", ">=", "=<", "=>", "≤", "≥", "<", ">"):
        if s.startswith(token):
            comparator, s = _COMPARATORS[token], s[len(token):].lstrip()
            break
    sign = ""
    if s[:1] in "-+−":
        sign, s = ("-" if s[0] in "-−" else ""), s[1:]
    m = _BODY.match(s)
    if not m:
        raise CellError(f"{text!r} is not a number", "not a number: set missing")
    body, rest = m.group(), s[m.end():]
    # spaces inside the body are thousands separators only before groups of 3 digits: "4,5 10^9/L" is 4,5 + unit
    cut = re.search(r"[" + _SPACES + r"](?!\d{3}(?:\D|$))", body)
    if cut:
        body, rest = body[: cut.start()], body[cut.start():] + rest
    e = _EXPONENT.match(rest)
    exponent = 0
    if e:
        exponent, rest = int(e.group()[1:]), rest[e.end():]
    unit = rest.strip()
    if unit and not _UNIT.fullmatch(unit):
        raise CellError(f"{text!r} is not a number", "not a number: set missing")
    if len(body) > 400:
        raise CellError(f"number too large ({len(body)} digits)", "number too large: set missing")
    value = _digits_value(body, decimal, text)
    if exponent:
        try:
            value = value * 10.0 ** exponent
        except OverflowError:
            value = math.inf
    if not math.isfinite(value):
        raise CellError(f"number too large {text[:40]!r}", "number too large: set missing")
    return Number(-value if sign == "-" else value, unit, comparator)


def sniff_decimal(cells, separator: str = ";") -> str | None:
    """The file's decimal separator from its cells: ``","``, ``"."``, or None when nothing tells.

    A cell tells when one separator cannot be a thousands separator there (``12,5``, ``0,125``, ``1.234,5``).
    Ties are settled deterministically: the comma when the field separator is ``;`` (the French convention of
    Excel), the point otherwise. Linear in the total length of the cells.
    """
    if separator == ",":
        return "."
    comma = point = 0
    for cell in cells:
        s = str(cell).strip()
        if not s or len(s) > 64 or not (s[0].isdigit() or s[0] in "-+<>"):
            continue
        m = _BODY.search(s)
        if not m:
            continue
        body = m.group()
        c, p = body.rfind(","), body.rfind(".")
        last = max(c, p)
        if last < 0:
            continue
        frac = body[last + 1:]
        whole = re.split(r"[.," + _SPACES + "']", body[:last])
        telling = len(frac) != 3 or whole[-1] == "0" or len(whole[-1]) > 3 or (c >= 0 and p >= 0)
        if telling:
            if last == c:
                comma += 1
            else:
                point += 1
    if comma == point:
        return None if comma == 0 else ("," if separator == ";" else ".")
    return "," if comma > point else "."


_DATE_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DATE_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _year_alone(serial: float, text: str) -> None:
    """A whole number 1900-2100 in a date cell is a year typed alone (``1960``), not the serial of a day of 1905."""
    if float(serial).is_integer() and 1900 <= serial <= 2100:
        raise CellError(f"{text!r} is a year alone", "a year alone, not a date (dd/mm/yyyy): set missing")


def excel_serial_date(serial: float) -> dt.date:
    """Date of an Excel serial number (1900 date system, as Windows Excel stores dates).

    Raises
    ------
    CellError
        Not a plausible date serial (before 1900-03-01 or after 2199).
    """
    if not (61 <= serial < 109574):
        raise CellError(f"{serial!r} is not an Excel date", "not a date (dd/mm/yyyy): set missing")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


DATE_ORDER_RULES = {
    "mdy": "dates written month first (mm/dd/yyyy, e.g. a REDCap 'M-D-Y' export): read as month/day/year",
    "mixed": "dates written both day first (24/04/2016) and month first (04/24/2016): read day first; a date "
             "whose day and month are both 12 or less may be swapped: check",
}


def sniff_date_order(cells) -> str | None:
    """The order of day and month in a file's dd/mm/yyyy-shaped dates: ``"dmy"`` (French), ``"mdy"`` (REDCap's
    "M-D-Y" export, US software), ``"mixed"`` when cells of both kinds are found, or None when no cell tells
    (every day and month <= 12).

    A cell tells when one of its first two numbers cannot be a month (``24/04/2016``: day first;
    ``04/24/2016``: month first). A file is read month first only when two cells at least say so, none says day
    first, and most of its dates are written nn/nn/yyyy (two typos among ISO or Excel dates are reported by
    :func:`parse_date` as no such day, not taken for the file's convention). Callers read dates day first unless this returns ``"mdy"``.
    """
    dmy = mdy = shaped = other = 0
    for cell in cells:
        text = str(cell).strip() if cell is not None else ""
        m = _DATE_DMY.fullmatch(text)
        if not m:
            other += bool(text)
            continue
        shaped += 1
        a, b = int(m[1]), int(m[2])
        dmy += a > 12 >= b
        mdy += b > 12 >= a
    if mdy >= 2 and not dmy and shaped > other:
        return "mdy"
    if mdy >= 2 and dmy >= 2:
        return "mixed"
    return "dmy" if dmy else None  # one stray cell does not turn a file around: it is reported as no such day


def parse_date(cell, excel_serials: bool = False, order: str | None = "dmy") -> dt.date | None:
    """Parse a date as written in French exports (dd/mm/yyyy) or ISO (yyyy-mm-dd); None when missing.

    Parameters
    ----------
    cell : str, date or number
    excel_serials : bool
        Accept a bare number as an Excel serial date (for cells read from a workbook, where a date column
        formatted as a number shows ``42484``).
    order : {"dmy", "mdy"}
        Order of day and month in ``nn/nn/yyyy`` dates, from :func:`sniff_date_order` over the file (day first
        unless it says ``"mdy"``).

    Raises
    ------
    CellError
        Not a date, an impossible day (31/02/2015), a two-digit year, an uncertain date (``03/2016 ?``).
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if hasattr(cell, "to_pydatetime"):
        return cell.to_pydatetime().date()
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        if excel_serials:
            _year_alone(float(cell), str(cell))
            return excel_serial_date(float(cell))
        raise CellError(f"{cell!r} is not a date", "not a date (dd/mm/yyyy): set missing")
    text = str(cell).strip()
    if text.lower() in MISSING:
        return None
    if is_uncertain(text):
        _uncertain(text)
    _formula(text)
    m = _DATE_YMD.fullmatch(text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _DATE_DMY.fullmatch(text)
        if not m:
            if excel_serials and re.fullmatch(r"\d{2,6}(?:\.\d+)?", text):
                _year_alone(float(text), text)
                return excel_serial_date(float(text))
            raise CellError(f"{text!r} is not a date", "not a date (dd/mm/yyyy): set missing")
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if order == "mdy":
            d, mo = mo, d
        if len(m[3]) != 4:
            raise CellError(f"{text!r}: two-digit or truncated year", "year not written in full (dd/mm/yyyy): "
                            "set missing")
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise CellError(f"{text!r} is not a date (no such day)", "not a date (no such day): set missing") from None


YES = frozenset({"1", "yes", "y", "oui", "o", "true", "vrai", "x", "checked", "positive", "positif", "+", "1.0"})
NO = frozenset({"0", "no", "n", "non", "false", "faux", "unchecked", "negative", "negatif", "négatif", "-", "0.0"})


def parse_bool(cell) -> bool | None:
    """Parse a yes/no cell in English, French and REDCap codes (1/0, Checked/Unchecked); None when missing.

    Raises
    ------
    CellError
        Not yes/no, or an uncertain answer (``oui ?``).
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, (bool, np.bool_)):
        return bool(cell)
    s = str(cell).strip().lower()
    if s in YES:
        return True
    if s in NO:
        return False
    if s in MISSING:
        return None
    if is_uncertain(s):
        _uncertain(str(cell).strip())
    _formula(str(cell).strip())
    raise CellError(f"{str(cell)!r} is not yes/no", "not yes/no: set missing")


def check_answer(cell) -> str | None:
    """Text of a categorical answer (a choice, a sex), None when missing.

    Raises
    ------
    CellError
        An uncertain answer (``F?``, ``Femme ?``): reported and set missing, never read as the answer.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    text = str(cell).strip()
    if text.lower() in MISSING:
        return None
    if is_uncertain(text):
        _uncertain(text)
    _formula(text)
    return text


_DURATION_UNITS = {"d": 1.0, "j": 1.0, "day": 1.0, "days": 1.0, "jour": 1.0, "jours": 1.0,
                   "w": 7.0, "wk": 7.0, "week": 7.0, "weeks": 7.0, "sem": 7.0, "semaine": 7.0, "semaines": 7.0,
                   "m": DAYS_PER_MONTH, "mo": DAYS_PER_MONTH, "month": DAYS_PER_MONTH, "months": DAYS_PER_MONTH,
                   "mois": DAYS_PER_MONTH, "y": DAYS_PER_YEAR, "yr": DAYS_PER_YEAR, "year": DAYS_PER_YEAR,
                   "years": DAYS_PER_YEAR, "an": DAYS_PER_YEAR, "ans": DAYS_PER_YEAR, "a": DAYS_PER_YEAR,
                   "annee": DAYS_PER_YEAR, "annees": DAYS_PER_YEAR, "année": DAYS_PER_YEAR,
                   "années": DAYS_PER_YEAR}


def parse_duration(cell, unit: str = "months", decimal: str | None = ".") -> float | None:
    """A duration in ``unit`` ("days", "months" or "years"): ``"3 mois"``, ``"1,5 an"``, ``"10 j"``, or a bare
    number already in ``unit``. Months and years are average ones (``DAYS_PER_MONTH``, ``DAYS_PER_YEAR``).

    Raises
    ------
    CellError
        Not a duration or an unknown time unit.
    """
    number = parse_number(cell, decimal)
    if number is None:
        return None
    target = _DURATION_UNITS[unit]
    if not number.unit:
        return number.value
    factor = _DURATION_UNITS.get(number.unit.strip().lower().rstrip("."))
    if factor is None:
        raise CellError(f"unknown time unit {number.unit!r}", f"unknown time unit '{number.unit}': set missing")
    return number.value * factor / target


def parse_decimal_comma(cell) -> float:
    """A float from text with a decimal comma or point (digitised survival data, published tables).

    Raises
    ------
    CellError
        Missing, not a number or an ambiguous number.
    """
    text = str(cell)
    number = parse_number(cell, decimal="," if "," in text and "." not in text else ".")
    if number is None or number.unit:
        raise CellError(f"{cell!r} is not a number", "not a number")
    return number.value
