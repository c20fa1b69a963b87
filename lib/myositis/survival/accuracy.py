"""How well the Guyot route recovers a real dataset: simulated digitisation of a Kaplan-Meier figure and the
errors of the rebuilt data against the original (used by the tests, the benchmark and the notebook).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import estimation
from .guyot import DigitisationWarning, reconstruct_ipd


def simulate_digitisation(data: pd.DataFrame, at_risk_every: float, time: str = "time", event: str = "event",
                          survival_noise: float = 0.002, time_noise: float = 0.002, max_points: int | None = None,
                          seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a careful reader digitises from a published KM figure of ``data``: both corners of each step with a
    little noise, and the numbers at risk every ``at_risk_every`` time units.

    Parameters
    ----------
    data : DataFrame
        Patient-level data of one arm.
    at_risk_every : float
        Spacing of the at-risk table (time >= t counted, as R prints it).
    survival_noise : float
        Standard deviation of the reading error on survival.
    time_noise : float
        Standard deviation of the reading error on time, as a fraction of the last follow-up time (one error
        per step: a reader clicks both corners on the same vertical segment). The end of the curve is read
        without error: it is the end of follow-up, which papers state.
    max_points : int, optional
        Keep at most this many steps (evenly spaced), as a reader who skips tiny steps.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    (curve, at_risk)
        ``curve`` with ``time``, ``survival``; ``at_risk`` with ``time``, ``n_at_risk``.
    """
    rng = np.random.default_rng(seed)
    km = estimation.kaplan_meier(data, time=time, event=event)
    steps = km[km["n_event"] > 0]
    if max_points is not None and len(steps) > max_points // 2:
        steps = steps.iloc[np.unique(np.linspace(0, len(steps) - 1, max_points // 2).round().astype(int))]
    st, ss = steps["time"].to_numpy(), steps["survival"].to_numpy()
    before = np.concatenate(([1.0], ss[:-1]))
    t_end = float(km["time"].max())
    pt = np.concatenate(([0.0], np.repeat(st, 2), [t_end]))
    ps = np.concatenate(([1.0], np.column_stack((before, ss)).ravel(), [ss[-1] if ss.size else 1.0]))
    # One reading error in time per step (both corners sit on the same vertical segment).
    step_noise = rng.normal(0, time_noise * t_end, st.size + 2)
    pt = np.clip(pt + np.concatenate(([0.0], np.repeat(step_noise[1:-1], 2), [0.0])), 0, None)
    ps = ps + rng.normal(0, survival_noise, ps.size)
    pt[0], ps[0] = 0.0, 1.0
    grid = np.arange(0, t_end, at_risk_every)
    at_risk = estimation.survival_at(data, grid, time=time, event=event)[["time", "n_risk"]]
    return (pd.DataFrame({"time": pt, "survival": ps}),
            at_risk.rename(columns={"n_risk": "n_at_risk"}).reset_index(drop=True))


def _largest_error(rebuilt: np.ndarray, original: np.ndarray, relative: bool = False) -> float:
    """Largest |rebuilt - original| (divided by ``original`` when ``relative``). A value missing in both (a median
    neither curve reaches) is skipped; a value missing in only one of them is an infinite error, not a skipped one.
    NaN when every value is missing in both."""
    both = np.isnan(rebuilt) & np.isnan(original)
    if both.all():
        return np.nan
    a, b = rebuilt[~both], original[~both]
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(a - b) / (np.abs(b) if relative else 1.0)
    return float(np.max(np.where(np.isnan(a) | np.isnan(b), np.inf, err)))


def reconstruction_errors(data: pd.DataFrame, group: str, landmarks, at_risk_every: float, time: str = "time",
                          event: str = "event", dataset: str = "", seed: int = 0, **digitiser) -> pd.DataFrame:
    """Digitise each arm of a real dataset, rebuild it with ``reconstruct_ipd`` and compare with the original.

    Returns
    -------
    DataFrame
        One row: ``dataset``, ``n``, ``events``, ``landmark_abs_error`` (largest |S_rebuilt - S_original| over
        the landmarks and arms), ``median_pct_error`` (largest relative error of the median survival, %;
        infinite when only one of the two curves reaches 0.5, NaN when neither does),
        ``hr_original``, ``hr_reconstructed``, ``hr_pct_error`` (Cox HR of the second arm vs the first).
    """
    arms = [g for g in pd.unique(data[group].dropna())][:2]
    rebuilt = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        for i, g in enumerate(arms):
            arm = data.loc[data[group] == g, [time, event]].rename(columns={time: "time", event: "event"})
            curve, risk = simulate_digitisation(arm, at_risk_every, seed=seed + i, **digitiser)
            ipd = reconstruct_ipd(curve, risk, total_events=int(arm["event"].sum()))
            rebuilt.append(ipd.assign(group=g))
    original = data.loc[data[group].isin(arms), [time, event, group]].rename(
        columns={time: "time", event: "event", group: "group"})
    rebuilt = pd.concat(rebuilt, ignore_index=True)
    s0 = estimation.survival_at(original, landmarks, group="group")["survival"].to_numpy()
    s1 = estimation.survival_at(rebuilt, landmarks, group="group")["survival"].to_numpy()
    m0 = estimation.median_survival(original, group="group")["median"].to_numpy()
    m1 = estimation.median_survival(rebuilt, group="group")["median"].to_numpy()
    hr0 = estimation.cox_hr(original, reference=arms[0])["hr"].iloc[0]
    hr1 = estimation.cox_hr(rebuilt, reference=arms[0])["hr"].iloc[0]
    return pd.DataFrame([{"dataset": dataset, "n": len(original), "events": int(original["event"].sum()),
                          "landmark_abs_error": _largest_error(s1, s0),
                          "median_pct_error": _largest_error(m1, m0, relative=True) * 100,
                          "hr_original": hr0, "hr_reconstructed": hr1, "hr_pct_error": abs(hr1 / hr0 - 1) * 100}])


def veteran_data() -> pd.DataFrame:
    """R's ``veteran`` data (Veterans' Administration lung cancer trial, 137 patients), as shipped by
    scikit-survival: ``time`` (days), ``event`` (1 death), ``group`` ("standard" or "test" chemotherapy)."""
    from sksurv.datasets import load_veterans_lung_cancer

    X, y = load_veterans_lung_cancer()
    return pd.DataFrame({"time": y["Survival_in_days"].astype(float), "event": y["Status"].astype(int),
                         "group": X["Treatment"].astype(str).to_numpy()})


def veteran_example(decimals: int = 4) -> dict:
    """The example digitisation of ``veteran`` by treatment: arm -> (curve, at-risk table every 100 days),
    rounded to ``decimals`` as a digitiser exports them (seeds 1 and 2; reading error 0.001 in survival and
    0.05 % of the axis in time, about one pixel of a careful reading)."""
    data = veteran_data()
    out = {}
    for seed, arm in ((1, "standard"), (2, "test")):
        curve, at_risk = simulate_digitisation(data[data["group"] == arm], 100.0, seed=seed, survival_noise=0.001,
                                               time_noise=0.0005)
        out[arm] = (curve.round(decimals), at_risk)
    return out


def ipdfromkm_preprocess(curve: pd.DataFrame) -> pd.DataFrame:
    """IPDfromKM's ``preprocess`` (version 0.1.10, survival on the 0-1 scale), ported step by step.

    1. Sort by time (stable). 2. Drop a "ridiculous click": with ``span`` the absolute change of survival from the
    previous point (0 for the first), a point is an outlier when ``span`` lies outside Tukey's fences with
    ``k = 0.5`` (R ``quantile`` type 7), and is dropped when it is an outlier, the point before is not and the
    point after is (or it is the last point). 3. Survival made non-increasing by a running minimum; duplicate rows
    dropped. 4. At most two points per time (the highest and lowest survival). 5. Points with survival outside
    [0, 1] dropped (not clipped). 6. A point (0, 1) added first when the curve does not start there.
    """
    t = pd.to_numeric(curve["time"], errors="coerce").to_numpy(float)
    s = pd.to_numeric(curve["survival"], errors="coerce").to_numpy(float)
    ok = ~(np.isnan(t) | np.isnan(s))
    t, s = t[ok], s[ok]
    order = np.argsort(t, kind="stable")
    t, s = t[order], s[order]
    span = np.abs(np.diff(s, prepend=s[0]))
    q1, q3 = np.quantile(span, [0.25, 0.75])  # numpy's default is R's type 7
    iqr = q3 - q1
    out = (span <= q1 - 0.5 * iqr) | (span >= q3 + 0.5 * iqr)
    before = np.concatenate(([False], out[:-1]))
    after = np.concatenate((out[1:], [True]))
    keep = ~(out & ~before & after)
    t, s = t[keep], np.minimum.accumulate(s[keep])
    rows = list(dict.fromkeys(zip(t.tolist(), s.tolist())))  # dplyr::distinct keeps the first of each
    pts = pd.DataFrame(rows, columns=["time", "survival"])
    pts = pts.sort_values(["time", "survival"], ascending=[True, False], kind="stable")
    pts = pd.concat([pts.groupby("time", sort=True).head(1), pts.groupby("time", sort=True).tail(1)])
    pts = pts.drop_duplicates().sort_values(["time", "survival"], ascending=[True, False], kind="stable")
    pts = pts[(pts["survival"] >= 0) & (pts["survival"] <= 1) & (pts["time"] >= 0)]
    if pts.empty or pts["time"].iloc[0] != 0 or pts["survival"].iloc[0] != 1:
        pts = pd.concat([pd.DataFrame({"time": [0.0], "survival": [1.0]}), pts])
    return pts.reset_index(drop=True)


def _ipdfromkm_est_cen(ncen: float, low: int, upp: int, tt: np.ndarray) -> np.ndarray:
    """IPDfromKM's ``est_cen`` (0-based): ``ncen`` censorings spread evenly over ``[tt[low], tt[upp]]``, counted
    per ``[tt[j], tt[j+1])`` for j in low..upp. As R's ``1:ncen``, a count that is not whole (the last interval's)
    gives ``floor(ncen)`` times (one when below 1), spaced by ``1 / (ncen + 1)``."""
    cen = np.zeros(upp - low + 1)
    if ncen > 0:
        j = np.arange(1, max(int(np.floor(ncen)), 1) + 1)
        cen_t = tt[low] + j * (tt[upp] - tt[low]) / (ncen + 1)
        for m, k in enumerate(range(low, upp + 1)):
            if k + 1 >= tt.size:
                cen[m] = np.sum(tt[k] <= cen_t)
            else:
                cen[m] = np.sum((tt[k] <= cen_t) & (cen_t < tt[k + 1]))
    return cen


def ipdfromkm(curve: pd.DataFrame, at_risk: pd.DataFrame | None = None, n: int | None = None,
              total_events: int | None = None) -> pd.DataFrame:
    """IPDfromKM's reconstruction (``preprocess`` then ``getIPD``, version 0.1.10), ported line by line to compare
    against: with an at-risk table (``time``, ``n_at_risk``) or with ``n`` alone, and ``total_events`` when
    known.

    What it does differently from ``reconstruct_ipd`` (Guyot's code): its own cleaning of the points
    (``ipdfromkm_preprocess``; no point added at the at-risk times, and intervals without points dropped), the
    censorings of an interval spread over its own points only, the last interval's censoring rate the mean of the
    others' counts per at-risk spacing (not rounded), the total number of events used only to cap that last
    count, deaths not capped, and, without an at-risk table, all ``n - total_events`` censorings spread evenly over
    the whole curve, the total not matched afterwards.

    Checked against the package's R source (``R/preprocess.R`` and ``R/getIPD.R`` of IPDfromKM 0.1.10 sourced in
    R 4.2 with dplyr 1.0.10): identical data on the 154 digitised arms of ``benchmarks/survival.py``, with and
    without the at-risk table. Used by the benchmark.

    References
    ----------
    Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published Kaplan-Meier survival
    curves. BMC Med Res Methodol 2021;21:111 (R package IPDfromKM 0.1.10, ``preprocess``, ``getIPD``).
    """
    pts = ipdfromkm_preprocess(curve)
    tt, ss = pts["time"].to_numpy(float), pts["survival"].to_numpy(float)
    total = tt.size
    if at_risk is not None:
        trisk = at_risk["time"].to_numpy(float)
        nrisk = at_risk["n_at_risk"].to_numpy(float)
        nint = nrisk.size
        while nint > 1 and nrisk[nint - 1] == 0 and nrisk[nint - 2] == 0:
            nint -= 1
        trisk, nrisk = trisk[:nint], nrisk[:nint]
    else:
        trisk, nrisk = np.array([0.0]), np.array([float(n)])
    # interval of each point: the last at-risk time it reaches (the first interval otherwise)
    interval = np.zeros(total, int)
    for i in range(1, trisk.size):
        interval[tt >= trisk[i]] = i
    present = np.unique(interval)
    lower = np.array([np.flatnonzero(interval == i)[0] for i in present])
    upper = np.array([np.flatnonzero(interval == i)[-1] for i in present])
    t_risk, n_risk = trisk[present], nrisk[present].copy()
    endpts = nrisk.min() if t_risk.max() < trisk.max() else None
    nint = present.size
    ncensor = np.zeros(nint)
    lasti = np.zeros(nint, int)
    cen = np.zeros(total)
    nhat = np.full(total + 1, n_risk[0] + 1)
    d = np.zeros(total)
    km = np.ones(total)
    las = 0

    def sweep(i, clamp_cen):
        nonlocal las
        nhat[lower[i]] = n_risk[i]
        las = lasti[i]
        for k in range(lower[i], upper[i] + 1):
            if k == 0:
                d[k], km[k] = 0, 1.0
            else:
                d[k] = np.round(nhat[k] * (1 - ss[k] / km[las])) if km[las] != 0 else 0
                with np.errstate(divide="ignore", invalid="ignore"):
                    km[k] = km[las] * (1 - d[k] / nhat[k])
            nhat[k + 1] = nhat[k] - d[k] - cen[k]
            if d[k] != 0:
                las = k
            if nhat[k + 1] < 0:
                nhat[k + 1] = 0
                if clamp_cen:
                    cen[k] = nhat[k] - d[k]

    for i in range(nint - 1):
        ncensor[i] = np.round(n_risk[i] * ss[lower[i + 1]] / ss[lower[i]] - n_risk[i + 1])
        while ((nhat[lower[i + 1]] > n_risk[i + 1] and ncensor[i] < n_risk[i] - n_risk[i + 1] + 1)
               or (nhat[lower[i + 1]] < n_risk[i + 1] and ncensor[i] > 0)):
            est = _ipdfromkm_est_cen(ncensor[i], lower[i], upper[i], tt)
            cen[lower[i]:upper[i] + 1] = est
            ncensor[i] = est.sum()
            sweep(i, clamp_cen=False)
            ncensor[i] += nhat[lower[i + 1]] - n_risk[i + 1]
        n_risk[i + 1] = nhat[lower[i + 1]]
        lasti[i + 1] = las
    i = nint - 1
    if nint > 1:
        left_d = 0.0 if total_events is None else max(total_events - d[:upper[i - 1] + 1].sum(), 0)
        mm = 0.0 if endpts is None else endpts
        ncensor[i] = min(np.mean(ncensor[:i]) * (tt[-1] - t_risk[i]) / (t_risk[i] - t_risk[i - 1]),
                         n_risk[i] - mm - left_d)
    else:
        ncensor[i] = 0 if total_events is None else n_risk[i] - total_events
    cen[lower[i]:upper[i] + 1] = _ipdfromkm_est_cen(ncensor[i], lower[i], upper[i], tt)
    sweep(i, clamp_cen=True)
    dd = np.maximum(d, 0).astype(int)
    cc = np.maximum(cen, 0).astype(int)
    mid = np.append((tt[:-1] + tt[1:]) / 2, tt[-1])
    rest = int(max(nhat[total], 0))
    time = np.concatenate((np.repeat(tt, dd), np.repeat(mid, cc), np.full(rest, tt[-1])))
    event = np.concatenate((np.ones(dd.sum(), int), np.zeros(cc.sum() + rest, int)))
    order = np.lexsort((1 - event, time))
    return pd.DataFrame({"time": time[order], "event": event[order]})


def ipdfromkm_without_at_risk(curve: pd.DataFrame, n: int, total_events: int) -> pd.DataFrame:
    """IPDfromKM with only n and the total number of events (``ipdfromkm`` without at-risk table): all
    ``n - total_events`` censorings spread evenly over the whole curve, each in the digitised interval
    ``[t_j, t_j+1)`` it falls in and placed at its midpoint; deaths read from each drop as Guyot does; whoever
    remains at the end censored at the last time; the total number of events not matched afterwards."""
    return ipdfromkm(curve, n=n, total_events=total_events)


def route_errors(data: pd.DataFrame, group: str, landmarks, at_risk_every: float, route: str, seed: int = 0,
                 **digitiser) -> dict:
    """Largest landmark error and HR error (%) of one reconstruction route on a real two-arm dataset.

    ``route``: "guyot" (with the at-risk table and total events), "guyot_n_events" (n and total events only),
    "ipdfromkm" and "ipdfromkm_n_events" (the IPDfromKM port, ``ipdfromkm``, with the same inputs). Each arm is digitised by ``simulate_digitisation`` with
    ``seed`` (+ arm index) and ``digitiser`` options.
    """
    arms = [g for g in pd.unique(data[group].dropna())][:2]
    rebuilt = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        for i, g in enumerate(arms):
            arm = data.loc[data[group] == g, ["time", "event"]]
            curve, risk = simulate_digitisation(arm, at_risk_every, seed=seed + i, **digitiser)
            events = int(arm["event"].sum())
            if route == "guyot":
                ipd = reconstruct_ipd(curve, risk, total_events=events)
            elif route == "guyot_n_events":
                ipd = reconstruct_ipd(curve, n=len(arm), total_events=events)
            elif route == "ipdfromkm":
                ipd = ipdfromkm(curve, risk, total_events=events)
            elif route == "ipdfromkm_n_events":
                ipd = ipdfromkm_without_at_risk(curve, len(arm), events)
            else:
                raise ValueError(f"unknown route {route!r}")
            rebuilt.append(ipd.assign(group=g))
    original = data.loc[data[group].isin(arms), ["time", "event", group]].rename(columns={group: "group"})
    rebuilt = pd.concat(rebuilt, ignore_index=True)
    s0 = estimation.survival_at(original, landmarks, group="group")["survival"].to_numpy()
    s1 = estimation.survival_at(rebuilt, landmarks, group="group")["survival"].to_numpy()
    hr0 = estimation.cox_hr(original, reference=arms[0])["hr"].iloc[0]
    hr1 = estimation.cox_hr(rebuilt, reference=arms[0])["hr"].iloc[0]
    return {"landmark_abs_error": _largest_error(s1, s0), "hr_pct_error": abs(hr1 / hr0 - 1) * 100,
            "hr_signed_pct": (hr1 / hr0 - 1) * 100}
