"""Many centre exports, one series: read a folder (or list) of CRF exports, tag each case with its file, and find
the same patient sent by two centres or sent again by one centre in a later export.

The call for cases (seed 001) is a national, six-month, multicentre collection: each centre sends its export
(REDCap raw or label format, the Excel template or its own French CSV), possibly several times as cases are
added or corrected. Each file is read by :func:`myositis.sam.load_crf` on its own (formats may differ), then:

* **a case sent again by the same centre** in a later export (same initials and birth date, same centre, another
  file) is the same case, updated: the row of the latest export is kept, the earlier one excluded as
  ``duplicate`` ("resent by the same centre");
* **a case sent by two centres** (same initials and birth date, different centres) is kept once, as within one
  file: the first row not excluded for another reason, in file order.

Exports are taken in the order of their file names: name them so that they sort by date (the date in a name,
``..._2021-03-31...``, is also read as the export date, :func:`export_date`).

References
----------
Walls B, Gusdorf L, Viguier M. Appel à observations : dermatomyosite compliquée de syndrome d'activation
macrophagique. CHU de Reims (seed 001): multicentre collection, recognition code.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .. import crf as crf_module
from .. import io, manifest, paths
from ..exceptions import InputFileError
from ..validation import Issue, issues_frame
from .ingest import EXCLUSIONS, MASKED

#: Rule of the issue row of an export that cannot be read (the other exports of the collection are read).
UNREADABLE = ("unreadable export: file not read (none of its cases are in the series); ask the centre to export "
              "it again (CSV or .xlsx) and replace the file")

#: File suffixes read as exports in a folder.
EXPORT_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def export_files(source) -> list[Path]:
    """The export files of a folder (sorted by name) or of a list (in the order given)."""
    if isinstance(source, (list, tuple)):
        files = [paths.resolve(p) for p in source]
    else:
        folder = paths.resolve(source)
        if not folder.is_dir():
            return [folder]
        files = sorted((p for p in folder.iterdir() if p.suffix.lower() in EXPORT_SUFFIXES
                        and not p.name.startswith((".", "~$"))), key=lambda p: p.name)
    if not files:
        raise InputFileError(f"{source}: no export (.csv, .xlsx) found")
    return files


def export_date(path) -> dt.date | None:
    """The date written in an export's file name (``yyyy-mm-dd``), or None."""
    m = _DATE_IN_NAME.search(Path(path).name)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def sha256(path) -> str:
    """SHA-256 of a file's bytes (raw exports are checked before and after reading: never modified)."""
    return manifest.sha256(Path(path))


