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


def ipdfromkm_without_at_risk(curve: pd.DataFrame, n: int, total_events: int) -> pd.DataFrame:
    """IPDfromKM's reconstruction when only n and the total number of events are known (``getIPD`` with one
    interval), ported to compare against: all ``n - total_events`` censorings spread evenly over the whole curve,
    each in the digitised interval ``[t_j, t_j+1)`` it falls in and placed at its midpoint; deaths read from each
    drop as Guyot does; whoever remains at the end censored at the last time.

    The port works on the points as ``clean_curve`` leaves them (IPDfromKM's ``preprocess`` also sorts and makes
    the curve monotone). Used by ``benchmarks/survival.py`` only.

    References
    ----------
    Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published Kaplan-Meier survival
    curves. BMC Med Res Methodol 2021;21:111 (R package IPDfromKM 0.1.10, ``getIPD``).
    """
    from .guyot import clean_curve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        pts = clean_curve(curve)
    t, s = pts["time"].to_numpy(), pts["survival"].to_numpy()
    m = t.size
    ncen = int(n) - int(total_events)
    cen = np.zeros(m, int)
    if ncen > 0:
        cen_t = t[0] + np.arange(1, ncen + 1) * (t[-1] - t[0]) / (ncen + 1)
        idx = np.searchsorted(t, cen_t, side="right") - 1  # [t_j, t_j+1)
        np.add.at(cen, np.clip(idx, 0, m - 1), 1)
    d = np.zeros(m, int)
    nhat = float(n)
    km_last = 1.0
    for k in range(m):
        if k == 0:
            d[k] = 0
        elif km_last != 0 and nhat > 0:
            d[k] = int(np.round(nhat * (1 - s[k] / km_last)))
            km_last = km_last * (1 - d[k] / nhat)
        nxt = nhat - d[k] - cen[k]
        if nxt < 0:
            nxt = 0
            cen[k] = max(int(nhat - d[k]), 0)
        nhat = nxt
    ev_t = np.repeat(t, np.maximum(d, 0))
    mid = np.append((t[:-1] + t[1:]) / 2, t[-1])
    cen_t = np.repeat(mid, cen)
    rest = max(int(n) - ev_t.size - cen_t.size, 0)
    time = np.concatenate((ev_t, cen_t, np.full(rest, t[-1])))[: int(n)]
    event = np.concatenate((np.ones(ev_t.size, int), np.zeros(cen_t.size + rest, int)))[: int(n)]
    order = np.lexsort((1 - event, time))
    return pd.DataFrame({"time": time[order], "event": event[order]})


def route_errors(data: pd.DataFrame, group: str, landmarks, at_risk_every: float, route: str, seed: int = 0,
                 **digitiser) -> dict:
    """Largest landmark error and HR error (%) of one reconstruction route on a real two-arm dataset.

    ``route``: "guyot" (with the at-risk table), "guyot_n_events" (n and total events only), "ipdfromkm_n_events"
    (the IPDfromKM port, n and total events only). Each arm is digitised by ``simulate_digitisation`` with
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
