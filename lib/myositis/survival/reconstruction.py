"""Rebuilding individual patient data (IPD) from published survival figures.

Two routes, by what the paper gives:

* a Kaplan-Meier figure that can be digitised (coordinates of the curve, numbers at risk under the axis):
  ``reconstruct_ipd``, the algorithm of Guyot et al. (2012);
* only n and survival percentages at landmarks (e.g. "89 % at 6 months"): ``landmark_reconstructions``,
  every dataset consistent with those rounded percentages, drawn many times, so that a conclusion can be
  checked across all of them rather than on one invented dataset.

``simulate_digitisation`` and ``reconstruction_errors`` measure how well the Guyot route recovers a real
dataset (used by the tests and shown in the tacrolimus notebook).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from .. import io, paths
from ..exceptions import ReconstructionError
from . import estimation

TOLERANCE = 0.02
MAX_AUTO_LOST = 10


class DigitisationWarning(UserWarning):
    """Digitiser noise was cleaned (points above 1, small increases of a survival curve)."""


# --- input checks ---------------------------------------------------------------------------------------------

def _numeric(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    if col not in df.columns:
        raise ReconstructionError(f"{what}: column '{col}' not found (columns: {', '.join(map(str, df.columns))})")
    raw = df[col]
    if raw.dtype == object:
        raw = raw.astype(str).str.strip().str.replace(",", ".", regex=False)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ReconstructionError(f"{what}: row {bad[0] + 1}, field {col}: {df[col].iloc[bad[0]]!r} is not a number")
    return values


def clean_curve(curve: pd.DataFrame, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Check and clean digitised Kaplan-Meier coordinates (columns ``time``, ``survival`` in [0, 1]).

    Points slightly outside [0, 1] (by at most ``tolerance``) are clipped, points are sorted by time and any
    increase of survival (digitiser noise) is removed by a running minimum, with a ``DigitisationWarning``.
    A point (0, 1) is added when the curve does not start there.

    Raises
    ------
    ReconstructionError
        Negative times, survival beyond [-tolerance, 1 + tolerance] (percentages are recognised and named),
        non-numeric cells; the message names the row (1-based, as in the file).
    """
    t = _numeric(curve, "time", "digitised curve")
    s = _numeric(curve, "survival", "digitised curve")
    if t.size == 0:
        raise ReconstructionError("digitised curve: no points")
    neg = np.flatnonzero(t < 0)
    if neg.size:
        raise ReconstructionError(f"digitised curve: row {neg[0] + 1}, field time: {t[neg[0]]:g} is negative "
                                  "(set points read left of the origin to 0)")
    out = np.flatnonzero((s < -tolerance) | (s > 1 + tolerance))
    if out.size:
        i = out[0]
        hint = " (the curve looks like percentages: divide by 100)" if s.max() > 1.5 and s.max() <= 100.5 else ""
        raise ReconstructionError(f"digitised curve: row {i + 1}, field survival: {s[i]:g} is outside [0, 1] "
                                  f"beyond the tolerance {tolerance:g}{hint}")
    clipped = int(((s < 0) | (s > 1)).sum())
    s = np.clip(s, 0, 1)
    order = np.lexsort((-s, t))
    t, s = t[order], s[order]
    mono = np.minimum.accumulate(s)
    raised = int((mono < s - 1e-12).sum())
    if clipped or raised:
        warnings.warn(f"digitised curve: {clipped} point(s) clipped to [0, 1] and {raised} point(s) lowered to "
                      f"keep survival non-increasing (largest change {np.max(s - mono, initial=0):.3g})",
                      DigitisationWarning, stacklevel=3)
    if not (t[0] == 0 and mono[0] == 1):
        t, mono = np.concatenate(([0.0], t)), np.concatenate(([1.0], mono))
    keep = np.ones(t.size, bool)
    keep[1:] = (np.diff(t) != 0) | (np.diff(mono) != 0)
    return pd.DataFrame({"time": t[keep], "survival": mono[keep]})


