"""A seeded corpus of malformed exports, as a centre's data manager produces them, with every planted defect
recorded (line in the file, field, what is expected), and the scorer that checks the loaders against it.

Used by ``tests/test_fuzz_ingestion.py`` (assertions) and ``benchmarks/ingestion.py`` (figures before/after).
Built from the CRF definition (``crf_fields.yaml`` through ``myositis.sam.synthetic_series``) and the Mi2 data
model (``myositis.mi2.synthetic_cohort``): the clean rows are the synthetic ones, the defects are planted in
them. Line numbers are those a text editor shows (header = line 1 unless a title line sits above it).
"""

from __future__ import annotations

import csv
import io as _io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Cell prefixes a spreadsheet executes (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")


@dataclass
class Defect:
    """One planted problem: where (file line, field; None = the line itself) and what is expected.

    ``report``: an issue must name this line (and this field when given). ``value``: the row returned at this
    line must hold this value in ``field`` (or the cell must be reported), so a silently wrong value is caught.
    """

    line: int
    field: str | None
    kind: str
    report: bool = True
    value: object = None
    check_value: bool = False


@dataclass
class CorpusFile:
    name: str
    data: bytes
    loader: str                      # sam | mi2_patients | mi2_visits
    rows: dict = field(default_factory=dict)   # file line -> identity of the data row (record_id / id / (id, month))
    defects: list = field(default_factory=list)
    unreadable: bool = False         # the loader must refuse the file with a named error
    kind: str = ""


# --- writing rows ----------------------------------------------------------------------------------------------

def _cell(value: str, sep: str) -> str:
    value = str(value)
    if any(c in value for c in (sep, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


class _Builder:
    """Physical lines of a CSV file with the line number of each data row."""

    def __init__(self, sep: str, newline: str = "\r\n"):
        self.sep, self.newline = sep, newline
        self.lines: list[str] = []
        self.rows: dict[int, object] = {}

    @property
    def next_line(self) -> int:
        return sum(part.count("\n") + 1 for part in self.lines) + 1

    def add(self, text: str, identity=None) -> int:
        line = self.next_line
        if identity is not None:
            self.rows[line] = identity
        self.lines.append(text)
        return line

    def row(self, cells, identity=None) -> int:
        return self.add(self.sep.join(_cell(c, self.sep) for c in cells), identity)

    def text(self, final_newline: bool = True) -> str:
        return self.newline.join(self.lines) + (self.newline if final_newline else "")


def _fr(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


# --- SAM ---------------------------------------------------------------------------------------------------------

SAM_LABS = ("ferritin_ng_ml", "platelets_g_l", "fibrinogen_g_l", "ast_u_l", "ldh_u_l", "haemoglobin_g_dl")
SAM_YES_NO = ("dm_ild", "fever", "dm_cancer", "icu", "hepatomegaly")


def _sam_cell_defect(rng: random.Random, row: dict, line: int, defects: list, sep: str = ";") -> None:
    """Plant one cell defect in ``row`` (a dict of text cells) at file line ``line``."""
    kind = rng.choice(["not_a_number", "overflow", "huge", "uncertain_yes_no", "uncertain_sex", "question_mark",
                       "impossible_date", "formula", "unknown_unit", "thousands", "unit_10_9", "unit_mm3",
                       "unit_G_L", "centre_nan", "initials_translit", "two_digit_year", "formula_at"])
    lab = rng.choice(SAM_LABS)
    if kind == "not_a_number":
        row[lab] = rng.choice(["abc", "12..5", "1,2,3", "pos", "12-15"])
        defects.append(Defect(line, lab, kind))
    elif kind == "overflow":
        row[lab] = rng.choice(["1e999", "-1e999", "1E400"])
        defects.append(Defect(line, lab, kind))
    elif kind == "huge":
        row[lab] = "9" * rng.choice([400, 3000, 30000])
        defects.append(Defect(line, lab, kind))
    elif kind == "uncertain_yes_no":
        f = rng.choice(SAM_YES_NO)
        row[f] = rng.choice(["oui ?", "Oui?", "non ?", "oui (?)"])
        defects.append(Defect(line, f, kind, value=None, check_value=True))
    elif kind == "uncertain_sex":
        row["sex"] = rng.choice(["F?", "Femme ?", "H ?"])
        defects.append(Defect(line, "sex", kind, value=None, check_value=True))
    elif kind == "question_mark":
        f = rng.choice(SAM_YES_NO + ("ferritin_ng_ml",))
        row[f] = "?"
        defects.append(Defect(line, f, kind, value=None, check_value=True))
    elif kind == "impossible_date":
        row["dm_diagnosis_date"] = rng.choice(["31/02/2015", "00/01/2014", "12/13/2013", "2015-02-30"])
        defects.append(Defect(line, "dm_diagnosis_date", kind))
    elif kind in ("formula", "formula_at"):
        row[lab] = rng.choice(['=HYPERLINK("http://x.example","ok")', "=1+2", "@SUM(A1:A9)", "+A1*2",
                               "=cmd|' /C calc'!A0", "-2+3"])
        defects.append(Defect(line, lab, kind))
    elif kind == "unknown_unit":
        row["ferritin_ng_ml"] = rng.choice(["1200 furlongs", "800 mmHg", "950 kg"])
        defects.append(Defect(line, "ferritin_ng_ml", kind))
    elif kind == "thousands":  # the thousands separator of the file's convention (decimal comma: '.')
        v, w = rng.randint(2, 99), rng.randint(0, 999)
        row["ferritin_ng_ml"] = f"{v}{'.' if sep != ',' else ','}{w:03d}"
        defects.append(Defect(line, "ferritin_ng_ml", kind, report=False, value=float(v * 1000 + w),
                              check_value=True))
    elif kind == "unit_10_9":
        v = rng.randint(11, 99) / 10
        row["platelets_g_l"] = rng.choice([f"{_fr(v)} 10^9/L", f"{_fr(v)} x10^9/L", f"{_fr(v)} G/L"])
        defects.append(Defect(line, "platelets_g_l", kind, report=False, value=v, check_value=True))
    elif kind == "unit_mm3":
        v = rng.randint(11, 99) * 100
        row["platelets_g_l"] = f"{v} /mm3"
        defects.append(Defect(line, "platelets_g_l", kind, report=False, value=v / 1000, check_value=True))
    elif kind == "unit_G_L":
        v = rng.randint(11, 99) / 10
        row["platelets_g_l"] = f"{_fr(v)} G/L"
        defects.append(Defect(line, "platelets_g_l", kind, report=False, value=v, check_value=True))
    elif kind == "centre_nan":
        row["centre"] = "NAN"
        defects.append(Defect(line, "centre", kind, report=False, value="NAN", check_value=True))
    elif kind == "initials_translit":
        row["initials"] = rng.choice(["ØSTE", "ŒDMA", "SßLA"])
        expect = {"ØSTE": "OSTE", "ŒDMA": "OEDM", "SßLA": "SSSL"}[row["initials"]]
        defects.append(Defect(line, "initials", kind, report=expect != row["initials"] and len(expect) != 4,
                              value=expect if len(expect) == 4 else None, check_value=len(expect) == 4))
    elif kind == "two_digit_year":
        row["birth_date"] = re.sub(r"/(\d\d)(\d\d)$", r"/\2", row["birth_date"])
        defects.append(Defect(line, "birth_date", kind))


def sam_file(rng: random.Random, index: int, base: pd.DataFrame, density: float = 1 / 3) -> CorpusFile:
    """One malformed SAM export: cell defects on some rows and one structural variant of the file."""
    variant = ["trailing_sep", "extra_field", "title_line", "blank_lines", "unbalanced_quote", "truncated",
               "fewer_fields", "mixed_encoding", "multiline_note", "cp1252", "comma_sep", "tab_sep", "plain",
               "trailing_sep_header"][index % 14]
    cols = list(base.columns)
    sep = {"comma_sep": ",", "tab_sep": "\t"}.get(variant, ";")
    rows = [dict(r) for r in base.to_dict("records")]
    n = rng.randint(15, len(rows))
    rows = rows[:n]
    for i, r in enumerate(rows):
        r["record_id"] = str(i + 1)
        if sep == ",":  # an English export: decimal point
            for c in SAM_LABS + ("max_temperature_c",):
                r[c] = r[c].replace(",", ".")
    b = _Builder(sep)
    defects: list[Defect] = []
    if variant == "title_line":
        t = b.add(sep.join(["Export SAM - centre de test", "", ""]) if rng.random() < .5 else "Export du 03/04/2021")
        defects.append(Defect(t, None, "title_line"))
    header = cols + ([""] if variant == "trailing_sep_header" else [])
    b.row(header)
    planted = set(rng.sample(range(n), k=max(1, int(n * density))))
    special = rng.randrange(1, n - 1)
    for i, r in enumerate(rows):
        line = b.next_line
        if variant == "blank_lines" and i in (2, 5, 9):
            bl = b.add(rng.choice(["", "", "  "]))
            defects.append(Defect(bl, None, "blank_line", report=False))
            line = b.next_line
        if i in planted and i != special:
            _sam_cell_defect(rng, r, line, defects, sep)
        cells = [r[c] for c in cols]
        ident = r["record_id"]
        if variant in ("trailing_sep", "trailing_sep_header"):
            cells = cells + [""]
            if i == special:
                defects.append(Defect(line, "mas_date", "no_shift", report=False, value=r["mas_date"],
                                      check_value=True))
        if variant == "extra_field" and i == special:
            r["mas_infection_agent"] = "CMV" + sep + " EBV"
            text = sep.join(c if k != cols.index("mas_infection_agent") else r["mas_infection_agent"]
                            for k, c in enumerate(_cell(x, sep) for x in cells))
            b.add(text, ident)
            defects.append(Defect(line, None, "extra_field"))
            continue
        if variant == "unbalanced_quote" and i == special:
            cells[cols.index("mas_infection_agent")] = '"CMV'
            b.add(sep.join(x if x.startswith('"CMV') else _cell(x, sep) for x in cells), ident)
            defects.append(Defect(line, None, "unbalanced_quote"))
            continue
        if variant == "fewer_fields" and i == special:
            del cells[cols.index("department")]
            b.add(sep.join(_cell(x, sep) for x in cells), ident)
            defects.append(Defect(line, None, "fewer_fields"))
            continue
        if variant == "multiline_note" and i == special:
            cells[cols.index("comments")] = "Dossier papier,\nrelu le 02/03/2021"
            defects.append(Defect(line, "mas_date", "multiline_ok", report=False, value=r["mas_date"],
                                  check_value=True))
        b.row(cells, ident)
    final_newline = True
    if variant == "truncated":
        last = max(b.rows)
        text = b.lines[-1]
        cut = text[: max(4, text.index(sep, text.index(sep) + 1) + 6)]  # mid-way into the third field
        b.lines[-1] = cut
        final_newline = False
        defects.append(Defect(last, None, "truncated"))
    text = b.text(final_newline)
    if variant == "mixed_encoding":
        lines = text.split("\r\n")
        target = min(b.rows, key=lambda ln: abs(ln - (special + 2)))
        rows_fixed = rows[target - 2]
        rows_fixed_dep = "Hématologie"
        parts = lines[target - 1].split(sep)
        parts[cols.index("department")] = rows_fixed_dep
        parts[cols.index("comments")] = "Données relues à l'hôpital"
        lines[target - 1] = sep.join(parts)
        data = b"\xef\xbb\xbf" + "\r\n".join(lines[: target - 1]).encode("utf-8") + b"\r\n" + \
            lines[target - 1].encode("cp1252") + b"\r\n" + "\r\n".join(lines[target:]).encode("utf-8")
        defects.append(Defect(target, None, "cp1252_line"))  # a line-level problem
        defects.append(Defect(target, "department", "cp1252_value", report=False, value="2", check_value=True))
        other = next(ln for ln in sorted(b.rows) if ln != target and rows[ln - 2]["department"])
        code = {"Médecine interne": "1", "Hématologie": "2", "Rhumatologie": "3", "Dermatologie": "4",
                "Autre": "9"}.get(rows[other - 2]["department"])
        if code:
            defects.append(Defect(other, "department", "utf8_kept", report=False, value=code, check_value=True))
        del rows_fixed
    elif variant == "cp1252":
        data = text.encode("cp1252", errors="replace")
    else:
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    return CorpusFile(f"sam_{index:03d}_{variant}.csv", data, "sam", dict(b.rows), defects, kind=variant)


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buffer = _io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sam_excel_file(rng: random.Random, index: int, base: pd.DataFrame) -> CorpusFile:
    """A workbook as a centre fills it: copied Saisie sheet, data on a later sheet, title row, serial dates."""
    variant = ["copied_saisie", "second_sheet", "title_row", "serial_dates"][index % 4]
    cols = list(base.columns)
    n = rng.randint(8, 20)
    rows = [dict(r) for r in base.head(n).to_dict("records")]
    for i, r in enumerate(rows):
        r["record_id"] = str(i + 1)
    data_rows, defects, lines = [], [], {}
    first = 3 if variant == "title_row" else 2
    for i, r in enumerate(rows):
        cells = [r[c] for c in cols]
        if variant == "serial_dates":
            d = pd.to_datetime(r["mas_date"], format="%d/%m/%Y")
            serial = (d - pd.Timestamp("1899-12-30")).days
            cells[cols.index("mas_date")] = serial
            defects.append(Defect(first + i, "mas_date", "serial_date", report=False,
                                  value=d.strftime("%d/%m/%Y"), check_value=True))
        data_rows.append(cells)
        lines[first + i] = r["record_id"]
    special = rng.randrange(n)
    defects.append(Defect(first + special, "mas_date", "excel_value", report=False, value=rows[special]["mas_date"],
                          check_value=True))
    table = ([["Appel à observations SAM - saisie"]] if variant == "title_row" else []) + [cols] + data_rows
    if variant == "copied_saisie":
        sheets = {"Saisie": [cols], "Saisie (2)": table, "Listes": [["Oui"], ["Non"]]}
    elif variant == "second_sheet":
        sheets = {"Notice": [["Remplir la feuille suivante"], ["Une ligne par patient"]], "Patients": table}
    else:
        sheets = {"Saisie": table}
    return CorpusFile(f"sam_x{index:03d}_{variant}.xlsx", _xlsx(sheets), "sam", lines, defects, kind=variant)


def unreadable_files(prefix: str, loader: str, header: list[str]) -> list[CorpusFile]:
    """Files no loader can read: each must end in a named error that names the file."""
    xlsx = _xlsx({"Saisie": [header, ["1"] * len(header)]})
    files = {
        "bom_only.csv": b"\xef\xbb\xbf",
        "empty.csv": b"",
        "blank.csv": b"\r\n\r\n  \r\n",
        "binary.csv": bytes(range(256)) * 8,
        "not_zip.xlsx": b"record_id;mas_date\r\n1;01/01/2015\r\n",
        "excel97.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "truncated_zip.xlsx": xlsx[: len(xlsx) // 2],
        "header_only_bom.csv": b"\xef\xbb\xbf\r\n",
    }
    out = [CorpusFile(f"{prefix}_bad_{k}", v, loader, {}, [], unreadable=True, kind=k) for k, v in files.items()]
    # an .xlsx saved under .xls: readable (warning) or a named error, never a traceback
    out.append(CorpusFile(f"{prefix}_bad_xlsx_named.xls", xlsx, loader, {2: "1"}, [], unreadable=False,
                          kind="xlsx_named_xls"))
    return out


# --- Mi2 ---------------------------------------------------------------------------------------------------------

MI2_NUMBERS_P = ("age_onset_years", "ck_max_u_l", "follow_up_years")
MI2_BOOLS = ("ild", "fever", "cancer", "calcinosis")


def _mi2_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def mi2_file(rng: random.Random, index: int, patients: pd.DataFrame, visits: pd.DataFrame,
             density: float = 1 / 4) -> CorpusFile:
    kind = "patients" if index % 2 == 0 else "visits"
    variant = ["plain", "trailing_sep", "extra_field", "title_line", "blank_lines", "truncated", "decimal_comma",
               "unbalanced_quote", "fewer_fields"][(index // 2) % 9]
    comma = variant in ("decimal_comma",) or rng.random() < .4
    sep = ";" if comma else ","
    table = patients if kind == "patients" else visits
    n = min(len(table), rng.randint(20, 40))
    start = rng.randrange(0, len(table) - n + 1)
    df = table.iloc[start:start + n].reset_index(drop=True)
    cols = [c for c in df.columns if c != "group" or kind == "patients"]
    b = _Builder(sep, "\n")
    defects: list[Defect] = []
    if variant == "title_line":
        defects.append(Defect(b.add("Cohorte anti-Mi2 (export du 01/02/2024)"), None, "title_line"))
    b.row(cols + ([""] if variant == "trailing_sep" and rng.random() < .5 else []))
    special = rng.randrange(1, n - 1)
    planted = set(rng.sample(range(n), k=max(1, int(n * density)))) - {special}
    for i, r in df.iterrows():
        if variant == "blank_lines" and i in (3, 7):
            b.add("")
        line = b.next_line
        cells = {c: _mi2_text(r[c]) for c in cols}
        if comma:
            cells = {c: v.replace(".", ",") if re.fullmatch(r"-?\d+\.\d+", v) else v for c, v in cells.items()}
        ident = cells["id"] if kind == "patients" else (cells["id"], float(r["months_since_onset"]))
        if i in planted:
            if kind == "patients":
                k = rng.choice(["nan", "overflow", "uncertain", "sex", "formula", "huge"])
                f = rng.choice(MI2_NUMBERS_P)
                if k == "nan":
                    cells[f] = "abc"
                elif k == "overflow":
                    cells[f] = "1e999"
                elif k == "huge":
                    cells[f] = "1" * 5000
                elif k == "formula":
                    cells[f] = "=2+5"
                elif k == "uncertain":
                    f = rng.choice(MI2_BOOLS)
                    cells[f] = "oui ?"
                else:
                    f = "sex"
                    cells[f] = "F?"
                defects.append(Defect(line, f, k, check_value=k in ("uncertain", "sex"), value=None))
            else:
                f = rng.choice(["strength_kendall", "ck_u_l", "anti_mi2_titre_au"])
                cells[f] = rng.choice(["abc", "1e999", "@A1", "?"])
                defects.append(Defect(line, f, "visit_cell"))
        values = [cells[c] for c in cols]
        if variant == "trailing_sep":
            values.append("")
            if i == special:
                defects.append(Defect(line, cols[2], "no_shift", report=False,
                                      value=_expected_mi2(df, i, cols[2]), check_value=True))
        if i == special and variant == "extra_field":
            values.insert(2, "x")
            defects.append(Defect(line, None, "extra_field"))
        if i == special and variant == "fewer_fields":
            del values[2]
            defects.append(Defect(line, None, "fewer_fields"))
        if i == special and variant == "unbalanced_quote":
            b.add(sep.join(['"' + values[0]] + [_cell(v, sep) for v in values[1:]]), ident)
            defects.append(Defect(line, None, "unbalanced_quote"))
            continue
        b.row(values, ident)
    final_newline = True
    if variant == "truncated":
        last = max(b.rows)
        b.lines[-1] = b.lines[-1][: b.lines[-1].index(sep) + 2]
        final_newline = False
        defects.append(Defect(last, None, "truncated"))
    data = b.text(final_newline).encode("utf-8" if rng.random() < .7 else "cp1252", errors="replace")
    return CorpusFile(f"mi2_{index:03d}_{kind}_{variant}.csv", data, f"mi2_{kind}", dict(b.rows), defects,
                      kind=variant)


def _expected_mi2(df, i, col):
    v = df.at[i, col]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return v


def corpus(seed: int = 20260101, sam_files: int = 60, excel_files: int = 8, mi2_files: int = 18,
           density: float = 1 / 3) -> list[CorpusFile]:
    """The whole corpus (deterministic for a seed); ``density``: share of rows given a cell defect."""
    from myositis import mi2, sam

    rng = random.Random(seed)
    base = sam.synthetic_series(40, seed)
    files = [sam_file(rng, i, base, density) for i in range(sam_files)]
    files += [sam_excel_file(rng, i, base) for i in range(excel_files)]
    files += unreadable_files("sam", "sam", list(base.columns))
    patients, visits = mi2.synthetic_cohort(seed % 1000)
    files += [mi2_file(rng, i, patients, visits, density * 3 / 4) for i in range(mi2_files)]
    files += unreadable_files("mi2", "mi2_patients", list(patients.columns))
    return files


# --- scoring -----------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    file: CorpusFile
    crash: str = ""                 # type of a raw exception
    refused: str = ""               # named error raised
    rows_in: int = 0
    returned: dict = field(default_factory=dict)   # line -> identity returned there
    reported_lines: set = field(default_factory=set)
    issues: pd.DataFrame | None = None
    lost: list = field(default_factory=list)
    renumbered: list = field(default_factory=list)
    wrong_values: list = field(default_factory=list)
    found: int = 0
    planted: int = 0
    missed: list = field(default_factory=list)
    formulas: int = 0


def _unescaped_formulas(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    count = 0
    for row in csv.reader(_io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(cell):
                count += 1
    return count


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and np.isnan(a)) or a is pd.NA or a is pd.NaT:
        return b is None
    if b is None:
        return False
    if isinstance(b, float):
        try:
            return abs(float(a) - b) <= 1e-6 * max(1.0, abs(b))
        except (TypeError, ValueError):
            return False
    if isinstance(a, pd.Timestamp):
        return f"{a:%d/%m/%Y}" == b
    return str(a) == str(b)


def run_file(cf: CorpusFile, folder: Path, row_of=None, mi2_companions=None) -> Outcome:
    """Load one corpus file with its loader and score it. ``row_of(line, file)`` maps a file line to the row
    number the code under test promises (the file line today; the data-row ordinal for the old convention)."""
    from myositis import io, mi2, sam
    from myositis.exceptions import MyositisError

    row_of = row_of or (lambda line, cf: line)
    path = folder / cf.name
    path.write_bytes(cf.data)
    out = Outcome(cf, rows_in=len(cf.rows))
    frame = None
    try:
        if cf.loader == "sam":
            cases, issues = sam.load_crf(path)
            frame = cases.rename(columns={"source_row": "_row"})
            ident = frame["record_id"].astype(str)
            returned = dict(zip(frame["_row"].astype(int), ident))
            exports = [issues]
        else:
            kind = cf.loader.removeprefix("mi2_")
            issues = mi2.validate_cohort(path, kind)
            p_path, v_path = mi2_companions
            try:
                cohort = mi2.load_cohort(path, v_path) if kind == "patients" else mi2.load_cohort(p_path, path)
                table = cohort.patients if kind == "patients" else cohort.visits
                excluded = cohort.excluded[cohort.excluded["file"].str.endswith(cf.name)]
                exports = [issues, cohort.issues, table]
            except MyositisError as exc:
                table, excluded, exports = None, pd.DataFrame(columns=["row"]), [issues]
                if cf.unreadable or issues["row"].isna().all():  # the file itself was refused, by name
                    raise exc
            inverse = {v: k for k, v in cf.rows.items()}
            returned = {}
            if table is not None:
                for rec in table.to_dict("records"):
                    key = rec["id"] if kind == "patients" else (rec["id"], float(rec["months_since_onset"]))
                    if key in inverse:
                        returned[row_of(inverse[key], cf)] = key
                frame = table.assign(_row=[next((k for k, v in returned.items() if v == (
                    r["id"] if kind == "patients" else (r["id"], float(r["months_since_onset"])))), -1)
                    for r in table.to_dict("records")])
            for r in excluded["row"].dropna().astype(int):
                out.reported_lines.add(int(r))
    except MyositisError as exc:
        out.refused = type(exc).__name__
        if cf.name not in str(exc) and Path(cf.name).stem not in str(exc):
            out.refused += " (file not named)"
        return out
    except Exception as exc:  # noqa: BLE001 - the point is to count them
        out.crash = type(exc).__name__
        return out
    out.issues = issues
    out.returned = returned
    out.reported_lines |= set(issues["row"].dropna().astype(int))
    if cf.unreadable:
        return out
    # lines reported as not read (wrong number of fields, truncated): their cells are not values
    line_errors = set(issues.loc[issues["field"].isna() & (issues["severity"] == "error"), "row"].dropna().astype(int))
    for line, identity in cf.rows.items():
        row = row_of(line, cf)
        if row in returned:
            if cf.loader == "sam" and returned[row] not in (str(identity), "None", "nan") and row not in line_errors:
                out.renumbered.append(line)
        elif row not in out.reported_lines and not (cf.loader != "sam" and row in returned):
            out.lost.append(line)
    if cf.loader == "sam":
        extra = set(returned) - {row_of(ln, cf) for ln in cf.rows}
        out.renumbered += sorted(extra - out.reported_lines)
    by_row = {}
    if frame is not None:
        by_row = {int(r["_row"]): r for r in frame.to_dict("records")}
    for d in cf.defects:
        row = row_of(d.line, cf)
        at_row = issues[issues["row"] == row]
        hit = not at_row.empty and (d.field is None or (at_row["field"].astype(str).str.startswith(d.field)).any())
        if d.report:
            out.planted += 1
            if hit:
                out.found += 1
            else:
                out.missed.append((d.line, d.field, d.kind))
        if d.check_value and row in by_row and not hit and row not in line_errors:
            value = by_row[row].get(d.field)
            if d.field in ("department",) and value is not None:
                value = str(value)
            if not _same(value, d.value):
                out.wrong_values.append((d.line, d.field, d.kind, value, d.value))
    for k, df in enumerate(exports):
        written = io.write_csv(df, folder / f"{Path(cf.name).stem}_export{k}.csv")
        out.formulas += _unescaped_formulas(written)
    return out


def run_corpus(files: list[CorpusFile], folder: Path, row_of=None) -> list[Outcome]:
    from myositis import mi2

    folder.mkdir(parents=True, exist_ok=True)
    patients, visits = mi2.synthetic_cohort(0)
    companions = (io_write(patients, folder / "companion_patients.csv"),
                  io_write(visits, folder / "companion_visits.csv"))
    return [run_file(cf, folder, row_of, companions) for cf in files]


def io_write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def summary(outcomes: list[Outcome]) -> pd.DataFrame:
    """The figures of issue 9's table, per loader."""
    rows = []
    for loader, label in (("sam", "SAM load_crf"), ("mi2", "Mi2 validate_cohort / load_cohort")):
        outs = [o for o in outcomes if o.file.loader.startswith(loader)]
        readable = [o for o in outs if not o.file.unreadable]
        rows.append({
            "loader": label,
            "files": len(outs),
            "data rows": sum(o.rows_in for o in outs),
            "malformed rows (planted defects)": sum(len({d.line for d in o.file.defects}) for o in outs),
            "files crashing with a raw exception": sum(bool(o.crash) for o in outs),
            "raw exception types": ", ".join(sorted({o.crash for o in outs if o.crash})),
            "readable files refused": sum(bool(o.refused) for o in readable),
            "unreadable files refused with a named error": f"{sum(bool(o.refused) for o in outs if o.file.unreadable)}"
                                                           f" / {sum(o.file.unreadable for o in outs)}",
            "rows lost silently": sum(len(o.lost) for o in readable),
            "rows returned under another row number": sum(len(o.renumbered) for o in readable),
            "values silently wrong": sum(len(o.wrong_values) for o in readable),
            "planted defects reported at right row and field": f"{sum(o.found for o in readable)} / "
                                                                f"{sum(d.report for o in readable for d in o.file.defects)}",
            "formulas unescaped in exports": sum(o.formulas for o in outs),
        })
    return pd.DataFrame(rows).set_index("loader").T
