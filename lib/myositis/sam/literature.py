"""The series beside the literature: one table of the series and the published MAS/HLH populations (n, age,
anti-MDA5 share, ferritin, treatments, ICU, mortality with its exact 95 % CI), flags on populations that are not
comparable, and a generated sentence on where the series differs beyond chance.

Published figures come from ``data/raw/published/sam.yaml`` (``comparison:`` rows pointing at facts, each fact
with its ``source`` and ``verified`` flag). A published mortality is turned into a count of deaths only when one
whole count out of n reproduces the percentage as printed; otherwise the figure is shown without a count and
compared with the series' confidence interval only. Populations that may share patients (Liang 2020 and Zhu
2024: the same hospital, overlapping years) are never pooled: each is compared with the series on its own.

References
----------
Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial.
Biometrika 1934;26:404-413 (exact binomial interval). Fisher RA. Statistical Methods for Research Workers, 1925
(exact test of a 2 x 2 table). Publications: see ``data/raw/published/sam.yaml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import published
from ..exceptions import FactNotFoundError
from ..units import DAYS_PER_MONTH
from .describe import antibody_profile

#: Flags that make a population not comparable with an adult DM-MAS series (shown, never tested).
NOT_COMPARABLE = ("juvenile", "other diseases (DM 6.9 %)")


def exact_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact confidence interval of a proportion k/n, in percent.

    R: ``binom.test(k, n)$conf.int * 100``. ``(nan, nan)`` when n is 0.
    """
    if n <= 0:
        return (np.nan, np.nan)
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else stats.beta.ppf(a, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(1 - a, k + 1, n - k)
    return (100 * lo, 100 * hi)


def whole_count(percent: float, n: int) -> int | None:
    """The one count k of n whose percentage, rounded as printed (one decimal, or none for a whole figure),
    gives ``percent``; None when no count or several do (e.g. 50 % of 12 → 6; 12.9 % of 116 → 15)."""
    decimals = 0 if float(percent).is_integer() else 1
    hits = [k for k in range(n + 1) if round(100 * k / n, decimals) == round(float(percent), decimals)]
    return hits[0] if len(hits) == 1 else None


def _fact(facts, fact_id):
    if not fact_id:
        return None, None
    hit = facts[facts["fact"] == fact_id]
    if hit.empty:
        raise FactNotFoundError(f"sam.yaml comparison: no published fact with id {fact_id!r}")
    row = hit.iloc[0]
    return row["value"], ("verified" if row["verified"] else "unverified") + f": {row['source']}"


def _number(value):
    """A published figure as a number, or NaN when absent or given only in words."""
    if value is None or isinstance(value, str):
        return np.nan
    return float(value)


def _words(value) -> str:
    """What an abstract says in words (a text fact), or ''."""
    return value if isinstance(value, str) else ""


def published_rows() -> pd.DataFrame:
    """The published populations of ``sam.yaml`` ``comparison:``, one row each, with deaths derived where exact."""
    doc = published.load_study("sam")
    facts = published.load_facts("sam")
    citations = {p["id"]: p["citation"] for p in doc["publications"]}
    rows = []
    for c in doc.get("comparison", []):
        n, n_src = _fact(facts, c.get("n"))
        mortality, m_src = _fact(facts, c.get("mortality"))
        age, _ = _fact(facts, c.get("median_age"))
        surv90, s_src = _fact(facts, c.get("survival_90d"))
        ferritin, f_src = _fact(facts, c.get("ferritin"))
        treatments, t_src = _fact(facts, c.get("treatments"))
        icu, i_src = _fact(facts, c.get("icu"))
        mortality_text, mt_src = _fact(facts, c.get("mortality_text"))
        n = int(n) if n is not None else None
        deaths = whole_count(float(mortality), n) if (mortality is not None and n) else None
        ci = exact_ci(deaths, n) if deaths is not None else (np.nan, np.nan)
        rows.append({
            "population": c["population"], "study": c["study"], "citation": citations[c["study"]],
            "n": n, "median age (years)": age, "anti-MDA5 %": c.get("anti_mda5_percent"),
            "ferritin (ng/mL)": _number(ferritin), "ferritin (in words)": _words(ferritin),
            "treatments": str(treatments) if treatments is not None else "",
            "ICU %": _number(icu),
            "deaths": deaths, "deaths known": n if deaths is not None else None,
            "mortality %": float(mortality) if mortality is not None else np.nan,
            "mortality (in words)": _words(mortality_text),
            "95 % CI low": ci[0], "95 % CI high": ci[1],
            "90-day survival %": float(surv90) if surv90 is not None else np.nan,
            "90-day CI low": np.nan, "90-day CI high": np.nan,
            "flags": ", ".join(c.get("flags", [])), "never pool with": c.get("never_pool_with", ""),
            "source": "; ".join(dict.fromkeys(s for s in (n_src, m_src, s_src, f_src, t_src, i_src, mt_src) if s))})
    return pd.DataFrame(rows)


def survival_90d(survival: pd.DataFrame | None) -> tuple[float, float, float]:
    """Kaplan-Meier survival at 90 days from MAS onset with its 95 % CI (log-log), in percent; NaNs when there is
    no follow-up to 90 days (or no survival data).

    ``survival``: :func:`myositis.sam.survival_data` (time in months of ``DAYS_PER_MONTH`` days). R:
    ``summary(survfit(Surv(time_months, event) ~ 1, conf.type = "log-log"), times = 90 / (365.25 / 12))``.
    """
    from ..survival import survival_at

    if survival is None or survival.empty:
        return (np.nan, np.nan, np.nan)
    at = survival_at(survival, [90 / DAYS_PER_MONTH], time="time_months", event="event").iloc[0]
    return (100 * at["survival"], 100 * at["lower"], 100 * at["upper"])


def series_row(analysed: pd.DataFrame, label: str = "this series", survival: pd.DataFrame | None = None) -> dict:
    """The series' own row: n, median age at MAS, anti-MDA5 share among tested, median ferritin, share treated
    with glucocorticoids / IVIG / etoposide / anakinra in any line, ICU %, deaths and mortality with exact CI,
    and, given its survival data (:func:`myositis.sam.survival_data`), Kaplan-Meier survival at 90 days."""
    n = len(analysed)
    profile = antibody_profile(analysed)
    tested = profile != "not tested / unknown"
    mda5 = 100 * (profile[tested] == "anti-MDA5").mean() if tested.any() else np.nan

    def any_line(drug):
        cols = [c for c in analysed.columns if c.startswith("line") and c.endswith(f"_drugs___{drug}")]
        return analysed[cols].fillna(False).astype(bool).any(axis=1).mean() * 100 if cols and n else np.nan

    shares = {name: any_line(code) for code, name in
              (("gc", "GC"), ("ivig", "IVIG"), ("etoposide", "etoposide"), ("anakinra", "anakinra"))}
    treatments = ", ".join(f"{name} {v:.0f} %" if pd.notna(v) else f"{name} not recorded"
                           for name, v in shares.items())
    death = analysed["death"].astype("boolean")
    deaths = int(death.fillna(False).sum())
    known = int(death.notna().sum())
    icu = analysed["icu"].astype("boolean")
    ci = exact_ci(deaths, known)
    s90 = survival_90d(survival)
    return {"population": label, "study": "", "citation": "", "n": n,
            "median age (years)": float(pd.to_numeric(analysed["age_at_mas_years"], errors="coerce").median()),
            "anti-MDA5 %": mda5, "ferritin (ng/mL)": float(analysed["ferritin_ng_ml"].median()),
            "ferritin (in words)": "", "treatments": treatments,
            "ICU %": 100 * icu.mean() if icu.notna().any() else np.nan, "deaths": deaths,
            "deaths known": known, "mortality %": 100 * deaths / known if known else np.nan,
            "mortality (in words)": "",
            "95 % CI low": ci[0], "95 % CI high": ci[1], "90-day survival %": s90[0], "90-day CI low": s90[1],
            "90-day CI high": s90[2], "flags": "",
            "never pool with": "", "source": "this run"}


def comparison_table(analysed: pd.DataFrame, survival: pd.DataFrame | None = None,
                     label: str = "this series") -> pd.DataFrame:
    """The series (first row) and every published population, with exact CIs and comparability flags.

    ``survival`` (:func:`myositis.sam.survival_data`) adds the series' 90-day Kaplan-Meier survival, the measure
    Zhu 2024 publishes."""
    out = pd.concat([pd.DataFrame([series_row(analysed, label, survival)]).astype(object),
                     published_rows().astype(object)],
                    ignore_index=True)
    for col in ("n", "deaths", "deaths known"):
        out[col] = out[col].astype("Int64")
    for col in ("median age (years)", "anti-MDA5 %", "ferritin (ng/mL)", "ICU %", "mortality %", "95 % CI low",
                "95 % CI high", "90-day survival %", "90-day CI low", "90-day CI high"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """Mortality of the series against each comparable published population, one at a time (never pooled).

    Fisher's exact test when the published deaths are a whole count (R: ``fisher.test(matrix(c(a, b, c, d), 2))``);
    otherwise whether the published percentage lies outside the series' exact 95 % CI; a published 90-day survival
    against the series' Kaplan-Meier 90-day survival and its 95 % CI (when the series' survival data were given).
    Not tested: populations flagged not comparable (juvenile, other diseases).
    """
    s = table.iloc[0]
    rows = []
    for _, r in table.iloc[1:].iterrows():
        verdict, p = "", np.nan
        if any(flag in r["flags"] for flag in NOT_COMPARABLE):
            verdict = "not comparable: not tested"
        elif pd.notna(r["deaths"]) and r["n"] and s["deaths known"]:
            # the series' denominator is the cases whose vital status is known, never all cases
            p = stats.fisher_exact([[int(s["deaths"]), int(s["deaths known"] - s["deaths"])],
                                    [int(r["deaths"]), int(r["n"] - r["deaths"])]])[1]
            verdict = "differs beyond chance" if p < 0.05 else "compatible"
        elif pd.notna(r["90-day survival %"]) and pd.notna(s["90-day CI low"]):
            outside = not (s["90-day CI low"] <= r["90-day survival %"] <= s["90-day CI high"])
            verdict = "90-day survival outside the series' 95 % CI" if outside else \
                "90-day survival inside the series' 95 % CI"
        elif pd.notna(r["90-day survival %"]):
            verdict = "90-day survival (another measure): not tested"
        elif pd.notna(r["mortality %"]):
            outside = not (s["95 % CI low"] <= r["mortality %"] <= s["95 % CI high"])
            verdict = "outside the series' 95 % CI" if outside else "inside the series' 95 % CI"
        else:
            verdict = "no mortality figure to compare"
        rows.append({"population": r["population"], "study": r["study"], "mortality %": r["mortality %"],
                     "90-day survival %": r["90-day survival %"], "p (Fisher)": p, "verdict": verdict})
    return pd.DataFrame(rows)


#: Verdicts of :func:`differences` that the generated text reports as beyond chance / not beyond chance.
BEYOND = ("differs beyond chance", "outside the series' 95 % CI", "90-day survival outside the series' 95 % CI")
WITHIN = ("compatible", "inside the series' 95 % CI", "90-day survival inside the series' 95 % CI")
#: Why a population is not tested, as the generated text says it.
UNTESTED = {"not comparable: not tested": "population not comparable",
            "90-day survival (another measure): not tested": "90-day survival, another measure",
            "no mortality figure to compare": "no mortality figure in the abstract"}
NOT_IN_ABSTRACT = "not in abstract"


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as shown in the report: one text cell per figure, a published figure the abstract does not
    give written *not in abstract* (or what it says in words instead, when it does), the series' missing figures
    *not recorded*; mortality as deaths/n, percent and exact 95 % CI.

    Parameters
    ----------
    table : DataFrame
        :func:`comparison_table`.
    """
    rows = []
    for k, r in table.iterrows():
        missing = "not recorded" if k == 0 else NOT_IN_ABSTRACT

        def fig(value, fmt="{:.0f}", words=""):
            if pd.notna(value):
                return fmt.format(value)
            return words or missing   # what the abstract says instead of a figure (it says "no figure")

        if pd.notna(r["deaths"]) and pd.notna(r["deaths known"]) and r["deaths known"]:
            mortality = (f"{int(r['deaths'])}/{int(r['deaths known'])}, {r['mortality %']:.1f} % "
                         f"({r['95 % CI low']:.1f}-{r['95 % CI high']:.1f})")
        elif pd.notna(r["mortality %"]):
            mortality = f"{r['mortality %']:.1f} % (n not given: no exact CI)"
        else:
            mortality = fig(np.nan, words=r["mortality (in words)"])
        rows.append({
            "study": "" if k == 0 else study_label(r["study"]), "population": r["population"],
            "n": fig(r["n"]), "median age (years)": fig(r["median age (years)"], "{:.1f}" if k == 0 else "{:g}"),
            "anti-MDA5 %": fig(r["anti-MDA5 %"]),
            "ferritin (ng/mL)": fig(r["ferritin (ng/mL)"], "median {:.0f}", r["ferritin (in words)"]),
            "treatments": r["treatments"] or missing, "ICU %": fig(r["ICU %"]),
            "mortality (exact 95 % CI)": mortality,
            "90-day survival %": (fig(r["90-day survival %"], "{:.1f}") if pd.isna(r["90-day CI low"]) else
                                  f"{r['90-day survival %']:.1f} ({r['90-day CI low']:.1f}-{r['90-day CI high']:.1f})"),
            "flags": r["flags"] + (f"; never pooled with {study_label(r['never pool with'])}"
                                   if r["never pool with"] else ""),
            "source": "this run" if k == 0 else ("verified in the abstract" if "unverified" not in r["source"]
                                                 else "some figures unverified")})
    return pd.DataFrame(rows)


def study_label(study: str) -> str:
    """``"ding_2022"`` → ``"Ding 2022"`` (first author and year, as the text names a publication)."""
    name, _, year = str(study).rpartition("_")
    return f"{name.replace('_', ' ').title()} {year}" if name else str(study)


def _and(items: list) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def differences_text(table: pd.DataFrame) -> str:
    """Markdown: where the series' mortality differs from published populations beyond chance, from the data.

    Names each comparable population the series differs from (Fisher's exact p, or the published figure outside
    the series' exact 95 % CI), those it does not differ from, and those not tested and why; populations that
    may share patients (``never pool with``) are said to be compared one at a time.
    """
    s = table.iloc[0]
    d = differences(table)
    known = int(s["deaths known"]) if pd.notna(s["deaths known"]) else 0
    if not known:
        return ("**Beside the literature.** No analysed case has a known vital status: the series' mortality "
                "cannot be set against the published populations.")
    unknown = int(s["n"]) - known
    head = (f"**Beside the literature.** Mortality in this series: {int(s['deaths'])} of {known} cases with a known "
            f"vital status ({s['mortality %']:.1f} %, exact 95 % CI {s['95 % CI low']:.1f}-{s['95 % CI high']:.1f} %)"
            + (f"; vital status unknown for {unknown}" if unknown else "") + ". ")

    def said(r):
        if r["verdict"].startswith("90-day"):
            return (f"{study_label(r.study)} (90-day survival {r['90-day survival %']:.1f} %, set against this "
                    f"series' Kaplan-Meier {s['90-day survival %']:.1f} %, 95 % CI {s['90-day CI low']:.1f}-"
                    f"{s['90-day CI high']:.1f} %)")
        if pd.notna(r["p (Fisher)"]):
            return f"{study_label(r.study)} ({r['mortality %']:.1f} %, Fisher's exact p = {r['p (Fisher)']:.3f})"
        return f"{study_label(r.study)} ({r['mortality %']:.1f} %, no whole count: set against the series' CI)"

    beyond = [said(r) for _, r in d.iterrows() if r["verdict"] in BEYOND]
    within = [said(r) for _, r in d.iterrows() if r["verdict"] in WITHIN]
    parts = []
    if beyond:
        parts.append("The series differs beyond chance from " + _and(beyond) + ".")
    if within:
        parts.append(("The series does not differ beyond chance from " if not beyond else
                      "It does not differ from ")
                     + _and(within) + ".")
    if not beyond and not within:
        parts.append("No comparable published population gives a mortality to test against.")
    untested = [f"{study_label(r.study)} ({UNTESTED[r['verdict']]})" for _, r in d.iterrows()
                if r["verdict"] in UNTESTED]
    if untested:
        parts.append("Not tested: " + _and(untested) + ".")
    pairs = sorted({tuple(sorted((r["study"], r["never pool with"]))) for _, r in table.iloc[1:].iterrows()
                    if r["never pool with"]})
    pooled = "".join(f" {study_label(a)} and {study_label(b)} (same hospital, overlapping years) are never pooled."
                     for a, b in pairs)
    return head + " ".join(parts) + " Each population is compared with the series on its own." + pooled