def load_exports(source, crf=None, corrections=None, require: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every centre export of a folder (or list) into one series.

    Parameters
    ----------
    source : str, Path or list
        A folder of exports (read in file-name order) or a list of export files, in any format
        :func:`~myositis.sam.load_crf` reads.
    crf : myositis.crf.CRF, optional
    corrections : DataFrame, optional
        Answered queries (:func:`myositis.sam.corrections.read_answers`) applied on top of the raw files.
    require : bool
        Passed to :func:`~myositis.sam.load_crf` for each file (stop when a required column is absent).

    Returns
    -------
    cases : DataFrame
        The rows of every file, in file order, with ``source_file`` and ``source_row``; duplicates across files
        excluded (``exclusion_rule`` ``duplicate``). ``cases.attrs``: ``files`` (one dict per export: file,
        format, rows, sha256, export date), ``corrections`` (the audit table, when corrections were given).
    issues : DataFrame
        Every file's issues, plus one per cross-file duplicate, plus one per unreadable export (row 1, rule
        :data:`UNREADABLE`).

    Raises
    ------
    InputFileError
        A file is missing; a single export is not readable; no export of several is readable; or a raw file
        changed while it was read.

    Notes
    -----
    In a collection of several exports, one file that cannot be read as a table (empty, binary, a damaged
    workbook: :class:`~myositis.exceptions.InputFileError`) does not stop the series: it becomes a file-level
    issue (row 1, what to do), is listed in ``cases.attrs["unreadable"]`` (file, reason) and in ``files`` with
    ``rows`` 0 and format ``"unreadable"``, and is counted by :func:`~myositis.sam.inclusion_flow` and the
    dashboard; the other files are read.
    """
    from .ingest import load_crf

    crf = crf or crf_module.load()
    files = export_files(source)
    frames, issue_tables, described, audits, unreadable = [], [], [], [], []
    for order, path in enumerate(files):
        before = sha256(path)
        try:
            cases, issues = load_crf(path, crf, corrections=corrections, require=require)
        except InputFileError as error:
            if len(files) == 1:
                raise
            unreadable.append({"file": Path(path).name, "reason": str(error)})
            issue_tables.append(issues_frame([Issue(Path(path).name, 1, None, str(error), UNREADABLE)]))
            described.append({"file": Path(path).name, "format": "unreadable", "rows": 0, "sha256": before,
                              "export_date": export_date(path)})
            continue
        if sha256(path) != before:   # pragma: no cover (load_crf only reads)
            raise InputFileError(f"{paths.relative(path)} changed while it was read")
        cases = cases.assign(_file_order=order)
        frames.append(cases)
        issue_tables.append(issues)
        described.append({"file": cases.attrs.get("file", path.name), "format": cases.attrs.get("format", ""),
                          "rows": len(cases), "sha256": before, "export_date": export_date(path)})
        if "corrections" in cases.attrs:
            audits.append(cases.attrs["corrections"])
    if not frames:
        raise InputFileError(f"{source}: no export could be read ({len(files)} file(s)): " + "; ".join(
            u["reason"] for u in unreadable))
    cases = pd.concat(frames, ignore_index=True)
    extra: list[Issue] = []
    _cross_file_duplicates(cases, extra)
    issues = pd.concat(issue_tables + [issues_frame(extra)], ignore_index=True)
    cases = cases.drop(columns="_file_order")
    read = [d for d in described if d["format"] != "unreadable"]
    cases.attrs = {"format": "; ".join(sorted({d["format"] for d in read})), "files": described,
                   "file": ", ".join(d["file"] for d in read), "unreadable": unreadable}
    if corrections is not None:
        from .corrections import AUDIT_COLUMNS
        cases.attrs["corrections"] = (pd.concat(audits, ignore_index=True) if audits
                                      else pd.DataFrame(columns=AUDIT_COLUMNS))
    return cases, issues


def _cross_file_duplicates(cases: pd.DataFrame, issues: list) -> None:
    """Mark the same patient found in two files: first a centre's earlier exports (its latest is kept), then the
    remaining rows of different centres (the first row not excluded for another reason is kept)."""
    eligible = cases[cases["initials"].notna() & cases["birth_date"].notna()
                     & ~cases["exclusion_rule"].isin(["empty row", "duplicate"])]

    rank = {rule: k for k, rule in enumerate(EXCLUSIONS)}

    def exclude(r, keep, how):
        where = f"{cases.at[keep, 'source_file']} row {cases.at[keep, 'source_row']}"
        issues.append(Issue(cases.at[r, "source_file"], int(cases.at[r, "source_row"]), "initials", MASKED,
                            f"duplicate recognition code of {where} ({how})", "error"))
        # the first reason in EXCLUSIONS' order stays the case's reason, as within one file (impossible dates
        # before duplicate; duplicate before outside the inclusion window)
        current = cases.at[r, "exclusion_rule"]
        if not current or rank[current] > rank["duplicate"]:
            cases.at[r, "exclusion_rule"] = "duplicate"
            cases.at[r, "excluded"] = f"duplicate of {where} (same initials and birth date; {how})"

    # only a patient found in two files or more can be a duplicate across files (their groups keep their order)
    files = eligible.groupby(["initials", "birth_date"], sort=False)["source_file"].transform("nunique")
    for _, group in eligible[files >= 2].groupby(["initials", "birth_date"], sort=False):
        survivors = []
        for centre, same in group.groupby(group["centre"].fillna(""), sort=False):
            rows = list(same.index)
            if centre and same["source_file"].nunique() > 1:
                keep = max(rows, key=lambda r: (cases.at[r, "_file_order"], -r))   # that centre's latest export
                for r in rows:
                    if r != keep and cases.at[r, "source_file"] != cases.at[keep, "source_file"]:
                        exclude(r, keep, "resent by the same centre: the latest export is kept")
                survivors.append(keep)
            else:
                survivors.extend(rows)
        if len({cases.at[r, "source_file"] for r in survivors}) < 2:
            continue
        survivors.sort(key=lambda r: (cases.at[r, "_file_order"], r))
        keep = next((r for r in survivors if cases.at[r, "exclusion_rule"] == ""), survivors[0])
        for r in survivors:
            if r != keep and cases.at[r, "source_file"] != cases.at[keep, "source_file"]:
                exclude(r, keep, "sent by another centre")


def file_centres(cases: pd.DataFrame) -> pd.Series:
    """The centre of each export file: the centre most of its rows give (None when none is readable)."""
    out = {}
    for name, group in cases.groupby("source_file", sort=False):
        counts = group["centre"].dropna().value_counts()
        out[name] = counts.index[0] if len(counts) else None
    return pd.Series(out, name="centre")
