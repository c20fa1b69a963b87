"""The tests a Table 1 uses, chosen and computed as R's gtsummary ``add_p()`` does by default.

Categorical variables: Pearson's chi-square without continuity correction when every expected count is at
least 5, otherwise Fisher's exact test, for any r x c table (R ``fisher.test``: the sum of the probabilities of
every table with the observed margins that is no more probable than the observed one, relative tolerance 1e-7).
SciPy's ``fisher_exact`` is exact only for 2 x 2 tables (larger ones are Monte Carlo), so r x c tables are
enumerated here. Continuous variables: Wilcoxon rank-sum for two groups (exact when both groups have fewer than
50 values and there are no ties, else the normal approximation with continuity correction, as R's
``wilcox.test``), Kruskal-Wallis for more.

References
----------
Fisher RA. On the interpretation of chi-square from contingency tables. J R Stat Soc 1922;85:87-94.
Mehta CR, Patel NR. A network algorithm for performing Fisher's exact test in r x c contingency tables.
J Am Stat Assoc 1983;78:427-34.
Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin 1945;1:80-83.
Kruskal WH, Wallis WA. Use of ranks in one-criterion variance analysis. J Am Stat Assoc 1952;47:583-621.
Sjoberg DD, et al. gtsummary. R J 2021;13:570-80 (``add_p.tbl_summary`` defaults).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

#: Names as gtsummary prints them in its footnotes.
NAMES = {"chisq": "Pearson's Chi-squared test", "fisher": "Fisher's exact test",
         "wilcox": "Wilcoxon rank sum test", "kruskal": "Kruskal-Wallis rank sum test"}

#: Largest number of tables enumerated by the exact r x c test before it refuses (R's fisher.test has a
#: workspace limit too).
MAX_TABLES = 3_000_000


@dataclass(frozen=True)
class TestResult:
    """One test: its key in :data:`NAMES`, statistic and p-value; when no test is possible, p-value NaN and
    ``reason`` says why (as R's test would refuse: "'x' and 'y' must have at least 2 levels")."""

    test: str
    statistic: float
    p_value: float
    reason: str = ""

    @property
    def name(self) -> str:
        return NAMES[self.test]


def expected_counts(table) -> np.ndarray:
    """Expected counts under independence: row total x column total / n."""
    t = np.asarray(table, float)
    return np.outer(t.sum(1), t.sum(0)) / t.sum()


def _compositions(total: int, caps: np.ndarray) -> np.ndarray:
    """Every vector of non-negative integers bounded by ``caps`` and summing to ``total`` (one per row)."""
    out = np.zeros((1, 0), int)
    for i, cap in enumerate(caps):
        rest = caps[i + 1:].sum()
        used = out.sum(1)
        rows = []
        for v in range(int(cap) + 1):
            keep = (used + v <= total) & (used + v + rest >= total)
            if keep.any():
                rows.append(np.column_stack([out[keep], np.full(keep.sum(), v)]))
        out = np.vstack(rows) if rows else np.zeros((0, i + 1), int)
    return out


def _spread_evenly(total: int, k: int) -> np.ndarray:
    base, extra = divmod(int(total), int(k))
    return np.array([base + 1] * extra + [base] * (k - extra))


def _completion_bounds(rows: np.ndarray, cols: np.ndarray) -> tuple[float, float, float]:
    """Bounds of ``-sum(log x!)`` over the tables with these margins (upper, lower) and the log of the sum of
    ``1/prod(x!)`` over all of them (``log(N!/(prod r! prod c!))``). The bounds relax one set of margins: an
    even spread maximises, a single cell per row (or column) minimises."""
    n = rows.sum()
    hi_rows = -sum(special.gammaln(_spread_evenly(r, cols.size) + 1).sum() for r in rows)
    hi_cols = -sum(special.gammaln(_spread_evenly(c, rows.size) + 1).sum() for c in cols)
    lo = max(-special.gammaln(rows + 1).sum(), -special.gammaln(cols + 1).sum())
    mass = special.gammaln(n + 1) - special.gammaln(rows + 1).sum() - special.gammaln(cols + 1).sum()
    return min(hi_rows, hi_cols), lo, mass


def fisher_exact(table) -> TestResult:
    """Fisher's exact test of an r x c table, two-sided, as R's ``fisher.test`` computes it.

    Parameters
    ----------
    table : array-like of int
        Counts; empty rows and columns are dropped.

    Returns
    -------
    TestResult
        ``statistic`` is the probability of the observed table.

    Notes
    -----
    R: ``fisher.test(table)``. The p-value sums the hypergeometric probabilities of every table with the same
    margins whose probability is at most the observed one times ``1 + 1e-7``. For 2 x 2 tables SciPy's exact
    test is used (identical).
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(1) > 0][:, t.sum(0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return TestResult("fisher", np.nan, 1.0)
    if t.shape == (2, 2):
        return TestResult("fisher", np.nan, float(stats.fisher_exact(t).pvalue))
    if t.shape[0] > t.shape[1]:  # enumerate along the longer side: fewer, longer columns
        t = t.T
    rows, cols = t.sum(1), t.sum(0)
    n = t.sum()
    const = special.gammaln(rows + 1).sum() + special.gammaln(cols + 1).sum() - special.gammaln(n + 1)

    def logp(cells):
        return const - special.gammaln(cells + 1).sum(axis=-1)

    observed = logp(t.reshape(-1))
    threshold = observed + np.log1p(1e-7)
    # Network algorithm (Mehta & Patel 1983), simply bounded: columns are filled one at a time; a partial table
    # whose every completion is at most as probable as the observed one adds its whole completion mass at once,
    # one whose every completion is more probable is dropped, the others are extended. Partial tables with the
    # same remaining row margins are merged, their log-probabilities kept with multiplicities.
    states = {tuple(rows): (np.zeros(1), np.ones(1))}
    p = 0.0
    for j, c in enumerate(cols):
        rest_cols = cols[j + 1:]
        k = rest_cols.size
        col_hi = -sum(special.gammaln(_spread_evenly(cc, rows.size) + 1).sum() for cc in rest_cols)
        col_lo = -special.gammaln(rest_cols + 1).sum()
        nxt: dict = {}
        for rem, (lps, weights) in states.items():
            comps = _compositions(int(c), np.asarray(rem))
            left = np.asarray(rem)[None, :] - comps
            lp = const + lps[None, :] - special.gammaln(comps + 1).sum(1)[:, None]  # comps x partials
            if k == 0:
                hit = lp <= threshold
                p += float((np.exp(lp) * weights[None, :])[hit].sum())
                continue
            base, extra = np.divmod(left, k)
            row_hi = -(extra * special.gammaln(base + 2) + (k - extra) * special.gammaln(base + 1)).sum(1)
            left_lg = special.gammaln(left + 1).sum(1)
            hi = np.minimum(row_hi, col_hi)[:, None]
            lo = np.maximum(-left_lg, col_lo)[:, None]
            mass = (special.gammaln(left.sum(1) + 1) - left_lg + col_lo)[:, None]
            accept = lp + hi <= threshold
            p += float((np.exp(lp + mass) * weights[None, :])[accept].sum())
            keep = ~accept & (lp + lo <= threshold)
            for i in np.flatnonzero(keep.any(1)):
                key = tuple(left[i])
                sel = keep[i]
                entry = (lp[i, sel] - const, weights[sel])
                nxt.setdefault(key, []).append(entry)
        states = {}
        for key, parts in nxt.items():
            lps = np.concatenate([a for a, _ in parts])
            weights = np.concatenate([w for _, w in parts])
            rounded, inverse = np.unique(np.round(lps, 9), return_inverse=True)
            states[key] = (rounded, np.bincount(inverse, weights=weights))
        if sum(v[0].size for v in states.values()) > MAX_TABLES:
            raise ValueError(f"Fisher's exact test: more than {MAX_TABLES:,} partial tables to follow")
    return TestResult("fisher", float(np.exp(observed)), float(min(1.0, p)))


def chisq(table) -> TestResult:
    """Pearson's chi-square test of independence without continuity correction (R ``chisq.test(correct =
    FALSE)``); empty rows and columns are dropped."""
    t = np.asarray(table, float)
    t = t[t.sum(1) > 0][:, t.sum(0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return TestResult("chisq", np.nan, np.nan)
    res = stats.chi2_contingency(t, correction=False)
    return TestResult("chisq", float(res.statistic), float(res.pvalue))


#: Why a categorical variable gets no test: one level observed, or only one group with a value.
ONE_LEVEL = "only one level observed (no test possible)"
ONE_GROUP = "values in one group only (no test possible)"


def categorical(table) -> TestResult:
    """gtsummary's default for a categorical variable: chi-square when every expected count is >= 5, else Fisher.

    Parameters
    ----------
    table : array-like
        Counts, levels x groups; empty rows and columns are dropped.

    Returns
    -------
    TestResult
        With fewer than two observed levels or groups, no test: p-value NaN and ``reason`` :data:`ONE_LEVEL` or
        :data:`ONE_GROUP`.

    Notes
    -----
    gtsummary ``.add_p_tbl_summary_default_test``: ``min(expected) >= 5`` -> ``chisq.test.no.correct``,
    otherwise ``fisher.test``. On a variable with one observed level both R tests stop ("'x' and 'y' must have
    at least 2 levels"); gtsummary's ``add_p`` catches the error, prints it and leaves the p-value empty
    (``calculate_and_add_test_results``).
    """
    t = np.asarray(table, float)
    t = t[t.sum(1) > 0][:, t.sum(0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        chi = t.size > 0 and expected_counts(t).min() >= 5
        return TestResult("chisq" if chi else "fisher", np.nan, np.nan,
                          ONE_LEVEL if t.shape[0] < 2 else ONE_GROUP)
    if t.size and expected_counts(t).min() >= 5:
        return chisq(t)
    return fisher_exact(t)


def wilcoxon(x, y) -> TestResult:
    """Two-sided Wilcoxon rank-sum test as R's ``wilcox.test(x, y)`` (defaults ``exact = NULL, correct = TRUE``).

    Exact when both samples have fewer than 50 values and no value is tied; otherwise the normal approximation
    with tie and continuity corrections. ``statistic`` is R's W (rank sum of ``x`` minus n_x(n_x+1)/2).
    """
    x = pd.Series(x, dtype=float).dropna().to_numpy()
    y = pd.Series(y, dtype=float).dropna().to_numpy()
    if x.size == 0 or y.size == 0:
        return TestResult("wilcox", np.nan, np.nan, ONE_GROUP)
    ties = np.unique(np.concatenate([x, y])).size < x.size + y.size
    exact = x.size < 50 and y.size < 50 and not ties
    res = stats.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True,
                             method="exact" if exact else "asymptotic")
    return TestResult("wilcox", float(res.statistic), float(res.pvalue))


def kruskal(*samples) -> TestResult:
    """Kruskal-Wallis rank-sum test (R ``kruskal.test``), missing values dropped; NaN with fewer than 2 groups."""
    groups = [pd.Series(s, dtype=float).dropna().to_numpy() for s in samples]
    groups = [g for g in groups if g.size]
    if len(groups) < 2:
        return TestResult("kruskal", np.nan, np.nan, ONE_GROUP)
    if np.unique(np.concatenate(groups)).size < 2:
        return TestResult("kruskal", np.nan, np.nan, "one value observed (no test possible)")
    res = stats.kruskal(*groups)
    return TestResult("kruskal", float(res.statistic), float(res.pvalue))


def continuous(*samples) -> TestResult:
    """gtsummary's default for a continuous variable: Wilcoxon for two groups, Kruskal-Wallis for more."""
    present = [s for s in samples if pd.Series(s, dtype=float).notna().any()]
    if len(samples) == 2 and len(present) == 2:
        return wilcoxon(*samples)
    return kruskal(*samples)
