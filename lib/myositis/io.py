"""Every read and write of tabular files: encodings, separators, decimal commas, dates, Excel.

Readers return cells as text exactly as received (``dtype=str``, nothing converted, no row dropped) plus a
record of how the file was read; typed parsing is done by the validators, which report every cell they cannot
parse in the issue table. French exports are handled: ``;`` separator, decimal comma, cp1252 or UTF-8 with BOM,
dd/mm/yyyy dates, units written in cells (``"12,5 g/L"``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .exceptions import InputFileError

ENCODINGS = ("utf-8-sig", "cp1252")
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


@dataclass(frozen=True)
class FileInfo:
    """How a file was read: shown in validation reports so a data manager can reproduce it."""

    file: str
    encoding: str
    separator: str
    decimal: str
    rows: int
    sheet: str | None = None


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM), else cp1252 (Windows Excel in France)."""
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-8-sig":
            enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, enc
    raise InputFileError(f"{paths.relative(path)}: cannot decode as UTF-8 or cp1252")  # pragma: no cover


def _sniff_separator(text: str) -> str:
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=";,\t").delimiter
    except csv.Error:
        counts = {sep: head.count(sep) for sep in ";,\t"}
        return max(counts, key=counts.get)


def _sniff_decimal(df: pd.DataFrame, separator: str) -> str:
    """Decimal comma when numbers like '12,5' are found (only possible when ',' is not the separator)."""
    if separator == ",":
        return "."
    sample = df.head(200).to_numpy().ravel()
    comma = sum(bool(re.fullmatch(r"\s*-?\d[\d\s\u00a0\u202f]*,\d+\s*\S*", str(v))) for v in sample)
    point = sum(bool(re.fullmatch(r"\s*-?\d[\d\s\u00a0\u202f]*\.\d+\s*\S*", str(v))) for v in sample)
    return "," if comma > point else "."


def read_table(path, sheet: str | int | None = None) -> tuple[pd.DataFrame, FileInfo]:
    """Read a CSV/TSV or Excel file with every cell as text, as received.

    Parameters
    ----------
    path : str or Path
        Relative paths are taken from the repository root.
    sheet : str or int, optional
        Excel sheet (default: the first sheet).

    Returns
    -------
    (DataFrame, FileInfo)
        Cells as ``str`` (empty cells as ``""``), column names stripped, and how the file was read.
        Row ``i`` of the frame (0-based) is data row ``i + 1`` in reports.

    Raises
    ------
    InputFileError
        The file is missing, empty, or not a table; the message names the file.
    """
    path = paths.resolve(path)
    name = paths.relative(path)
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for broken files
            raise InputFileError(f"{name}: cannot read as Excel ({exc})") from None
        df = df.map(lambda v: "" if v is None else str(v))
        df.columns = [str(c).strip() for c in df.columns]
        return df, FileInfo(name, "xlsx", "", ".", len(df), str(sheet or 0))
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(f"{name}: file is empty")
    text, encoding = _decode(raw, path)
    sep = _sniff_separator(text)
    try:
        df = pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=False)
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{name}: not a {sep!r}-separated table ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, FileInfo(name, encoding, sep, _sniff_decimal(df, sep), len(df))


_NUMBER = re.compile(r"^\s*([<>]=?|≤|≥)?\s*([-+]?(?:\d{1,3}(?:[\s\u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?)"
                     r"(?:[eE]([-+]?\d+))?\s*(.*?)\s*$")
_UNIT = re.compile(r"^[A-Za-zµμ%°×*/][\w/%°^.\-×*µμ ]*$")
MISSING = {"", "na", "n/a", "nd", "nr", "nc", "?", "-", "inconnu", "unknown", "missing", "nan", "none", "null"}


@dataclass(frozen=True)
class Number:
    """A number read from a cell: value, unit written after it (may be ''), and a comparator like '<'."""

    value: float
    unit: str = ""
    comparator: str = ""


def parse_number(cell, decimal: str = ".") -> Number | None:
    """Parse a numeric cell as clinicians write it: ``"12,5"``, ``"1 234"``, ``"3.2 g/L"``, ``"<0.5"``.

    Returns None for a missing cell (empty, 'NA', 'ND', 'inconnu', ...).

    Raises
    ------
    ValueError
        The cell holds text that is not a number; the message quotes it.
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        return Number(float(cell))
    s = str(cell).strip()
    if s.lower() in MISSING:
        return None
    m = _NUMBER.match(s)
    if not m:
        raise ValueError(f"{s!r} is not a number")
    comparator, digits, exponent, unit = m.groups()
    digits = re.sub(r"[\s\u00a0\u202f]", "", digits)
    if "," in digits:
        if decimal == "." and re.fullmatch(r"-?\d{1,3}(,\d{3})+", digits):
            digits = digits.replace(",", "")  # thousands separator in an English export
        else:
            digits = digits.replace(",", ".")
    value = float(digits) * (10 ** int(exponent) if exponent else 1)
    if unit and not _UNIT.match(unit):
        raise ValueError(f"{s!r} is not a number")
    comparator = {"≤": "<=", "≥": ">="}.get(comparator or "", comparator or "")
    return Number(value, unit, comparator)


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


def parse_date(cell) -> dt.date | None:
    """Parse a date as written in French exports (dd/mm/yyyy) or ISO (yyyy-mm-dd); None when missing.

    Ambiguous US dates (mm/dd/yyyy) are not guessed: dd/mm/yyyy is the French convention of the CRF.

    Raises
    ------
    ValueError
        The cell is not a date in a known format, or names an impossible day (31/02/2015).
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    if isinstance(cell, (dt.datetime, pd.Timestamp)):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    s = str(cell).strip()
    if s.lower() in MISSING:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{s!r} is not a date (expected dd/mm/yyyy or yyyy-mm-dd)")


YES = {"1", "yes", "y", "oui", "o", "true", "vrai", "x", "checked", "positive", "positif", "+"}
NO = {"0", "no", "n", "non", "false", "faux", "unchecked", "negative", "negatif", "négatif", "-"}


def parse_bool(cell) -> bool | None:
    """Parse yes/no cells in English, French and REDCap codes (1/0, Checked/Unchecked); None when missing."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
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
    raise ValueError(f"{str(cell)!r} is not yes/no")


def write_csv(df: pd.DataFrame, path, float_format: str = "%.6g") -> Path:
    """Write a CSV deterministically (UTF-8, '\\n' line ends, fixed float format, no index)."""
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, float_format=float_format, lineterminator="\n", encoding="utf-8")
    return path
