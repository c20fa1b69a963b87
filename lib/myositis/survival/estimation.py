"""Survival estimation on individual patient data: Kaplan-Meier with Greenwood confidence intervals, numbers at
risk, log-rank tests, Cox hazard ratios and exact binomial intervals, each returning a DataFrame.

Conventions follow R's ``survival`` package so that a user who knows ``survfit``, ``survdiff`` and ``coxph``
gets the same numbers: the number at risk at time *t* counts the patients whose time is >= *t*; censored
patients at an event time are still at risk at that time; Cox ties use Efron's method.

The array functions (``logrank_batch``, ``cox_batch``) work on many datasets at once, one per row, so that
thousands of reconstructed datasets are compared in well under a second.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import ValidationError, EstimationError

CONF_TYPES = ("log", "log-log", "plain")


def _arrays(data: pd.DataFrame, time: str, event: str) -> tuple[np.ndarray, np.ndarray]:
    for col in (time, event):
        if col not in data.columns:
            raise ValidationError(f"column '{col}' not found (columns: {', '.join(map(str, data.columns))})")
    t = pd.to_numeric(data[time], errors="coerce").to_numpy(float)
    e = pd.to_numeric(data[event], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0) | ~np.isin(e, (0, 1)))
    if bad.size:
        i = bad[0]
        raise ValidationError(f"row {i + 1}: time {data[time].iloc[i]!r}, event {data[event].iloc[i]!r}: time must be a "
                              "number >= 0 and event 0 (censored) or 1 (event)")
    return t, e.astype(int)


def _groups(data: pd.DataFrame, group: str | None) -> list:
    if group is None:
        return [None]
    if group not in data.columns:
        raise ValidationError(f"group column '{group}' not found")
    values = data[group]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [g for g in values.cat.categories if (values == g).any()]
    return list(pd.unique(values.dropna()))


def _km_steps(t: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    """One row per distinct observed time (events and censorings), as R's survfit stores them."""
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=times.size)
    n_total = np.bincount(inverse, minlength=times.size)
    n_risk = t.size - np.concatenate(([0], np.cumsum(n_total)[:-1]))[: times.size]  # no subject: no step
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        # Greenwood: var(log S) = sum d / (n (n - d)); infinite once S reaches 0, as in R.
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    return pd.DataFrame({"time": times, "n_risk": n_risk.astype(int), "n_event": n_event.astype(int),
                         "n_censor": (n_total - n_event).astype(int), "survival": surv,
                         "se_log": np.sqrt(np.cumsum(term))})


