"""The sentences of the SAM (MAS) case-series report that depend on the data, written from the run's results.

Static Markdown in the notebook keeps the question, the methods and how to read each output; the description of
the export, the findings, the conclusion and the limits are generated here from the run's own tables, so that a
report on a real export never carries the wording of the synthetic demonstration. Every function returns
Markdown; the notebook shows it with ``IPython.display.Markdown``.
"""

from __future__ import annotations

import pandas as pd

from .provenance import Provenance


def _n(flow: pd.DataFrame, step: str) -> int:
    return int(flow.loc[flow["step"] == step, "n"].iloc[0]) if (flow["step"] == step).any() else 0


def data_text(prov: Provenance, cases: pd.DataFrame, flow: pd.DataFrame) -> str:
    """**Data.** What was read (format, rows, centres) and how many cases are analysed, from the flow table."""
    received, valid, analysed = _n(flow, "received"), _n(flow, "valid"), _n(flow, "analysed")
    centres = cases["centre"].dropna().nunique() if "centre" in cases else 0
    unknown = int(cases["centre"].isna().sum()) if "centre" in cases else 0
    where = f"{centres} centre{'s' if centres != 1 else ''}" + (
        f" ({unknown} row{'s' if unknown != 1 else ''} without a recognised centre)" if unknown else "")
    unread = cases.attrs.get("unreadable") or []
    counts = (f"{received} rows received from {where}, {valid} valid cases, "
              f"{analysed} analysed (MAS diagnosed within the inclusion window); each exclusion is listed below "
              "with its reason.")
    if unread:
        counts += (f" **{len(unread)} export file{'s' if len(unread) != 1 else ''} could not be read** ("
                   + ", ".join(f"`{u['file']}`" for u in unread) + "): none of its cases are counted; see the "
                   "issue table.")
    if prov.synthetic:
        return ("**Data.** The bundled **synthetic** series, written like a French centre's export (`;`, decimal "
                "comma, dd/mm/yyyy, units in some cells) by `myositis.sam.synthetic_series` with a fixed seed: "
                f"{counts} **No patient's data; no number below is a published or observed result.**\n")
    fmt = cases.attrs.get("format", "")
    files = " and ".join(f"`{i.name}`" for i in prov.inputs)
    return (f"**Data.** {prov.label.capitalize()}: {files}" + (f" (read as {fmt})" if fmt else "") +
            f", SHA-256 in the box above. {counts} Identifiers are pseudonymised before anything is written.\n")


def _pct(k: int, n: int) -> str:
    return f"{k} of {n} ({100 * k / n:.0f} %)" if n else "none known"


def findings_text(prov: Provenance, analysed: pd.DataFrame, outcomes: pd.DataFrame, antibodies: pd.DataFrame,
                  survival_at: pd.DataFrame, case_scores: pd.DataFrame | None = None) -> str:
    """**Findings.** Antibodies, scores, outcomes and survival at the landmarks, with their denominators."""
    n = len(analysed)
    parts = []
    if n == 0:
        return "**Findings.** No case could be analysed: see the validation report and the exclusions.\n"
    ab = antibodies[antibodies["n"] > 0].sort_values("n", ascending=False, kind="stable")
    if len(ab):
        parts.append("Antibodies (of the patients with a result): " + ", ".join(
            f"{r.choice} {_pct(int(r.n), int(r.answered))}" for r in ab.head(4).itertuples()) + ".")
    if case_scores is not None and len(case_scores):
        met = case_scores["hlh2004_fulfilled"]
        parts.append(f"HLH-2004 criteria fulfilled in {int((met == True).sum())} of {n} cases, not in "  # noqa: E712
                     f"{int((met == False).sum())}, undetermined (missing items) in {int(met.isna().sum())}.")  # noqa: E712
    for r in outcomes.itertuples():
        parts.append(f"{str(r.feature)[:1].upper() + str(r.feature)[1:]}: {_pct(int(r.n), int(r.known))}" + (f", unknown for {int(r.missing)}"
                                                                         if int(r.missing) else "") + ".")
    for r in survival_at.itertuples():
        parts.append(f"Survival at {r.time:g} months from MAS diagnosis: {100 * r.survival:.0f} % "
                     f"(95 % CI {100 * r.lower:.0f} to {100 * r.upper:.0f} %; {int(r.n_risk)} still at risk).")
    lead = "**Findings** (on made-up data: they show the method, not a result):" if prov.synthetic else "**Findings.**"
    return lead + "\n\n" + "\n".join(f"- {p}" for p in parts) + "\n"


