"""Answers to queries, applied on top of the raw exports: a corrections table and its audit trail.

The centre answers a query workbook (:mod:`myositis.sam.queries`) by filling *Valeur corrigée* (the corrected
value, written as in the export), *Commentaire*, *Répondu par* and *Date*. :func:`read_answers` turns the answered
workbooks into one corrections table; :func:`myositis.sam.load_crf` (``corrections=``) applies it to the cells it
has read, never to the file. A correction applies when the cell still holds the value the query showed; when the
centre has re-exported meanwhile and the cell changed, the correction is *stale*: reported, not applied. Every
correction gets one audit row (applied, stale, unchanged, not found) shown in the report.

Identifying fields are masked in the workbooks: a correction of an identifier is applied without comparing the old
value (the workbook never shows it), and the audit says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .. import crf as crf_module
from .. import io, paths
from ..exceptions import InputFileError
from .ingest import MASKED

#: The corrections table read from answered workbooks.
CORRECTION_COLUMNS = ["centre", "record_id", "field", "old_value", "new_value", "comment", "who", "when",
                      "answer_file", "query_id"]
#: The audit trail: one row per correction met in an export.
AUDIT_COLUMNS = ["centre", "record_id", "field", "old_value", "new_value", "who", "when", "answer_file",
                 "export_file", "status"]
#: Workbook headers (French) → corrections columns.
HEADERS = {"N° requête": "query_id", "Centre": "centre", "N° de fiche": "record_id", "Variable": "field",
           "Valeur reçue": "old_value", "Valeur corrigée": "new_value", "Commentaire": "comment",
           "Répondu par": "who", "Date": "when"}


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _received(text: str) -> str:
    """The value received as the export holds it: the workbook shows a formula-like value with the apostrophe
    :func:`myositis.io.neutralise_cell` put before it (``'=HYPERLINK(...)``), which is taken off again here."""
    if text.startswith("'") and io.neutralise_cell(text[1:]) == text:
        return text[1:]
    return text


def read_answers(files) -> pd.DataFrame:
    """The answered rows of query workbooks, as a corrections table.

    Parameters
    ----------
    files : path, list of paths, or "" / None (no answers yet: an empty table)
        Answered query workbooks (``.xlsx`` written by :func:`myositis.sam.queries.write_query_workbooks`), or a
        folder of them.

    Returns
    -------
    DataFrame
        Columns ``CORRECTION_COLUMNS``; one row per query with a corrected value or a comment (a comment alone
        confirms the value, nothing is changed). ``when`` is ISO (``yyyy-mm-dd``) when the date was typed as a
        date.

    Raises
    ------
    InputFileError
        A file is not a query workbook (no sheet *Requêtes* or a header missing).
    """
    from openpyxl import load_workbook

    if files is None or (isinstance(files, str) and not files.strip()):
        return pd.DataFrame(columns=CORRECTION_COLUMNS)   # no answers yet
    if not isinstance(files, (list, tuple)):
        folder = paths.resolve(files)
        files = sorted(folder.glob("*.xlsx")) if folder.is_dir() else [folder]
    rows = []
    for f in files:
        f = paths.resolve(f)
        try:
            wb = load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:   # openpyxl raises several unrelated types for a non-workbook
            raise InputFileError(f"{f.name}: not an Excel workbook ({exc})") from None
        if "Requêtes" not in wb.sheetnames:
            raise InputFileError(f"{f.name}: no sheet 'Requêtes': not a query workbook")
        values = list(wb["Requêtes"].iter_rows(values_only=True))
        wb.close()
        header = [_text(h) for h in values[0]] if values else []
        missing = [h for h in HEADERS if h not in header]
        if missing:
            raise InputFileError(f"{f.name}: sheet 'Requêtes' lacks the column(s) {', '.join(missing)}")
        index = {HEADERS[h]: header.index(h) for h in HEADERS}
        for line in values[1:]:
            r = {k: _text(line[i]) if i < len(line) else "" for k, i in index.items()}
            if r["new_value"] or r["comment"]:
                rows.append({**r, "old_value": _received(r["old_value"]), "answer_file": f.name})
    return pd.DataFrame(rows, columns=CORRECTION_COLUMNS)


def apply_to_cells(raw: pd.DataFrame, file_name: str, crf, corrections: pd.DataFrame):
    """Apply corrections to the cells of one export as read (a copy; the file is untouched).

    A correction matches a row of this export by centre and record number (``record_id``) and a column by the
    CRF name (or a header that maps to it). It is applied when the cell still holds ``old_value`` (compared as
    text, spaces trimmed), reported ``stale`` otherwise; ``unchanged`` when only a comment was given.

    Returns
    -------
    cells : DataFrame
        The corrected copy of ``raw``.
    audit : DataFrame
        ``AUDIT_COLUMNS``, one row per correction matched in this export.
    """
    cells = raw.copy()
    audit = []
    if corrections is None or corrections.empty or raw.empty:
        return cells, pd.DataFrame(audit, columns=AUDIT_COLUMNS)
    header_map = crf.header_map()
    names = set(crf.columns)
    column_of = {}
    for col in raw.columns:
        target = col if col in names else header_map.get(crf_module.normalise(col))
        if target and target not in column_of:
            column_of[target] = col
    if "record_id" not in column_of:
        return cells, pd.DataFrame(audit, columns=AUDIT_COLUMNS)
    centre_field = crf.field("centre")
    centres = [crf_module.resolve_centre(centre_field, str(c))[0] if str(c).strip() else None
               for c in raw[column_of["centre"]]] if "centre" in column_of else [None] * len(raw)
    known = [c for c in centres if c]
    file_centre = max(set(known), key=known.count) if known else None
    record_ids = [str(v).strip() for v in raw[column_of["record_id"]]]
    for _, c in corrections.iterrows():
        rows = [i for i, (rid, cen) in enumerate(zip(record_ids, centres))
                if rid == str(c["record_id"]).strip() and (cen or file_centre) == c["centre"]]
        if not rows:
            continue
        base = {k: c[k] for k in ("centre", "record_id", "field", "old_value", "new_value", "who", "when",
                                  "answer_file")} | {"export_file": file_name}
        column = column_of.get(c["field"])
        if column is None:
            audit.append(base | {"status": "not applied: the export has no such column"})
            continue
        for i in rows:
            current = str(cells.iat[i, cells.columns.get_loc(column)]).strip()
            if not c["new_value"]:
                audit.append(base | {"status": "unchanged: value confirmed (comment only)"})
            elif c["old_value"] == MASKED or current == c["old_value"].strip():
                cells.iat[i, cells.columns.get_loc(column)] = c["new_value"]
                note = " (identifier: old value not compared)" if c["old_value"] == MASKED else ""
                audit.append(base | {"status": "applied" + note})
            else:
                shown = MASKED if crf_module.normalise(c["field"]) in {crf_module.normalise(n) for n in
                                                                     crf.names(identifier=True)} else current
                audit.append(base | {"status": f"stale: not applied (the export now holds '{shown}')"})
    return cells, pd.DataFrame(audit, columns=AUDIT_COLUMNS)


def unmatched(corrections: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """Corrections that matched no row of any export (wrong record number or centre): to report."""
    if corrections is None or corrections.empty:
        return pd.DataFrame(columns=CORRECTION_COLUMNS)
    seen = set(zip(audit["centre"], audit["record_id"], audit["field"])) if len(audit) else set()
    mask = [(c, r, f) not in seen for c, r, f in zip(corrections["centre"], corrections["record_id"],
                                                    corrections["field"])]
    return corrections[mask].reset_index(drop=True)


def audit_trail(cases: pd.DataFrame) -> pd.DataFrame:
    """The corrections audit of a loaded series (``AUDIT_COLUMNS``; empty when no corrections were given)."""
    audit = cases.attrs.get("corrections")
    return audit if audit is not None else pd.DataFrame(columns=AUDIT_COLUMNS)


def raw_unchanged(files_before: dict, files=None) -> bool:
    """True when every file still has the SHA-256 recorded before (``{path: sha256}``)."""
    from .centres import sha256

    return all(sha256(Path(p)) == h for p, h in files_before.items())
