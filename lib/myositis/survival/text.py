"""Sentences generated from a survival comparison's own results (rendered as Markdown by the notebook), so that
the findings and the conclusion never go stale when the cohorts, the assumptions or the data change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if x in (0, 1) else f"{100 * x:.1f} %"


def _share_words(share: float, total: int) -> str:
    """'every reconstruction', 'no reconstruction' or '87.5 % of the 2000 reconstructions'."""
    if share == 1:
        return f"every reconstruction ({total} of {total})"
    if share == 0:
        return f"no reconstruction (0 of {total})"
    return f"{_pct(share)} of the {total} reconstructions"


def assumptions(reconstructions: dict) -> str:
    """The assumptions shared by landmark reconstructions, in words: losses per cohort, rounding, timing."""
    lost = "; ".join(f"{rec.lost_to_follow_up} lost before the last landmark ({max(rec.landmarks):g}) in {label}"
                     for label, rec in reconstructions.items())
    roundings = {"rounded" if rec.rounding == "round" else "truncated" for rec in reconstructions.values()}
    return f"{lost}; published percentages {' and '.join(sorted(roundings))}; times uniform within intervals"


def ratio_sentence(label_a: str, value_a: float, label_b: str, value_b: float, what: str) -> str:
    """'89 % vs 33 % (6-month survival): a ratio of 2.70 (a difference of 56 points).' computed, never quoted."""
    if value_b == 0:
        return f"{value_a:g} % ({label_a}) vs {value_b:g} % ({label_b}) ({what}): no ratio (division by zero)."
    return (f"{value_a:g} % ({label_a}) vs {value_b:g} % ({label_b}) ({what}): a ratio of "
            f"{value_a / value_b:.2f}, a difference of {value_a - value_b:g} percentage points.")


def comparison_findings(name: str, per_draw: pd.DataFrame, spread: pd.DataFrame, alpha: float,
                        assumptions: str, published_p: float | None = None) -> str:
    """Findings of one comparison across its reconstructions, in words (Markdown).

    Parameters
    ----------
    name : str
        The comparison, e.g. "GC+TAC+CYC vs historical step-up".
    per_draw, spread : DataFrame
        ``compare_reconstructions`` (or any per-draw table) and its ``robustness`` summary.
    alpha : float
    assumptions : str
        The assumptions these reconstructions share, in words (e.g. "2 patients lost before 12 months,
        percentages rounded").
    published_p : float, optional
        The published p-value bound ("p < 0.0001"), to say how many reconstructions reach it.
    """
    total = len(per_draw)
    share = float(spread.loc["p_logrank", "share_significant"])
    hr_lo, hr_hi = float(spread.loc["hr", "min"]), float(spread.loc["hr", "max"])
    direction = ("lower hazard in the first cohort" if hr_hi < 1 else "higher hazard in the first cohort"
                 if hr_lo > 1 else "on both sides of 1")
    text = (f"**{name}.** Under these assumptions ({assumptions}), {_share_words(share, total)} gives a log-rank "
            f"p < {alpha:g} (largest p = {float(spread.loc['p_logrank', 'max']):.2g}); the hazard ratio ranges "
            f"from {hr_lo:.2f} to {hr_hi:.2f} ({direction}).")
    if published_p is not None:
        reached = float((per_draw["p_logrank"] < published_p).mean())
        text += (f" The published p < {published_p:g} is reached by {_pct(reached)} of the reconstructions: how "
                 "small the p-value is depends on event times nobody here knows and on the test used.")
    return text


def sensitivity_findings(table: pd.DataFrame, alpha: float) -> str:
    """What the sensitivity grid (``landmark_sensitivity``) shows, in words (Markdown)."""
    if table.empty:
        return ("No comparison between two cohorts defined by landmark percentages: no sensitivity analysis of "
                "losses and rounding (digitised cohorts vary over their digitisation error and censoring instead).")
    ok = table[table["status"] == "consistent"]
    bad = table[table["status"] != "consistent"]
    if ok.empty:
        return "No combination of the assumptions tried gives datasets consistent with the published figures."
    shares = ok["share_significant"].astype(float)
    losses = sorted({int(x) for x in pd.concat([ok["lost_treated"], ok["lost_control"]]).dropna()})
    text = (f"Across the {len(ok)} combinations of assumptions consistent with the published figures (patients "
            f"lost before the last landmark: {', '.join(map(str, losses))}; percentages "
            f"{' or '.join(sorted(set(ok['rounding'].map({'round': 'rounded', 'truncate': 'truncated'}))))}; "
            f"landmarks: {', '.join(pd.unique(ok['landmarks']))}), the share of reconstructions with log-rank "
            + (f"p < {alpha:g} is {_pct(shares.min())} in every combination" if shares.min() == shares.max() else
               f"p < {alpha:g} ranges from {_pct(shares.min())} to {_pct(shares.max())}")
            + f" and the hazard ratio ranges from {ok['hr_min'].min():.2f} to {ok['hr_max'].max():.2f}.")
    if len(bad):
        text += (f" {len(bad)} combination(s) cannot reproduce the published figures at all (e.g. "
                 f"{bad.iloc[0]['losses']} lost, {bad.iloc[0]['rounding']}, {bad.iloc[0]['landmarks']}).")
    if shares.min() == 1:
        text += (" The conclusion therefore holds for every reconstruction under these assumptions (each "
                 "combination above) — not for every dataset imaginable: deaths and losses are placed uniformly "
                 "within intervals and nobody dies after the last landmark.")
    return text


def cohort_assumptions(rec, time_unit: str = "") -> str:
    """The assumptions behind one cohort's draws, in words (landmark or digitised reconstructions)."""
    if hasattr(rec, "lost_to_follow_up"):
        rounding = "rounded" if rec.rounding == "round" else "truncated"
        unit = f" {time_unit}" if time_unit else ""
        return (f"{rec.lost_to_follow_up} lost before the last landmark ({max(rec.landmarks):g}{unit}), "
                f"published percentages {rounding}, times uniform within intervals")
    tol = rec.tolerance
    where = ("at random within the at-risk intervals" if "at-risk" in rec.kind else
             "at random following the censoring pattern that makes the rebuilt curve follow the digitised one "
             "(no at-risk table)")
    return (f"Guyot reconstruction ({rec.kind}), digitised points jittered within ±{tol['time']:.3g}"
            f"{' ' + time_unit if time_unit else ''} and ±{tol['survival']:.3g} in survival, censorings placed "
            f"{where}")


def findings(table: pd.DataFrame, per_draw: dict, reconstructions: dict, comparisons: dict, alpha: float,
             published_p: dict | None = None, time_unit: str = "") -> str:
    """One paragraph per comparison (``comparison.robustness_table``), generated from its draws."""
    from .landmarks import robustness

    out = []
    for name, (a, b) in comparisons.items():
        spread = robustness(per_draw[name], alpha=alpha)
        said = "; ".join(f"{label}: {cohort_assumptions(reconstructions[label], time_unit)}" for label in (a, b))
        out.append(comparison_findings(f"{name} ({a} vs {b})", per_draw[name], spread, alpha, said,
                                       (published_p or {}).get(name)))
    return "\n\n".join(out)


def ratio_sentences(estimates: pd.DataFrame, landmark_table: pd.DataFrame, comparisons: dict, time: float,
                    time_unit: str = "") -> str:
    """Survival of the two cohorts of each comparison at ``time``, their ratio and difference, computed: the
    published percentage when there is one (landmark cohorts), else the reconstructed Kaplan-Meier estimate."""
    est = estimates.assign(cohort=estimates["group"].astype(str)).set_index(["cohort", "time"])["survival"]
    pub = landmark_table.dropna(subset=["time"]).set_index(["cohort", "time"])["published_pct"]
    unit = f" {time_unit}" if time_unit else ""
    out = []
    for name, pair in comparisons.items():
        values, sources = [], []
        for label in pair:
            key = (label, float(time))
            if key in pub.index:
                values.append(float(pub.loc[key]))
                sources.append("published")
            elif key in est.index:
                values.append(round(100 * float(est.loc[key]), 1))
                sources.append("reconstructed")
            else:
                values.append(np.nan)
                sources.append("none")
        if np.isnan(values).any():
            out.append(f"**{name}**: no survival at {time:g}{unit} for both cohorts.")
            continue
        out.append(f"**{name}**: " + ratio_sentence(pair[0], values[0], pair[1], values[1],
                                                    f"survival at {time:g}{unit}, {' / '.join(sources)}"))
    return "\n\n".join(out)


def conclusion(findings: str, sensitivity: str, ratios: str, single_arm: str, limits, checks=None) -> str:
    """The notebook's conclusion: the findings, the sensitivity analysis, the sizes of the differences, the
    single-arm trial, the fit of digitised cohorts, and the limits (given as parameters, plus the limits of
    reconstruction itself)."""
    parts = [p for p in (findings, sensitivity, ratios, single_arm) if p]
    if checks is not None and len(checks):
        flagged = checks[checks["warning"] != ""]
        if len(flagged):
            parts.append("**Warning, digitised cohorts:** " + "; ".join(
                f"{row.cohort}: {row.warning}" for row in flagged.itertuples()) + ". Check the digitisation (and "
                "the cohort's n and events) before reading the comparisons.")
        else:
            parts.append(f"The rebuilt curves follow the digitised ones within {checks['max_gap'].max():.3f} "
                         "(largest gap over every digitised cohort).")
    limit_lines = list(limits or []) + [
        "*Reconstruction.* Patient-level data were rebuilt from published figures: event times within intervals "
        "(landmark cohorts) or censoring times (digitised cohorts) are unknown and drawn; the number of patients "
        "lost and whether percentages were rounded or truncated are assumptions (varied in section 4). Figures "
        "not read in the publication itself are marked unverified."]
    parts.append("**Limits.**\n\n" + "\n".join(f"- {line}" for line in limit_lines))
    return "\n\n".join(parts)


def _fact_ids(value) -> set:
    """Every string in a cohort or single-arm specification (fact ids; file paths are harmless)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_fact_ids(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_fact_ids(v) for v in value)) if value else set()
    return set()


def _is_study_cohort(spec: dict, ids: set) -> bool:
    """A landmark cohort whose n and every survival figure are facts of the study file."""
    if not isinstance(spec, dict) or "curve" in spec:
        return False
    values = [spec.get("n"), *(spec.get("survival") or {}).values()]
    return all(isinstance(v, str) and v in ids for v in values)


def study_texts(cohorts_file: str, cohorts: dict, comparisons: dict, *, title=None, question=None,
                figure_title=None, limits=None, single_arm=None, published_p=None) -> dict:
    """The texts and study-bound parameters of a survival comparison: given ones kept, missing ones (None)
    derived from the cohorts actually analysed.

    What belongs to a published study (its title, question, figure title, published p-values, single-arm trial,
    limits) is written in its facts file, under ``analysis``, and is used only when every cohort analysed is defined
    by facts of that file; a limit is quoted whenever the analysis uses one of the facts it names (``about``).
    Otherwise the title and figure title are built from the comparisons and cohort labels, the question from the
    comparisons, and there is no study limit (:func:`conclusion` always adds the limits of reconstruction).

    Parameters
    ----------
    cohorts_file : str
        The published facts file the cohorts' fact ids refer to ("" if none).
    cohorts, comparisons : dict
        As the notebook's parameters.
    title, question, figure_title, limits, single_arm, published_p
        The notebook's parameters; None means "derive".

    Returns
    -------
    dict
        ``title``, ``question``, ``figure_title``, ``limits`` (list), ``single_arm`` (dict, empty: none),
        ``published_p`` (dict), ``study`` (True when the study file's texts were used), ``facts_used`` (the fact
        ids of the study file that the cohorts, single-arm trial and published p-values refer to).
    """
    from .. import published

    doc = published.load_study(cohorts_file) if cohorts_file else {}
    analysis = doc.get("analysis") or {}
    ids = {f["id"] for pub in doc.get("publications", []) for f in pub.get("facts", [])}
    own = bool(cohorts) and bool(analysis) and all(_is_study_cohort(s, ids) for s in cohorts.values())
    pairs = [f"{a} vs {b}" for a, b in comparisons.values()] if comparisons else []
    labels = ", ".join(map(str, cohorts))
    out = {"study": own}
    out["title"] = title if title is not None else (
        analysis["title"] if own and "title" in analysis else
        "Survival from published figures: " + ("; ".join(pairs) if pairs else labels))
    out["question"] = question if question is not None else (
        " ".join(str(analysis["question"]).split()) if own and "question" in analysis else
        ("Does survival differ between " + "; between ".join(f"{a} and {b}" for a, b in comparisons.values())
         + " once the patient-level data that the published figures allow are rebuilt, and how robust is the answer "
           "to what the figures do not say (rounding, losses to follow-up, censoring, digitisation error)?"
         if comparisons else f"What survival do the published figures of {labels} allow?"))
    out["figure_title"] = figure_title if figure_title is not None else (
        analysis["figure_title"] if own and "figure_title" in analysis else f"Reconstructed data: {labels}")
    out["single_arm"] = dict(single_arm) if single_arm is not None else (
        dict(analysis.get("single_arm") or {}) if own else {})
    out["published_p"] = dict(published_p) if published_p is not None else (
        {k: v for k, v in (analysis.get("published_p") or {}).items() if k in (comparisons or {})} if own else {})
    used = set().union(*(_fact_ids(s) for s in cohorts.values())) if cohorts else set()
    used |= _fact_ids(out["single_arm"]) | _fact_ids(out["published_p"])
    out["facts_used"] = sorted(used & ids)
    if limits is not None:
        out["limits"] = list(limits)
    else:
        out["limits"] = [" ".join(str(lim["text"]).split()) for lim in (analysis.get("limits") or [])
                         if used & set(lim.get("about") or [])]
    return out
