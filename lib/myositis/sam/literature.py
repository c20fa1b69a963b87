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
        raise KeyError(f"sam.yaml comparison: no published fact with id {fact_id!r}")
    row = hit.iloc[0]
    return row["value"], ("verified" if row["verified"] else "unverified") + f": {row['source']}"


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
        n = int(n) if n is not None else None
        deaths = whole_count(float(mortality), n) if (mortality is not None and n) else None
        ci = exact_ci(deaths, n) if deaths is not None else (np.nan, np.nan)
        rows.append({
            "population": c["population"], "study": c["study"], "citation": citations[c["study"]],
            "n": n, "median age (years)": age, "anti-MDA5 %": c.get("anti_mda5_percent"),
            "ferritin (ng/mL)": None, "treatments": "", "ICU %": None,
            "deaths": deaths, "mortality %": float(mortality) if mortality is not None else np.nan,
            "95 % CI low": ci[0], "95 % CI high": ci[1],
            "90-day survival %": float(surv90) if surv90 is not None else np.nan,
            "flags": ", ".join(c.get("flags", [])), "never pool with": c.get("never_pool_with", ""),
            "source": "; ".join(s for s in (n_src, m_src, s_src) if s)})
    return pd.DataFrame(rows)


def series_row(analysed: pd.DataFrame, label: str = "this series") -> dict:
    """The series' own row: n, median age at MAS, anti-MDA5 share among tested, median ferritin, share treated
    with glucocorticoids / IVIG / etoposide / anakinra in any line, ICU %, deaths and mortality with exact CI."""
    n = len(analysed)
    profile = antibody_profile(analysed)
    tested = profile != "not tested / unknown"
    mda5 = 100 * (profile[tested] == "anti-MDA5").mean() if tested.any() else np.nan

    def any_line(drug):
        cols = [c for c in analysed.columns if c.startswith("line") and c.endswith(f"_drugs___{drug}")]
        return analysed[cols].fillna(False).astype(bool).any(axis=1).mean() * 100 if cols and n else np.nan

    treatments = ", ".join(f"{name} {any_line(code):.0f} %" for code, name in
                           (("gc", "GC"), ("ivig", "IVIG"), ("etoposide", "etoposide"), ("anakinra", "anakinra")))
    death = analysed["death"].astype("boolean")
    deaths = int(death.fillna(False).sum())
    known = int(death.notna().sum())
    icu = analysed["icu"].astype("boolean")
    ci = exact_ci(deaths, known)
    return {"population": label, "study": "", "citation": "", "n": n,
            "median age (years)": float(pd.to_numeric(analysed["age_at_mas_years"], errors="coerce").median()),
            "anti-MDA5 %": mda5, "ferritin (ng/mL)": float(analysed["ferritin_ng_ml"].median()),
            "treatments": treatments, "ICU %": 100 * icu.mean() if icu.notna().any() else np.nan,
            "deaths": deaths, "mortality %": 100 * deaths / known if known else np.nan,
            "95 % CI low": ci[0], "95 % CI high": ci[1], "90-day survival %": np.nan, "flags": "",
            "never pool with": "", "source": "this run"}


def comparison_table(analysed: pd.DataFrame, label: str = "this series") -> pd.DataFrame:
    """The series (first row) and every published population, with exact CIs and comparability flags."""
    out = pd.concat([pd.DataFrame([series_row(analysed, label)]).astype(object), published_rows().astype(object)],
                    ignore_index=True)
    for col in ("n", "deaths"):
        out[col] = out[col].astype("Int64")
    for col in ("median age (years)", "anti-MDA5 %", "ferritin (ng/mL)", "ICU %", "mortality %", "95 % CI low",
                "95 % CI high", "90-day survival %"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """Mortality of the series against each comparable published population, one at a time (never pooled).

    Fisher's exact test when the published deaths are a whole count (R: ``fisher.test(matrix(c(a, b, c, d), 2))``);
    otherwise whether the published percentage lies outside the series' exact 95 % CI. Not tested: populations
    flagged not comparable (juvenile, other diseases), and figures of another kind (90-day survival).
    """
    s = table.iloc[0]
    rows = []
    for _, r in table.iloc[1:].iterrows():
        verdict, p = "", np.nan
        if any(flag in r["flags"] for flag in NOT_COMPARABLE):
            verdict = "not comparable: not tested"
        elif pd.notna(r["deaths"]) and r["n"]:
            p = stats.fisher_exact([[int(s["deaths"]), int(s["n"] - s["deaths"])],
                                    [int(r["deaths"]), int(r["n"] - r["deaths"])]])[1]
            verdict = "differs beyond chance" if p < 0.05 else "compatible"
        elif pd.notna(r["90-day survival %"]):
            verdict = "90-day survival (another measure): not tested"
        elif pd.notna(r["mortality %"]):
            outside = not (s["95 % CI low"] <= r["mortality %"] <= s["95 % CI high"])
            verdict = "outside the series' 95 % CI" if outside else "inside the series' 95 % CI"
        else:
            verdict = "no mortality figure to compare"
        rows.append({"population": r["population"], "study": r["study"], "mortality %": r["mortality %"],
                     "p (Fisher)": p, "verdict": verdict})
    return pd.DataFrame(rows)


def differences_text(table: pd.DataFrame) -> str:
    """Markdown: where the series' mortality differs from published populations beyond chance, from the data."""
    s = table.iloc[0]
    d = differences(table)
    beyond = d[d["verdict"].isin(["differs beyond chance", "outside the series' 95 % CI"])]
    head = (f"**Beside the literature.** Mortality in this series: {int(s['deaths'])} of {int(s['n'])} "
            f"({s['mortality %']:.1f} %, exact 95 % CI {s['95 % CI low']:.1f}-{s['95 % CI high']:.1f} %). ")
    if beyond.empty:
        body = "It does not differ beyond chance from any comparable published population."
    else:
        parts = [f"{r.study} ({r['mortality %']:.1f} %" + (f", Fisher p = {r['p (Fisher)']:.3f})"
                                                            if pd.notna(r["p (Fisher)"]) else ", outside the CI)")
                 for _, r in beyond.iterrows()]
        body = "It differs beyond chance from " + "; ".join(parts) + "."
    return (head + body + " Each population is compared on its own; Liang 2020 and Zhu 2024 (same hospital, "
            "overlapping years) are never pooled; juvenile and all-disease populations are shown, not tested.")
