"""The collection dashboard: per centre, what was received, what can be analysed, what is still asked, and the
collection calendar (start, three-month reminder, closing date) computed from the parameters.

The call for cases (seed 001) runs six months; a reminder with the closing date goes out at three months.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .. import crf as crf_module
from ..exceptions import ParamsError
from .ingest import INVALID


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days: 31 Aug + 6 → 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def calendar(start, months: int = 6, reminder_months: int = 3) -> pd.DataFrame:
    """Collection start, reminder and closing dates.

    Parameters
    ----------
    start : date or ISO str
        First day of the collection.
    months : int
        Length of the collection (6 in the call).
    reminder_months : int
        When the reminder (with the closing date) goes out (3 in the call).

    Returns
    -------
    DataFrame
        ``step`` (start, reminder, closing), ``date``.
    """
    if not isinstance(start, dt.date):
        try:
            start = dt.date.fromisoformat(str(start))
        except ValueError:
            raise ParamsError(f"collection_start {start!r} is not a date written YYYY-MM-DD (e.g. 2021-01-15)") from None
    if not 0 < reminder_months < months:
        raise ParamsError(f"the reminder ({reminder_months} months) must fall inside the collection ({months} months)")
    return pd.DataFrame({"step": ["start", "reminder", "closing"],
                         "date": [start, add_months(start, reminder_months), add_months(start, months)]})


def completeness(cases: pd.DataFrame, crf=None) -> pd.DataFrame:
    """Share of answered questions per centre and CRF section, among cases not excluded as invalid.

    Only questions asked of every case count (no branching, no free text, not the record number): a line-2
    dose asked only when line 2 exists would otherwise look missing. A checkbox counts as answered when any of
    its boxes is readable.
    """
    crf = crf or crf_module.load()
    kept = cases[~cases["exclusion_rule"].isin(INVALID)]
    out = {}
    for form, label, _ in crf.forms:
        fields = [f for f in crf.fields if f.form == form and not f.branching and not f.free_text
                  and f.name != "record_id"]
        if not fields:
            continue
        answered = pd.DataFrame({f.name: (kept[f.columns].notna().any(axis=1) if f.type == "checkbox"
                                          else kept[f.name].notna()) for f in fields})
        out[label] = answered.mean(axis=1).groupby(kept["centre"].fillna("?")).mean()
    return pd.DataFrame(out).rename_axis("centre")


def dashboard(cases: pd.DataFrame, queries: pd.DataFrame | None = None, answers: pd.DataFrame | None = None,
              crf=None) -> pd.DataFrame:
    """One row per centre: exports, last export date, cases received / valid / analysed, queries open / answered,
    completeness per CRF section (%).

    Parameters
    ----------
    cases : DataFrame
        From :func:`myositis.sam.load_crf` on a folder of exports (``cases.attrs["files"]`` gives export dates).
    queries : DataFrame, optional
        The current queries (:func:`myositis.sam.queries.query_table`); all are open unless answered.
    answers : DataFrame, optional
        The answers read back (:func:`myositis.sam.corrections.read_answers`).
    """
    crf = crf or crf_module.load()
    centre = cases["centre"].fillna("?")
    rule = cases["exclusion_rule"]
    files = {d["file"]: d for d in cases.attrs.get("files", [])}
    by_file_centre = cases.groupby("source_file")["centre"].agg(lambda s: s.dropna().mode().iat[0]
                                                                if s.notna().any() else "?")
    table = pd.DataFrame({
        "exports": cases.groupby(centre)["source_file"].nunique(),
        "received": centre.value_counts(),
        "valid": centre[~rule.isin(INVALID)].value_counts(),
        "analysed": centre[rule == ""].value_counts(),
    }).fillna(0).astype(int)
    last = {}
    for f, c in by_file_centre.items():
        d = files.get(f, {}).get("export_date")
        if d is not None and (c not in last or d > last[c]):
            last[c] = d
    table["last_export"] = [last.get(c) for c in table.index]
    answered = set()
    if answers is not None and len(answers):
        answered = set(zip(answers["centre"], answers["record_id"], answers["field"]))
        table["queries_answered"] = answers.groupby("centre").size().reindex(table.index).fillna(0).astype(int)
    else:
        table["queries_answered"] = 0
    if queries is not None and len(queries):
        still = [(c, r, f) not in answered for c, r, f in zip(queries["Centre"], queries["N° de fiche"],
                                                               queries["Variable"])]
        table["queries_open"] = (queries[still].groupby(queries["Centre"].replace("", "?")).size()
                                 .reindex(table.index).fillna(0).astype(int))
    else:
        table["queries_open"] = 0
    unread = cases.attrs.get("unreadable") or []
    if unread:  # an export not read: counted under the centre whose code its file name carries, else "?"
        listed = [c[0] for f in crf.fields if f.name == "centre" for c in (f.choices or ())]
        codes = [str(c) for c in table.index] + [c for c in listed if c not in table.index]
        column = pd.Series(0, index=table.index, dtype=int)
        for u in unread:
            tokens = set(re.split(r"[^A-Za-z0-9]+", u["file"].upper()))
            owner = next((c for c in codes if c.upper() in tokens), "?")
            if owner not in column.index:
                column[owner] = 0
                table.loc[owner] = 0
                table.loc[owner, "last_export"] = None
            column[owner] += 1
        table["exports"] = table["exports"].add(column.reindex(table.index).fillna(0).astype(int))
        table["unreadable_exports"] = column.reindex(table.index).fillna(0).astype(int)
    complete = (completeness(cases, crf) * 100).round(0)
    table = table.join(complete.add_prefix("complete % "), how="left")
    return table.rename_axis("centre").reset_index()
