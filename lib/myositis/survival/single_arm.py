"""A single-arm trial reported as survival at one landmark: which whole counts match, exact and KM intervals
beside the published one, tests against a benchmark proportion and against historical controls.

Driven by a ``single_arm`` parameter of fact ids (the Takada 2020 tacrolimus trial is the default of the
tacrolimus notebook); an empty parameter gives empty results, so the notebook section shows nothing.
"""

from __future__ import annotations

import pandas as pd

from .. import published
from ..exceptions import ReconstructionError
from . import estimation
from .cohorts import published_interval
from .landmarks import landmark_counts

#: Printed headers of the tables of :func:`analyse` (``myositis.tables.from_frame(..., labels=LABELS)``).
LABELS = {"n": "n", "survivors": "Survivors", "percent": "Survival %", "matches_published": "Matches the paper",
          "interval": "Interval", "successes": "Survivors", "lower": "Lower", "upper": "Upper",
          "verified": "Read in the publication", "test": "Test", "proportion": "Survival",
          "benchmark": "Benchmark", "proportion_2": "Controls", "p_value": "p"}


def analyse(facts: pd.DataFrame, spec: dict, study_file) -> dict:
    """Everything the notebook shows about a single-arm trial, from fact ids.

    Parameters
    ----------
    facts : DataFrame
        ``published.load_facts``.
    spec : dict
        ``label``; ``survival`` (fact id of the landmark survival, %); ``decimals``; ``n`` (list of fact ids of
        the candidate patient numbers, e.g. abstract and full text); optional ``benchmark`` (fact id of a
        survival % to test against), ``controls_n`` and ``controls_deaths`` (fact ids of historical controls),
        ``other`` (fact id of another landmark figure to check for whole counts, e.g. progression-free survival).
    study_file : str or Path
        The published-facts file (for the published interval).

    Returns
    -------
    dict
        ``counts`` (whole counts matching the figure for each candidate n), ``intervals`` (published, KM
        log-log and exact), ``tests`` (exact binomial vs benchmark, Fisher vs controls), ``other_counts``,
        ``text`` (Markdown sentences generated from these); empty when ``spec`` is empty.
    """
    if not spec:
        return {}
    if facts is None:
        raise ReconstructionError(
            f"single_arm {spec.get('label', '')!r} names fact ids, but cohorts_file is empty (no published-facts "
            "file to read them from): a single-arm trial is read from a published-facts file; in a params file on "
            "your own cohorts without one, set single_arm: {}")
    fact = lambda key: published.fact(facts, spec[key])  # noqa: E731
    decimals = int(spec.get("decimals", 0))
    value = fact("survival")
    sizes = [published.fact(facts, f) for f in spec["n"]]
    counts = landmark_counts(value, sizes, decimals=decimals)
    match = counts[counts["matches_published"]]
    out = {"counts": counts}
    text = [f"**{spec.get('label', 'Single-arm trial')}.** Published survival {value:.{decimals}f} % with n in "
            f"{{{', '.join(str(int(n)) for n in sizes)}}}."]
    if match.empty:
        text.append("No whole count of these n gives the published figure: it is a Kaplan-Meier estimate with "
                    "censoring (or n differs), and no exact interval can be derived from it.")
        out["text"] = " ".join(text)
        return out
    k, n = int(match["survivors"].iloc[0]), int(match["n"].iloc[0])
    text.append(f"Only {k} of {n} matches it" + (" (and other counts too)" if len(match) > 1 else "") + ".")
    intervals = [estimation.km_ci_without_censoring(k, n, "log-log").assign(interval="KM log-log (ours)"),
                 estimation.binomial_ci(k, n).assign(interval="exact Clopper-Pearson (ours)")]
    try:
        intervals.insert(0, published_interval(study_file, spec["survival"]))
    except KeyError:
        pass
    out["intervals"] = pd.concat(intervals, ignore_index=True).reindex(
        columns=["interval", "successes", "n", "lower", "upper", "verified"])
    pub = out["intervals"][out["intervals"]["interval"] == "published"]
    if len(pub):
        km = out["intervals"].iloc[1]
        same = abs(km["lower"] - pub["lower"].iloc[0]) < 0.0015 and abs(km["upper"] - pub["upper"].iloc[0]) < 0.0015
        text.append(f"With {n - k} deaths among {n} and nobody censored, the KM log-log interval "
                    f"({100 * km['lower']:.1f}-{100 * km['upper']:.1f} %) "
                    + ("is the published one, which supports this n." if same else
                       f"differs from the published {100 * pub['lower'].iloc[0]:.1f}-{100 * pub['upper'].iloc[0]:.1f} %."))
    tests = []
    if spec.get("benchmark"):
        bench = fact("benchmark") / 100
        tests.append(estimation.binomial_test(k, n, bench).assign(test=f"exact binomial vs {bench:.0%}"))
    if spec.get("controls_n") and spec.get("controls_deaths"):
        cn = int(fact("controls_n"))
        alive = cn - int(fact("controls_deaths"))
        tests.append(estimation.fisher_test(k, n, alive, cn).rename(columns={"proportion_1": "proportion"})
                     .assign(test=f"Fisher vs historical controls ({alive}/{cn})"))
    if tests:
        out["tests"] = pd.concat(tests, ignore_index=True).reindex(
            columns=["test", "proportion", "lower", "upper", "benchmark", "proportion_2", "p_value"])
        text += [f"{row.test}: p = {row.p_value:.2g}." for row in out["tests"].itertuples()]
    if spec.get("other"):
        other = fact("other")
        out["other_counts"] = landmark_counts(other, sizes, decimals=decimals)
        if not out["other_counts"]["matches_published"].any():
            text.append(f"{other:g} % ({spec['other']}) is no whole count of these n: a Kaplan-Meier estimate "
                        "with censoring, from which no exact interval can be derived without the censoring times.")
    out["text"] = " ".join(text)
    return out
