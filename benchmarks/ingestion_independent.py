"""An independent corpus of malformed SAM and Mi2 exports, and what the loaders make of it (issue 9).

Written by the "adversary" helper WITHOUT reading tests/ingestion_corpus.py, tests/test_fuzz*.py or
benchmarks/ingestion.py (the project's first corpus): only from the public definitions
(lib/myositis/crf_fields.yaml, the Mi2 schema of myositis.mi2.schema / README) and the formats centres send
(REDCap raw and label exports, French ';' CSV with decimal commas in cp1252 or UTF-8, Excel workbooks with French
headers, title rows, renamed or copied sheets, serial dates, 1904 workbooks, formulas without saved values, ...).

Seeded. Every planted defect is recorded with its expected FILE LINE (header = line 1 unless title lines sit above
it, as a text editor or Excel numbers it) and field; every clean cell with the value it must be read as. Then each
file goes through the public API (sam.load_crf, mi2.validate_cohort, mi2.load_cohort) and every export the
project writes (validation_report.csv, sam.queries workbooks, processed table, Table 1 CSV), and this prints:
raw (non-myositis) exceptions, rows lost silently, rows renumbered, spurious rows, silently wrong values, planted
defects reported at the right line and field, unescaped formulas in the exports, raw files modified.

Usage:  .venv/bin/python benchmarks/ingestion_independent.py [--seed N] [--keep DIR] [--json FILE]
(about 2 minutes on one free core; the corpus itself is generated in about 2 seconds)
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io as _io
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

warnings.filterwarnings("ignore")
from myositis import io, mi2, sam, tables  # noqa: E402
from myositis.exceptions import MyositisError  # noqa: E402

HERE = Path(__file__).resolve().parent
CRF_YAML = Path(__import__("myositis").__file__).parent / "crf_fields.yaml"  # the public CRF definition


# ----------------------------------------------------------------------------------------------- CRF (own parse)
def load_crf_fields(path=CRF_YAML):
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    centres = [c["code"] for c in spec["centres"]]
    fields, forms = [], []
    for form in spec["forms"]:
        rep = int(form.get("repeat", 0) or 0)
        names = []
        for n in (range(1, rep + 1) if rep else [None]):
            for f in form["fields"]:
                g = dict(f)
                if n is not None:
                    for k in ("name", "label_fr", "label_en"):
                        if k in g:
                            g[k] = str(g[k]).replace("{n}", str(n))
                g["form"] = form["name"]
                if g.get("choices") == "centres":
                    g["choices"] = {c: [c, c] for c in centres}
                fields.append(g)
                names.append(g["name"])
        forms.append((form["name"], names))
    return fields, forms, centres


FIELDS, FORMS, CENTRES = load_crf_fields()
BYNAME = {f["name"]: f for f in FIELDS}


def is_yes_no(f):
    return f["type"] == "radio" and set(map(str, f["choices"])) == {"1", "0"}


def columns_of(f):
    if f["type"] == "checkbox":
        return [f"{f['name']}___{c}" for c in f["choices"]]
    return [f["name"]]


# ----------------------------------------------------------------------------------------------- clean records
AGENTS = ["CMV", "EBV", "Légionelle", "grippe", "Pneumocoque", "non identifié", "E. coli", "Aspergillus"]
COMMENTS = ["RAS", "Patiente vue en HDJ", "Suivi à Reims puis Épernay", "cf. courrier du Dr Lefèvre",
            "Transfert en réanimation à J3", "Évolution favorable", "", "", ""]


def rdate(rng, a, b):
    return a + dt.timedelta(days=rng.randrange((b - a).days + 1))


def make_record(rng, k, centre):
    """One clean, valid case. Values in canonical form (dates: date, numbers: float in CRF unit, radios: code,
    yes/no: '1'/'0', checkboxes: {code: bool}, text: str); absent = None."""
    r = {}
    r["record_id"] = str(k)
    letters = "ABCDEFGHIJKLMNOPRSTUVZ"
    r["initials"] = "".join(rng.choice(letters) for _ in range(4))
    r["birth_date"] = rdate(rng, dt.date(1940, 1, 1), dt.date(1995, 12, 31))
    r["centre"] = centre
    r["department"] = rng.choice(["1", "2", "3", "4"])
    r["sex"] = rng.choice(["F", "F", "M"])
    mas = rdate(rng, dt.date(2010, 2, 1), dt.date(2020, 9, 1))
    r["mas_date"] = mas
    r["dm_diagnosis_date"] = mas - dt.timedelta(days=rng.randrange(0, 2500))
    if r["dm_diagnosis_date"] <= r["birth_date"] + dt.timedelta(days=6000):
        r["dm_diagnosis_date"] = mas
    r["dm_subtype"] = rng.choice(["1", "2", None])
    r["dm_skin"] = {c: rng.random() < 0.4 for c in BYNAME["dm_skin"]["choices"]}
    r["dm_muscle"] = {c: (rng.random() < 0.5 if c != "none" else False) for c in BYNAME["dm_muscle"]["choices"]}
    r["dm_ck_u_l"] = float(rng.randrange(40, 15000)) if rng.random() < 0.8 else None
    r["dm_ild"] = rng.choice(["1", "0"])
    r["dm_cancer"] = rng.choice(["1", "0", None])
    r["mas_trigger"] = {c: (rng.random() < 0.3 if c not in ("none",) else False)
                        for c in BYNAME["mas_trigger"]["choices"]}
    r["mas_infection_agent"] = rng.choice(AGENTS) if r["mas_trigger"]["infection"] else None
    r["fever"] = rng.choice(["1", "1", "0"])
    r["max_temperature_c"] = round(rng.uniform(38.0, 41.0), 1) if r["fever"] == "1" else None
    r["hepatomegaly"] = rng.choice(["1", "0", None])
    r["splenomegaly"] = rng.choice(["1", "0"])
    r["haemoglobin_g_dl"] = round(rng.uniform(6, 14), 1)
    r["leukocytes_g_l"] = round(rng.uniform(0.5, 15), 1)
    r["platelets_g_l"] = float(rng.randrange(10, 400))
    r["ferritin_ng_ml"] = float(rng.randrange(500, 60000))
    r["triglycerides_mmol_l"] = round(rng.uniform(1, 6), 2)
    r["fibrinogen_g_l"] = round(rng.uniform(0.5, 5), 1)
    r["ast_u_l"] = float(rng.randrange(20, 2000))
    r["alt_u_l"] = float(rng.randrange(20, 2000))
    r["ldh_u_l"] = float(rng.randrange(200, 5000)) if rng.random() < 0.8 else None
    r["crp_mg_l"] = float(rng.randrange(1, 300))
    r["line1_drugs"] = {c: c in ("gc", "ivig") and rng.random() < 0.8 for c in BYNAME["line1_drugs"]["choices"]}
    if any(r["line1_drugs"].values()):
        r["line1_start"] = mas + dt.timedelta(days=rng.randrange(0, 5))
        r["line1_response"] = rng.choice(["1", "2", "3"])
    r["icu"] = rng.choice(["1", "0"])
    follow = mas + dt.timedelta(days=rng.randrange(20, 2500))
    r["death"] = "1" if rng.random() < 0.25 else "0"
    if r["death"] == "1":
        r["death_date"] = follow
        r["death_cause"] = rng.choice(["1", "2", "3"])
    r["last_followup_date"] = follow
    r["comments"] = rng.choice(COMMENTS) or None
    return r


# ----------------------------------------------------------------------------------------------- rendering
def fmt_num(x, decimal):
    s = f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))
    return s.replace(".", decimal)


def render_cell(f, value, style, col=None):
    """Text of one cell. style: 'raw' (REDCap raw), 'labels' (REDCap labels), 'fr' (centre ; CSV),
    'xlsx' (returns native python objects where Excel would hold them)."""
    t = f["type"]
    if t == "checkbox":
        code = col.split("___", 1)[1]
        v = (value or {}).get(code, False)
        return {"raw": "1" if v else "0", "labels": "Checked" if v else "Unchecked"}.get(style, "Oui" if v else "Non")
    if value is None:
        return ""
    if t == "date":
        if style in ("raw", "labels"):
            return value.isoformat()
        if style == "xlsx":
            return dt.datetime(value.year, value.month, value.day)
        return value.strftime("%d/%m/%Y")
    if t in ("number", "integer"):
        if style == "xlsx":
            return value
        return fmt_num(value, "," if style == "fr" else ".")
    if t in ("radio", "dropdown"):
        if style == "raw" or f["name"] == "centre":
            return value
        return f["choices"][value][0]
    return value


def header_of(f, col, style):
    if style == "raw":
        return col
    if f["type"] == "checkbox":
        code = col.split("___", 1)[1]
        return f"{f['label_fr']} (choice={f['choices'][code][0]})"
    return f["label_fr"]


def table_columns(style, drop=()):
    """(header text, field, column) of an export, REDCap '_complete' columns after each form in raw/labels."""
    out = []
    for form, names in FORMS:
        for n in names:
            f = BYNAME[n]
            for c in columns_of(f):
                if c not in drop:
                    out.append((header_of(f, c, style), f, c))
        if style in ("raw", "labels"):
            out.append((f"{form}_complete" if style == "raw" else "Complete?", None, None))
    return out


def cell_value(r, f, c):
    if f["type"] == "checkbox":
        return r.get(f["name"])
    return r.get(f["name"])


def csv_quote(s, sep):
    if any(ch in s for ch in (sep, '"', "\n", "\r")):
        return '"' + s.replace('"', '""') + '"'
    return s


# ----------------------------------------------------------------------------------------------- expected values
def expected_cells(r):
    """column -> expected parsed value (canonical), for the silently-wrong check."""
    out = {}
    for f in FIELDS:
        v = r.get(f["name"])
        if f["type"] == "checkbox":
            for c in columns_of(f):
                out[c] = bool((v or {}).get(c.split("___", 1)[1], False))
        elif f.get("free_text") and f["type"] in ("text", "notes"):
            out[f["name"]] = v
        else:
            out[f["name"]] = v
    return out


def jsonable(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return {"date": v.isoformat()[:10]}
    return v


# ----------------------------------------------------------------------------------------------- SAM file builder
class SamFile:
    def __init__(self, name, style, rng, centre, n, encoding="utf-8", sep=None, bom=False, crlf=False):
        self.name, self.style, self.rng, self.centre = name, style, rng, centre
        self.encoding, self.bom, self.crlf = encoding, bom, crlf
        self.sep = sep or ("," if style in ("raw", "labels") else ";")
        self.records = [make_record(rng, k + 1, centre) for k in range(n)]
        self.overrides = [dict() for _ in range(n)]   # column -> cell text (defects / probes)
        self.defects = []      # {record: k, column, kind}  (line filled at render)
        self.probes = []       # {record: k, column, expected}
        self.row_kind = [None] * n  # structural row defects: extra_field, unbalanced_quote, short_row, truncated
        self.blank_before = [0] * n
        self.title_lines = []
        self.trailing_sep = False
        self.drop_columns = set()
        self.dup_columns = []
        self.file_defects = []  # {line: None, field, kind}
        self.multiline = set()  # records whose comment holds a newline (quoted)
        self.mixed_line = None  # record written in cp1252 inside a UTF-8 file
        self.header_variant = None

    # defects -------------------------------------------------------------------------------------------------
    def plant(self, k, column, text, kind, expected_after=None, accept_value=None):
        """Cell defect: the cell holds `text`; an issue at (line, field) is expected; the value must be missing
        (or `accept_value`, if the library reads it right instead of reporting)."""
        self.overrides[k][column] = text
        self.defects.append({"record": k, "column": column, "kind": kind, "accept_value": jsonable(accept_value)})
        self.records[k]["_expect_" + column] = (("value", accept_value) if accept_value is not None
                                                 else ("missing", expected_after))

    def probe(self, k, column, text, expected, kind):
        """Not a defect: the cell `text` must be read as `expected` (or reported)."""
        self.overrides[k][column] = text
        self.probes.append({"record": k, "column": column, "kind": kind, "expected": jsonable(expected)})
        self.records[k]["_expect_" + column] = ("value", expected)

    # rendering ----------------------------------------------------------------------------------------------
    def cells(self, k, cols):
        r = self.records[k]
        out = []
        for _, f, c in cols:
            if f is None:
                out.append("2" if self.style == "raw" else "Complete")
            elif c in self.overrides[k]:
                out.append(self.overrides[k][c])
            else:
                v = render_cell(f, cell_value(r, f, c), self.style if self.style != "xlsx" else "xlsx", c)
                if f["type"] == "date" and v and getattr(self, "date_order", None):
                    d = cell_value(r, f, c)
                    v = d.strftime("%m/%d/%Y") if self.date_order == "mdy" else d.isoformat()
                if getattr(self, "decimal", None) == "," and f["type"] in ("number", "integer"):
                    v = v.replace(".", ",")
                out.append(v)
        return out

    def columns(self):
        cols = table_columns("raw" if self.style == "raw" else ("labels" if self.style == "labels" else
                                                                   ("fr" if self.header_variant != "names" else "raw")),
                             self.drop_columns)
        if self.style not in ("raw", "labels"):
            cols = [c for c in cols if c[1] is not None]
        for col in self.dup_columns:
            i = next(i for i, c in enumerate(cols) if c[2] == col)
            cols.insert(i + 1, cols[i])
        return cols

    def render_csv(self):
        cols = self.columns()
        sep = self.sep
        nl = "\r" if getattr(self, "cr_only", False) else ("\r\n" if self.crlf else "\n")
        eol = nl[-1]
        chunks = []  # list of (text, record k or None or marker)
        for t in self.title_lines:
            chunks.append((t + nl, None))
        heads = [h for h, _, _ in cols]
        if getattr(self, "header_transform", None):
            heads = [self.header_transform(h) for h in heads]
        if getattr(self, "header_break", False):
            j = next(i for i, c in enumerate(cols) if c[2] == "birth_date")
            heads[j] = heads[j].replace(" ", "\n", 1) if " " in heads[j] else heads[j] + "\n(JJ/MM/AAAA)"
        header = sep.join(csv_quote(h, sep) for h in heads) + (sep if self.trailing_sep else "") + nl
        if nl != "\n":
            header = header.replace("\n", nl) if False else header
        chunks.append((header, "H"))
        for k in range(len(self.records)):
            for _ in range(self.blank_before[k]):
                chunks.append((nl, None))
            if getattr(self, "repeat_header_before", None) == k:
                chunks.append((header, "R"))
            if k in getattr(self, "separator_lines", ()):
                chunks.append((sep * (len(cols) - 1) + nl, "S"))
            cells = self.cells(k, cols)
            kind = self.row_kind[k]
            text_cells = []
            for j, s in enumerate(cells):
                s = str(s)
                if kind in ("extra_field", "unbalanced_quote") and cols[j][2] == self._struct_col[k]:
                    text_cells.append(s)  # written raw: unquoted separator / lone quote
                else:
                    text_cells.append(csv_quote(s, sep))
            line = sep.join(text_cells)
            if kind == "short_row":
                line = sep.join(text_cells[: len(text_cells) // 2])
            if self.trailing_sep:
                line += sep
            if kind == "truncated":
                line = line[: self._trunc_at[k]]
                chunks.append((line, k))   # no newline: the file ends here
                continue
            chunks.append((line + nl, k))
        text = ""
        lines = {}
        self.extra_lines = {"R": [], "S": []}
        for chunk, k in chunks:
            line_no = text.count(eol) + (text.count("\n") if eol == "\r" else 0) + 1
            if isinstance(k, int):
                lines[k] = line_no
            elif k in ("R", "S"):
                self.extra_lines[k].append(line_no)
            text += chunk
        if self.mixed_line is not None:
            parts = text.split("\n")
            ln = lines[self.mixed_line] - 1
            odd, usual = (("cp1252", "utf-8") if getattr(self, "mixed_direction", "cp_in_utf8") == "cp_in_utf8"
                          else ("utf-8", "cp1252"))
            data = b"\n".join(p.encode(odd if i == ln else usual) for i, p in enumerate(parts))
        else:
            data = text.encode(self.encoding, errors="strict")
        if self.bom:
            data = (b"\xef\xbb\xbf" if self.encoding.startswith("utf") else b"") + data
        return data, lines

    def render_xlsx(self, layout):
        from openpyxl import Workbook
        cols = self.columns()
        wb = Workbook()
        if getattr(self, "epoch1904", False):
            from openpyxl.utils.datetime import CALENDAR_MAC_1904
            wb.epoch = CALENDAR_MAC_1904
        ws0 = wb.active
        if layout == "copied_sheet":
            ws0.title = "Saisie"
            ws0.append([c for _, _, c in cols])  # empty template: header only
            ws = wb.copy_worksheet(ws0)
            ws.title = "Saisie (2)"
            start_row = 2
            header_written = True
        elif layout == "second_sheet":
            ws0.title = "Instructions"
            ws0.append(["Remplir une ligne par patient. Dates au format JJ/MM/AAAA."])
            ws0.append(["Ne pas modifier les en-têtes."])
            ws = wb.create_sheet("Données")
            header_written = False
        else:  # title row, renamed sheet
            ws0.title = layout if layout not in ("title",) else "Données DM-SAM"
            ws = ws0
            header_written = False
        for t in self.title_lines:
            ws.append([t])
        if not header_written:
            ws.append([h for h, _, _ in cols])
        if getattr(self, "second_header", False):
            ws.append([c for _, _, c in cols])
            self.extra_lines = {"R": [], "S": [ws.max_row]}
        header_line = ws.max_row
        lines = {}
        for k in range(len(self.records)):
            row = []
            r = self.records[k]
            for _, f, c in cols:
                if c in self.overrides[k]:
                    row.append(self.overrides[k][c])
                else:
                    v = render_cell(f, cell_value(r, f, c), "xlsx", c)
                    if f["type"] == "date" and isinstance(v, dt.datetime) and self.serial_dates:
                        v = (v - dt.datetime(1899, 12, 30)).days
                    row.append(v)
            target = header_line + 1 + k + sum(self.blank_before[: k + 1])
            for j, v in enumerate(row, start=1):
                cell = ws.cell(row=target, column=j, value=v)
                if isinstance(v, str) and v.startswith("="):
                    pass  # a formula cell (openpyxl keeps it as formula)
            lines[k] = target
        bio = _io.BytesIO()
        wb.save(bio)
        return bio.getvalue(), lines


# ----------------------------------------------------------------------------------------------- SAM corpus
def sam_corpus(out: Path, seed: int):
    rng = random.Random(seed)
    files = []
    centres = [c for c in CENTRES if c not in ("NTE", "NCY")]

    def new(name, style, n, **kw):
        f = SamFile(name, style, random.Random(rng.random()), rng.choice(centres), n, **kw)
        f.serial_dates = False
        f._struct_col = {}
        f._trunc_at = {}
        files.append(f)
        return f

    def pick(f, avoid=()):
        while True:
            k = f.rng.randrange(len(f.records))
            if k not in avoid and f.row_kind[k] is None and not any(
                    d["record"] == k for d in f.defects):
                return k

    # cell defects, by export style -------------------------------------------------------------------------
    def cell_defects(f, count):
        fr = f.style in ("fr", "xlsx")
        dec = "," if fr else "."
        used = set()
        for _ in range(count):
            k = pick(f, used)
            used.add(k)
            r = f.records[k]
            choice = f.rng.randrange(24)
            if choice == 0:
                f.plant(k, "dm_diagnosis_date", "31/02/2016" if fr else "2016-02-31", "impossible date")
            elif choice == 1:
                f.plant(k, "ferritin_ng_ml", "positif", "text in number")
            elif choice == 2 and fr:
                f.plant(k, "fever", "oui ?", "uncertain yes/no")
            elif choice == 3 and fr:
                f.plant(k, "sex", "F?", "uncertain sex")
            elif choice == 4 and fr:
                f.plant(k, "splenomegaly", "?", "question mark answer")
            elif choice == 5:
                f.plant(k, "platelets_g_l", "25000", "out of range (no unit)")
            elif choice == 6:
                f.plant(k, "ferritin_ng_ml", f"12{dec}5 mmol/L", "unknown unit")
            elif choice == 7:
                f.plant(k, "department", "Pédiatrie", "choice not allowed")
            elif choice == 8:
                f.plant(k, "dm_ck_u_l", "9" * 30000, "huge number cell")
            elif choice == 9:
                f.plant(k, "crp_mg_l", "1e999", "overflowing number")
            elif choice == 10:
                f.plant(k, "ldh_u_l", "=A2*2", "formula in number")
            elif choice == 11:
                f.plant(k, "initials", "D.", "initials too short")
            elif choice == 12:
                f.plant(k, "centre", "XYZ", "unknown centre")
            elif choice == 13 and fr:
                f.plant(k, "dm_skin___gottron", "peut-être", "checkbox not yes/no")
            elif choice == 14:
                f.plant(k, "alt_u_l", "-2", "negative number")
            elif choice == 15 and "line1_start" in r:
                f.plant(k, "line1_start", "12/13/2015" if fr else "2015-13-12", "month 13")
            elif choice == 16:
                f.plant(k, "haemoglobin_g_dl", f"8{dec}5{dec}2", "two decimal marks")
            elif choice == 17 and fr:
                f.plant(k, "hepatomegaly", "Oui/Non", "two answers")
            elif choice == 18:
                f.plant(k, "last_followup_date", "hier", "text in date")
            elif choice == 19:
                f.plant(k, "fibrinogen_g_l", "+-3", "garbled sign")
            elif choice == 20:
                f.plant(k, "max_temperature_c", f"45{dec}5", "temperature out of range")
            elif choice == 21 and fr:
                f.plant(k, "icu", "non ?", "uncertain no")
            elif choice == 22:
                f.plant(k, "triglycerides_mmol_l", f"3{dec}2 mmol", "unknown unit (truncated)")
            else:
                f.plant(k, "birth_date", "00/00/0000" if fr else "0000-00-00", "zero date")

    def value_probes(f, count):
        fr = f.style in ("fr", "xlsx")
        used = set()
        for _ in range(count):
            k = pick(f, used)
            used.add(k)
            r = f.records[k]
            choice = f.rng.randrange(30)
            dname = f.rng.choice(["dm_diagnosis_date", "last_followup_date", "mas_date"])
            d = r[dname]
            if choice == 12 and f.style != "xlsx":
                f.probe(k, dname, d.strftime("%d/%m/%Y") + " 00:00" if fr else d.isoformat() + " 00:00:00", d,
                        "date with a time")
            elif choice == 13 and f.style != "xlsx":
                f.probe(k, dname, d.strftime("%d.%m.%Y") if fr else d.strftime("%Y/%m/%d"), d, "date other marks")
            elif choice == 14 and f.style != "xlsx":
                b = r["birth_date"]
                f.probe(k, "birth_date", b.strftime("%d/%m/%y"), b, "two-digit year")
            elif choice == 15 and not fr:
                v = round(f.rng.uniform(1, 4.5), 1)
                f.probe(k, "fibrinogen_g_l", fmt_num(v, ","), v, "decimal comma in a decimal-point file")
            elif choice == 16 and not fr:
                v = float(f.rng.randrange(10, 90)) * 1000 + f.rng.randrange(100, 999)
                f.probe(k, "ferritin_ng_ml", f"{int(v) // 1000},{int(v) % 1000:03d}", v,
                        "comma thousands in a decimal-point file")
            elif choice == 17:
                v = float(f.rng.randrange(50, 450))
                f.probe(k, "platelets_g_l", f"{int(v * 1000)}/mm\u00b3", v, "unit /mm3 superscript")
            elif choice == 18:
                v = round(f.rng.uniform(1, 12), 1)
                f.probe(k, "lymphocytes_g_l", f"{fmt_num(v, ',' if fr else '.')} 10\u2079/L", v, "unit 10^9 superscript")
            elif choice == 19:
                v = round(f.rng.uniform(1, 12), 1)
                f.probe(k, "leukocytes_g_l", f"{fmt_num(v, ',' if fr else '.')} 109/L", v, "unit 10^9 lost superscript")
            elif choice == 20 and fr:
                f.probe(k, "sex", {"F": "Féminin", "M": "Masculin"}[r["sex"]], r["sex"], "sex spelled out")
            elif choice == 21:
                f.probe(k, "initials", r["initials"].lower(), r["initials"], "lowercase initials")
            elif choice == 22:
                f.probe(k, "record_id", "007", "007", "leading-zero record id")
            elif choice == 23 and fr and r["dm_skin"]["gottron"]:
                f.probe(k, "dm_skin___gottron", f.rng.choice(["X", "x"]), True, "checkbox ticked with X")
            elif choice == 24:
                f.plant(k, "crp_mg_l", "10-12", "range instead of a value")
            elif choice == 25:
                v = float(f.rng.randrange(2, 90))
                f.probe(k, "crp_mg_l", f"+{int(v)}", v, "explicit plus sign")
            elif choice == 26:
                f.plant(k, "ldh_u_l", "45 %", "percent in a count")
            elif choice == 27:
                v = f.rng.randrange(1000, 9000) + 0.5
                f.probe(k, "ferritin_ng_ml", (f"{int(v) // 1000}\u00a0{int(v) % 1000:03d},5" if fr else
                                              f"{int(v) // 1000},{int(v) % 1000:03d}.5"), v, "thousands and decimal")
            elif choice == 28 and fr:
                v = f.rng.randrange(1000, 9000) + 0.5
                f.probe(k, "ferritin_ng_ml", f"{int(v) // 1000}.{int(v) % 1000:03d},5", v, "dot thousands + comma")
            elif choice == 29 and f.style != "xlsx":
                f.probe(k, dname, d.isoformat() + "T00:00:00", d, "ISO date-time")
            elif choice == 0:
                v = float(f.rng.randrange(50, 450))
                f.probe(k, "platelets_g_l", f"{int(v * 1000)} /mm3", v, "unit /mm3")
            elif choice == 1:
                v = round(f.rng.uniform(1, 12), 1)
                f.probe(k, "leukocytes_g_l", f"{fmt_num(v, ',' if fr else '.')} 10^9/L", v, "unit 10^9/L")
            elif choice == 2:
                v = round(f.rng.uniform(1, 12), 1)
                f.probe(k, "neutrophils_g_l", f"{fmt_num(v, ',' if fr else '.')} G/L", v, "unit G/L")
            elif choice == 3:
                v = float(f.rng.randrange(60, 140))
                f.probe(k, "haemoglobin_g_dl", f"{int(v)} g/L", v / 10, "unit g/L")
            elif choice == 4 and fr:
                v = float(f.rng.randrange(10000, 90000))
                f.probe(k, "ferritin_ng_ml", f"{int(v) // 1000} {int(v) % 1000:03d}", v, "thousands space")
            elif choice == 5 and fr:
                v = float(f.rng.randrange(10000, 90000))
                f.probe(k, "ferritin_ng_ml", f"{int(v) // 1000}\u00a0{int(v) % 1000:03d}", v, "thousands nbsp")
            elif choice == 6:
                v = float(f.rng.randrange(1100, 9000))
                f.probe(k, "dm_ck_u_l", f"{v:.0f} UI/L", v, "unit UI/L")
            elif choice == 7:
                v = round(f.rng.uniform(1, 5), 2)
                f.probe(k, "triglycerides_mmol_l", f"{fmt_num(round(v * 88.57), ',' if fr else '.')} mg/dL",
                        round(v * 88.57) / 88.57, "unit mg/dL")
            elif choice == 8 and fr:
                v = f.rng.randrange(1, 40)
                f.probe(k, "crp_mg_l", f"<{v}", float(v), "comparator")
                f.defects.append({"record": k, "column": "crp_mg_l", "kind": "comparator '<' reported",
                                  "accept_value": None})
            elif choice == 9 and fr:
                f.probe(k, "fever", f.rng.choice(["OUI", "oui", " Oui ", "O"]), "1", "yes spelled")
            elif choice == 10:
                v = round(f.rng.uniform(38, 40.9), 1)
                f.probe(k, "max_temperature_c", f"{fmt_num(v, ',' if fr else '.')} °C", v, "unit °C")
            else:
                f.probe(k, "initials", "ØSTE", "OSTE", "transliterated initials")

    def row_defects(f, count):
        used = set()
        for _ in range(count):
            k = pick(f, used)
            used.add(k)
            r = f.records[k]
            choice = f.rng.randrange(5)
            if choice == 0:
                f.plant(k, "mas_date", "", "MAS date missing")
            elif choice == 1:
                f.plant(k, "mas_date", r["mas_date"].replace(year=2008).strftime(
                    "%d/%m/%Y" if f.style in ("fr",) else "%Y-%m-%d") if f.style != "xlsx"
                    else dt.datetime(2008, r["mas_date"].month, min(r["mas_date"].day, 28)),
                    "MAS outside inclusion window", accept_value=None)
                f.records[k]["_expect_mas_date"] = ("any", None)
            elif choice == 2:
                d = r["mas_date"] - dt.timedelta(days=10)
                r["death"] = "1"
                r["death_date"] = d
                f.plant(k, "death_date", d.strftime("%d/%m/%Y") if f.style == "fr" else
                        (d.isoformat() if f.style != "xlsx" else dt.datetime(d.year, d.month, d.day)),
                        "death before MAS")
                f.records[k]["_expect_death_date"] = ("any", None)
            elif choice == 3:
                d = r["birth_date"] - dt.timedelta(days=400)
                f.plant(k, "dm_diagnosis_date", d.strftime("%d/%m/%Y") if f.style == "fr" else
                        (d.isoformat() if f.style != "xlsx" else dt.datetime(d.year, d.month, d.day)),
                        "DM diagnosis before birth")
            else:
                # duplicate of another record (same initials, birth date, sex)
                j = pick(f, used | {k})
                used.add(j)
                first, second = sorted((j, k))
                for key in ("initials", "birth_date", "sex"):
                    f.records[second][key] = f.records[first][key]
                f.defects.append({"record": second, "column": "initials", "kind": "duplicate case",
                                  "accept_value": None})

    def formulas(f, count):
        used = set()
        texts = ['=HYPERLINK("http://exemple.fr/x","voir dossier")', "+1 jour d'hospitalisation",
                 "-2 g/dL en 24 h", "@SOMME(A1:A3)", "=1+1", "\tRAS", "+33 6 12 34 56 78"]
        for i in range(count):
            k = pick(f, used)
            used.add(k)
            f.probe(k, "comments", texts[i % len(texts)], texts[i % len(texts)].strip(), "formula in free text")

    # ---- the files --------------------------------------------------------------------------------------
    n_of = lambda: rng.randrange(18, 34)  # noqa: E731
    # clean controls
    for style in ("raw", "labels", "fr"):
        new(f"sam_clean_{style}.csv", style, n_of(), encoding="utf-8-sig" if style == "fr" else "utf-8")
    c = new("sam_clean_excel.xlsx", "xlsx", n_of())
    c.layout = "title"
    c.title_lines = ["Appel à observations DM-SAM — CHU"]

    styles = ["raw", "labels", "fr", "fr", "fr", "xlsx"]
    for i in range(14):  # plain cell-defect files in every style
        style = styles[i % len(styles)]
        enc = {"raw": "utf-8", "labels": "utf-8"}.get(style, rng.choice(["cp1252", "utf-8-sig", "utf-8"]))
        f = new(f"sam_cells_{i:02d}_{style}.{'xlsx' if style == 'xlsx' else 'csv'}", style, n_of(), encoding=enc)
        f.layout = rng.choice(["title", "copied_sheet", "second_sheet", "Feuil1"])
        if f.layout == "title":
            f.title_lines = ["Export DM-SAM", "Centre hospitalier — données au 31/03/2021"][: rng.randrange(1, 3)]
        cell_defects(f, rng.randrange(6, 12))
        value_probes(f, rng.randrange(3, 7))
    for i in range(8):  # row-level (exclusion) defects
        style = styles[i % len(styles)]
        f = new(f"sam_rows_{i:02d}_{style}.{'xlsx' if style == 'xlsx' else 'csv'}", style, n_of(),
                encoding="cp1252" if style == "fr" else "utf-8")
        f.layout = "Feuil1"
        row_defects(f, rng.randrange(3, 6))
    # structural CSV defects -------------------------------------------------------------------------------
    for i in range(5):
        f = new(f"sam_extra_field_{i}.csv", "fr", n_of(), encoding="cp1252")
        for k in {pick(f) for _ in range(rng.randrange(1, 3))}:
            f.row_kind[k] = "extra_field"
            f.records[k]["mas_trigger"]["infection"] = True
            f.records[k]["mas_infection_agent"] = "CMV; EBV"
            f._struct_col[k] = "mas_infection_agent"
            f.defects.append({"record": k, "column": None, "kind": "unquoted separator (one field too many)",
                              "accept_value": None})
    for i in range(5):
        f = new(f"sam_unbalanced_quote_{i}.csv", rng.choice(["fr", "raw"]), n_of(), encoding="utf-8")
        k = pick(f)
        f.row_kind[k] = "unbalanced_quote"
        f.records[k]["comments"] = '"grippe sévère'
        f._struct_col[k] = "comments"
        f.defects.append({"record": k, "column": None, "kind": "unbalanced quote", "accept_value": None})
    for i in range(4):
        f = new(f"sam_short_row_{i}.csv", rng.choice(["fr", "raw", "labels"]), n_of(), encoding="utf-8")
        k = pick(f)
        f.row_kind[k] = "short_row"
        f.defects.append({"record": k, "column": None, "kind": "row with too few fields", "accept_value": None})
    for i in range(4):
        f = new(f"sam_truncated_{i}.csv", rng.choice(["fr", "raw"]), n_of(), encoding="utf-8")
        k = len(f.records) - 1
        f.row_kind[k] = "truncated"
        # cut in the middle of the mas_date cell (a date that still looks like one: 03/02/20)
        cols = f.columns()
        cells = f.cells(k, cols)
        j = next(i for i, c in enumerate(cols) if c[2] == "mas_date")
        prefix = f.sep.join(csv_quote(str(s), f.sep) for s in cells[:j])
        f._trunc_at[k] = len(prefix) + 1 + (8 if f.style == "fr" else 7)
        f.defects.append({"record": k, "column": None, "kind": "truncated last line", "accept_value": None})
    for i in range(3):
        f = new(f"sam_blank_lines_{i}.csv", rng.choice(["fr", "raw", "labels"]), n_of(), encoding="utf-8-sig",
                crlf=bool(i % 2))
        for _ in range(rng.randrange(2, 5)):
            f.blank_before[rng.randrange(1, len(f.records))] += rng.randrange(1, 3)
        cell_defects(f, 3)
    for i in range(3):
        f = new(f"sam_title_line_{i}.csv", "fr", n_of(), encoding="cp1252")
        f.title_lines = ["Appel à observations DM compliquée de SAM;;;", "Extraction du 02/04/2021"][: i % 2 + 1]
        cell_defects(f, 3)
    for i in range(3):
        f = new(f"sam_trailing_sep_{i}.csv", "fr", n_of(), encoding="utf-8-sig")
        f.trailing_sep = True
        cell_defects(f, 3)
    for i in range(3):
        f = new(f"sam_multiline_{i}.csv", rng.choice(["fr", "raw"]), n_of(), encoding="utf-8")
        for k in {pick(f) for _ in range(3)}:
            text = "Transfert en réanimation.\nReprise à J10."
            f.probe(k, "comments", text, text, "quoted newline in free text")
        cell_defects(f, 3)
    for i in range(3):
        f = new(f"sam_mixed_encoding_{i}.csv", "fr", n_of(), encoding="utf-8")
        for k in range(len(f.records)):
            f.records[k]["mas_trigger"]["infection"] = True
            f.records[k]["mas_infection_agent"] = "Légionelle"
        k = pick(f)
        f.mixed_line = k
        f.mixed_direction = "cp_in_utf8" if i < 2 else "utf8_in_cp"
        f.records[k]["mas_infection_agent"] = "Méningocoque à Épernay"
        f.defects.append({"record": k, "column": None, "kind": "line in the other encoding", "accept_value": None})
        cell_defects(f, 2)
    for i in range(3):
        f = new(f"sam_formulas_{i}.csv", rng.choice(["fr", "raw"]), n_of(), encoding="utf-8")
        formulas(f, 6)
        k = pick(f)
        f.probe(k, "record_id", "+1" if i != 1 else "-2", "+1" if i != 1 else "-2", "record id looking like a formula")
    for i in range(2):
        f = new(f"sam_dup_header_{i}.csv", "fr", n_of(), encoding="utf-8")
        f.header_variant = "names"
        f.dup_columns = ["ferritin_ng_ml"]
        f.file_defects.append({"line": None, "field": "ferritin_ng_ml", "kind": "duplicate header"})
    for i in range(2):
        f = new(f"sam_missing_column_{i}.csv", "raw", n_of())
        f.drop_columns = {"ldh_u_l"}
        for r in f.records:
            r["ldh_u_l"] = None
        f.file_defects.append({"line": None, "field": "ldh_u_l", "kind": "column absent"})
    # Excel variants
    for i, layout in enumerate(["copied_sheet", "second_sheet", "title", "Feuil1", "title"]):
        f = new(f"sam_excel_{i}_{layout}.xlsx", "xlsx", n_of())
        f.layout = layout
        if layout == "title":
            f.title_lines = ["DM-SAM : fiches du centre"]
        if i in (3, 4):
            f.serial_dates = True   # General-format cells holding serial numbers
        cell_defects(f, 4)
        value_probes(f, 3)
        k = pick(f)
        f.probe(k, "comments", '=HYPERLINK("http://exemple.fr","dossier")', None, "formula cell in a workbook")
        f.records[k]["_expect_comments"] = ("any", None)
    for i in range(2):  # numbers as text with decimal comma in xlsx
        f = new(f"sam_excel_text_numbers_{i}.xlsx", "xlsx", n_of())
        f.layout = "Feuil1"
        for k in range(0, len(f.records), 2):
            v = f.records[k]["haemoglobin_g_dl"]
            f.probe(k, "haemoglobin_g_dl", fmt_num(v, ","), v, "number stored as text with comma")
        cell_defects(f, 2)

    # CSV serial dates (a column of Excel serials pasted into a CSV)
    f = new("sam_csv_serial_dates.csv", "fr", n_of(), encoding="utf-8")
    for k in range(0, len(f.records), 3):
        d = f.records[k]["last_followup_date"]
        f.plant(k, "last_followup_date", str((d - dt.date(1899, 12, 30)).days), "Excel serial date in a CSV",
                accept_value=d)

    # ambiguous thousands separator in a decimal-comma file
    f = new("sam_thousands_dot.csv", "fr", n_of(), encoding="utf-8")
    for k in range(0, len(f.records), 4):
        v = float(f.rng.randrange(10, 90)) * 1000 + f.rng.randrange(1, 999)
        f.plant(k, "ferritin_ng_ml", f"{int(v) // 1000}.{int(v) % 1000:03d}", "dot thousands in comma file",
                accept_value=v)

    # collision (same code, different sex)
    f = new("sam_collision.csv", "fr", n_of(), encoding="utf-8")
    for _ in range(2):
        a, b = sorted(f.rng.sample(range(len(f.records)), 2))
        f.records[b]["initials"] = f.records[a]["initials"]
        f.records[b]["birth_date"] = f.records[a]["birth_date"]
        f.records[a]["sex"], f.records[b]["sex"] = "F", "M"
        f.defects.append({"record": b, "column": "sex", "kind": "collision (same code, other sex)", "accept_value": None})


    # ---- more adversarial files (second round) -------------------------------------------------------------
    # header cells holding a line break (Alt+Enter in Excel, then "save as CSV"): the header spans 2 lines
    for i in range(2):
        f = new(f"sam_multiline_header_{i}.csv", "fr", n_of(), encoding="utf-8-sig")
        f.header_break = True
        cell_defects(f, 3)
    # two exports pasted one under the other: the header line repeated in the middle
    for i in range(2):
        f = new(f"sam_repeated_header_{i}.csv", rng.choice(["fr", "raw"]), n_of(), encoding="utf-8")
        f.repeat_header_before = len(f.records) // 2
    # lines of separators only (";;;;;") between records
    for i in range(2):
        f = new(f"sam_separator_lines_{i}.csv", "fr", n_of(), encoding="cp1252")
        f.separator_lines = {f.rng.randrange(1, len(f.records)) for _ in range(3)}
    # old Mac line ends (CR only)
    f = new("sam_cr_only.csv", "fr", n_of(), encoding="cp1252")
    f.cr_only = True
    cell_defects(f, 3)
    # tab-separated "CSV"
    f = new("sam_tabs.csv", "fr", n_of(), encoding="utf-8", sep="\t")
    cell_defects(f, 3)
    value_probes(f, 3)
    # REDCap raw export re-saved by a French Excel: ';' and decimal commas but raw codes
    f = new("sam_raw_resaved_excel.csv", "raw", n_of(), encoding="cp1252", sep=";")
    f.decimal = ","
    cell_defects(f, 3)
    # Excel as centres fill it
    for i in range(4):
        f = new(f"sam_excel_quirks_{i}.xlsx", "xlsx", n_of())
        f.layout = ["title", "Feuil1", "second_sheet", "copied_sheet"][i]
        if f.layout == "title":
            f.title_lines = ["Fiches DM-SAM", "Version 2"]
        used = set()
        for _ in range(6):
            k = pick(f, used)
            used.add(k)
            r = f.records[k]
            c = f.rng.randrange(7)
            if c == 0:
                f.plant(k, "ferritin_ng_ml", "#N/A", "Excel error value")
            elif c == 1:
                f.plant(k, "haemoglobin_g_dl", dt.datetime(2021, 5, 8), "number typed as a date by Excel (8.5)")
            elif c == 2:
                f.probe(k, "fever", f.rng.choice([True, False]), None, "boolean cell")
                f.records[k]["_expect_fever"] = ("value", "1" if f.overrides[k]["fever"] else "0")
            elif c == 3:
                d = r["last_followup_date"]
                f.probe(k, "last_followup_date", dt.datetime(d.year, d.month, d.day, 23, 59), d, "date cell with time")
            elif c == 4:
                f.probe(k, "record_id", int(r["record_id"]) + 100, str(int(r["record_id"]) + 100), "numeric record id")
            elif c == 5:
                f.plant(k, "crp_mg_l", "=B2/0", "formula without a stored value")
            else:
                f.plant(k, "platelets_g_l", "#DIV/0!", "Excel error value")
    # REDCap raw export with the "M/D/Y" date option
    f = new("sam_redcap_mdy.csv", "raw", n_of(), encoding="utf-8")
    f.date_order = "mdy"
    # a centre CSV with ISO dates and one French date in it
    f = new("sam_fr_iso_dates.csv", "fr", n_of(), encoding="utf-8")
    f.date_order = "iso"
    # a Mac workbook (1904 date system) with date cells
    f = new("sam_excel_1904.xlsx", "xlsx", n_of())
    f.layout = "Feuil1"
    f.epoch1904 = True


    # ---- third round -------------------------------------------------------------------------------------
    # Excel's "sep=;" hint line on top of a CSV
    f = new("sam_sep_hint.csv", "fr", n_of(), encoding="cp1252")
    f.title_lines = ["sep=;"]
    cell_defects(f, 3)
    # headers in capitals, with no-break spaces
    f = new("sam_header_case.csv", "fr", n_of(), encoding="utf-8")
    f.header_variant = "names"
    f.header_transform = lambda h: h.upper() + "\u00a0"
    cell_defects(f, 3)
    # two header rows (French labels, then variable names) in a workbook
    f = new("sam_excel_two_headers.xlsx", "xlsx", n_of())
    f.layout = "Feuil1"
    f.second_header = True
    # year alone typed in a date cell of a workbook, French month names in a CSV
    f = new("sam_excel_year_only.xlsx", "xlsx", n_of())
    f.layout = "Feuil1"
    for k in range(0, len(f.records), 4):
        f.plant(k, "birth_date", f.records[k]["birth_date"].year, "year alone in a date cell")
    f = new("sam_month_names.csv", "fr", n_of(), encoding="utf-8")
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    for k in range(0, len(f.records), 3):
        d = f.records[k]["dm_diagnosis_date"]
        f.probe(k, "dm_diagnosis_date", f"{d.day} {months[d.month - 1]} {d.year}", d, "French month name")
    # a 200,000-character comment
    f = new("sam_huge_comment.csv", "fr", n_of(), encoding="utf-8")
    k = pick(f)
    text = ("Évolution favorable sous étoposide; " * 6000)[:200000]
    f.probe(k, "comments", text, text.strip(), "200k-character cell")

    # one record number given to two different cases (a row copied and the patient changed)
    for i in range(2):
        f = new(f"sam_dup_record_id_{i}.csv", ["fr", "raw"][i], n_of(), encoding="utf-8")
        for _ in range(2):
            a, b = sorted(f.rng.sample([k for k in range(len(f.records)) if f.records[k]["record_id"]
                                        == str(k + 1)], 2))
            f.records[b]["record_id"] = f.records[a]["record_id"]
            f.defects.append({"record": b, "column": "record_id", "kind": "record number used twice",
                              "accept_value": None})

    # write SAM files
    manifest = []
    for f in files:
        if f.style == "xlsx":
            data, lines = f.render_xlsx(getattr(f, "layout", "Feuil1"))
        else:
            data, lines = f.render_csv()
        path = out / f.name
        path.write_bytes(data)
        rows = []
        for k, r in enumerate(f.records):
            exp = {}
            for col, v in expected_cells(r).items():
                e = r.get("_expect_" + col)
                if e:
                    exp[col] = {"missing": "__missing__", "value": jsonable(e[1]), "any": "__any__"}[e[0]] \
                        if e[0] != "value" else jsonable(e[1])
                else:
                    exp[col] = jsonable(v)
            if f.row_kind[k]:
                exp = {}  # an unreadable row: no value expected
            rows.append({"line": lines[k], "record_id": exp.get("record_id", r["record_id"]), "expected": exp,
                         "row_kind": f.row_kind[k]})
        defects = [{"line": lines[d["record"]], "field": d["column"], "kind": d["kind"],
                    "accept_value": d["accept_value"]} for d in f.defects] + f.file_defects
        extra = getattr(f, "extra_lines", {"R": [], "S": []})
        defects += [{"line": ln, "field": None, "kind": "second header row" if f.style == "xlsx" else
                     "header repeated inside the data", "accept_value": None} for ln in extra["R"]]
        manifest.append({"file": f.name, "kind": "sam", "style": f.style, "rows": rows, "defects": defects,
                         "expect_error": False, "ignorable_lines": extra["S"] + extra["R"]})
    # whole-file failures
    bad = {
        "sam_empty.csv": b"",
        "sam_bom_only.csv": b"\xef\xbb\xbf",
        "sam_blank_only.csv": b"\n\n  \n",
        "sam_binary.csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "sam_not_a_zip.xlsx": b"record_id;initials\n1;DUJE\n",
        "sam_pdf_named.xlsx": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "sam_truncated_zip.xlsx": (out / "sam_clean_excel.xlsx").read_bytes()[:700],
        "sam_xlsx_named_xls.xls": (out / "sam_clean_excel.xlsx").read_bytes(),
        "sam_utf16.csv": "record_id;initials;mas_date\n1;DUJE;24/04/2016\n".encode("utf-16"),
        "sam_header_only.csv": ";".join(c for _, _, c in table_columns("raw") if c).encode() + b"\n",
    }
    clean_rows = next(m["rows"] for m in manifest if m["file"] == "sam_clean_excel.xlsx")
    for name, data in bad.items():
        (out / name).write_bytes(data)
        rows = {"sam_xlsx_named_xls.xls": clean_rows,
                "sam_utf16.csv": [{"line": 2, "record_id": "1", "row_kind": None, "expected": {
                    "record_id": "1", "initials": "DUJE", "mas_date": {"date": "2016-04-24"}}}]}.get(name, [])
        expect = name not in ("sam_header_only.csv", "sam_utf16.csv", "sam_xlsx_named_xls.xls")
        manifest.append({"file": name, "kind": "sam", "style": "bad", "rows": rows, "defects":
                         [{"line": None, "field": None, "kind": "unreadable file"}] if expect else [],
                         "expect_error": expect,
                         "note": {"sam_utf16.csv": "UTF-16 export: read (1 row) or a named error",
                                  "sam_xlsx_named_xls.xls": "an .xlsx named .xls: read or a named error"}.get(name)})
    return manifest


# ----------------------------------------------------------------------------------------------- Mi2
MI2_P = [("id", "id", "N° patient"), ("group", "group", "Groupe"), ("sex", "sex", "Sexe"),
         ("onset_date", "date", "Date de début"), ("age_onset_years", "number", "Âge au début (ans)"),
         ("weakness_onset", "bool", "Faiblesse musculaire au début"),
         ("weakness_ever", "bool", "Faiblesse au cours du suivi"), ("ck_max_u_l", "number", "CK max (UI/L)"),
         ("ild", "bool", "PID"), ("calcinosis", "bool", "Calcinose"), ("fever", "bool", "Fièvre"),
         ("cancer", "bool", "Cancer"), ("gottron_papules", "bool", "Papules de Gottron"),
         ("heliotrope_rash", "bool", "Érythème héliotrope"), ("periungual_erythema", "bool", "Érythème péri-unguéal"),
         ("biopsy_necrosis", "bool", "Nécrose à la biopsie musculaire"),
         ("follow_up_years", "number", "Suivi (années)")]
MI2_V = [("id", "id", "N° patient"), ("months_since_onset", "number", "Mois depuis le début"),
         ("strength_kendall", "number", "Force (Kendall 0-10)"), ("ck_u_l", "number", "CK (UI/L)"),
         ("anti_mi2_titre_au", "number", "Titre anti-Mi2 (UA)")]
GROUP_TEXT = {"Mi2+ DM": ["Mi2+ DM", "DM Mi2+", "Mi2 pos DM"], "Mi2- DM": ["Mi2- DM", "DM Mi2-"],
              "ASyS": ["ASyS", "SAS"], "IMNM": ["IMNM", "MNAI"]}


def mi2_pair(rng, stem, style, n):
    fr = style in ("fr", "xlsx")
    pts, visits = [], []
    for k in range(n):
        g = rng.choice(list(GROUP_TEXT))
        p = {"id": f"P{k + 1:03d}", "group": g, "sex": rng.choice("FM"),
             "onset_date": rdate(rng, dt.date(2000, 1, 1), dt.date(2018, 1, 1)),
             "age_onset_years": float(rng.randrange(18, 80)), "ck_max_u_l": float(rng.randrange(50, 20000)),
             "follow_up_years": round(rng.uniform(0.5, 12), 1)}
        for name, kind, _ in MI2_P:
            if kind == "bool":
                p[name] = rng.random() < 0.4
        p["weakness_ever"] = p["weakness_ever"] or p["weakness_onset"]
        p["_text"] = {"group": rng.choice(GROUP_TEXT[g]), "sex": p["sex"] if not fr else {"F": "F", "M": "H"}[p["sex"]]}
        pts.append(p)
        m = 0.0
        for _ in range(rng.randrange(2, 6)):
            visits.append({"id": p["id"], "months_since_onset": m, "strength_kendall": float(rng.randrange(3, 11)),
                           "ck_u_l": float(rng.randrange(30, 9000)), "anti_mi2_titre_au": float(rng.randrange(5, 400))})
            m += rng.randrange(2, 14)
    return pts, visits


def mi2_render(rows, spec, style, rng, overrides, title=None, blanks=None, struct=None, trailing=False, dup=None):
    fr = style in ("fr", "xlsx")
    if dup:
        j = [s[0] for s in spec].index(dup)
        spec = list(spec[: j + 1]) + [spec[j]] + list(spec[j + 1:])
    sep = ";" if fr else ","
    dec = "," if fr else "."
    yes, no = ("Oui", "Non") if fr else ("yes", "no")
    header = [lab if fr else name for name, _, lab in spec]
    table = []
    for i, r in enumerate(rows):
        cells = []
        for name, kind, _ in spec:
            if name in overrides.get(i, {}):
                cells.append(overrides[i][name])
                continue
            v = r.get(name)
            if name in r.get("_text", {}):
                cells.append(r["_text"][name])
            elif v is None:
                cells.append("")
            elif kind == "bool":
                cells.append(yes if v else no)
            elif kind == "date":
                cells.append(v.strftime("%d/%m/%Y") if fr else v.isoformat())
            elif kind == "number":
                cells.append(fmt_num(v, dec))
            else:
                cells.append(str(v))
        table.append(cells)
    if style == "xlsx":
        from openpyxl import Workbook
        wb = Workbook()
        ws = wb.active
        ws.title = "Patients" if spec[1][0] == "group" else "Visites"
        if title:
            ws.append([title])
        ws.append(header)
        lines = {}
        for i, cells in enumerate(table):
            out = []
            for (name, kind, _), c in zip(spec, cells):
                if kind == "number" and isinstance(c, str) and c and i not in overrides:
                    try:
                        c = float(c.replace(",", "."))
                    except ValueError:
                        pass
                out.append(c)
            ws.append(out)
            lines[i] = ws.max_row
        bio = _io.BytesIO()
        wb.save(bio)
        return bio.getvalue(), lines
    text = ""
    lines = {}
    if title:
        text += title + "\n"
    text += sep.join(header) + (sep if trailing else "") + "\n"
    for i, cells in enumerate(table):
        for _ in range((blanks or {}).get(i, 0)):
            text += "\n"
        lines[i] = text.count("\n") + 1
        if struct and i in struct:
            kind, col = struct[i]
            j = [s[0] for s in spec].index(col)
            if kind == "extra_field":
                cells = cells[:j] + [cells[j] + sep + "x"] + cells[j + 1:]
                text += sep.join(cells) + "\n"
            elif kind == "unbalanced_quote":
                cells = cells[:j] + ['"' + cells[j]] + cells[j + 1:]
                text += sep.join(cells) + "\n"
            elif kind == "truncated":
                text += sep.join(cells)[: len(sep.join(cells[:j])) + 2]
            continue
        text += sep.join(csv_quote(c, sep) for c in cells) + (sep if trailing else "") + "\n"
    enc = "cp1252" if fr and rng.random() < 0.5 else "utf-8"
    return text.encode(enc), lines


def mi2_corpus(out: Path, seed: int):
    rng = random.Random(seed + 1)
    manifest = []
    variants = ["clean", "cells", "cells", "cells", "rows", "rows", "structure", "structure", "cells", "rows",
                "structure", "cells", "units", "units", "quirks", "xquirks", "quirks"]
    for i, variant in enumerate(variants):
        style = ["en", "fr", "xlsx"][i % 3]
        if variant == "quirks":
            style = "fr"
        if variant == "xquirks":
            style = "xlsx"
        if variant == "structure" and style == "xlsx":
            style = "fr"
        ext = "xlsx" if style == "xlsx" else "csv"
        prng = random.Random(rng.random())
        pts, visits = mi2_pair(prng, f"mi2_{i:02d}", style, prng.randrange(25, 45))
        po, vo = {}, {}
        pdef, vdef = [], []
        pexp = {i2: {} for i2 in range(len(pts))}
        vexp = {i2: {} for i2 in range(len(visits))}
        pblank, vblank, pstruct, vstruct = {}, {}, {}, {}
        title = "Cohorte Mi2 — extraction 2021" if (variant != "clean" and prng.random() < 0.4) else None
        fr = style != "en"
        dec = "," if fr else "."
        usedp, usedv = set(), set()

        def pk():
            while True:
                k = prng.randrange(len(pts))
                if k not in usedp:
                    usedp.add(k)
                    return k

        def vk():
            while True:
                k = prng.randrange(len(visits))
                if k not in usedv and visits[k]["id"] not in {pts[j]["id"] for j in usedp}:
                    usedv.add(k)
                    return k

        if variant in ("cells", "rows", "structure"):
            for _ in range(prng.randrange(4, 8)):
                k = pk()
                c = prng.randrange(10)
                if c == 0:
                    po.setdefault(k, {})["sex"] = "F?"; pdef.append((k, "sex", "uncertain sex")); pexp[k]["sex"] = None
                elif c == 1:
                    po.setdefault(k, {})["fever"] = "oui ?" if fr else "yes?"; pdef.append((k, "fever", "uncertain")); pexp[k]["fever"] = None
                elif c == 2:
                    po.setdefault(k, {})["age_onset_years"] = "130"; pdef.append((k, "age_onset_years", "out of range")); pexp[k]["age_onset_years"] = None
                elif c == 3:
                    po.setdefault(k, {})["ck_max_u_l"] = "1e999"; pdef.append((k, "ck_max_u_l", "overflow")); pexp[k]["ck_max_u_l"] = None
                elif c == 4:
                    po.setdefault(k, {})["ck_max_u_l"] = f"12{dec}5 mg"; pdef.append((k, "ck_max_u_l", "unknown unit")); pexp[k]["ck_max_u_l"] = None
                elif c == 5:
                    po.setdefault(k, {})["onset_date"] = "31/02/2010" if fr else "2010-02-31"; pdef.append((k, "onset_date", "impossible date")); pexp[k]["onset_date"] = None
                elif c == 6:
                    po.setdefault(k, {})["cancer"] = "peut-être"; pdef.append((k, "cancer", "not yes/no")); pexp[k]["cancer"] = None
                elif c == 7:
                    po.setdefault(k, {})["follow_up_years"] = "=A1+1"; pdef.append((k, "follow_up_years", "formula")); pexp[k]["follow_up_years"] = None
                elif c == 8:
                    po.setdefault(k, {})["ild"] = "?"; pdef.append((k, "ild", "question mark")); pexp[k]["ild"] = None
                else:
                    po.setdefault(k, {})["age_onset_years"] = "9" * 20000; pdef.append((k, "age_onset_years", "huge cell")); pexp[k]["age_onset_years"] = None
            for _ in range(prng.randrange(4, 8)):
                k = vk()
                c = prng.randrange(6)
                if c == 0:
                    vo.setdefault(k, {})["strength_kendall"] = "11"; vdef.append((k, "strength_kendall", "out of range")); vexp[k]["strength_kendall"] = None
                elif c == 1:
                    vo.setdefault(k, {})["anti_mi2_titre_au"] = "<10"; vdef.append((k, "anti_mi2_titre_au", "comparator")); vexp[k]["anti_mi2_titre_au"] = 10.0
                elif c == 2:
                    vo.setdefault(k, {})["anti_mi2_titre_au"] = "positif"; vdef.append((k, "anti_mi2_titre_au", "text")); vexp[k]["anti_mi2_titre_au"] = None
                elif c == 3:
                    vo.setdefault(k, {})["ck_u_l"] = "-200"; vdef.append((k, "ck_u_l", "negative")); vexp[k]["ck_u_l"] = None
                elif c == 4:
                    vo.setdefault(k, {})["strength_kendall"] = f"7{dec}5{dec}1"; vdef.append((k, "strength_kendall", "two decimal marks")); vexp[k]["strength_kendall"] = None
                else:
                    vo.setdefault(k, {})["ck_u_l"] = "+-3"; vdef.append((k, "ck_u_l", "garbled sign")); vexp[k]["ck_u_l"] = None
        if variant == "rows":
            for _ in range(prng.randrange(2, 4)):
                k = pk()
                c = prng.randrange(4)
                if c == 0:
                    po.setdefault(k, {})["group"] = "Myosite ?"; pdef.append((k, "group", "group not allowed")); pexp[k] = "excluded"
                elif c == 1:
                    po.setdefault(k, {})["group"] = ""; pdef.append((k, "group", "group missing")); pexp[k] = "excluded"
                elif c == 2:
                    po.setdefault(k, {})["id"] = ""; pdef.append((k, "id", "id missing")); pexp[k] = "excluded"
                else:
                    j = pk()
                    a, b = sorted((j, k))
                    pts[b]["_dup_of"] = pts[a]["id"]
                    po.setdefault(b, {})["id"] = pts[a]["id"]; pdef.append((b, "id", "duplicate id")); pexp[b] = "excluded"
            for _ in range(prng.randrange(2, 4)):
                k = vk()
                c = prng.randrange(3)
                if c == 0:
                    vo.setdefault(k, {})["id"] = "P999"; vdef.append((k, "id", "id not in patients")); vexp[k] = "excluded"
                elif c == 1:
                    vo.setdefault(k, {})["months_since_onset"] = ""; vdef.append((k, "months_since_onset", "time missing")); vexp[k] = "excluded"
                else:
                    vo.setdefault(k, {})["months_since_onset"] = "-3"; vdef.append((k, "months_since_onset", "negative time")); vexp[k] = "excluded"
        if variant == "structure":
            for _ in range(2):
                pblank[prng.randrange(1, len(pts))] = 1
                vblank[prng.randrange(1, len(visits))] = 2
            k = pk()
            pstruct[k] = ("extra_field", "sex"); pdef.append((k, None, "one field too many")); pexp[k] = "unread"
            k = vk()
            vstruct[k] = ("unbalanced_quote", "strength_kendall"); vdef.append((k, None, "unbalanced quote")); vexp[k] = "unread"
            k = len(visits) - 1
            usedv.add(k)
            vstruct[k] = ("truncated", "ck_u_l"); vdef.append((k, None, "truncated last line")); vexp[k] = "unread"
        if variant == "units":
            for k in range(0, len(pts), 3):
                v = pts[k]["age_onset_years"]
                po.setdefault(k, {})["age_onset_years"] = f"{int(v)} ans"; pexp[k]["age_onset_years"] = v
            for k in range(1, len(pts), 4):
                v = float(prng.randrange(10000, 90000))
                pts[k]["ck_max_u_l"] = v
                po.setdefault(k, {})["ck_max_u_l"] = (f"{int(v) // 1000} {int(v) % 1000:03d}" if fr else
                                                        f"{int(v) // 1000},{int(v) % 1000:03d}")
                pexp[k]["ck_max_u_l"] = v
            for k in range(0, len(visits), 5):
                v = visits[k]["ck_u_l"]
                vo.setdefault(k, {})["ck_u_l"] = f"{int(v)} UI/L"
        dup = None
        if variant in ("quirks", "xquirks"):
            for _ in range(6):
                k = pk()
                c = prng.randrange(6)
                if c == 0:
                    po.setdefault(k, {})["group"] = pts[k]["group"].lower(); pexp[k]["group"] = pts[k]["group"]
                elif c == 1:
                    po.setdefault(k, {})["sex"] = {"F": "Femme", "M": "Homme"}[pts[k]["sex"]]
                elif c == 2:
                    po.setdefault(k, {})["fever"] = "1" if pts[k]["fever"] else "0"
                elif c == 3 and variant == "xquirks":
                    po.setdefault(k, {})["ck_max_u_l"] = "=C2*2"; pdef.append((k, "ck_max_u_l", "formula, no stored value")); pexp[k]["ck_max_u_l"] = None
                elif c == 4 and variant == "xquirks":
                    po.setdefault(k, {})["follow_up_years"] = dt.datetime(2021, 3, 5); pdef.append((k, "follow_up_years", "number typed as date")); pexp[k]["follow_up_years"] = None
                elif c == 5 and variant == "xquirks":
                    po.setdefault(k, {})["age_onset_years"] = "#VALUE!"; pdef.append((k, "age_onset_years", "Excel error")); pexp[k]["age_onset_years"] = None
                else:
                    po.setdefault(k, {})["gottron_papules"] = "oui" if pts[k]["gottron_papules"] else "non"
            for _ in range(6):
                k = vk()
                c = prng.randrange(3)
                if c == 0:
                    v = visits[k]["strength_kendall"]
                    vo.setdefault(k, {})["strength_kendall"] = f"{int(v)}/10"; vdef.append((k, "strength_kendall", "score written x/10")); vexp[k]["strength_kendall"] = v
                elif c == 1:
                    v = visits[k]["months_since_onset"]
                    vo.setdefault(k, {})["months_since_onset"] = f"{int(v)} mois"
                else:
                    v = visits[k]["anti_mi2_titre_au"]
                    vo.setdefault(k, {})["anti_mi2_titre_au"] = f"{int(v)} UA"
            if variant == "quirks":
                dup = "ck_max_u_l"
        pdata, plines = mi2_render(pts, MI2_P, style, prng, po, title, pblank, pstruct, dup=dup)
        vdata, vlines = mi2_render(visits, MI2_V, style, prng, vo, None, vblank, vstruct,
                                   trailing=(variant == "structure" and fr))
        pname, vname = f"mi2_{i:02d}_{variant}_patients.{ext}", f"mi2_{i:02d}_{variant}_visits.{ext}"
        (out / pname).write_bytes(pdata)
        (out / vname).write_bytes(vdata)

        def rows_of(recs, lines, exp, spec):
            rows = []
            for k, r in enumerate(recs):
                e = exp[k]
                if isinstance(e, str):
                    rows.append({"line": lines[k], "record_id": r["id"], "status": e, "expected": {}})
                    continue
                values = {}
                for name, kind, _ in spec:
                    v = e.get(name, r.get(name))
                    values[name] = jsonable(v)
                rows.append({"line": lines[k], "record_id": r["id"], "status": "ok", "expected": values})
            return rows

        manifest.append({"file": pname, "pair": vname, "kind": "mi2_patients", "style": style,
                         "rows": rows_of(pts, plines, pexp, MI2_P),
                         "defects": [{"line": plines[k], "field": c, "kind": kd} for k, c, kd in pdef]
                         + ([{"line": None, "field": dup, "kind": "duplicate header"}] if dup else [])})
        manifest.append({"file": vname, "pair": pname, "kind": "mi2_visits", "style": style,
                         "rows": rows_of(visits, vlines, vexp, MI2_V),
                         "defects": [{"line": vlines[k], "field": c, "kind": kd} for k, c, kd in vdef]})
    bad = {"mi2_empty_patients.csv": b"", "mi2_binary_visits.csv": bytes(range(256)) * 8,
           "mi2_bom_only_patients.csv": b"\xef\xbb\xbf", "mi2_not_zip_patients.xlsx": b"id,group\nP1,IMNM\n"}
    for name, data in bad.items():
        (out / name).write_bytes(data)
        manifest.append({"file": name, "kind": "mi2_bad", "style": "bad", "rows": [],
                         "defects": [{"line": None, "field": None, "kind": "unreadable file"}], "expect_error": True})
    return manifest



FORMULA = ("=", "+", "-", "@", "\t", "\r")
PLAIN = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def formula_cells(path: Path) -> list[str]:
    bad = []
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                bad += [c for c in row if c.startswith(FORMULA) and not PLAIN.fullmatch(c)]
    elif path.suffix == ".xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    v = c.value
                    if c.data_type == "f":
                        bad.append("FORMULA-TYPED:" + str(v)[:40])
                    elif isinstance(v, str) and v.startswith(FORMULA) and not PLAIN.fullmatch(v):
                        bad.append(v[:40])
    return bad


def missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def same(parsed, expected) -> bool:
    if expected == "__any__":
        return True
    if expected == "__missing__":
        return missing(parsed)
    if expected is None:
        return missing(parsed) or parsed == "" or parsed is False and False
    if missing(parsed):
        return False
    if isinstance(expected, dict) and "date" in expected:
        try:
            return pd.Timestamp(parsed).date().isoformat() == expected["date"]
        except Exception:
            return False
    if isinstance(expected, bool):
        return bool(parsed) == expected
    if isinstance(expected, (int, float)):
        try:
            return math.isclose(float(parsed), float(expected), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str) and expected in ("0", "1") and isinstance(parsed, (bool, np.bool_)):
        return bool(parsed) == (expected == "1")
    return str(parsed).strip() == str(expected).strip()


def issue_index(issues: pd.DataFrame):
    at = defaultdict(set)   # line -> fields
    file_fields = set()
    for r in issues.itertuples(index=False):
        row = getattr(r, "row")
        field = getattr(r, "field")
        field = None if missing(field) else str(field)
        if missing(row):
            file_fields.add(field)
        else:
            at[int(row)].add(field)
    return at, file_fields


def run_sam_exports(cases, issues, out: Path) -> tuple[list, list]:
    """Every export the project writes for a SAM load; returns (written paths, raw exceptions)."""
    written, errors = [], []
    steps = []
    try:
        written.append(io.write_csv(issues, out / "validation_report.csv"))
    except Exception as exc:  # noqa: BLE001
        errors.append(("validation_report", repr(exc)[:200]))
    try:
        q = sam.queries.query_table(cases, issues)
        written += sam.queries.write_query_workbooks(q, out / "queries")
    except Exception as exc:  # noqa: BLE001
        errors.append(("queries", type(exc).__name__ + ": " + str(exc)[:200]))
    try:
        cohort = sam.pseudonymise(cases, b"k" * 32)
        written.append(sam.write_processed(cohort, out / "processed"))
        analysed = sam.analysed(cohort)
        if len(analysed):
            t1 = tables.summary_table(sam.table_one_data(analysed), title="T1")
            written += [p for p in tables.export(t1, out, "table1") if str(p).endswith(".csv")]
    except MyositisError as exc:
        errors.append(("processed/table1 (named)", type(exc).__name__ + ": " + str(exc)[:200]))
    except Exception as exc:  # noqa: BLE001
        errors.append(("processed/table1", type(exc).__name__ + ": " + str(exc)[:200] + " | " +
                       traceback.format_exc().splitlines()[-3][:200]))
    return written, errors


def measure_sam(entry, corpus: Path, tmp: Path, res):
    path = corpus / entry["file"]
    before = sha(path)
    t0 = time.perf_counter()
    outcome = {"file": entry["file"]}
    try:
        cases, issues = sam.load_crf(path)
    except MyositisError as exc:
        outcome["named_error"] = type(exc).__name__ + ": " + str(exc)[:160]
        cases = None
    except Exception as exc:  # noqa: BLE001
        outcome["raw_exception"] = type(exc).__name__ + ": " + str(exc)[:160]
        cases = None
    outcome["seconds"] = round(time.perf_counter() - t0, 3)
    res["raw_modified"] += sha(path) != before
    res["files"] += 1
    if "raw_exception" in outcome:
        res["raw_exceptions"].append(outcome)
    defects = entry["defects"]
    res["defects"] += len(defects)
    if cases is None:
        if entry.get("expect_error") and "named_error" in outcome:
            res["reported"] += len(defects)
        elif not entry.get("expect_error") and "named_error" in outcome and entry.get("note"):
            pass
        else:
            res["missed"] += [dict(d, file=entry["file"], why=outcome.get("raw_exception") or outcome.get("named_error")) for d in defects]
        res["rows_in"] += len(entry["rows"])
        if entry["rows"] and "named_error" in outcome:
            res["rows_in_rejected_files"] += len(entry["rows"])
        res["outcomes"].append(outcome)
        return
    if entry.get("expect_error"):
        res["missed"] += [dict(d, file=entry["file"], why=f"read as {len(cases)} rows, no named error")
                          for d in defects]
        res["spurious_rows"] += len(cases)
    at, file_fields = issue_index(issues)
    by_line = {int(r): i for i, r in enumerate(cases["source_row"])}
    res["rows_in"] += len(entry["rows"])
    res["rows_returned"] += len(cases)
    manifest_lines = {r["line"] for r in entry["rows"]}
    ignorable = set(entry.get("ignorable_lines", ()))
    rule_col = cases["exclusion_rule"] if "exclusion_rule" in cases else pd.Series([""] * len(cases))
    for r in entry["rows"]:
        if r["row_kind"] is None and r["line"] in by_line and rule_col.iloc[by_line[r["line"]]] == "unreadable line":
            res["valid_rows_unread"] += 1
            res["unread_detail"].append((entry["file"], r["line"]))
    res["non_data_lines_as_cases"] += sum(1 for line in by_line if line in ignorable)
    for line in by_line:
        if line not in manifest_lines and not (line in ignorable and line in at):
            res["spurious_rows"] += 1
            res["spurious_detail"].append((entry["file"], line))
    for r in entry["rows"]:
        line = r["line"]
        if line not in by_line:
            if line in at:
                res["rows_reported_not_returned"] += 1
            else:
                res["rows_lost"] += 1
                res["lost_detail"].append((entry["file"], line))
            continue
        i = by_line[line]
        rid = r["expected"].get("record_id", r["record_id"]) if r["expected"] else None
        if rid not in (None, "__missing__", "__any__") and not missing(cases.at[i, "record_id"]) \
                and not same(cases.at[i, "record_id"], rid):
            res["renumbered"] += 1
            res["renumbered_detail"].append((entry["file"], line, str(cases.at[i, "record_id"])[:20], rid))
        for col, exp in r["expected"].items():
            if col not in cases.columns:
                continue
            got = cases.at[i, col]
            if exp is None:
                ok = missing(got) or (isinstance(got, (bool, np.bool_)) and False)
            else:
                ok = same(got, exp)
            if col == "initials" and isinstance(exp, str) and exp not in ("__missing__", "__any__"):
                ok = same(got, re.sub(r"[^A-Z]", "", exp.upper())) or ok
            if not ok and not (at.get(line) and (col in at[line] or None in at[line])):
                res["silently_wrong"] += 1
                res["wrong_detail"].append((entry["file"], line, col, str(got)[:40], str(exp)[:40]))
    for d in defects:
        line, field = d["line"], d["field"]
        if line is None:
            hit = field in file_fields
        else:
            hit = line in at and (field is None or field in at[line])
            if not hit and d.get("accept_value") is not None and line in by_line:
                hit = same(cases.at[by_line[line], field], d["accept_value"])
        if hit:
            res["reported"] += 1
        else:
            res["missed"].append(dict(d, file=entry["file"], issues_at_line=sorted(map(str, at.get(line, ())))))
    if entry["style"] != "bad" and entry["file"].startswith("sam_clean"):
        res["clean_issues"] += len(issues)
        res["clean_detail"] += issues.astype(str).head(5).to_dict("records")
    out = tmp / entry["file"].replace(".", "_")
    written, errors = run_sam_exports(cases, issues, out)
    for what, err in errors:
        res["export_errors"].append((entry["file"], what, err))
    for p in written:
        bad = formula_cells(Path(p))
        res["formulas"] += len(bad)
        if bad:
            res["formula_detail"].append((entry["file"], Path(p).name, bad[:3]))
    res["outcomes"].append(outcome)


def measure_mi2(pentry, ventry, corpus: Path, tmp: Path, res):
    entries = [e for e in (pentry, ventry) if e]
    befores = {e["file"]: sha(corpus / e["file"]) for e in entries}
    vissues = {}
    for e in entries:
        res["files"] += 1
        kind = "patients" if e["kind"].endswith("patients") else "visits"
        try:
            vissues[e["file"]] = mi2.validate_cohort(corpus / e["file"], kind=kind)
        except MyositisError as exc:
            vissues[e["file"]] = None
            res["named_errors"].append((e["file"], type(exc).__name__))
        except Exception as exc:  # noqa: BLE001
            vissues[e["file"]] = None
            res["raw_exceptions"].append({"file": e["file"], "raw_exception": type(exc).__name__ + ": " + str(exc)[:160]})
    cohort = None
    if pentry and ventry:
        try:
            cohort = mi2.load_cohort(corpus / pentry["file"], corpus / ventry["file"])
        except MyositisError as exc:
            res["named_errors"].append((pentry["file"], "load_cohort " + type(exc).__name__ + ": " + str(exc)[:120]))
        except Exception as exc:  # noqa: BLE001
            res["raw_exceptions"].append({"file": pentry["file"], "raw_exception": "load_cohort " + type(exc).__name__
                                          + ": " + str(exc)[:160]})
    for e in entries:
        res["raw_modified"] += sha(corpus / e["file"]) != befores[e["file"]]
        iss = vissues[e["file"]]
        frames = [x for x in (iss,) if x is not None]
        if cohort is not None:
            frames.append(cohort.issues[cohort.issues["file"] == cohort.issues["file"].iloc[0]] if False else
                          cohort.issues[cohort.issues["file"].astype(str).str.endswith(e["file"])])
        allissues = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row", "field"])
        at, file_fields = issue_index(allissues)
        res["defects"] += len(e["defects"])
        for d in e["defects"]:
            if d["line"] is None and d.get("field"):
                hit = d["field"] in file_fields
            elif d["line"] is None:
                hit = (iss is not None and (iss["severity"] == "error").any()) or any(
                    n[0] == e["file"] for n in res["named_errors"])
            else:
                hit = d["line"] in at and (d["field"] is None or d["field"] in at[d["line"]])
            if hit:
                res["reported"] += 1
            else:
                res["missed"].append(dict(d, file=e["file"], issues_at_line=sorted(map(str, at.get(d["line"], ())))))
        if e["kind"] == "mi2_bad" or cohort is None:
            res["rows_in"] += len(e["rows"])
            if e["rows"]:
                res["rows_in_rejected_files"] += len(e["rows"])
            continue
        table = "patients" if e["kind"] == "mi2_patients" else "visits"
        excl = cohort.excluded[cohort.excluded["table"] == table]
        excl_rows = {int(r): x for r, x in zip(excl["row"], excl["id"])}
        analysed = cohort.patients if table == "patients" else cohort.visits
        res["rows_in"] += len(e["rows"])
        res["rows_returned"] += len(analysed) + len(excl)
        if table == "patients":
            keyed = {str(i): k for k, i in enumerate(analysed["id"])}
        else:
            keyed = {(str(i), float(m)): k for k, (i, m) in enumerate(zip(analysed["id"], analysed["months_since_onset"]))}
        manifest_lines = {r["line"] for r in e["rows"]}
        res["spurious_rows"] += sum(1 for line in excl_rows if line not in manifest_lines)
        for r in e["rows"]:
            line = r["line"]
            if r["status"] != "ok":
                if line in excl_rows:
                    if r["status"] == "excluded" and not missing(excl_rows[line]) and excl_rows[line] != r["record_id"] \
                            and not r["record_id"].startswith("P") is False:
                        pass
                elif line in at:
                    res["rows_reported_not_returned"] += 1
                else:
                    res["rows_lost"] += 1
                    res["lost_detail"].append((e["file"], line, r["status"]))
                continue
            key = r["record_id"] if table == "patients" else (r["record_id"], float(r["expected"]["months_since_onset"]))
            if line in excl_rows:
                if not missing(excl_rows[line]) and str(excl_rows[line]) != r["record_id"]:
                    res["renumbered"] += 1
                    res["renumbered_detail"].append((e["file"], line, str(excl_rows[line]), r["record_id"]))
                continue
            if key not in keyed:
                if line in at:
                    res["rows_reported_not_returned"] += 1
                else:
                    res["rows_lost"] += 1
                    res["lost_detail"].append((e["file"], line, "ok row not found"))
                continue
            k = keyed[key]
            for col, exp in r["expected"].items():
                if col not in analysed.columns:
                    continue
                got = analysed.iloc[k][col]
                ok = missing(got) if exp is None else same(got, exp)
                if not ok and not (at.get(line) and (col in at[line] or None in at[line])):
                    res["silently_wrong"] += 1
                    res["wrong_detail"].append((e["file"], line, col, str(got)[:40], str(exp)[:40]))
    if cohort is not None:
        out = tmp / (pentry["file"].replace(".", "_"))
        written = []
        try:
            written.append(io.write_csv(cohort.issues, out / "validation_report.csv"))
            t1 = tables.summary_table(mi2.table_one_data(cohort.patients), by="group",
                                      order={"group": list(mi2.GROUPS)}, overall=True, title="T1")
            written += [p for p in tables.export(t1, out, "table1") if str(p).endswith(".csv")]
        except Exception as exc:  # noqa: BLE001
            res["export_errors"].append((pentry["file"], "exports", type(exc).__name__ + ": " + str(exc)[:200]))
        for p in written:
            bad = formula_cells(Path(p))
            res["formulas"] += len(bad)
            if bad:
                res["formula_detail"].append((pentry["file"], Path(p).name, bad[:3]))


def new_res():
    return {"files": 0, "raw_exceptions": [], "named_errors": [], "rows_in": 0, "rows_returned": 0,
            "rows_in_rejected_files": 0, "rows_lost": 0, "lost_detail": [], "rows_reported_not_returned": 0,
            "renumbered": 0, "renumbered_detail": [], "spurious_rows": 0, "spurious_detail": [],
            "silently_wrong": 0, "wrong_detail": [], "defects": 0, "reported": 0, "missed": [],
            "formulas": 0, "formula_detail": [], "raw_modified": 0, "export_errors": [], "clean_issues": 0,
            "clean_detail": [], "outcomes": [], "valid_rows_unread": 0, "unread_detail": [],
            "non_data_lines_as_cases": 0}



def generate(out: Path, seed: int) -> list:
    out.mkdir(parents=True, exist_ok=True)
    manifest = sam_corpus(out, seed) + mi2_corpus(out, seed)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def measure(corpus: Path) -> dict:
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="ingestion_independent_"))
    t0 = time.perf_counter()
    res_sam, res_mi2 = new_res(), new_res()
    try:
        for e in manifest:
            if e["kind"] == "sam":
                measure_sam(e, corpus, tmp, res_sam)
        by_name = {e["file"]: e for e in manifest}
        for e in manifest:
            if e["kind"] == "mi2_patients":
                measure_mi2(e, by_name[e["pair"]], corpus, tmp, res_mi2)
        for e in manifest:
            if e["kind"] == "mi2_bad":
                measure_mi2(e if "patients" in e["file"] else None, None if "patients" in e["file"] else e,
                            corpus, tmp, res_mi2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for name, r in (("SAM", res_sam), ("Mi2", res_mi2)):
        summary[name] = {
            "files": r["files"], "raw exceptions": len(r["raw_exceptions"]), "rows in": r["rows_in"],
            "rows returned": r["rows_returned"],
            "rows in files rejected with a named error": r["rows_in_rejected_files"],
            "rows lost silently": r["rows_lost"], "rows reported (not returned)": r["rows_reported_not_returned"],
            "rows renumbered": r["renumbered"], "spurious rows": r["spurious_rows"],
            "valid rows not read (excluded as unreadable)": r["valid_rows_unread"],
            "header/separator lines returned as cases": r["non_data_lines_as_cases"],
            "silently wrong values": r["silently_wrong"],
            "defects reported at line+field": f"{r['reported']}/{r['defects']}",
            "unescaped formulas in exports": r["formulas"], "raw files modified": r["raw_modified"],
            "export raw exceptions": len(r["export_errors"]), "issues on clean controls": r["clean_issues"]}
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return {"summary": summary, "sam": res_sam, "mi2": res_mi2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--keep", help="write the corpus to this folder (kept)")
    ap.add_argument("--json", help="write every detail (misses, wrong values) to this JSON file")
    args = ap.parse_args(argv)
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="corpus_"))
    try:
        t0 = time.perf_counter()
        manifest = generate(out, args.seed)
        gen_s = time.perf_counter() - t0
        result = measure(out)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    n = {k: [m for m in manifest if m["kind"].startswith(k)] for k in ("sam", "mi2")}
    print(f"independent corpus (seed {args.seed}, generated in {gen_s:.1f} s): "
          f"SAM {len(n['sam'])} files, {sum(len(m['rows']) for m in n['sam'])} data rows, "
          f"{sum(len(m['defects']) for m in n['sam'])} planted defects; "
          f"Mi2 {len(n['mi2'])} files, {sum(len(m['rows']) for m in n['mi2'])} data rows, "
          f"{sum(len(m['defects']) for m in n['mi2'])} planted defects")
    s = result["summary"]
    rows = [k for k in s["SAM"]]
    width = max(map(len, rows))
    print(f"{'':{width}}  {'SAM load_crf':>14}  {'Mi2':>10}")
    for k in rows:
        print(f"{k:{width}}  {str(s['SAM'][k]):>14}  {str(s['Mi2'][k]):>10}")
    for name in ("SAM", "Mi2"):
        got, total = map(int, s[name]["defects reported at line+field"].split("/"))
        print(f"{name}: {100 * got / max(total, 1):.1f} % of planted defects reported at their line and field")
    print(f"measured in {s['seconds']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