def clean_at_risk(at_risk: pd.DataFrame, last_time: float | None = None) -> pd.DataFrame:
    """Check a numbers-at-risk table (columns ``time``, ``n_at_risk``; first row time 0 and n).

    Rows after the last digitised time are dropped with a warning (the curve gives nothing to fit there).

    Raises
    ------
    ReconstructionError
        First time not 0, times not increasing, counts negative, not whole or increasing; names the row.
    """
    t = _numeric(at_risk, "time", "at-risk table")
    n = _numeric(at_risk, "n_at_risk", "at-risk table")
    if t.size == 0:
        raise ReconstructionError("at-risk table: no rows")
    if t[0] != 0:
        raise ReconstructionError(f"at-risk table: row 1, field time: {t[0]:g}; the first row must be time 0 with "
                                  "the number of patients")
    for i in range(1, t.size):
        if t[i] <= t[i - 1]:
            raise ReconstructionError(f"at-risk table: row {i + 1}, field time: {t[i]:g} is not after the previous "
                                      f"time {t[i - 1]:g}")
    for i in range(t.size):
        if n[i] < 0 or n[i] != np.round(n[i]):
            raise ReconstructionError(f"at-risk table: row {i + 1}, field n_at_risk: {n[i]:g} is not a whole "
                                      "number >= 0")
        if i and n[i] > n[i - 1]:
            raise ReconstructionError(f"at-risk table: row {i + 1}, field n_at_risk: {n[i]:g} at risk is more than "
                                      f"{n[i - 1]:g} at the previous time (numbers at risk cannot increase)")
    keep = np.ones(t.size, bool) if last_time is None else t < last_time
    keep[0] = True
    if not keep.all():
        warnings.warn(f"at-risk table: {int((~keep).sum())} row(s) at or after the last digitised time "
                      f"{last_time:g} ignored", DigitisationWarning, stacklevel=3)
    return pd.DataFrame({"time": t[keep], "n_at_risk": n[keep].astype(int)})


# --- Guyot et al. 2012 ----------------------------------------------------------------------------------------

