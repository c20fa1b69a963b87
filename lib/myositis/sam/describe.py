"""The derived tables of the case-series notebook, computed on the pseudonymised table: antibody profile, counts of
answers, laboratory summaries, treatment lines and their response, follow-up and survival data, Table 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import crf as crf_module
from ..units import DAYS_PER_MONTH
from .ingest import _no, _yes

RESPONSES = {"1": "complete", "2": "partial", "3": "none", "9": "not evaluable"}
DRUGS = {"gc": "GC", "mp_pulse": "MP pulses", "ivig": "IVIG", "etoposide": "etoposide", "anakinra": "anakinra",
         "csa": "ciclosporin", "tac": "tacrolimus", "jaki": "JAK inhibitor", "tcz": "tocilizumab",
         "rtx": "rituximab", "cyc": "cyclophosphamide", "pex": "plasma exchange", "other": "other"}
#: Antibody profile of a patient: the first positive myositis-specific antibody in this order.
ANTIBODY_ORDER = ("mda5", "sae", "tif1g", "nxp2", "mi2", "ars", "srp", "hmgcr")
ANTIBODY_LABELS = {"mda5": "anti-MDA5", "sae": "anti-SAE", "tif1g": "anti-TIF1γ", "nxp2": "anti-NXP2",
                   "mi2": "anti-Mi2", "ars": "antisynthetase", "srp": "anti-SRP", "hmgcr": "anti-HMGCR",
                   "ro52": "anti-Ro52", "pmscl": "anti-PM-Scl", "ku": "anti-Ku", "other": "other", "none": "none"}


def analysed(pseudonymised: pd.DataFrame) -> pd.DataFrame:
    """The cases kept for analysis (``excluded == ""``)."""
    return pseudonymised[pseudonymised["excluded"] == ""].reset_index(drop=True)


def antibody_profile(p: pd.DataFrame) -> pd.Series:
    """One antibody label per patient: the first positive myositis-specific antibody (``ANTIBODY_ORDER``),
    ``"none found"`` when tested without a positive one, ``"not tested / unknown"`` when the test is answered no
    or no result is given (unticked REDCap boxes export as 0, so they alone do not mean "tested negative")."""
    out = []
    for _, row in p.iterrows():
        hits = [a for a in ANTIBODY_ORDER if _yes(row.get(f"dm_antibodies___{a}"))]
        tested = row.get("dm_antibodies_tested")
        if hits:
            out.append(ANTIBODY_LABELS[hits[0]])
        elif _no(tested):
            out.append("not tested / unknown")
        elif _yes(tested) or any(_no(row.get(f"dm_antibodies___{a}")) for a in ANTIBODY_ORDER):
            out.append("none found")
        else:
            out.append("not tested / unknown")
    return pd.Series(out, index=p.index, name="antibody")


def checkbox_counts(p: pd.DataFrame, field: str, labels: dict | None = None) -> pd.DataFrame:
    """How many patients have each choice of a checkbox question, over patients who answered it.

    Parameters
    ----------
    labels : dict, optional
        Choice code → label (default: the CRF's English labels).

    Returns
    -------
    DataFrame
        ``choice``, ``n``, ``answered`` (patients with at least one box ticked), ``percent`` of answered; a
        patient with no box ticked counts as not answered (an unticked CRF question is not a "no").
    """
    cols = [c for c in p.columns if c.startswith(f"{field}___")]
    block = p[cols]
    answered = block.notna().any(axis=1) & block.fillna(False).astype(bool).any(axis=1)
    n_answered = int(answered.sum())
    rows = []
    for c in cols:
        code = c.split("___", 1)[1]
        n = int(block.loc[answered, c].fillna(False).astype(bool).sum())
        if labels is None:
            labels = {c: en for c, _, en in crf_module.load().field(field).choices}
        rows.append({"choice": labels.get(code, code), "n": n, "answered": n_answered,
                     "percent": round(100 * n / n_answered, 1) if n_answered else np.nan})
    return pd.DataFrame(rows)


def yes_no_counts(p: pd.DataFrame, fields: dict) -> pd.DataFrame:
    """For yes/no fields ``{column: label}``: ``n`` yes, ``known`` (answered), ``percent`` of known, ``missing``."""
    rows = []
    for col, label in fields.items():
        s = p[col]
        known = int(s.notna().sum())
        yes = int((s == True).sum())  # noqa: E712 (nullable booleans)
        rows.append({"feature": label, "n": yes, "known": known,
                     "percent": round(100 * yes / known, 1) if known else np.nan, "missing": len(s) - known})
    return pd.DataFrame(rows)


def lab_summary(p: pd.DataFrame, fields: dict) -> pd.DataFrame:
    """Median [IQR] and range of numeric fields ``{column: label}``, with the number known and missing."""
    rows = []
    for col, label in fields.items():
        s = pd.to_numeric(p[col], errors="coerce").dropna()
        q = s.quantile([0.25, 0.5, 0.75]) if len(s) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
        rows.append({"variable": label, "known": len(s), "missing": len(p) - len(s), "median": q[0.5],
                     "q1": q[0.25], "q3": q[0.75], "min": s.min() if len(s) else np.nan,
                     "max": s.max() if len(s) else np.nan})
    return pd.DataFrame(rows)


def regimen(row, line: int) -> str:
    """The drugs of one treatment line in words, glucocorticoids first: ``"MP pulses + IVIG"``; ``""`` if none."""
    drugs = [code for code in DRUGS if _yes(row.get(f"line{line}_drugs___{code}"))]
    if "mp_pulse" in drugs and "gc" in drugs:
        drugs.remove("gc")  # pulses are followed by oral glucocorticoids: one word for both
    return " + ".join(DRUGS[d] for d in drugs)


def treatment_lines(p: pd.DataFrame, lines: int = 4) -> pd.DataFrame:
    """Treatment lines in long format: one row per patient and line given.

    Returns
    -------
    DataFrame
        ``pseudonym``, ``line``, ``regimen``, ``start_day`` (from MAS onset), ``end_day`` (next line's start or
        the end of follow-up), ``response`` (complete, partial, none, not evaluable, unknown).
    """
    rows = []
    end = follow_up_days(p)
    for i, row in p.iterrows():
        given = [(k, regimen(row, k)) for k in range(1, lines + 1)]
        given = [(k, r) for k, r in given if r or pd.notna(row.get(f"line{k}_start_day"))]
        for j, (k, r) in enumerate(given):
            start = row.get(f"line{k}_start_day")
            nxt = row.get(f"line{given[j + 1][0]}_start_day") if j + 1 < len(given) else end[i]
            rows.append({"pseudonym": row["pseudonym"], "line": k, "regimen": r or "not stated",
                         "start_day": start, "end_day": nxt,
                         "response": RESPONSES.get(row.get(f"line{k}_response"), "unknown")})
    out = pd.DataFrame(rows, columns=["pseudonym", "line", "regimen", "start_day", "end_day", "response"])
    for c in ("start_day", "end_day"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def follow_up_days(p: pd.DataFrame) -> pd.Series:
    """Days from MAS onset to death (when dated) or last follow-up; NaN when unknown."""
    death = pd.to_numeric(p["death_day"], errors="coerce").astype(float)
    last = pd.to_numeric(p["last_followup_day"], errors="coerce").astype(float)
    died = p["death"].fillna(False).astype(bool)
    return pd.Series(np.where(died, death, np.fmax(last, death)), index=p.index, name="follow_up_days")


def survival_data(p: pd.DataFrame) -> pd.DataFrame:
    """Time from MAS onset to death in months (event 1) or to last follow-up (event 0).

    Returns
    -------
    DataFrame
        ``pseudonym``, ``antibody``, ``time_months``, ``event``; patients whose time is unknown (death without
        date, no follow-up date) are left out and counted in ``attrs["unknown"]``.
    """
    if p.empty:  # no analysable case: an empty table, not a length error
        result = pd.DataFrame({"pseudonym": [], "antibody": [], "time_months": [], "event": []})
        result = result.astype({"time_months": float, "event": int})
        result.attrs["unknown"] = 0
        return result
    days = follow_up_days(p)
    out = pd.DataFrame({"pseudonym": p["pseudonym"], "antibody": antibody_profile(p),
                        "time_months": days / DAYS_PER_MONTH,
                        "event": p["death"].fillna(False).astype(bool).astype(int)})
    known = out["time_months"].notna()
    result = out[known].reset_index(drop=True)
    result.attrs["unknown"] = int((~known).sum())
    return result


def first_line_response(p: pd.DataFrame) -> pd.DataFrame:
    """Response to the first line of treatment of MAS, by regimen (patients in rows, counts by response).

    Returns
    -------
    DataFrame
        Index ``regimen``; columns ``n``, ``complete``, ``partial``, ``none``, ``not evaluable``, ``unknown``,
        ``complete or partial``; sorted by n then regimen.
    """
    lines = treatment_lines(p)
    first = lines.sort_values(["pseudonym", "line"]).groupby("pseudonym", sort=False).head(1)
    order = list(RESPONSES.values()) + ["unknown"]
    table = pd.crosstab(first["regimen"], first["response"]).reindex(columns=order, fill_value=0)
    table.insert(0, "n", table.sum(axis=1))
    table["complete or partial"] = table["complete"] + table["partial"]
    table.columns.name = None
    return table.reset_index().sort_values(["n", "regimen"], ascending=[False, True]).set_index("regimen")


def response_by_line(lines: pd.DataFrame) -> pd.DataFrame:
    """Patients by treatment line and response, responses in the CRF's order (complete, partial, none, not
    evaluable, then unknown), with a ``total`` column and row.

    Parameters
    ----------
    lines : DataFrame
        :func:`treatment_lines`.

    Returns
    -------
    DataFrame
        Index ``line`` (1, 2, ... then ``total``); one column per response that occurs, then ``total``.
    """
    order = [r for r in list(RESPONSES.values()) + ["unknown"] if r in set(lines["response"])]
    table = pd.crosstab(lines["line"], lines["response"]).reindex(columns=order, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name, table.columns.name = "line", None
    return table


def outcomes(p: pd.DataFrame) -> pd.DataFrame:
    """ICU admission, relapse and death: yes / known / missing."""
    return yes_no_counts(p, {"icu": "ICU admission", "relapse": "MAS relapse", "death": "death"})


def table_one_data(p: pd.DataFrame) -> pd.DataFrame:
    """The patient characteristics of Table 1 as labelled columns, missing answers written ``"not reported"``.

    tableone counts a missing categorical value as a level of its own; writing it as ``"not reported"`` makes
    that level explicit instead of an unnamed ``None`` row.
    """
    crf = crf_module.load()
    yes_no = {True: "yes", False: "no"}

    def choice(field):
        labels = {code: en.lower() for code, _, en in crf.field(field).choices}
        return p[field].map(labels).fillna("not reported")

    def flag(column):
        return p[column].map(yes_no).fillna("not reported")

    return pd.DataFrame({
        "age at MAS (years)": pd.to_numeric(p["age_at_mas_years"], errors="coerce"),
        "sex": choice("sex"), "department": choice("department"), "DM subtype": choice("dm_subtype"),
        "antibody": antibody_profile(p), "ILD": flag("dm_ild"), "rapidly progressive ILD": flag("dm_ild_rapid"),
        "cancer": flag("dm_cancer"),
        "DM diagnosis to MAS (days)": -pd.to_numeric(p["dm_diagnosis_day"], errors="coerce").astype(float),
        "CK (U/L)": pd.to_numeric(p["dm_ck_u_l"], errors="coerce")})
