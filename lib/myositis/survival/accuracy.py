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
