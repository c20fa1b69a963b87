"""Earlier implementations of functions of ``myositis.survival`` since rewritten for speed, kept verbatim (bar
names) so that tests can check the rewrites give the same numbers, to the last bit, and the same random draws.

Not used by the package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myositis.exceptions import ReconstructionError
from myositis.survival.guyot import CHUNK_CELLS, DigitisationWarning, reconstruct_ipd
from myositis.survival.estimation import _sorted_risk_sets
from myositis.survival.landmarks import (MAX_AUTO_LOST, _feasible_patterns, landmark_reconstructions as
                                         _landmark_reconstructions, published_range)


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


# --- guyot.py's step profile before its multipliers were computed by _Profiles -----------------------------------

def step_profile(h: np.ndarray, w: np.ndarray, n: int, lam: float, terms: tuple | None = None):
    """Numbers at risk at each drop of the curve read from the sizes of the drops (dynamic programming).

    Chooses, for the K drops of hazard ``h`` (1 - S after / S before), numbers at risk ``m_1 >= ...`` with
    ``m_1 <= n`` and ``m_k+1 <= m_k - d_k`` (whoever leaves otherwise is censored), the deaths ``d_k`` being the
    cheaper of the floor and the ceiling of ``m_k h_k`` (the floor on a tie), minimising
    ``sum w_k (d_k / m_k - h_k)^2 + lam * sum d_k``: whole deaths out of the numbers at risk must give the drops
    read (a step of 1/37 is one death among 37), and ``lam`` (a Lagrange multiplier) sets the total number of
    deaths. Ties go to the smallest number at risk, then to the fewest censored. Returns
    ``(deaths, at_risk, left_after_last_drop)``.

    The costs of every drop are computed at once; the forward pass keeps only the best total by number left
    after each drop, and the choices are read back along the best path alone: the numbers at risk that leave
    ``a`` after drop k are those with ``g(m) = m - floor(m h_k)`` equal to ``a`` (floor) or ``a + 1`` (ceiling),
    a run of one or two since ``g`` never rises by more than one.

    ``terms``: ``profile_terms(h, w, n)``, the parts of the costs that do not depend on ``lam``, when the same
    drops are read at several multipliers (``_profile_for_events``); the same numbers as computed here.
    """
    K = h.size
    M = np.arange(n + 1)
    cost = np.empty((K, n + 1))  # the cost of each drop, then (forward pass) the best total through it
    left = np.empty((K, n + 1), np.int32)  # left after the drop
    g = np.empty((K, n + 1), np.int32)
    rows = max(1, CHUNK_CELLS // (n + 1))
    if terms is not None and rows < K:
        terms = None  # given for one block only (its arrays would not stay in cache)
    for s in range(0, K, rows):  # a few drops at a time: arrays that stay in the processor's cache
        fl, ce, q1, fits, q2, gs = terms or profile_terms(h[s:s + rows], w[s:s + rows], n)
        c1 = q1 + lam * fl
        c2 = np.where(fits, q2 + lam * ce, np.inf)
        left[s:s + rows] = M - np.where(c1 <= c2, fl, ce)
        cost[s:s + rows] = np.minimum(c1, c2)
        g[s:s + rows] = gs
    # best[k]: best total by number left after drop k; suffix[k + 1]: its suffix minimum (= best by at risk at the
    # next drop: any number <= those left); arrays allocated once, each drop's row written in place
    best = np.full((K, n + 1), np.inf)
    suffix = np.empty((K + 1, n + 1))
    suffix[0] = 0.0
    add, scatter_min, suffix_min = np.add, np.minimum.at, np.minimum.accumulate
    rows_b, rows_s, rows_c, rows_l = list(best), list(suffix), list(cost), list(left)  # row views, made once
    for k in range(K):
        add(rows_s[k], rows_c[k], rows_c[k])
        scatter_min(rows_b[k], rows_l[k], rows_c[k])
        suffix_min(rows_b[k][::-1], 0, None, rows_s[k + 1][::-1])  # out= positional: less call overhead
    # first[k, m]: the first j >= m with best[k, j] = min(best[k, m:]) (= m + np.argmin(best[k, m:])), i.e. the
    # first j >= m where best[k] reaches its own suffix minimum
    first = np.empty((K, n + 1), np.int32)
    M32, none = M.astype(np.int32), np.int32(n + 1)
    for s in range(0, K, rows):
        np.minimum.accumulate(np.where(best[s:s + rows] == suffix[s + 1:s + 1 + rows], M32, none)[:, ::-1], axis=1,
                              out=first[s:s + rows, ::-1])
    deaths, at_risk = [0] * K, [0] * K
    a = last = int(np.argmin(best[K - 1]))
    hl = h.tolist()  # Python numbers and .item(): the same values and comparisons, without numpy scalars' overhead
    for k in range(K - 1, -1, -1):
        target, hk = best.item(k, a), hl[k]
        # the smallest number at risk that leaves a with the best total: g(m) = a or a + 1, found by walking
        # from m = a / (1 - h), near where g(m) = a
        m = min(n, int(a / (1 - hk))) if hk < 1 else 0
        while m > 0 and g.item(k, m - 1) >= a:
            m -= 1
        while g.item(k, m) < a:
            m += 1
        while not (left.item(k, m) == a and cost.item(k, m) == target):
            m += 1
        at_risk[k], deaths[k] = m, m - left.item(k, m)
        if k:
            a = first.item(k - 1, m)  # left after the previous drop: the fewest censored
    return np.array(deaths, int), np.array(at_risk, int), last


def profile_terms(h, w, n):
    """The parts of ``_step_profile``'s costs of the drops ``h`` (weights ``w``) that do not depend on the
    multiplier: floor and ceiling of ``m h``, their squared gaps ``w (d / m - h)^2``, where the ceiling fits
    (``<= m``), and ``g(m) = m - floor(m h)``."""
    M = np.arange(n + 1)
    Mf = np.maximum(M, 1).astype(float)
    hk, wk = h[:, None], w[:, None]
    fl = np.floor(M * hk)
    ce = fl + 1
    return fl, ce, wk * (fl / Mf - hk) ** 2, ce <= M, wk * (ce / Mf - hk) ** 2, M - fl


def profile_for_events(h, w, n, total_events):
    """``_step_profile`` with the multiplier found by bisection so that its deaths add up to ``total_events``
    (or as near as whole numbers allow)."""
    terms = profile_terms(h, w, n) if h.size * (n + 1) <= CHUNK_CELLS else None  # computed once for every lam

    def run(lam):
        return step_profile(h, w, n, lam, terms)
    lo, hi = -1e-2, 1e-2
    while run(lo)[0].sum() < total_events and lo > -1e3:
        lo *= 4
    while run(hi)[0].sum() > total_events and hi < 1e3:
        hi *= 4
    best = None
    for _ in range(30):
        mid = (lo + hi) / 2
        out = run(mid)
        gap = abs(int(out[0].sum()) - total_events)
        if best is None or gap < best[0]:
            best = (gap, out)
        if gap == 0:
            break
        if out[0].sum() > total_events:
            lo = mid
        else:
            hi = mid
    return best[1]


# --- comparison.py's robustness draws before they ran on arrays -------------------------------------------------

def digitised_draws(points, table, spec, tol, n0, draws, rng):
    """The draws loop of ``comparison.digitised_reconstructions`` (data frames through ``jitter_curve`` and
    ``reconstruct_ipd``)."""
    import warnings

    from myositis.survival.comparison import jitter_curve

    risk = table
    time = np.empty((draws, n0))
    event = np.empty((draws, n0), np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        for i in range(draws):
            moved = jitter_curve(points, rng, float(tol["time"]), float(tol["survival"]))
            ipd = reconstruct_ipd(moved, table, total_events=spec.get("total_events"),
                                  n=None if risk is not None else spec.get("n"), censoring_rng=rng,
                                  time_tolerance=float(tol["time"]))
            time[i], event[i] = ipd["time"].to_numpy(), ipd["event"].to_numpy()
    return time, event


# --- cohorts.py's reconstruct_cohorts before it read the table as arrays ----------------------------------------

def reconstruct_cohorts(landmark_table: pd.DataFrame, draws: int, seed: int, follow_up: float | None = None,
                        lost_to_follow_up: int | dict | None = None, rounding: str = "round",
                        landmarks=None, max_proposals: int = 5_000_000) -> dict:
    """``landmark_reconstructions`` for every reconstructable cohort of ``published_landmarks``.

    Each cohort gets its own random stream spawned from ``seed`` (``np.random.SeedSequence``), in table order.

    Parameters
    ----------
    landmark_table : DataFrame
        ``published_landmarks`` output.
    draws, seed, follow_up, max_proposals
        As ``landmark_reconstructions``.
    lost_to_follow_up : int or dict, optional
        Patients lost before the last landmark: one number for every cohort, or cohort label -> number (cohorts
        not named, and None, take the smallest number consistent with their figures).
    rounding : {"round", "truncate"}
        How the published percentages were derived (``published_range``).
    landmarks : sequence of float, optional
        Use only these landmark times (e.g. the verified 6-month figures alone); all by default.

    Returns
    -------
    dict
        Cohort label -> ``LandmarkReconstructions``.

    Raises
    ------
    ReconstructionError
        No dataset of a cohort fits its figures under these assumptions; the message names the cohort.
    """
    table = landmark_table[landmark_table["reconstructable"]]
    if landmarks is not None:
        table = table[table["time"].isin([float(t) for t in landmarks])]
    labels = list(pd.unique(table["cohort"]))
    streams = np.random.SeedSequence(seed).spawn(len(labels))
    out = {}
    for label, stream in zip(labels, streams):
        rows = table[table["cohort"] == label]
        lost = lost_to_follow_up.get(label) if isinstance(lost_to_follow_up, dict) else lost_to_follow_up
        try:
            out[label] = _landmark_reconstructions(
                n=int(rows["n"].iloc[0]), landmarks=dict(zip(rows["time"], rows["published_pct"] / 100)),
                follow_up=follow_up, draws=draws, seed=int(stream.generate_state(1)[0]),
                decimals=int(rows["decimals"].iloc[0]), lost_to_follow_up=None if lost is None else int(lost),
                rounding=rounding, max_proposals=max_proposals)
        except ReconstructionError as exc:
            raise ReconstructionError(f"cohort {label!r}: {exc}") from None
    return out