def _hist(x: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """R's ``hist(x, breaks, plot = FALSE)$counts`` (right-closed, lowest included), tolerating equal breaks."""
    x = np.sort(x)
    cum = np.searchsorted(x, breaks, side="right")
    counts = np.diff(cum)
    if counts.size:
        counts[0] += cum[0] - np.searchsorted(x, breaks[0], side="left")
    return counts


def _spread(t_from: float, t_to: float, count: int) -> np.ndarray:
    return t_from + np.arange(1, count + 1) * (t_to - t_from) / (count + 1)


def _guyot(t_s, s, t_risk, n_risk, total_events, max_iter=1000):
    """Guyot's R code translated line by line (0-based), with guards against division by zero."""
    n_t, n_int = t_s.size, t_risk.size
    n_risk = n_risk.astype(float).copy()
    lower = np.searchsorted(t_s, t_risk, side="left")
    upper = np.append(lower[1:] - 1, n_t - 1)
    n_censor = np.zeros(n_int)
    n_hat = np.full(n_t + 1, n_risk[0] + 1)
    cen = np.zeros(n_t)
    d = np.zeros(n_t)
    km_hat = np.ones(n_t)
    last_i = np.zeros(n_int, int)
    notes = []

    def sweep(i, first_interval, clamp):
        last = last_i[i]
        for k in range(lower[i], upper[i] + 1):
            if first_interval and k == lower[i]:
                d[k], km_hat[k] = 0, 1.0
            elif n_hat[k] <= 0 or km_hat[last] == 0:
                d[k], km_hat[k] = 0, km_hat[last]
            else:
                d[k] = min(max(np.round(n_hat[k] * (1 - s[k] / km_hat[last])), 0), n_hat[k])
                km_hat[k] = km_hat[last] * (1 - d[k] / n_hat[k])
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if clamp and n_hat[k + 1] < 0:
                n_hat[k + 1] = 0
                cen[k] = n_hat[k] - d[k]
            if d[k] != 0:
                last = k
        return last

    def place_censoring_last():
        i = n_int - 1
        cen[lower[i]:upper[i]] = 0
        if n_censor[i] <= 0 or upper[i] == lower[i]:
            n_censor[i] = 0
        else:
            cen_t = _spread(t_s[lower[i]], t_s[upper[i]], int(n_censor[i]))
            cen[lower[i]:upper[i]] = _hist(cen_t, t_s[lower[i]:upper[i] + 1])

    last = 0
    for i in range(n_int - 1):
        ratio = s[lower[i + 1]] / s[lower[i]] if s[lower[i]] > 0 else 0.0
        n_censor[i] = np.round(n_risk[i] * ratio - n_risk[i + 1])
        it = 0
        while (n_hat[lower[i + 1]] > n_risk[i + 1]) or (n_hat[lower[i + 1]] < n_risk[i + 1] and n_censor[i] > 0):
            if n_censor[i] <= 0:
                cen[lower[i]:upper[i] + 1] = 0
                n_censor[i] = 0
            else:
                cen_t = _spread(t_s[lower[i]], t_s[lower[i + 1]], int(n_censor[i]))
                cen[lower[i]:upper[i] + 1] = _hist(cen_t, t_s[lower[i]:lower[i + 1] + 1])
            n_hat[lower[i]] = n_risk[i]
            last = sweep(i, i == 0, clamp=False)
            n_censor[i] += n_hat[lower[i + 1]] - n_risk[i + 1]
            it += 1
            if it >= max_iter:
                notes.append(f"interval {i + 1}: censoring did not settle after {max_iter} passes")
                break
        if n_hat[lower[i + 1]] < n_risk[i + 1]:
            n_risk[i + 1] = n_hat[lower[i + 1]]
        last_i[i + 1] = last

    i = n_int - 1
    if n_int > 1:
        span = t_s[upper[i - 1]] - t_s[lower[0]]
        rate = np.sum(n_censor[:-1]) * (t_s[upper[i]] - t_s[lower[i]]) / span if span > 0 else 0.0
        n_censor[i] = min(np.round(rate), n_risk[i])
    else:
        n_censor[i] = 0
    place_censoring_last()
    n_hat[lower[i]] = n_risk[i]
    sweep(i, n_int == 1, clamp=True)

    if total_events is not None:
        sum_dl = d[:upper[i - 1] + 1].sum() if n_int > 1 else 0
        if n_int > 1 and sum_dl >= total_events:
            d[lower[i]:upper[i] + 1] = 0
            cen[lower[i]:upper[i]] = 0
            n_hat[lower[i] + 1:upper[i] + 2] = n_risk[i]
        else:
            sum_d = d[:upper[i] + 1].sum()
            it = 0
            while sum_d > total_events or (sum_d < total_events and n_censor[i] > 0):
                n_censor[i] += sum_d - total_events
                place_censoring_last()
                n_hat[lower[i]] = n_risk[i]
                sweep(i, n_int == 1, clamp=True)
                sum_d = d[:upper[i] + 1].sum()
                it += 1
                if it >= max_iter:
                    notes.append(f"total events: did not settle after {max_iter} passes")
                    break
    return d.astype(int), cen.astype(int), notes


def reconstruct_ipd(curve: pd.DataFrame, at_risk: pd.DataFrame | None = None, total_events: int | None = None,
                    n: int | None = None, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Reconstruct individual patient data from a digitised Kaplan-Meier curve (Guyot et al. 2012).

    Parameters
    ----------
    curve : DataFrame
        Digitised points with columns ``time`` and ``survival`` (in [0, 1]), as exported by a plot digitiser
        (e.g. WebPlotDigitizer). Read both corners of each step when you can. Noise is cleaned with a warning
        (see ``clean_curve``).
    at_risk : DataFrame, optional
        Numbers at risk printed under the figure: columns ``time`` and ``n_at_risk``, first row time 0 and n.
    total_events : int, optional
        Total number of events in the arm, when the paper reports it; used to set censoring in the last interval.
    n : int, optional
        Number of patients, when no at-risk table is available (with ``at_risk``, its first row gives n).
    tolerance : float
        How far outside [0, 1] a digitised survival may fall before it is an error rather than noise.

    Returns
    -------
    DataFrame
        One row per patient: ``time`` and ``event`` (1 event, 0 censored), sorted by time. Events sit at the
        digitised times of the drops, censorings midway between digitised points (Guyot's convention), patients
        still at risk at the end are censored at the last digitised time.

    Raises
    ------
    ReconstructionError
        Invalid input; the message names the row.

    Notes
    -----
    Without an at-risk table the algorithm works from n alone, as Guyot et al. describe: with ``total_events``
    the censoring is spread evenly to match it; without, nobody is censored before the last digitised time.
    A digitised point is added at each at-risk time (on the step the curve is on), so that every interval
    between at-risk times holds points.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival data: reconstructing the
    data from published Kaplan-Meier survival curves. BMC Med Res Methodol 2012;12:9.
    """
    pts = clean_curve(curve, tolerance)
    t_s, s = pts["time"].to_numpy(), pts["survival"].to_numpy()
    if at_risk is None:
        if n is None:
            raise ReconstructionError("give the number of patients: an at-risk table (first row time 0, n) or n=")
        risk = pd.DataFrame({"time": [0.0], "n_at_risk": [int(n)]})
    else:
        risk = clean_at_risk(at_risk, last_time=t_s[-1])
        if n is not None and int(n) != risk["n_at_risk"].iloc[0]:
            raise ReconstructionError(f"n={n} differs from the at-risk table's first row "
                                      f"({risk['n_at_risk'].iloc[0]})")
    t_risk, n_risk = risk["time"].to_numpy(float), risk["n_at_risk"].to_numpy()
    if n_risk[0] < 1:
        raise ReconstructionError("at-risk table: row 1, field n_at_risk: the number of patients must be >= 1")
    if total_events is not None and not 0 <= int(total_events) <= n_risk[0]:
        raise ReconstructionError(f"total_events={total_events} must lie between 0 and n={n_risk[0]}")
    missing = t_risk[~np.isin(t_risk, t_s)]
    if missing.size:
        on_step = s[np.searchsorted(t_s, missing, side="left") - 1]
        t_s = np.concatenate((t_s, missing))
        s = np.concatenate((s, on_step))
        order = np.lexsort((-s, t_s))
        t_s, s = t_s[order], s[order]
    d, cen, notes = _guyot(t_s, s, t_risk, n_risk, None if total_events is None else int(total_events))
    for note in notes:
        warnings.warn(f"Guyot reconstruction: {note}", DigitisationWarning, stacklevel=2)
    n0 = int(n_risk[0])
    ev_t = np.repeat(t_s, d)
    cen_t = np.repeat((t_s[:-1] + t_s[1:]) / 2, cen[:-1])
    if ev_t.size + cen_t.size > n0:
        cen_t = cen_t[: max(n0 - ev_t.size, 0)]
        ev_t = ev_t[:n0]
    rest = n0 - ev_t.size - cen_t.size
    time = np.concatenate((ev_t, cen_t, np.full(rest, t_s[-1])))
    event = np.concatenate((np.ones(ev_t.size, int), np.zeros(cen_t.size + rest, int)))
    order = np.lexsort((1 - event, time))
    return pd.DataFrame({"time": time[order], "event": event[order]})


# --- validation on real data ----------------------------------------------------------------------------------

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


# --- landmark reconstructions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LandmarkReconstructions:
    """Datasets consistent with a cohort published as n and rounded survival at landmarks, one per row.

    Attributes
    ----------
    time, event : ndarray, shape (draws, n)
        Follow-up time and event indicator of each patient in each draw.
    deaths, lost : ndarray, shape (draws, landmarks)
        Deaths and losses to follow-up in each interval ending at a landmark.
    survival : ndarray, shape (draws, landmarks)
        Kaplan-Meier survival of each draw at each landmark (all round to the published figures).
    proposals : int
        Datasets drawn before the ``draws`` consistent ones were found (acceptance = draws / proposals).
    """

    n: int
    landmarks: dict
    follow_up: float
    decimals: int
    lost_to_follow_up: int
    time: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    deaths: np.ndarray = field(repr=False)
    lost: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    proposals: int = 0

    @property
    def draws(self) -> int:
        return self.time.shape[0]

    def draw(self, i: int = 0) -> pd.DataFrame:
        """Draw ``i`` as patient-level data (``time``, ``event``), sorted by time."""
        order = np.argsort(self.time[i], kind="stable")
        return pd.DataFrame({"time": self.time[i][order], "event": self.event[i][order]})

    def frame(self) -> pd.DataFrame:
        """All draws as one long table (``draw``, ``time``, ``event``)."""
        return pd.DataFrame({"draw": np.repeat(np.arange(self.draws), self.n), "time": self.time.ravel(),
                             "event": self.event.ravel()})

    def summary(self) -> pd.DataFrame:
        """How often each pattern (deaths and losses per interval) occurs among the consistent datasets."""
        cols = {}
        bounds = [0, *self.landmarks]
        for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            cols[f"deaths {a:g}-{b:g}"] = self.deaths[:, j]
            cols[f"lost {a:g}-{b:g}"] = self.lost[:, j]
        df = pd.DataFrame(cols)
        out = df.value_counts(sort=False).rename("draws").reset_index()
        out["share"] = out["draws"] / self.draws
        return out.sort_values("draws", ascending=False, kind="stable", ignore_index=True)


def _feasible_patterns(n, times, lo, hi, lost_total):
    """Death/loss counts per interval that can give KM within [lo, hi] at each landmark (necessary bounds)."""
    j_count = len(times)
    patterns = []
    for lost in product(range(lost_total + 1), repeat=j_count):
        if sum(lost) != lost_total:
            continue
        c_cum = np.cumsum(lost)
        ranges = []
        for j in range(j_count):
            dd = np.arange(n - c_cum[j] + 1)
            s_max = (n - dd) / n  # losses after the deaths
            s_min = (n - c_cum[j] - dd) / max(n - c_cum[j], 1)  # losses before the deaths
            ranges.append(dd[(s_max >= lo[j]) & (s_min <= hi[j])])
        for cum in product(*ranges):
            cum = np.array(cum)
            deaths = np.diff(np.concatenate(([0], cum)))
            if (deaths >= 0).all() and cum[-1] + c_cum[-1] <= n:
                patterns.append(np.concatenate((deaths, lost)))
    return np.array(patterns, int).reshape(-1, 2 * j_count)


def _simulate(rng, patterns, n, bounds, follow_up, size):
    """Draw ``size`` datasets: a pattern uniformly, then event and loss times uniformly within their intervals."""
    j_count = len(bounds) - 1
    pick = patterns[rng.integers(len(patterns), size=size)]
    cum = np.cumsum(pick, axis=1)
    slot = np.arange(n)
    category = (slot[None, :, None] >= cum[:, None, :]).sum(axis=2)  # 0..J-1 deaths, J..2J-1 losses, 2J alive
    interval = np.where(category < 2 * j_count, category % j_count, 0)
    lo, hi = bounds[:-1][interval], bounds[1:][interval]
    u = 1.0 - rng.random((size, n))  # in (0, 1]: deaths may fall on the landmark itself
    time = np.where(category < 2 * j_count, lo + u * (hi - lo), follow_up)
    event = (category < j_count).astype(np.int8)
    return time, event, pick


def _km_at(time, event, landmarks):
    """KM survival of each row at each landmark (continuous times: no ties among events)."""
    order = np.argsort(time, axis=1, kind="stable")
    t = np.take_along_axis(time, order, axis=1)
    e = np.take_along_axis(event, order, axis=1)
    n = t.shape[1]
    at_risk = n - np.arange(n)
    with np.errstate(divide="ignore"):
        log_factor = np.where(e == 1, np.log1p(-1.0 / at_risk), 0.0)
    return np.exp(np.stack([np.where(t <= L, log_factor, 0.0).sum(axis=1) for L in landmarks], axis=1))


def landmark_reconstructions(n: int, landmarks: dict, follow_up: float | None = None, draws: int = 1000,
                             seed: int = 0, decimals: int = 0, lost_to_follow_up: int | None = None,
                             batch: int = 20000, max_proposals: int = 5_000_000) -> LandmarkReconstructions:
    """Datasets consistent with a cohort reported only as n and (rounded) survival at landmarks.

    Parameters
    ----------
    n : int
        Number of patients.
    landmarks : dict
        Landmark time -> published survival as a proportion, e.g. ``{6: 0.89, 12: 0.85}``.
    follow_up : float, optional
        End of follow-up (administrative censoring); the last landmark by default.
    draws : int
        Number of consistent datasets to return.
    seed : int
        Seed of ``np.random.default_rng``: the same seed gives the same datasets.
    decimals : int
        Decimals of the published percentage (0 for "89 %", 1 for "88.0 %"): a dataset is consistent when its
        Kaplan-Meier survival at every landmark lies within half a unit of that last decimal.
    lost_to_follow_up : int, optional
        Patients lost to follow-up before the last landmark. By default the smallest number (up to 10) for which
        consistent datasets exist (0 when the percentages are whole counts of n, as 33 % of 15 = 5/15).

    Returns
    -------
    LandmarkReconstructions
        ``draws`` datasets (arrays of shape (draws, n)), with death and loss counts and the KM at landmarks.

    Raises
    ------
    ReconstructionError
        Survival outside [0, 1], decreasing landmarks violated (survival rising), or no dataset consistent with
        the figures with ``lost_to_follow_up`` losses (or within the proposal budget).

    Notes
    -----
    Assumptions, to be stated with any result: (1) a pattern of deaths and losses per interval between landmarks
    is drawn uniformly among those that can reproduce the published figures, then every death and loss time
    uniformly within its interval; (2) exactly ``lost_to_follow_up`` patients are lost before the last landmark (the
    published percentages of small cohorts often cannot be whole counts: 89 % of 29 is not k/29); (3) nobody
    dies after the last landmark before ``follow_up`` (nothing is published there) and survivors are censored
    at ``follow_up``. Draws are proposals accepted only when every landmark rounds to the published figure
    (rejection sampling), so the accepted datasets follow the proposal conditioned on the figures: a pattern is
    kept in proportion to the share of its uniform times that reproduce the figures (not uniformly over patterns),
    and its times are uniform within the region that does.
    Vectorised: thousands of draws take well under a second for cohorts of tens of patients.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. BMC Med Res Methodol 2012;12:9 (reconstruction from n and
    reported figures when no at-risk table exists).
    """
    if n < 1:
        raise ReconstructionError(f"n={n}: a cohort needs at least one patient")
    times = np.array(sorted(landmarks), float)
    values = np.array([float(landmarks[k]) for k in sorted(landmarks)])
    for t_, v in zip(times, values):
        if not 0 <= v <= 1:
            raise ReconstructionError(f"landmark {t_:g}: survival {v:g} is not a proportion in [0, 1] "
                                      "(write 89 % as 0.89)")
        if t_ <= 0:
            raise ReconstructionError(f"landmark {t_:g}: landmark times must be > 0")
    rising = np.flatnonzero(np.diff(values) > 0)
    if rising.size:
        raise ReconstructionError(f"landmark {times[rising[0] + 1]:g}: survival {values[rising[0] + 1]:g} is above "
                                  f"the {values[rising[0]]:g} of the earlier landmark")
    follow_up = float(times[-1] if follow_up is None else follow_up)
    if follow_up < times[-1]:
        raise ReconstructionError(f"follow_up={follow_up:g} is before the last landmark {times[-1]:g}")
    half = 0.5 * 10.0 ** (-decimals) / 100
    lo, hi = values - half - 1e-12, values + half + 1e-12
    bounds = np.concatenate(([0.0], times))
    rng = np.random.default_rng(seed)
    # Automatic search stops at MAX_AUTO_LOST losses: beyond that, the caller should choose the number.
    candidates = [lost_to_follow_up] if lost_to_follow_up is not None else range(0, min(n, MAX_AUTO_LOST) + 1)
    batch = max(500, min(batch, 2_000_000 // n))  # bounded memory for large cohorts
    for lost_total in candidates:
        patterns = _feasible_patterns(n, times, lo, hi, lost_total)
        if len(patterns) == 0:
            continue
        kept_t, kept_e, kept_p, kept_s, proposals, kept = [], [], [], [], 0, 0
        # When searching for the smallest number of losses, give up on a number after a pilot budget.
        budget = max_proposals if lost_to_follow_up is not None else min(max_proposals, 20 * batch)
        while kept < draws and (proposals < budget or kept > 0) and proposals < max_proposals:
            time, event, pick = _simulate(rng, patterns, n, bounds, follow_up, batch)
            surv = _km_at(time, event, times)
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
        return LandmarkReconstructions(n=n, landmarks=dict(zip(times.tolist(), values.tolist())),
                                       follow_up=follow_up, decimals=decimals, lost_to_follow_up=lost_total,
                                       time=np.concatenate(kept_t), event=np.concatenate(kept_e),
                                       deaths=pick[:, :j], lost=pick[:, j:], survival=np.concatenate(kept_s),
                                       proposals=proposals)
    shown = ", ".join(f"{v * 100:.{decimals}f} % at {t_:g}" for t_, v in zip(times, values))
    within = (f"with {lost_to_follow_up} patient(s) lost before the last landmark" if lost_to_follow_up is not None
              else f"with up to {MAX_AUTO_LOST} patients lost before the last landmark (pass lost_to_follow_up "
              "to allow more)")
    raise ReconstructionError(f"no dataset of {n} patients gives {shown} {within}")


def compare_reconstructions(treated: LandmarkReconstructions, control: LandmarkReconstructions) -> pd.DataFrame:
    """Log-rank test and Cox HR (treated vs control) in each pair of draws (draw i of each cohort).

    Returns
    -------
    DataFrame
        One row per draw: ``draw``, ``chisq``, ``p_logrank``, ``hr``, ``hr_lower``, ``hr_upper``, ``p_cox``,
        ``hr_converged``.
    """
    if treated.draws != control.draws:
        raise ReconstructionError(f"draw counts differ ({treated.draws} vs {control.draws})")
    time = np.concatenate((treated.time, control.time), axis=1)
    event = np.concatenate((treated.event, control.event), axis=1)
    arm = np.concatenate((np.ones(treated.time.shape, np.int8), np.zeros(control.time.shape, np.int8)), axis=1)
    lr = estimation.logrank_batch(time, event, arm)
    cox = estimation.cox_batch(time, event, arm)
    return pd.DataFrame({"draw": np.arange(treated.draws), "chisq": lr["chisq"], "p_logrank": lr["p_value"],
                         "hr": cox["hr"], "hr_lower": cox["lower"], "hr_upper": cox["upper"],
                         "p_cox": cox["p_value"], "hr_converged": cox["converged"]})


def robustness(per_draw: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Spread of p-values and hazard ratios across consistent reconstructions: how robust is "significant"?

    Returns
    -------
    DataFrame
        Rows ``p_logrank``, ``hr``, ``hr_upper``; columns ``min``, ``q2.5``, ``median``, ``q97.5``, ``max`` and
        ``share_significant`` (share of draws with p < alpha, or with the HR's upper limit < 1).
    """
    rows = {}
    for col in ("p_logrank", "hr", "hr_upper"):
        x = per_draw[col].to_numpy(float)
        q = np.nanquantile(x, [0, 0.025, 0.5, 0.975, 1])
        share = np.mean(x < alpha) if col == "p_logrank" else np.mean(per_draw["hr_upper"] < 1)
        rows[col] = dict(zip(["min", "q2.5", "median", "q97.5", "max"], q), share_significant=share)
    return pd.DataFrame(rows).T.rename_axis("statistic")


# --- cohorts from published facts ---------------------------------------------------------------------------

def published_landmarks(facts: pd.DataFrame, cohorts: dict) -> pd.DataFrame:
    """The published n and landmark survival of each cohort, from fact ids (``myositis.published`` facts).

    Parameters
    ----------
    facts : DataFrame
        ``published.load_facts(...)``.
    cohorts : dict
        Cohort label -> ``{"n": fact id, "survival": {landmark: fact id}, "decimals": int (optional)}``.
        An empty ``survival`` marks a cohort without published survival figures.

    Returns
    -------
    DataFrame
        One row per cohort and landmark: ``cohort``, ``n``, ``time``, ``published_pct``, ``verified``, ``fact``,
        ``decimals``, ``publication``, ``reconstructable`` (False, with a note, when nothing was published).
    """
    by_id = facts.set_index("fact")
    rows = []
    for label, spec in cohorts.items():
        n_id = spec["n"]
        if n_id not in by_id.index:
            raise KeyError(f"cohort {label!r}: no published fact with id {n_id!r}")
        n = int(by_id.loc[n_id, "value"])
        surv = spec.get("survival") or {}
        if not surv:
            rows.append({"cohort": label, "n": n, "time": np.nan, "published_pct": np.nan,
                         "verified": bool(by_id.loc[n_id, "verified"]), "fact": "", "decimals": np.nan,
                         "publication": by_id.loc[n_id, "publication"], "reconstructable": False,
                         "note": "not reconstructable: no published survival figure"})
        for t_, fid in sorted(surv.items(), key=lambda kv: float(kv[0])):
            if fid not in by_id.index:
                raise KeyError(f"cohort {label!r}: no published fact with id {fid!r}")
            value = by_id.loc[fid, "value"]
            rows.append({"cohort": label, "n": n, "time": float(t_), "published_pct": float(value),
                         "verified": bool(by_id.loc[fid, "verified"]) and bool(by_id.loc[n_id, "verified"]),
                         "fact": fid, "decimals": spec.get("decimals", 0),
                         "publication": by_id.loc[fid, "publication"], "reconstructable": True,
                         "note": "" if by_id.loc[fid, "verified"] else "unverified: read only in the seed"})
    out = pd.DataFrame(rows)
    out["decimals"] = out["decimals"].astype("Int64")
    return out


def reconstruct_cohorts(landmark_table: pd.DataFrame, draws: int, seed: int, follow_up: float | None = None,
                        lost_to_follow_up: int | None = None) -> dict:
    """``landmark_reconstructions`` for every reconstructable cohort of ``published_landmarks``.

    Each cohort gets its own random stream spawned from ``seed`` (``np.random.SeedSequence``), in table order.

    Returns
    -------
    dict
        Cohort label -> ``LandmarkReconstructions``.
    """
    table = landmark_table[landmark_table["reconstructable"]]
    labels = list(pd.unique(table["cohort"]))
    streams = np.random.SeedSequence(seed).spawn(len(labels))
    out = {}
    for label, stream in zip(labels, streams):
        rows = table[table["cohort"] == label]
        out[label] = landmark_reconstructions(
            n=int(rows["n"].iloc[0]), landmarks=dict(zip(rows["time"], rows["published_pct"] / 100)),
            follow_up=follow_up, draws=draws, seed=int(stream.generate_state(1)[0]),
            decimals=int(rows["decimals"].iloc[0]), lost_to_follow_up=lost_to_follow_up)
    return out


def reconstruction_summary(reconstructions: dict) -> pd.DataFrame:
    """One row per cohort: n, patients lost before the last landmark, draws, acceptance, deaths per interval
    (range across draws)."""
    rows = []
    for label, rec in reconstructions.items():
        deaths = rec.deaths.sum(axis=1)
        rows.append({"cohort": label, "n": rec.n, "lost_before_last_landmark": rec.lost_to_follow_up, "draws": rec.draws,
                     "acceptance": rec.draws / rec.proposals, "deaths_min": int(deaths.min()),
                     "deaths_max": int(deaths.max())})
    return pd.DataFrame(rows)


def reference_data(reconstructions: dict, draw: int = 0, digitised: dict | None = None) -> pd.DataFrame:
    """Patient-level data of one draw of every cohort (plus Guyot reconstructions, which replace a landmark
    reconstruction of the same label), as one table: ``group``, ``time``, ``event``."""
    parts = {label: rec.draw(draw) for label, rec in reconstructions.items()}
    parts.update(digitised or {})
    frames = [df.assign(group=label)[["group", "time", "event"]] for label, df in parts.items()]
    out = pd.concat(frames, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(parts))
    return out


def _read_points(path) -> pd.DataFrame:
    df, _ = io.read_table(paths.resolve(path))
    return df


def reconstruct_digitised(digitised_curves: dict) -> dict:
    """Guyot reconstruction of each cohort whose figure was digitised.

    Parameters
    ----------
    digitised_curves : dict
        Cohort label -> ``{"curve": CSV path (time, survival), "at_risk": CSV path (time, n_at_risk) or None,
        "total_events": int or None, "n": int or None}``; paths relative to the repository root.

    Returns
    -------
    dict
        Cohort label -> DataFrame (``time``, ``event``).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. BMC Med Res Methodol 2012;12:9.
    """
    out = {}
    for label, spec in (digitised_curves or {}).items():
        curve = _read_points(spec["curve"])
        risk = _read_points(spec["at_risk"]) if spec.get("at_risk") else None
        try:
            out[label] = reconstruct_ipd(curve, risk, total_events=spec.get("total_events"), n=spec.get("n"))
        except ReconstructionError as exc:
            raise ReconstructionError(f"{label} ({paths.relative(paths.resolve(spec['curve']))}): {exc}") from None
    return out


def landmark_counts(published_pct: float, n, decimals: int = 0) -> pd.DataFrame:
    """Whole counts of survivors near a published percentage, for each cohort size.

    A published "88.0 %" of 25 patients is 22/25 exactly; of 26 it is no whole count (22/26 = 84.6 %,
    23/26 = 88.5 %), so the figure must be a Kaplan-Meier estimate with censoring (or n differs).

    Parameters
    ----------
    published_pct : float
        The percentage as published.
    n : int or sequence of int
        Candidate cohort sizes (e.g. the abstract's and the full text's).
    decimals : int
        Decimals of the published percentage.

    Returns
    -------
    DataFrame
        ``n``, ``survivors``, ``percent``, ``matches_published`` (rounds to the published figure): the counts
        just below and above the percentage for each n.
    """
    rows = []
    for size in np.atleast_1d(n):
        size = int(size)
        exact = published_pct / 100 * size
        for k in sorted({int(np.floor(exact)), int(np.ceil(exact))}):
            if 0 <= k <= size:
                pct = 100 * k / size
                rows.append({"n": size, "survivors": k, "percent": pct,
                             "matches_published": abs(pct - published_pct) <= 0.5 * 10.0 ** -decimals + 1e-9})
    return pd.DataFrame(rows)


def compare_with_published(estimates: pd.DataFrame, landmark_table: pd.DataFrame) -> pd.DataFrame:
    """Reconstructed KM survival (``survival_at`` output, ``group`` = cohort) beside the published percentages.

    Returns
    -------
    DataFrame
        ``cohort``, ``time``, ``n``, ``published_pct``, ``verified``, ``reconstructed_pct``, ``lower_pct``,
        ``upper_pct``, ``n_risk``, ``note``; cohorts without published figures keep one row with their note.
    """
    est = estimates.rename(columns={"group": "cohort"}).assign(
        cohort=lambda d: d["cohort"].astype(str), reconstructed_pct=lambda d: 100 * d["survival"],
        lower_pct=lambda d: 100 * d["lower"], upper_pct=lambda d: 100 * d["upper"])
    table = landmark_table[["cohort", "time", "n", "published_pct", "verified", "note"]]
    out = table.merge(est[["cohort", "time", "reconstructed_pct", "lower_pct", "upper_pct", "n_risk"]],
                      on=["cohort", "time"], how="left")
    return out[["cohort", "time", "n", "published_pct", "verified", "reconstructed_pct", "lower_pct", "upper_pct",
                "n_risk", "note"]]


def published_interval(study, fact_id: str) -> pd.DataFrame:
    """A published confidence interval (``ci_low``, ``ci_high`` of a fact in ``data/raw/published``), as
    proportions, to show beside a recomputed one.

    Parameters
    ----------
    study : str or Path
        Study name or YAML path (as ``published.load_study``).
    fact_id : str

    Returns
    -------
    DataFrame
        One row: ``interval`` ("published"), ``fact``, ``survival``, ``lower``, ``upper``, ``verified``.
    """
    from .. import published

    doc = published.load_study(study)
    for pub in doc["publications"]:
        for fact in pub["facts"]:
            if fact["id"] == fact_id:
                if "ci_low" not in fact:
                    raise KeyError(f"fact '{fact_id}' has no published interval (ci_low, ci_high)")
                return pd.DataFrame([{"interval": "published", "fact": fact_id, "survival": fact["value"] / 100,
                                      "lower": fact["ci_low"] / 100, "upper": fact["ci_high"] / 100,
                                      "verified": bool(fact["verified"])}])
    raise KeyError(f"no published fact with id '{fact_id}'")
