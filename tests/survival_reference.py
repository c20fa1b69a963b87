"""Earlier implementations of functions of ``myositis.survival`` since rewritten for speed, kept verbatim (bar
names) so that tests can check the rewrites give the same numbers, to the last bit, and the same random draws.

Not used by the package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myositis.exceptions import ReconstructionError
from myositis.survival.estimation import _sorted_risk_sets
from myositis.survival.landmarks import MAX_AUTO_LOST, _feasible_patterns, published_range


# --- landmarks.py before the datasets were built and checked only until enough were accepted -------------------

def simulate(rng, patterns, n, bounds, follow_up, size):
    j_count = len(bounds) - 1
    pick = patterns[rng.integers(len(patterns), size=size)]
    cum = np.cumsum(pick, axis=1)
    slot = np.arange(n)
    category = np.zeros((size, n), np.int64)  # 0..J-1 deaths, J..2J-1 losses, 2J alive
    for c in cum.T:
        category += slot[None, :] >= c[:, None]
    interval = np.where(category < 2 * j_count, category % j_count, 0)
    lo, hi = bounds[:-1][interval], bounds[1:][interval]
    u = 1.0 - rng.random((size, n))
    time = np.where(category < 2 * j_count, lo + u * (hi - lo), follow_up)
    event = (category < j_count).astype(np.int8)
    return time, event, pick


def km_at(time, event, landmarks):
    order = np.argsort(time, axis=1, kind="stable")
    t = np.take_along_axis(time, order, axis=1)
    e = np.take_along_axis(event, order, axis=1)
    n = t.shape[1]
    at_risk = n - np.arange(n)
    with np.errstate(divide="ignore"):
        log_factor = np.where(e == 1, np.log1p(-1.0 / at_risk), 0.0)
    return np.exp(np.stack([np.where(t <= L, log_factor, 0.0).sum(axis=1) for L in landmarks], axis=1))


def landmark_reconstructions(n, landmarks, follow_up=None, draws=1000, seed=0, decimals=0, lost_to_follow_up=None,
                             batch=20000, max_proposals=5_000_000, rounding="round") -> dict:
    """The former loop (input checks left out); returns the fields of ``LandmarkReconstructions`` as a dict."""
    times = np.array(sorted(landmarks), float)
    values = np.array([float(landmarks[k]) for k in sorted(landmarks)])
    follow_up = float(times[-1] if follow_up is None else follow_up)
    lo, hi = published_range(values, decimals, rounding)
    bounds = np.concatenate(([0.0], times))
    rng = np.random.default_rng(seed)
    candidates = [lost_to_follow_up] if lost_to_follow_up is not None else range(0, min(n, MAX_AUTO_LOST) + 1)
    batch = max(500, min(batch, 2_000_000 // n))
    for lost_total in candidates:
        patterns = _feasible_patterns(n, times, lo, hi, lost_total)
        if len(patterns) == 0:
            continue
        kept_t, kept_e, kept_p, kept_s, proposals, kept = [], [], [], [], 0, 0
        budget = max_proposals if lost_to_follow_up is not None else min(max_proposals, 20 * batch)
        while kept < draws and (proposals < budget or kept > 0) and proposals < max_proposals:
            time, event, pick = simulate(rng, patterns, n, bounds, follow_up, batch)
            surv = km_at(time, event, times)
            ok = np.all((surv >= lo) & (surv <= hi), axis=1)
            take = np.flatnonzero(ok)[: draws - kept]
            finished = kept + take.size >= draws
            proposals += int(take[-1]) + 1 if finished and take.size else batch
            kept_t.append(time[take]), kept_e.append(event[take]), kept_p.append(pick[take]), kept_s.append(surv[take])
            kept += take.size
        if kept == 0:
            if lost_to_follow_up is not None:
                break
            continue
        if kept < draws:
            raise ReconstructionError(f"only {kept} of {draws} consistent datasets found in {proposals} proposals "
                                      "(raise max_proposals)")
        pick = np.concatenate(kept_p)
        j = len(times)
        return {"lost_to_follow_up": lost_total, "time": np.concatenate(kept_t), "event": np.concatenate(kept_e),
                "deaths": pick[:, :j], "lost": pick[:, j:], "survival": np.concatenate(kept_s),
                "proposals": proposals}
    raise ReconstructionError("no dataset")


# --- estimation.py's cox_batch before its Newton steps reused the likelihood they had computed ------------------

def cox_batch(time, event, treated, conf_level: float = 0.95, max_iter: int = 30, tol: float = 1e-10):
    n_all, n_tr, d_all, d_tr, use = _sorted_risk_sets(time, event, treated)
    n_ctrl = n_all - n_tr
    d_ctrl = d_all - d_tr
    max_d = int(d_all[use].max()) if use.any() else 0
    beta = np.zeros(n_all.shape[0])
    converged = np.zeros(beta.shape, bool)

    def pieces(b):
        r = np.exp(b)[:, None]
        ll = np.where(use, d_tr * b[:, None], 0.0).sum(axis=1)
        score = np.where(use, d_tr, 0.0).sum(axis=1)
        info = np.zeros_like(b)
        for ell in range(max_d):
            active = use & (d_all > ell)
            frac = np.where(active, ell / np.where(d_all > 0, d_all, 1), 0.0)
            s0 = n_ctrl + n_tr * r - frac * (d_ctrl + d_tr * r)
            s1 = n_tr * r - frac * d_tr * r
            with np.errstate(divide="ignore", invalid="ignore"):
                m = np.where(active, s1 / s0, 0.0)
                ll -= np.where(active, np.log(s0), 0.0).sum(axis=1)
            score -= m.sum(axis=1)
            info += np.where(active, m - m ** 2, 0.0).sum(axis=1)
        return ll, score, info

    for _ in range(max_iter):
        ll, score, info = pieces(beta)
        step = np.where(info > 0, score / np.where(info > 0, info, 1), 0.0)
        new = np.clip(beta + step, -30, 30)
        ll_new, _, _ = pieces(new)
        bad = ll_new < ll - 1e-12
        new = np.where(bad, (beta + new) / 2, new)
        done = np.abs(new - beta) < tol * (1 + np.abs(beta))
        beta = np.where(converged, beta, new)
        converged |= done
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
