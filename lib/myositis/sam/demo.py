"""The SYNTHETIC multicentre demo: three centres' exports of invented cases, each in another real format.

From :func:`myositis.sam.synthetic_series` (invented cases, French cells), three exports as centres send them:

* ``REI``: a REDCap *raw* export (codes, ``yyyy-mm-dd``, ``.`` decimals, one ``<form>_complete`` column per form);
* ``NCY``: a REDCap *label* export (French labels as headers and answers, ``Checked``/``Unchecked``);
* ``NTE``: the French CSV of a centre without REDCap (``;``, decimal comma, ``dd/mm/yyyy``, units in cells,
  UTF-8 with BOM).

Planted problems (so that queries, corrections and the dashboard have something to show): the synthetic
series' MAS before the inclusion window and the patient sent by two centres (here REI and NCY); in REI a
haemoglobin of 45 g/dL (out of range); in NCY a missing MAS date and a last follow-up before the MAS; in NTE a
centre written "NAN" (Nancy or Nantes?), a ferritin "12 5OO" (letter O) and a ferritin in an unknown unit.
No patient's data: every case is invented; the centre codes are the CRF's list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
from pathlib import Path

import pandas as pd

from .. import crf as crf_module
from .. import io, paths
from .ingest import _choice_lookup
from .synthetic import SYNTHETIC_SEED, synthetic_series

#: Centre → (format, file name) of the demo exports; the date in the names is the export date.
DEMO_EXPORTS = {"REI": ("redcap_raw", "sam_synthetic_REI_2021-03-31_redcap_raw.csv"),
                "NCY": ("redcap_labels", "sam_synthetic_NCY_2021-04-02_redcap_labels.csv"),
                "NTE": ("french_csv", "sam_synthetic_NTE_2021-03-29.csv")}
DEMO_DIR = "data/raw/sam_multicentre_synthetic"


def _number(field, text: str) -> str:
    try:
        n = io.parse_number(text, ",")
    except ValueError:
        return text                      # planted unreadable values stay as typed
    if n is None:
        return ""
    try:
        value = field.to_stored_unit(n.value, n.unit or "")
    except KeyError:
        return text                      # an unknown unit stays as typed
    return f"{value:.10g}"


def _redcap_cells(row: dict, crf, labels: bool) -> dict:
    """One case's French cells as REDCap writes them (raw codes, or French labels when ``labels``)."""
    out = {}
    for f in crf.fields:
        if f.type == "checkbox":
            for col in f.columns:
                ticked = crf_module.normalise(row.get(col, "")) in ("oui", "1", "checked", "yes")
                out[col] = ("Checked" if ticked else "Unchecked") if labels else ("1" if ticked else "0")
            continue
        text = str(row.get(f.name, "")).strip()
        if f.name == "centre":
            out[f.name] = text
        elif f.type in ("radio", "dropdown"):
            code = _choice_lookup(f).get(crf_module.normalise(text), "") if text else ""
            if not code and f.is_yes_no and text:
                code = {"oui": "1", "non": "0"}.get(crf_module.normalise(text), "")
            out[f.name] = next((fr for c, fr, _ in f.choices if c == code), "") if labels else code
        elif f.type == "date":
            try:
                d = io.parse_date(text)
            except ValueError:
                d = None
            out[f.name] = d.isoformat() if d else text
        elif f.type in ("number", "integer"):
            out[f.name] = _number(f, text)
        else:
            out[f.name] = text
    return out


def _with_complete_columns(df: pd.DataFrame, crf, labels: bool) -> pd.DataFrame:
    cols = []
    for form, _, _ in crf.forms:
        cols += [c for f in crf.fields if f.form == form for c in f.columns]
        name = "Complete?" if labels else f"{form}_complete"
        df[name if not labels else f"{name}__{form}"] = "Complete" if labels else "2"
        cols.append(name if not labels else f"{name}__{form}")
    return df[cols]


def _csv_bytes(df: pd.DataFrame, header: list, sep: str, bom: bool, newline: str) -> bytes:
    buffer = _io.StringIO()
    w = csv.writer(buffer, delimiter=sep, lineterminator=newline)
    w.writerow(header)
    w.writerows(df.itertuples(index=False, name=None))
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def demo_exports(seed: int = SYNTHETIC_SEED + 1, n: int = 36) -> dict[str, bytes]:
    """The three demo exports' bytes by file name (see the module docstring)."""
    crf = crf_module.load()
    series = synthetic_series(n, seed, crf)
    rows = series.to_dict("records")
    base, dup = rows[:-1], rows[-1]
    parts = {"REI": base[:12], "NCY": base[12:24] + [dup], "NTE": base[24:]}
    for centre, part in parts.items():
        for r in part:
            r["centre"] = centre
    dup["record_id"] = "13"                                   # NCY's own numbering
    parts["REI"][2]["haemoglobin_g_dl"] = "45"                # out of range
    parts["NCY"][3]["mas_date"] = ""                          # MAS date missing
    parts["NCY"][5]["last_followup_date"] = "01/01/2010"      # before the MAS
    parts["NTE"][1]["centre"] = "NAN"                         # Nancy or Nantes?
    parts["NTE"][2]["ferritin_ng_ml"] = "12 5OO"              # letter O
    parts["NTE"][4]["ferritin_ng_ml"] = "3200 mmol/L"         # unknown unit
    out = {}
    for centre, (fmt, name) in DEMO_EXPORTS.items():
        part = parts[centre]
        for k, r in enumerate(part, start=1):
            r["record_id"] = str(k)
        if fmt == "french_csv":
            df = pd.DataFrame(part, columns=crf.columns)
            out[name] = _csv_bytes(df, list(df.columns), ";", True, "\r\n")
            continue
        labels = fmt == "redcap_labels"
        df = _with_complete_columns(pd.DataFrame([_redcap_cells(r, crf, labels) for r in part]), crf, labels)
        out[name] = _csv_bytes(df, redcap_header(df.columns, crf, labels), ",", False, "\n")
    return out


def redcap_header(columns, crf, labels: bool) -> list[str]:
    """The header line REDCap writes: variable names (raw export) or field labels (label export), where a
    checkbox column is "<label> (choice=<choice label>)" and every form's status column "Complete?"."""
    header = []
    for col in columns:
        if labels and col.startswith("Complete?__"):
            header.append("Complete?")
        elif labels:
            f = next(f for f in crf.fields if col in f.columns)
            header.append(f.redcap_label if f.type != "checkbox"
                          else f"{f.label_fr} (choice={f.choices[f.columns.index(col)][1]})")
        else:
            header.append(col)
    return header


def write_demo_exports(out_dir=DEMO_DIR, seed: int = SYNTHETIC_SEED + 1) -> list[Path]:
    """Write the demo exports into ``out_dir`` (the bundled copy: ``data/raw/sam_multicentre_synthetic/``)."""
    out = paths.resolve(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in demo_exports(seed).items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
