"""Every read and write of tabular files: encodings, separators, decimal commas, dates, Excel.

Readers return cells as text exactly as received (nothing converted) plus a record of how the file was read
(:class:`FileInfo`): the file line of every row returned, and one issue per line that could not be read as a row
(blank line, title line above the header, a line with more or fewer fields than the header, an unbalanced
quote, a truncated last line, a line in another encoding). No line is skipped without an issue and no value is
ever moved to another column: a line whose fields cannot be matched to the header is reported and not read.
Typed parsing is done by :mod:`myositis.parsing`, whose errors the validators turn into cell issues.

Writers (:func:`write_csv`, :func:`write_excel`) neutralise cells a spreadsheet would execute as a formula
(:func:`neutralise_formulas`, OWASP CSV injection): every CSV or workbook the project writes goes through them.

References
----------
Shafranovich Y. Common format and MIME type for comma-separated values (CSV) files. RFC 4180, 2005.
OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import datetime as dt
import functools
import io as _io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .exceptions import CellError, EmptyFileError, ExcelFormatError, InputFileError, NotATableError
from .parsing import MISSING, Number, parse_bool, parse_date, parse_number  # noqa: F401 (re-exported)
from .validation import Issue

ENCODINGS = ("utf-8-sig", "cp1252")
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
SEPARATORS = (";", "\t", ",", "|")
#: How many lines at the top of a file (or rows of a sheet) are searched for the header.
HEADER_SEARCH = 20
#: How many physical lines one header may span (quoted names holding line breaks).
HEADER_LINES = 5
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileInfo:
    """How a file was read: shown in validation reports so a data manager can reproduce it.

    ``lines`` holds the file line (CSV, as a text editor numbers them) or sheet row (Excel) of each row
    returned; ``issues`` the structural problems found (one per line not read as a row, with what was done);
    ``header_line`` where the header was found; ``sheet`` the sheet read.
    """

    file: str
    encoding: str
    separator: str
    decimal: str | None
    rows: int
    sheet: str | None = None
    header_line: int = 1
    lines: tuple = ()
    issues: tuple = ()

    @property
    def excel(self) -> bool:
        return self.encoding == "xlsx"

    def describe(self) -> str:
        """One line: how the file was read (for the notebook's data section)."""
        if self.excel:
            return f"{self.file}: Excel, sheet {self.sheet!r}, header on row {self.header_line}"
        decimal = {None: "not shown by the file"}.get(self.decimal, repr(self.decimal))
        where = f", header on line {self.header_line}" if self.header_line != 1 else ""
        return f"{self.file}: separator {self.separator!r}, decimal {decimal}, encoding {self.encoding}{where}"


# --- bytes to text, one line at a time ---------------------------------------------------------------------

_LINE_END = re.compile(rb"\r\n|\n|\r")


def _check_bytes(raw: bytes, name: str, suffix: str) -> None:
    if not raw.replace(b"\xef\xbb\xbf", b"").strip():
        what = "only a byte-order mark" if raw.startswith(b"\xef\xbb\xbf") and not raw[3:].strip() else "empty"
        raise EmptyFileError(f"{name}: file is empty ({what}): export the table again from the source")
    if raw.startswith(_ZIP) or raw.startswith(_OLE):
        kind = "an Excel 97 (.xls) workbook" if raw.startswith(_OLE) else "a zip archive or .xlsx workbook"
        raise ExcelFormatError(f"{name}: the file is {kind} named {suffix or 'without extension'}: rename it "
                               f"{'.xls' if raw.startswith(_OLE) else '.xlsx'} (and save Excel 97 files as .xlsx)")
    head = raw[:65536]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 ("Unicode text" export of Excel)
    control = sum(b < 9 or 13 < b < 32 for b in head if b != 27)
    if b"\x00" in head or control > max(8, len(head) // 100):
        raise NotATableError(f"{name}: not a text table (binary content): export the data as CSV (;) or .xlsx")


def _decode_lines(raw: bytes, name: str) -> tuple[list[str], str, list[Issue], bool]:
    """Physical lines (without their ends), the encoding, per-line encoding issues, final newline present."""
    issues: list[Issue] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise NotATableError(f"{name}: damaged UTF-16 text: export the table again") from None
        lines = re.split(r"\r\n|\n|\r", text)
        ends = text.endswith(("\n", "\r"))
        return (lines[:-1] if ends else lines), "utf-16", issues, ends
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    parts = _LINE_END.split(body)
    ends = body.endswith((b"\n", b"\r"))
    if ends:
        parts = parts[:-1]
    try:
        body.decode("utf-8")
        return [p.decode("utf-8") for p in parts], "utf-8-sig" if bom else "utf-8", issues, ends
    except UnicodeDecodeError:
        pass
    lines, utf8, cp = [], [], []
    for number, p in enumerate(parts, start=1):
        try:
            lines.append(p.decode("utf-8"))
            if any(b > 127 for b in p):
                utf8.append(number)
        except UnicodeDecodeError:
            lines.append(p.decode("cp1252", errors="replace"))
            cp.append(number)
    if not utf8:
        return [p.decode("cp1252", errors="replace") for p in parts], "cp1252", issues, ends
    if len(cp) > len(utf8):  # a cp1252 file with a few UTF-8 lines (pasted from a web page or another export)
        for number in utf8:
            issues.append(Issue(name, number, None, "", "line encoded in UTF-8 in a cp1252 (Windows) file: decoded "
                                "as UTF-8, check its accents", "warning"))
        return lines, f"cp1252 ({len(utf8)} line{'s' * (len(utf8) > 1)} UTF-8)", issues, ends
    for number in cp:
        issues.append(Issue(name, number, None, "", "line encoded in cp1252 (Windows) in a UTF-8 file: decoded as "
                            "cp1252, check its accents", "warning"))
    return lines, f"utf-8 ({len(cp)} line{'s' * (len(cp) > 1)} cp1252)", issues, ends


# --- fields of one record ---------------------------------------------------------------------------------

def _split_literal(line: str, sep: str) -> list[str]:
    return line.split(sep)


def _split_quoted(text: str, sep: str) -> tuple[list[str], bool]:
    """Fields of a record (RFC 4180 quotes; a quote inside an unquoted field is literal); open quote at the end."""
    if '"' not in text:
        return text.split(sep), False
    fields, cell, i, n = [], [], 0, len(text)
    quoted = False
    at_start = True
    while i < n:
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    cell.append('"')
                    i += 2
                    continue
                quoted = False
            else:
                cell.append(c)
        elif c == sep:
            fields.append("".join(cell))
            cell, at_start = [], True
            i += 1
            continue
        elif c == '"' and at_start:
            quoted = True
        else:
            cell.append(c)
        at_start = False
        i += 1
    fields.append("".join(cell))
    return fields, quoted


def _sniff_separator(lines: list[str]) -> str:
    """The separator giving the most lines with the same (non-zero) number of fields; ties: ; then tab then ,."""
    sample = [ln for ln in lines if ln.strip()][:HEADER_SEARCH + 10]
    best, best_score = ";", (-1, -1)
    for sep in SEPARATORS:
        counts = [len(f) - 1 for f, open_quote in (_split_quoted(ln, sep) for ln in sample) if not open_quote]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def _norm(text: str) -> str:
    return _norm_text(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _norm_text(text: str) -> str:
    """A header or cell reduced to lower-case ASCII words (each data line's cells are compared with the known
    column names to find a repeated header: the same cells recur, each normalised once)."""
    import unicodedata

    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", s).strip()


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Boolean array: the rows of a table of text cells whose every cell is empty or spaces (a cell that is not
    text, e.g. missing, is not blank), as ``(frame.apply(lambda s: s.str.strip()) == "").all(axis=1)`` gives,
    without a pandas string operation per column."""
    if not len(frame.columns):  # no cell: every row blank (as .all(axis=1) of no column)
        return np.ones(len(frame), dtype=bool)
    return np.array([all(isinstance(x, str) and not x.strip() for x in row) for row in frame.to_numpy(dtype=object)],
                    dtype=bool)


def _header_score(cells: list[str], known: set | None) -> tuple:
    """Higher for a likelier header: names the caller knows; else a line of at least two names, mostly text."""
    named = [c for c in cells if str(c).strip()]
    if known:
        return (sum(_norm(c) in known for c in named),)
    texty = sum(not re.fullmatch(r"[\d\s.,/:-]*", str(c)) for c in named)
    return (int(texty >= 2 and 2 * texty >= len(named)),)


REPEATED_HEADER = ("header repeated inside the data (a second header row, or two exports pasted one under the "
                   "other): skipped")


def _is_header_again(cells: list[str], header_known: int, known: set | None) -> bool:
    """A data line that is the header again: most of its cells are column names the caller knows."""
    return bool(known) and header_known >= 2 and _header_score(cells, known)[0] >= max(2, header_known // 2)


def _unique_columns(names: list[str]) -> list[str]:
    """Column names stripped; empty ones named by position; repeats suffixed ``.1`` as pandas does."""
    out, seen = [], {}
    for k, name in enumerate(names):
        name = str(name).strip() or f"(column {k + 1})"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def repeated_of(column, columns) -> str | None:
    """The header a column repeats, when the file gave one name twice (read as ``name.1``, see
    :func:`_unique_columns`); None otherwise. Lets a loader report "column given twice" under the field's name."""
    m = re.fullmatch(r"(.+)\.(\d+)", str(column))
    return m[1] if m and m[1] in {str(c) for c in columns} else None


def _ranges(numbers: list[int]) -> str:
    parts, start, prev = [], None, None
    for n in numbers + [None]:
        if start is None:
            start = prev = n
        elif n is not None and n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    return ", ".join(parts)


def _read_csv(raw: bytes, name: str, known: set | None, separator: str | None = None
              ) -> tuple[pd.DataFrame, FileInfo]:
    lines, encoding, issues, final_newline = _decode_lines(raw, name)
    sep = separator or _sniff_separator(lines)
    counts = [len(f) for f, open_quote in (_split_quoted(ln, sep) for ln in lines if ln.strip()) if not open_quote]
    counts = [c for c in counts if c >= 2] or counts  # a table has two columns at least
    if not counts:
        raise EmptyFileError(f"{name}: file has no table (only blank lines): export the table again")
    modal = max(set(counts), key=lambda c: (counts.count(c), c))
    # header: the best-scoring of the first non-blank lines; a quoted name may hold a line break (Alt+Enter in
    # an Excel header cell), so a header whose quote is open at the end of its line continues on the next lines
    candidates = []
    for k, ln in enumerate(lines):
        if len(candidates) >= HEADER_SEARCH:
            break
        if not ln.strip():
            continue
        fields, open_quote = _split_quoted(ln, sep)
        end, text = k, ln
        while open_quote and end + 1 < min(len(lines), k + HEADER_LINES):
            end += 1
            text += "\n" + lines[end]
            fields, open_quote = _split_quoted(text, sep)
        if open_quote:
            fields, end = _split_quoted(ln, sep)[0], k
        candidates.append((k + 1, end + 1, [" ".join(f.split()) if "\n" in f else f for f in fields]))
    scored = [(_header_score(f, known), -k) for k, (_, _, f) in enumerate(candidates)
              if len(f) >= max(2, 0.5 * modal)]
    if not scored:
        raise NotATableError(f"{name}: no header line found (no line with several {sep!r}-separated names): "
                             "export the table with its column names on one line")
    header_line, header_end, header = candidates[-max(scored)[1]]
    if header_end > header_line:
        issues.append(Issue(name, header_line, None, f"lines {header_line}-{header_end}",
                            f"header spans lines {header_line}-{header_end} (a line break inside a quoted column "
                            "name): read as one header line", "warning"))
    width = len(header)
    blank: list[int] = []
    for k in range(header_line - 1):
        if lines[k].strip():
            issues.append(Issue(name, k + 1, None, "", "line above the header (title or note): skipped", "warning"))
        else:
            blank.append(k + 1)

    def fits(fields):
        return len(fields) == width or (len(fields) > width and not any(x.strip() for x in fields[width:]))

    # records: (first line, last line, fields); a quoted value may span lines when the record then fits the
    # header and swallows no line that is a record by itself (else the quote is a stray character)
    records: list[tuple[int, int, list[str]]] = []
    unbalanced: set[int] = set()
    i, n = header_end, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            blank.append(i + 1)
            i += 1
            continue
        fields, open_quote = _split_quoted(line, sep)
        j = i
        if open_quote:
            text, whole_lines = line, False
            while open_quote and j + 1 < n:
                j += 1
                text += "\n" + lines[j]
                alone, opens = _split_quoted(lines[j], sep)
                whole_lines |= not opens and len(alone) >= width  # a full record swallowed
                fields, open_quote = _split_quoted(text, sep)
            if open_quote or whole_lines or not fits(fields):
                fields, j = _split_literal(line, sep), i  # read the line alone, the quote as a character
                unbalanced.add(i + 1)
        records.append((i + 1, j + 1, fields))
        i = j + 1
    named = len(header)
    while named > 1 and not header[named - 1].strip():
        named -= 1
    columns = _unique_columns(header[:named])
    # re-read a record spanning lines against the header's width
    rows, row_lines, trailing = [], [], []
    last_line = records[-1][1] if records else 0

    def not_read(first, last, value, rule):
        issues.append(Issue(name, first, None, value, rule, "error"))
        for other in range(first + 1, last + 1):
            issues.append(Issue(name, other, None, "", f"continues line {first} (a quoted value): not read",
                                "error"))

    header_known = _header_score(header, known)[0] if known else 0
    for line, end, fields in records:
        if _is_header_again(fields, header_known, known):
            issues.append(Issue(name, line, None, "", REPEATED_HEADER, "warning"))
            continue
        if line in unbalanced:
            issues.append(Issue(name, line, None, "", "unbalanced quote (\") in this line: read as a character, "
                                "the line alone as one row", "warning"))
        if len(fields) > named:
            extra = fields[named:]
            if any(x.strip() for x in extra):
                not_read(line, end, f"{len(fields)} fields", f"line has {len(fields)} fields, the header {named}: "
                         "a separator inside a value? Row not read (no value is moved to another column): correct "
                         "the line and reload")
                continue
            trailing.append(line)
            fields = fields[:named]
        elif len(fields) < named:
            if end == last_line and not final_newline:
                not_read(line, end, f"{len(fields)} fields", f"truncated last line ({len(fields)} of {named} fields,"
                         " no end of line): row not read; check the file was copied whole")
            else:
                not_read(line, end, f"{len(fields)} fields", f"line has {len(fields)} fields, the header {named}: "
                         "a value or separator missing? Row not read (no value is moved to another column): "
                         "correct the line and reload")
            continue
        rows.append(fields)
        row_lines.append(line)
    for line in blank:
        if line > header_line:
            issues.append(Issue(name, line, None, "", "blank line: skipped", "warning"))
        else:
            issues.append(Issue(name, line, None, "", "blank line above the header: skipped", "warning"))
    if trailing:
        issues.append(Issue(name, None, None, f"lines {_ranges(trailing)}", "empty field after the last column "
                            "(trailing separator): ignored", "warning"))
    df = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    from .parsing import sniff_decimal

    decimal = sniff_decimal((c for r in rows for c in r), sep)
    issues.sort(key=lambda x: (x.row is not None, x.row or 0))
    return df, FileInfo(name, encoding, sep, decimal, len(df), None, header_line, tuple(row_lines), tuple(issues))


# --- Excel ---------------------------------------------------------------------------------------------

def _excel_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time(0) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _has_formulas(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(_io.BytesIO(raw)) as z:
            return any(re.search(rb"<(?:\w+:)?f[ >/]", z.read(n)) for n in z.namelist()
                       if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def _formulas_without_value(raw: bytes, title: str, texts: list[list[str]]) -> None:
    """A formula cell whose computed value was not saved (a workbook written by a program that does not
    calculate, e.g. a script) reads as empty with ``data_only``: its formula text is put in the cell instead,
    so the cell's parser reports it (never an empty cell without a word)."""
    if not _has_formulas(raw):
        return
    from openpyxl import load_workbook

    wb = load_workbook(_io.BytesIO(raw), read_only=True, data_only=False)
    try:
        for r, row in enumerate(wb[title].iter_rows(values_only=True)):
            if r >= len(texts):
                break
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("=") and c < len(texts[r]) and not texts[r][c]:
                    texts[r][c] = value
    except Exception:  # noqa: BLE001 - the values were read already; the formulas only explain empty cells
        pass
    finally:
        wb.close()


def _read_excel(raw: bytes, name: str, suffix: str, sheet, known: set | None) -> tuple[pd.DataFrame, FileInfo]:
    issues: list[Issue] = []
    if raw.startswith(_OLE):
        raise ExcelFormatError(f"{name}: saved as .xls (Excel 97-2003), which is not read: open it in Excel and "
                               "save it as .xlsx (Excel Workbook)")
    if not raw.startswith(_ZIP):
        if not raw.replace(b"\xef\xbb\xbf", b"").strip():
            raise EmptyFileError(f"{name}: file is empty: export the workbook again")
        raise ExcelFormatError(f"{name}: not an Excel workbook although named {suffix} (a CSV or another file "
                               "renamed?): save it from Excel as .xlsx, or name a CSV .csv")
    if suffix == ".xls":
        issues.append(Issue(name, None, None, "", "an .xlsx workbook named .xls: read as .xlsx", "warning"))
    from openpyxl import load_workbook

    try:
        wb = load_workbook(_io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile/openpyxl/XML raise many types for a damaged workbook
        raise ExcelFormatError(f"{name}: damaged or incomplete workbook ({type(exc).__name__}): open it in Excel "
                               "and save it again as .xlsx") from None
    try:
        names = wb.sheetnames
        if sheet is not None and not isinstance(sheet, int) and sheet not in names:
            raise ExcelFormatError(f"{name}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        wanted = [names[sheet] if isinstance(sheet, int) else sheet] if sheet is not None else names
        best, sheets = None, []
        for title in wanted:
            try:
                values = [list(r) for r in wb[title].iter_rows(values_only=True)]
            except Exception as exc:  # noqa: BLE001
                raise ExcelFormatError(f"{name}: sheet {title!r} cannot be read ({type(exc).__name__}): save the "
                                       "workbook again as .xlsx") from None
            while values and all(v is None or str(v).strip() == "" for v in values[-1]):
                values.pop()
            if not values:
                continue
            texts = [[_excel_text(v) for v in r] for r in values]
            scored = [(_header_score(r, known), -k) for k, r in enumerate(texts[:HEADER_SEARCH])]
            score, k = max(scored)
            data_rows = len(texts) - (-k) - 1
            key = (score[0] if known else 0, data_rows > 0, score, data_rows)
            sheets.append((key, title))
            if best is None or key > best[0]:
                best = (key, title, -k, texts)
        if best is None:
            raise EmptyFileError(f"{name}: every sheet is empty ({', '.join(names)})")
        _, title, k, texts = best
        for key, other in sheets:  # another sheet with rows under the same headers: its rows are not read
            if known and other != title and key[3] > 0 and key[0] >= max(2, best[0][0] // 2):
                issues.append(Issue(name, None, None, f"sheet {other!r}: {key[3]} row(s)",
                                    f"sheet {other!r} also holds {key[3]} row(s) under the same headers: not read "
                                    f"(only sheet {title!r} is); put every case on one sheet and reload",
                                    "warning"))
    finally:
        wb.close()
    _formulas_without_value(raw, title, texts)
    header = texts[k]
    named = len(header)
    while named > 1 and not header[named - 1].strip():
        named -= 1
    columns = _unique_columns(header[:named])
    if title != names[0] or k > 0 or len(names) > 1 and sheet is None:
        issues.append(Issue(name, None, None, f"sheet {title!r}, header on row {k + 1}",
                            f"data read from sheet {title!r} (header on row {k + 1}) of {len(names)} sheet(s)",
                            "warning"))
    for r in range(k):
        if any(t.strip() for t in texts[r]):
            issues.append(Issue(name, r + 1, None, "", "row above the header (title or note): skipped", "warning"))
    rows, row_lines = [], []
    header_known = _header_score(header, known)[0] if known else 0
    for r in range(k + 1, len(texts)):
        cells = texts[r] + [""] * max(0, named - len(texts[r]))
        if not any(c.strip() for c in cells):
            issues.append(Issue(name, r + 1, None, "", "empty row: skipped", "warning"))
            continue
        if _is_header_again(cells, header_known, known):
            issues.append(Issue(name, r + 1, None, "", REPEATED_HEADER, "warning"))
            continue
        for c in range(named, len(cells)):
            if cells[c].strip():
                issues.append(Issue(name, r + 1, None, cells[c], f"value in column {c + 1}, which has no header: "
                                    "ignored", "warning"))
        rows.append(cells[:named])
        row_lines.append(r + 1)
    df = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    return df, FileInfo(name, "xlsx", "", ".", len(df), title, k + 1, tuple(row_lines), tuple(issues))


def read_table(path, sheet: str | int | None = None, known_columns=None, separator: str | None = None
               ) -> tuple[pd.DataFrame, FileInfo]:
    """Read a CSV/TSV or Excel file with every cell as text, as received, and every line accounted for.

    Parameters
    ----------
    path : str or Path
        Relative paths are taken from the repository root. The file is only read.
    sheet : str or int, optional
        Excel sheet. Default: the sheet whose header matches ``known_columns`` best (a renamed or copied
        "Saisie", data on a later sheet), else the first sheet with data.
    known_columns : iterable of str, optional
        Column names (any case or accents) the caller expects: used to find the header line below a title and
        the data sheet of a workbook.
    separator : str, optional
        The CSV separator; default: the one giving the most lines with the same number of fields (ties:
        ``;``, tab, ``,``).

    Returns
    -------
    (DataFrame, FileInfo)
        Cells as ``str`` (empty cells as ``""``), column names stripped; ``info.lines[i]`` is the file line
        (sheet row) of row ``i``, the number every issue about the row must carry; ``info.issues`` the lines
        not read as rows and why.

    Raises
    ------
    InputFileError
        (or its subclasses ``EmptyFileError``, ``NotATableError``, ``ExcelFormatError``) The file is missing,
        empty, binary, a workbook saved in a format not read, or has no header; the message names the file and
        what to do.
    """
    path = paths.resolve(path)
    name = paths.relative(path)
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if path.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{name}: cannot be read ({exc.strerror})") from None
    known = {_norm(c) for c in known_columns} if known_columns else None
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(raw, name, suffix, sheet, known)
    _check_bytes(raw, name, suffix)
    return _read_csv(raw, name, known, separator)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


def neutralise_cell(value):
    """A cell a spreadsheet would run as a formula, made inert (OWASP): text starting with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading apostrophe. Numbers, and text that is a plain number
    (``-12,5``), are returned unchanged: a negative number stays a number.

    References
    ----------
    OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels cannot run as formulas
    (:func:`neutralise_cell`); numeric columns are left untouched."""
    out = df.copy()
    for k in range(out.shape[1]):
        col = out.iloc[:, k]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype) or isinstance(col.dtype,
                                                                                       pd.CategoricalDtype):
            out.isetitem(k, col.map(neutralise_cell) if not isinstance(col.dtype, pd.CategoricalDtype)
                         else col.astype(object).map(neutralise_cell))
    out.columns = _neutral_index(out.columns)
    out.index = _neutral_index(out.index)
    return out


def _neutral_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_neutral_index(level) for level in index.levels])
    if index.dtype == object:
        return index.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    return index


def write_csv(df: pd.DataFrame, path, float_format: str = "%.6g", index: bool = False) -> Path:
    """Write a CSV deterministically (UTF-8, '\\n' line ends, fixed float format), formulas neutralised.

    Every CSV the project writes goes through here (validation reports, processed tables, Table 1, the REDCap
    dictionary): no cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR reaches a spreadsheet as a formula
    (:func:`neutralise_formulas`).
    """
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(df).to_csv(path, index=index, float_format=float_format, lineterminator="\n",
                                   encoding="utf-8")
    return path


def write_excel(sheets: dict, path, index: bool = False) -> Path:
    """Write DataFrames as the sheets of one .xlsx workbook, formulas neutralised (:func:`neutralise_formulas`).

    Parameters
    ----------
    sheets : dict of str to DataFrame
        Sheet name → table, in order.
    """
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, df in sheets.items():
            neutralise_formulas(df).to_excel(writer, sheet_name=str(title)[:31], index=index)
    return path