def _confint(surv, se_log, conf_type: str, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """R survival's ``survfit`` intervals (survfit.R, ``survfit_confint``); ``se_log`` is the s.e. of log S."""
    if conf_type not in CONF_TYPES:
        raise EstimationError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    surv = np.asarray(surv, float)
    se_log = np.asarray(se_log, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lower = np.clip(surv - z * se_log * surv, 0, 1)
            upper = np.clip(surv + z * se_log * surv, 0, 1)
        elif conf_type == "log":
            lower = np.exp(np.log(surv) - z * se_log)
            upper = np.minimum(np.exp(np.log(surv) + z * se_log), 1.0)
            lower = np.where(surv == 0, np.nan, lower)
            upper = np.where(surv == 0, np.nan, upper)
        else:
            inner = np.where((surv == 0) | (surv == 1), np.nan, surv)
            a = np.exp(-np.exp(np.log(-np.log(inner)) + z * se_log / np.log(inner)))
            b = np.exp(-np.exp(np.log(-np.log(inner)) - z * se_log / np.log(inner)))
            lower, upper = np.fmin(a, b), np.fmax(a, b)
            # Before the first event S = 1 and the interval is the point itself, as R reports it.
            lower = np.where(surv == 1, 1.0, lower)
            upper = np.where(surv == 1, 1.0, upper)
    return lower, upper


def kaplan_meier(data: pd.DataFrame, time: str = "time", event: str = "event", group: str | None = None,
                 conf_type: str = "log-log", conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate with Greenwood standard errors, one row per distinct observed time.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time, event : str
        Columns of follow-up time (any unit, >= 0) and event indicator (1 event, 0 censored).
    group : str, optional
        Column whose values define the curves.
    conf_type : {"log-log", "log", "plain"}
        Scale of the confidence interval. ``"log"`` is R survival's default, ``"log-log"`` SAS's and Stata's.
    conf_level : float
        Coverage of the interval.

    Returns
    -------
    DataFrame
        ``group``, ``time``, ``n_risk``, ``n_event``, ``n_censor``, ``survival``, ``std_err`` (of S, as R's
        ``summary.survfit``), ``lower``, ``upper``.

    Notes
    -----
    Same numbers as R: ``survfit(Surv(time, event) ~ group, data = d, conf.type = "log-log")``.

    References
    ----------
    Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc 1958;53:457-481.
    Greenwood M. The natural duration of cancer. Rep Public Health Med Subj 1926;33:1-26.
    """
    t, e = _arrays(data, time, event)
    frames = []
    for g in _groups(data, group):
        mask = np.ones(t.size, bool) if g is None else (data[group] == g).to_numpy()
        steps = _km_steps(t[mask], e[mask])
        steps["lower"], steps["upper"] = _confint(steps["survival"], steps["se_log"], conf_type, conf_level)
        steps.insert(0, "group", g)
        frames.append(steps)
    out = pd.concat(frames, ignore_index=True)
    out["std_err"] = out.pop("se_log") * out["survival"]
    return out[["group", "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]]


def survival_at(data: pd.DataFrame, times, group: str | None = None, conf_type: str = "log-log",
                conf_level: float = 0.95, time: str = "time", event: str = "event") -> pd.DataFrame:
    """Kaplan-Meier survival with its confidence interval at given times (landmarks).

    Parameters
    ----------
    data : DataFrame
        One row per patient with columns ``time`` and ``event``.
    times : sequence of float
        Landmark times, in the unit of ``time`` (e.g. ``[6, 12]`` months).
    group : str, optional
        Column defining the groups.
    conf_type : {"log-log", "log", "plain"}
        ``"log"`` reproduces R survival's default exactly; ``"log-log"`` (default here) keeps the interval
        inside (0, 1) and behaves better in small samples.
    conf_level : float
        Coverage of the interval.
    time, event : str
        Column names.

    Returns
    -------
    DataFrame
        ``group``, ``time``, ``n_risk`` (patients with time >= landmark, as R and SAS count them), ``n_event``
        (events up to and including the landmark), ``survival``, ``std_err``, ``lower``, ``upper``. A landmark
        after the last follow-up time gives NaN survival (R refuses such times unless ``extend = TRUE``).

    Notes
    -----
    R: ``summary(survfit(Surv(time, event) ~ group, data = d, conf.type = "log"), times = c(6, 12))``.

    References
    ----------
    Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481. Therneau TM. A package for survival analysis in R.
    """
    t, e = _arrays(data, time, event)
    landmarks = np.atleast_1d(np.asarray(times, float))
    rows = []
    for g in _groups(data, group):
        mask = np.ones(t.size, bool) if g is None else (data[group] == g).to_numpy()
        tg, eg = t[mask], e[mask]
        steps = _km_steps(tg, eg)
        if tg.size == 0:  # no patient (nothing analysable): unknown survival, not an IndexError
            steps = pd.DataFrame({"time": [-np.inf], "survival": [np.nan], "se_log": [np.nan]})
        idx = np.searchsorted(steps["time"].to_numpy(), landmarks, side="right") - 1
        surv = np.where(idx >= 0, steps["survival"].to_numpy()[np.maximum(idx, 0)], 1.0)
        se = np.where(idx >= 0, steps["se_log"].to_numpy()[np.maximum(idx, 0)], 0.0)
        beyond = landmarks > (tg.max() if tg.size else -np.inf)
        surv = np.where(beyond, np.nan, surv)
        lower, upper = _confint(surv, se, conf_type, conf_level)
        with np.errstate(invalid="ignore"):  # survival 0: its log-scale SE is infinite, the SE undefined (NaN, as R)
            std_err = se * surv
        rows.append(pd.DataFrame({
            "group": g, "time": landmarks,
            "n_risk": (tg[None, :] >= landmarks[:, None]).sum(axis=1),
            "n_event": ((tg[None, :] <= landmarks[:, None]) & (eg[None, :] == 1)).sum(axis=1),
            "survival": surv, "std_err": std_err, "lower": lower, "upper": upper}))
    return pd.concat(rows, ignore_index=True)


def at_risk_table(data: pd.DataFrame, times, group: str | None = None, time: str = "time",
                  event: str = "event") -> pd.DataFrame:
    """Numbers at risk (time >= t, as R's ``summary(fit, times)$n.risk``), groups in rows and times in columns."""
    table = survival_at(data, times, group=group, time=time, event=event)
    if group is None:
        table["group"] = "all"
    wide = table.pivot(index="group", columns="time", values="n_risk")
    wide = wide.reindex([g for g in pd.unique(table["group"])])
    wide.columns = [f"{c:g}" for c in wide.columns]
    return wide


def median_survival(data: pd.DataFrame, group: str | None = None, time: str = "time",
                    event: str = "event") -> pd.DataFrame:
    """Median survival time: the first time S(t) <= 0.5, averaged with the next time when S is exactly 0.5 on a
    flat stretch, as R's ``print(survfit(...))``; NaN when the curve stays above 0.5."""
    t, e = _arrays(data, time, event)
    rows = []
    for g in _groups(data, group):
        mask = np.ones(t.size, bool) if g is None else (data[group] == g).to_numpy()
        steps = _km_steps(t[mask], e[mask])
        s, tt = steps["survival"].to_numpy(), steps["time"].to_numpy()
        hit = np.flatnonzero(s <= 0.5 + 1e-12)
        if hit.size == 0:
            med = np.nan
        else:
            med = tt[hit[0]]
            if abs(s[hit[0]] - 0.5) < 1e-12:
                later = np.flatnonzero((s < 0.5 - 1e-12) & (np.arange(s.size) > hit[0]))
                if later.size:
                    med = (tt[hit[0]] + tt[later[0]]) / 2
        rows.append({"group": g, "n": int(mask.sum()), "events": int(e[mask].sum()), "median": med})
    return pd.DataFrame(rows)


# --- log-rank ------------------------------------------------------------------------------------------------

def _logrank_stat(t: np.ndarray, e: np.ndarray, codes: np.ndarray, k: int):
    """Observed, expected and variance matrix of the k-group log-rank test (R ``survdiff``, rho = 0)."""
    times, inverse = np.unique(t, return_inverse=True)
    m = times.size
    d = np.zeros((m, k))
    n_at = np.zeros((m, k))
    np.add.at(d, (inverse, codes), e)
    np.add.at(n_at, (inverse, codes), 1)
    n_risk = n_at[::-1].cumsum(axis=0)[::-1]  # patients with time >= each distinct time
    n_tot = n_risk.sum(axis=1)
    d_tot = d.sum(axis=1)
    keep = d_tot > 0
    n_risk, n_tot, d_tot, d = n_risk[keep], n_tot[keep], d_tot[keep], d[keep]
    share = n_risk / n_tot[:, None]
    observed = d.sum(axis=0)
    expected = (d_tot[:, None] * share).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(n_tot > 1, d_tot * (n_tot - d_tot) / (n_tot - 1), 0.0)
    var = (np.einsum("t,ti->i", factor, share) * np.eye(k)) - np.einsum("t,ti,tj->ij", factor, share, share)
    return observed, expected, var


def _chisq(observed, expected, var) -> tuple[float, int]:
    diff = (observed - expected)[:-1]
    v = var[:-1, :-1]
    df = np.linalg.matrix_rank(v) if v.size else 0
    if df == 0:
        return np.nan, 0
    return float(diff @ np.linalg.pinv(v) @ diff), int(df)


def logrank(data: pd.DataFrame, group: str = "group", time: str = "time", event: str = "event",
            pairwise: bool = True) -> pd.DataFrame:
    """Log-rank test across all groups and, optionally, between each pair of groups.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str
        Column defining the groups (two or more).
    time, event : str
        Column names.
    pairwise : bool
        Add one row per pair of groups (each test uses only the patients of that pair; p-values are not
        adjusted for multiplicity).

    Returns
    -------
    DataFrame
        ``comparison`` ("overall" or "A vs B"), ``group_1``, ``group_2``, ``n``, ``observed_1``,
        ``expected_1``, ``chisq``, ``df``, ``p_value``.

    Notes
    -----
    R: ``survdiff(Surv(time, event) ~ group, data = d)`` for the overall row.

    References
    ----------
    Mantel N. Evaluation of survival data and two new rank order statistics arising in its consideration.
    Cancer Chemother Rep 1966;50:163-170. Peto R, Peto J. Asymptotically efficient rank invariant test
    procedures. J R Stat Soc A 1972;135:185-207.
    """
    t, e = _arrays(data, time, event)
    levels = _groups(data, group)
    if len(levels) < 2:
        raise ValidationError(f"log-rank needs at least two groups in column '{group}', found {len(levels)}")
    values = data[group].to_numpy()
    if len(levels) == 2:
        tests = [(f"{levels[0]} vs {levels[1]}", levels)]
    else:
        tests = [("overall", levels)] + ([(f"{a} vs {b}", [a, b]) for a, b in combinations(levels, 2)]
                                         if pairwise else [])
    rows = []
    for label, groups in tests:
        mask = np.isin(values, groups)
        codes = pd.Categorical(values[mask], categories=groups).codes
        observed, expected, var = _logrank_stat(t[mask], e[mask], codes, len(groups))
        chisq, df = _chisq(observed, expected, var)
        rows.append({"comparison": label, "group_1": groups[0] if len(groups) == 2 else "all",
                     "group_2": groups[1] if len(groups) == 2 else "",
                     "n": int(mask.sum()), "observed_1": observed[0], "expected_1": expected[0],
                     "chisq": chisq, "df": df, "p_value": stats.chi2.sf(chisq, df) if df else np.nan})
    out = pd.DataFrame(rows)
    return out


def _tie_groups(time: np.ndarray):
    """For rows of sorted times: index of the first and last element of each run of equal times."""
    b, n = time.shape
    idx = np.broadcast_to(np.arange(n), (b, n))
    new = np.ones((b, n), bool)
    new[:, 1:] = time[:, 1:] != time[:, :-1]
    first = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
    end = np.ones((b, n), bool)
    end[:, :-1] = new[:, 1:]
    return first, end


def _sorted_risk_sets(time, event, treated):
    """Sort each row by time; per tie run: at risk (total, treated), events (total, treated), run end mask."""
    time, event, treated = (np.asarray(a) for a in (time, event, treated))
    order = np.argsort(time, axis=1, kind="stable")
    t = np.take_along_axis(time, order, axis=1).astype(float)
    ev = np.take_along_axis(event, order, axis=1).astype(float)
    tr = np.take_along_axis(treated, order, axis=1).astype(float)
    n = t.shape[1]
    first, end = _tie_groups(t)
    rows = np.arange(t.shape[0])[:, None]
    risk_all = n - first
    cum_tr = np.concatenate((np.zeros((t.shape[0], 1)), np.cumsum(tr, axis=1)), axis=1)
    risk_tr = cum_tr[:, -1:] - np.take_along_axis(cum_tr, first, axis=1)
    cum_ev = np.concatenate((np.zeros((t.shape[0], 1)), np.cumsum(ev, axis=1)), axis=1)
    cum_evtr = np.concatenate((np.zeros((t.shape[0], 1)), np.cumsum(ev * tr, axis=1)), axis=1)
    last = np.arange(n)[None, :] + 1
    d_all = cum_ev[rows, last] - np.take_along_axis(cum_ev, first, axis=1)
    d_tr = cum_evtr[rows, last] - np.take_along_axis(cum_evtr, first, axis=1)
    use = end & (d_all > 0)
    return risk_all, risk_tr, d_all, d_tr, use


def logrank_batch(time, event, treated) -> pd.DataFrame:
    """Two-group log-rank test on many datasets at once (one dataset per row of the arrays).

    Parameters
    ----------
    time, event, treated : array_like, shape (datasets, patients)
        Follow-up time, event indicator (1/0) and group indicator (1 for the group whose observed events are
        reported, 0 for the other).

    Returns
    -------
    DataFrame
        One row per dataset: ``observed``, ``expected`` (events in the ``treated`` group), ``chisq``, ``p_value``.

    Notes
    -----
    Identical to ``survdiff(Surv(time, event) ~ treated)`` for each row, ties included.
    """
    return _logrank_of(_sorted_risk_sets(time, event, treated))


def _logrank_of(risk_sets) -> pd.DataFrame:
    """``logrank_batch`` from ``_sorted_risk_sets``' output."""
    n_all, n_tr, d_all, d_tr, use = risk_sets
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(use, n_tr / n_all, 0.0)
        expected = np.where(use, d_all * share, 0.0).sum(axis=1)
        var = np.where(use & (n_all > 1), d_all * share * (1 - share) * (n_all - d_all) / (n_all - 1), 0.0).sum(axis=1)
        observed = np.where(use, d_tr, 0.0).sum(axis=1)
        chisq = (observed - expected) ** 2 / var
    return pd.DataFrame({"observed": observed, "expected": expected, "chisq": chisq,
                         "p_value": stats.chi2.sf(chisq, 1)})


# --- Cox proportional hazards, one binary covariate ---------------------------------------------------------

def cox_batch(time, event, treated, conf_level: float = 0.95, max_iter: int = 30,
              tol: float = 1e-10) -> pd.DataFrame:
    """Cox hazard ratio of ``treated`` (1) vs the other group (0), Efron ties, for many datasets at once.

    Newton-Raphson on the Efron partial likelihood with a single binary covariate, vectorised over datasets.

    Parameters
    ----------
    time, event, treated : array_like, shape (datasets, patients)
    conf_level : float
        Coverage of the Wald interval ``exp(beta +/- z se)`` (as R's ``summary(coxph)``).

    Returns
    -------
    DataFrame
        One row per dataset: ``log_hr``, ``se``, ``hr``, ``lower``, ``upper``, ``p_value`` (Wald), ``converged``.
        A group without events gives an infinite or zero HR: ``converged`` is False and the interval is NaN,
        where R warns that the coefficient may be infinite.

    Notes
    -----
    R: ``coxph(Surv(time, event) ~ treated, data = d, ties = "efron")``.

    References
    ----------
    Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220. Efron B. The efficiency of Cox's
    likelihood function for censored data. J Am Stat Assoc 1977;72:557-565.
    """
    return _cox_of(_sorted_risk_sets(time, event, treated), conf_level, max_iter, tol)


def _cox_of(risk_sets, conf_level: float = 0.95, max_iter: int = 30, tol: float = 1e-10) -> pd.DataFrame:
    """``cox_batch`` from ``_sorted_risk_sets``' output.

    What does not depend on the coefficient (the tied deaths' masks and Efron fractions, the score's first
    term) is computed once; the first tied death (Efron fraction 0) is computed without its zero terms
    (``x - 0 * y`` is ``x``). A Newton step whose likelihood rises is not computed twice: the next iteration
    starts from the coefficient just evaluated, with its likelihood, score and information (each dataset's are
    computed from its row alone); only after a step halving are they computed again. The same numbers, to the
    last bit, as evaluating both points at every iteration."""
    n_all, n_tr, d_all, d_tr, use = risk_sets
    n_ctrl = n_all - n_tr
    d_ctrl = d_all - d_tr
    max_d = int(d_all[use].max()) if use.any() else 0
    beta = np.zeros(n_all.shape[0])
    converged = np.zeros(beta.shape, bool)
    score_0 = np.where(use, d_tr, 0.0).sum(axis=1)
    ties = []
    for ell in range(max_d):
        active = use & (d_all > ell)
        frac = np.where(active, ell / np.where(d_all > 0, d_all, 1), 0.0) if ell else None
        ties.append((active, frac))

    def pieces(b):
        r = np.exp(b)[:, None]
        ll = np.where(use, d_tr * b[:, None], 0.0).sum(axis=1)
        score = score_0.copy()
        info = np.zeros_like(b)
        n_tr_r = n_tr * r
        for active, frac in ties:
            if frac is None:  # the first death of a tie (every death when there are no ties): fraction 0
                s0 = n_ctrl + n_tr_r
                s1 = n_tr_r
            else:
                s0 = n_ctrl + n_tr_r - frac * (d_ctrl + d_tr * r)
                s1 = n_tr_r - frac * d_tr * r
            with np.errstate(divide="ignore", invalid="ignore"):
                m = np.where(active, s1 / s0, 0.0)
                ll -= np.where(active, np.log(s0), 0.0).sum(axis=1)
            score -= m.sum(axis=1)
            info += np.where(active, m - m ** 2, 0.0).sum(axis=1)  # x is 0/1, so E[x^2] = E[x]
        return ll, score, info

    known = None  # pieces(beta), when the last iteration computed them
    for _ in range(max_iter):
        ll, score, info = known or pieces(beta)
        step = np.where(info > 0, score / np.where(info > 0, info, 1), 0.0)
        # One step halving per iteration when the likelihood falls (coxph keeps halving until it rises).
        new = np.clip(beta + step, -30, 30)
        at_new = pieces(new)
        bad = at_new[0] < ll - 1e-12
        new = np.where(bad, (beta + new) / 2, new)
        done = np.abs(new - beta) < tol * (1 + np.abs(beta))
        beta = np.where(converged, beta, new)
        converged |= done
        # the datasets still iterating are at ``new`` unless halved: their pieces are those just computed (the
        # others' beta no longer moves, whatever their pieces)
        known = None if (bad & ~converged).any() else at_new
        if converged.all():
            break
    _, score, info = pieces(beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = 1 / np.sqrt(info)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    finite = converged & (np.abs(beta) < 25) & np.isfinite(se)
    se = np.where(finite, se, np.nan)
    return pd.DataFrame({"log_hr": beta, "se": se, "hr": np.exp(beta), "lower": np.exp(beta - z * se),
                         "upper": np.exp(beta + z * se), "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
                         "converged": finite})


def logrank_cox_batch(time, event, treated, conf_level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(logrank_batch(...), cox_batch(...))`` of the same datasets, their risk sets computed once."""
    risk_sets = _sorted_risk_sets(time, event, treated)
    return _logrank_of(risk_sets), _cox_of(risk_sets, conf_level)


def cox_hr(data: pd.DataFrame, group: str = "group", reference=None, time: str = "time", event: str = "event",
           conf_level: float = 0.95) -> pd.DataFrame:
    """Cox hazard ratio of each group against a reference group, with Wald CI and p-value.

    Each comparison is fitted on the patients of the two groups only (a two-group Cox model), Efron ties.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str
        Column defining the groups.
    reference : optional
        Reference group (denominator of the HR); the first group by default.
    time, event : str
        Column names.
    conf_level : float
        Coverage of the interval.

    Returns
    -------
    DataFrame
        ``comparison``, ``group``, ``reference``, ``hr``, ``lower``, ``upper``, ``p_value``, ``log_hr``, ``se``,
        ``converged``.

    Notes
    -----
    R: ``coxph(Surv(time, event) ~ I(group == "B"), data = subset(d, group %in% c("A", "B")))``.

    References
    ----------
    Cox DR. J R Stat Soc B 1972;34:187-220. Efron B. J Am Stat Assoc 1977;72:557-565.
    """
    t, e = _arrays(data, time, event)
    levels = _groups(data, group)
    reference = levels[0] if reference is None else reference
    if reference not in levels:
        raise ValidationError(f"reference group {reference!r} not found in column '{group}'")
    values = data[group].to_numpy()
    rows = []
    for g in [lv for lv in levels if lv != reference]:
        mask = np.isin(values, [g, reference])
        fit = cox_batch(t[mask][None, :], e[mask][None, :], (values[mask] == g)[None, :].astype(int),
                        conf_level=conf_level).iloc[0]
        rows.append({"comparison": f"{g} vs {reference}", "group": g, "reference": reference, **fit.to_dict()})
    cols = ["comparison", "group", "reference", "hr", "lower", "upper", "p_value", "log_hr", "se", "converged"]
    return pd.DataFrame(rows, columns=cols)


# --- proportions at a landmark ------------------------------------------------------------------------------

def binomial_ci(successes, n, conf_level: float = 0.95) -> pd.DataFrame:
    """Exact (Clopper-Pearson) confidence interval of a proportion, e.g. patients alive at 12 months.

    Only valid when nobody was censored before the landmark (then KM survival = survivors / n).

    Parameters
    ----------
    successes, n : int or array_like of int
    conf_level : float

    Returns
    -------
    DataFrame
        ``successes``, ``n``, ``proportion``, ``lower``, ``upper``.

    References
    ----------
    Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial.
    Biometrika 1934;26:404-413.
    """
    k = np.atleast_1d(np.asarray(successes, int))
    n = np.broadcast_to(np.atleast_1d(np.asarray(n, int)), k.shape)
    if np.any((k < 0) | (k > n)):
        raise EstimationError("successes must lie between 0 and n")
    alpha = 1 - conf_level
    lower = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
    upper = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return pd.DataFrame({"successes": k, "n": n, "proportion": k / n, "lower": lower, "upper": upper})


def binomial_test(successes, n, p0: float, conf_level: float = 0.95) -> pd.DataFrame:
    """Exact two-sided binomial test of a proportion against a benchmark ``p0``, with its Clopper-Pearson CI.

    Parameters
    ----------
    successes, n : int or array_like of int
        One test per pair.
    p0 : float
        Benchmark proportion (e.g. a historical cohort's survival).

    Returns
    -------
    DataFrame
        ``successes``, ``n``, ``proportion``, ``lower``, ``upper``, ``benchmark``, ``p_value``.

    Notes
    -----
    R: ``binom.test(successes, n, p = p0)``.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    """
    out = binomial_ci(successes, n, conf_level)
    out["benchmark"] = p0
    out["p_value"] = [stats.binomtest(int(k), int(m), p0).pvalue for k, m in zip(out["successes"], out["n"])]
    return out


def fisher_test(successes_1: int, n_1: int, successes_2: int, n_2: int) -> pd.DataFrame:
    """Fisher's exact test of two proportions (e.g. survivors in a trial and in its historical controls).

    R: ``fisher.test(matrix(c(s1, n1 - s1, s2, n2 - s2), 2))``; the odds ratio is the sample (not the
    conditional maximum-likelihood) odds ratio.

    References
    ----------
    Fisher RA. On the interpretation of chi-square from contingency tables. J R Stat Soc 1922;85:87-94.
    """
    table = [[successes_1, n_1 - successes_1], [successes_2, n_2 - successes_2]]
    odds, p = stats.fisher_exact(table)
    return pd.DataFrame([{"successes_1": successes_1, "n_1": n_1, "proportion_1": successes_1 / n_1,
                          "successes_2": successes_2, "n_2": n_2, "proportion_2": successes_2 / n_2,
                          "odds_ratio": odds, "p_value": p}])


def km_ci_without_censoring(successes: int, n: int, conf_type: str = "log-log",
                            conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier interval of ``successes / n`` when nobody was censored before the landmark.

    With no censoring KM survival equals the proportion, and Greenwood's variance of log S is
    ``sum_{i < d} 1 / ((n - i)(n - i - 1))`` whatever the order of the deaths; this gives the interval a paper
    reports when it quotes a KM estimate (e.g. 88.0 %, 67.3-96.0 % for 22 of 25 on the log-log scale).

    Returns
    -------
    DataFrame
        ``successes``, ``n``, ``survival``, ``lower``, ``upper``, ``conf_type``.
    """
    deaths = n - successes
    i = np.arange(deaths)
    with np.errstate(divide="ignore"):
        se_log = np.sqrt(np.sum(1.0 / ((n - i) * (n - i - 1.0))))
    surv = successes / n
    lower, upper = _confint(np.array([surv]), np.array([se_log]), conf_type, conf_level)
    return pd.DataFrame([{"successes": successes, "n": n, "survival": surv, "lower": lower[0], "upper": upper[0],
                          "conf_type": conf_type}])