def conclusion_text(prov: Provenance, analysed: pd.DataFrame, survival_at: pd.DataFrame) -> str:
    """**Conclusion.** What this series shows, in plain words, and what it cannot support."""
    n = len(analysed)
    if prov.synthetic:
        return ("**Conclusion.** On this **synthetic** series the notebook shows the whole path a real export will "
                "take: ingestion with a validation report, exclusions listed with their reasons, pseudonymisation "
                "before anything is written, the description of the DM and of the MAS, the treatment lines, the "
                "response to the first line and survival from MAS onset. The numbers themselves are made up and "
                "must not be quoted.\n")
    if n == 0:
        return "**Conclusion.** No case could be analysed in this export.\n"
    early = survival_at.sort_values("time").head(1)
    surv = (f"; {100 * early['survival'].iloc[0]:.0f} % were alive {early['time'].iloc[0]:g} months after the MAS "
            f"diagnosis (95 % CI {100 * early['lower'].iloc[0]:.0f} to {100 * early['upper'].iloc[0]:.0f} %)"
            if len(early) else "")
    return (f"**Conclusion.** This series describes {n} case{'s' if n != 1 else ''} of MAS complicating DM{surv}. "
            "It describes who these patients are, how MAS presented and which treatments were used in what order; "
            "it cannot compare treatments or identify risk factors (see the limits).\n")


def limits_text(prov: Provenance, analysed: pd.DataFrame, issues: pd.DataFrame) -> str:
    """**Limits.** Those of a case series, and those of this export: size, missing answers, warnings."""
    n = len(analysed)
    items = []
    if prov.synthetic:
        items.append("The data are synthetic: they say nothing about patients.")
    items.append(f"{n} case{'s' if n != 1 else ''}: every percentage has a wide confidence interval; "
                 "comparisons of treatments are not supported (few patients per regimen, regimens chosen by severity, "
                 "retrospective response assessment).")
    warnings = int((issues["severity"] == "warning").sum()) if len(issues) else 0
    if warnings:
        items.append(f"{warnings} cell{'s were' if warnings != 1 else ' was'} set missing or flagged "
                     "(validation report): missing data are counted in every table, never imputed.")
    items += ["No DM patients without MAS: risk factors for MAS cannot be studied.",
              "MAS scores with missing laboratory items are ranges; the 2016 EULAR/ACR/PRINTO criteria, built for "
              "systemic JIA, are only a reference in adult DM."]
    return "**Limits.**\n\n" + "\n".join(f"- {i}" for i in items) + "\n"


def key_results(cases: pd.DataFrame, analysed: pd.DataFrame, survival_at: pd.DataFrame,
                queries: pd.DataFrame | None = None) -> dict:
    """The run's key figures, one value per name, for :func:`myositis.results.record` (sweep tables).

    Parameters
    ----------
    cases : DataFrame
        Every row read (:func:`myositis.sam.load_crf`).
    analysed : DataFrame
        The analysed cases (:func:`myositis.sam.analysed`).
    survival_at : DataFrame
        Kaplan-Meier survival at the landmarks (:func:`myositis.survival.survival_at`, time in months).
    queries : DataFrame, optional
        The query table (:func:`myositis.sam.queries.query_table`).

    Returns
    -------
    dict
        ``cases_read``, ``cases_valid``, ``cases_analysed``, ``deaths``, ``deaths_known`` (death answered),
        ``mortality_percent`` with its exact 95 % CI (``mortality_ci_low``/``_high``, Clopper-Pearson),
        ``survival_<t>m`` with ``_low``/``_high`` for each landmark (``None`` beyond the last follow-up),
        ``median_age_at_mas``, ``anti_mda5_percent`` (of those tested), ``median_ferritin_ng_ml``,
        ``icu_percent`` (of those answered) and ``queries``. Values are plain numbers or ``None``.
    """
    from .sam import ingest, literature

    flow = ingest.inclusion_flow(cases)
    row = literature.series_row(analysed)

    def num(v):
        return None if v is None or pd.isna(v) else float(v)

    out = {"cases_read": _n(flow, "received"), "cases_valid": _n(flow, "valid"),
           "cases_analysed": _n(flow, "analysed"), "deaths": int(row["deaths"]),
           "deaths_known": int(row["deaths known"]), "mortality_percent": num(row["mortality %"]),
           "mortality_ci_low": num(row["95 % CI low"]), "mortality_ci_high": num(row["95 % CI high"])}
    for _, s in survival_at.iterrows():
        name = f"survival_{float(s['time']):g}m"
        out.update({name: num(s["survival"]), f"{name}_low": num(s["lower"]), f"{name}_high": num(s["upper"])})
    out.update({"median_age_at_mas": num(row["median age (years)"]), "anti_mda5_percent": num(row["anti-MDA5 %"]),
                "median_ferritin_ng_ml": num(row["ferritin (ng/mL)"]), "icu_percent": num(row["ICU %"])})
    if queries is not None:
        out["queries"] = int(len(queries))
    return out
