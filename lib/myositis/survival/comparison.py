"""A survival comparison between cohorts taken from any published figure, defined in a params file.

Each cohort is defined by what the paper gives:

* **landmarks**: n and survival percentages at landmarks (``{"n": 29, "survival": {6: 89, 12: 85}}``, numbers
  or fact ids of a published-facts file) -> ``landmarks.landmark_reconstructions`` (many consistent datasets);
* **digitised curve with its at-risk table** (``{"curve": "curve.csv", "at_risk": "at_risk.csv"}``) -> Guyot;
* **digitised curve with only n and total events** (``{"curve": "curve.csv", "n": 137, "total_events": 128}``).

A digitised cohort may also state ``n`` (checked against the at-risk table's first row) and ``survival``
percentages (checked against the rebuilt curve). Its robustness draws repeat the reconstruction over the
digitisation error (each point jittered uniformly within ``tolerance``) and over the unknown censoring pattern
(censorings placed at random within each at-risk interval instead of evenly).

Comparisons are named pairs of cohorts (``{"Triple vs step-up": ["A", "B"]}``, hazard ratio of the first vs the
second).

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. BMC Med Res Methodol 2012;12:9.
Liu N, Zhou Y, Lee JJ. IPDfromKM: reconstruct individual patient data from published Kaplan-Meier survival
curves. BMC Med Res Methodol 2021;21:111 (the fit statistics: RMSE, largest gap, Kolmogorov-Smirnov distance).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import io, paths
from ..exceptions import ReconstructionError
from . import estimation
from .guyot import DigitisationWarning, clean_at_risk, clean_curve, reconstruct_ipd
from .guyot import _clean_points as clean_points, _rebuild as rebuild, _risk_from_n as risk_from_n
from .guyot import _rows_before as rows_before
from .landmarks import Draws, published_range, tests_by_draw

FIT_WARNING = 0.02  # largest gap between the rebuilt and the digitised curve above which a cohort is flagged


def cohort_kind(spec: dict) -> str:
    """``"landmarks"``, ``"digitised + at-risk table"`` or ``"digitised, n and events"`` (or why it is neither).

    Raises
    ------
    ReconstructionError
        A spec with neither ``curve`` nor ``survival``, or a curve without at-risk table nor ``n``.
    """
    if spec.get("curve"):
        if spec.get("at_risk"):
            return "digitised + at-risk table"
        if spec.get("n") is None:
            raise ReconstructionError("a digitised curve without at-risk table needs 'n' (and 'total_events')")
        return "digitised, n and events"
    if "survival" in spec and "n" in spec:
        return "landmarks"
    raise ReconstructionError("define the cohort by 'n' and 'survival' (landmark percentages), or by 'curve' "
                              "(a digitised CSV) with 'at_risk' or 'n' and 'total_events'")


def split_cohorts(cohorts: dict) -> tuple[dict, dict]:
    """(landmark cohorts, digitised cohorts) of a ``cohorts`` parameter; errors name the cohort."""
    landmark, digitised = {}, {}
    for label, spec in cohorts.items():
        try:
            kind = cohort_kind(spec)
        except ReconstructionError as exc:
            raise ReconstructionError(f"cohort {label!r}: {exc}") from None
        (landmark if kind == "landmarks" else digitised)[label] = spec
    return landmark, digitised


def check_comparisons(comparisons: dict, cohorts: dict) -> None:
    """Every comparison names two cohorts defined in ``cohorts``.

    Raises
    ------
    ReconstructionError
        Names the comparison, the unknown label and the cohorts defined.
    """
    if not comparisons:
        raise ReconstructionError("no comparison: give comparisons as {name: [cohort A, cohort B]}")
    for name, pair in comparisons.items():
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ReconstructionError(f"comparison {name!r}: give two cohort labels, not {pair!r}")
        for label in pair:
            if label not in cohorts:
                raise ReconstructionError(f"comparison {name!r}: no cohort {label!r} (cohorts: "
                                          f"{', '.join(map(repr, cohorts))})")


# --- digitised cohorts ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigitisedReconstructions(Draws):
    """A cohort rebuilt from a digitised curve: the reconstruction of the curve as read, and draws over the
    digitisation error and the censoring pattern.

    Attributes
    ----------
    reference : DataFrame
        Guyot reconstruction of the points as digitised (``time``, ``event``).
    time, event : ndarray, shape (draws, n)
        The robustness draws.
    tolerance : dict
        ``{"time": ..., "survival": ...}``: half-widths of the uniform jitter.
    cleaning : tuple of str
        What was cleaned in the digitised points (``clean_curve``'s messages), shown by ``digitised_checks``.
    """

    label: str
    kind: str
    n: int
    reference: pd.DataFrame = field(repr=False)
    time: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    tolerance: dict = field(default_factory=dict)
    cleaning: tuple = ()


def _read(path) -> pd.DataFrame:
    df, _ = io.read_table(paths.resolve(path))
    return df


def jitter_curve(curve: pd.DataFrame, rng: np.random.Generator, time_tolerance: float,
                 survival_tolerance: float) -> pd.DataFrame:
    """Digitised points moved uniformly within +/- the tolerances (the origin (0, 1) kept; times >= 0,
    survival in [0, 1]); the two corners of a step share one time error, as a reader clicks on one segment."""
    t, s = _jitter(curve["time"].to_numpy(float), curve["survival"].to_numpy(float), rng, time_tolerance,
                   survival_tolerance)
    return pd.DataFrame({"time": t, "survival": s})


def _jitter(t: np.ndarray, s: np.ndarray, rng: np.random.Generator, time_tolerance: float,
            survival_tolerance: float, segment: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``jitter_curve`` on arrays (``segment``: ``np.unique(t, return_inverse=True)[1]`` when known)."""
    if segment is None:
        _, segment = np.unique(t, return_inverse=True)
    dt = rng.uniform(-time_tolerance, time_tolerance, segment.max() + 1)[segment]
    ds = rng.uniform(-survival_tolerance, survival_tolerance, t.size)
    origin = (t == 0) & (s >= 1)
    return np.where(origin, 0.0, np.clip(t + dt, 0, None)), np.where(origin, 1.0, np.clip(s + ds, 0, 1))


def digitised_reconstructions(label: str, spec: dict, draws: int, seed: int) -> DigitisedReconstructions:
    """Rebuild one digitised cohort (Guyot) and ``draws`` variants over digitisation error and censoring.

    Parameters
    ----------
    label : str
    spec : dict
        ``curve`` (CSV path: ``time``, ``survival`` in [0, 1]), optional ``at_risk`` (CSV: ``time``,
        ``n_at_risk``), ``n``, ``total_events``, ``tolerance`` (``{"time": t, "survival": s}``: how far a point
        may be from where it was read; default 0.5 % of the last time and 0.005; the time tolerance is also
        ``reconstruct_ipd``'s ``time_tolerance``, within which a step read just before an at-risk time may lie
        on it).
    draws, seed : int

    Raises
    ------
    ReconstructionError
        Invalid files (row and field named), or ``n`` differing from the at-risk table's first row.
    """
    kind = cohort_kind(spec)
    curve = _read(spec["curve"])
    risk = _read(spec["at_risk"]) if spec.get("at_risk") else None
    where = paths.relative(paths.resolve(spec["curve"]))
    table = None  # the at-risk table checked and read as numbers once, for the draws
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DigitisationWarning)
            points = clean_curve(curve)
            if risk is not None:
                table = clean_at_risk(risk)
                first = int(table["n_at_risk"].iloc[0])
                if spec.get("n") is not None and int(spec["n"]) != first:
                    raise ReconstructionError(f"stated n = {int(spec['n'])} but the at-risk table starts with "
                                              f"{first} patients: is this the curve of this cohort?")
            tol = dict(spec.get("tolerance") or {})
            tol.setdefault("time", 0.005 * float(points["time"].max()))
            tol.setdefault("survival", 0.005)
            reference = reconstruct_ipd(curve, risk, total_events=spec.get("total_events"),
                                        n=None if risk is not None else spec.get("n"),
                                        time_tolerance=float(tol["time"]))
    except ReconstructionError as exc:
        raise ReconstructionError(f"cohort {label!r} ({where}): {exc}") from None
    rng = np.random.default_rng(seed)
    n0 = len(reference)
    time = np.empty((draws, n0))
    event = np.empty((draws, n0), np.int8)
    # Each draw is reconstruct_ipd(jitter_curve(points, ...), table, ...), its warnings ignored, run on arrays:
    # the same cleaning, at-risk rows and reconstruction without building and re-reading data frames.
    t_pts, s_pts = points["time"].to_numpy(float), points["survival"].to_numpy(float)
    segment = np.unique(t_pts, return_inverse=True)[1]
    if table is not None:
        t_tab, n_tab = table["time"].to_numpy(float), table["n_at_risk"].to_numpy()
    else:
        t_risk, n_risk = risk_from_n(spec.get("n"))
    for i in range(draws):
        moved_t, moved_s = _jitter(t_pts, s_pts, rng, float(tol["time"]), float(tol["survival"]), segment)
        t_s, s_s = clean_points(moved_t, moved_s)[:2]
        if table is not None:
            keep = rows_before(t_tab, t_s[-1])
            t_risk, n_risk = t_tab[keep], n_tab[keep]
        time[i], event[i], _ = rebuild(t_s, s_s, t_risk, n_risk, table is not None, spec.get("total_events"),
                                       rng, float(tol["time"]))
    notes = tuple(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, DigitisationWarning)))
    return DigitisedReconstructions(label, kind, n0, reference, time, event, tol, notes)


def curve_fit(curve: pd.DataFrame, ipd: pd.DataFrame, time_tolerance: float = 0.0) -> dict:
    """How closely the KM of rebuilt data follows the digitised points (IPDfromKM's statistics).

    Each digitised point is compared with the rebuilt step function over the times it may have been read at:
    ``[t - time_tolerance, t + time_tolerance]``, ends included, plus the value just before ``t -
    time_tolerance`` (a point read on a vertical segment lies on the curve). Its gap is 0 when its survival
    lies between the curve's lowest and highest value there, else the distance to the nearer one. With
    ``time_tolerance`` 0 this is the vertical distance at the point's own time.

    Returns
    -------
    dict
        ``points``, ``max_gap`` (largest gap), ``rmse``, ``ks`` (two-sample Kolmogorov-Smirnov distance between
        the digitised survival values and the nearest values of the rebuilt curve, as IPDfromKM reports).
    """
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        pts = clean_curve(curve)
    km = estimation.kaplan_meier(ipd)
    steps_t = km["time"].to_numpy()
    steps_s = km["survival"].to_numpy()
    t = pts["time"].to_numpy()
    s = pts["survival"].to_numpy()

    def value(idx):
        return np.where(idx >= 0, steps_s[np.clip(idx, 0, None)], 1.0)

    high = value(np.searchsorted(steps_t, t - time_tolerance, side="left") - 1)  # just before the window
    low = value(np.searchsorted(steps_t, t + time_tolerance, side="right") - 1)  # at its end
    nearest = np.clip(s, low, high)
    gap = np.abs(s - nearest)
    return {"points": int(t.size), "max_gap": float(gap.max()), "rmse": float(np.sqrt(np.mean(gap ** 2))),
            "ks": float(stats.ks_2samp(nearest, s, method="asymp").statistic)}


def above(value: float, threshold: float, significant: int = 3) -> str:
    """``value`` written with at least ``significant`` significant figures and as many more as it takes for the
    written number to exceed ``threshold`` visibly (0.02036 against 0.02 -> "0.0204", never "0.020").

    Parameters
    ----------
    value, threshold : float
        ``value`` is expected above ``threshold``; if it is not, it is written with ``significant`` figures.
    significant : int
        Smallest number of significant figures.

    Examples
    --------
    >>> above(0.0204, 0.02), above(0.020004, 0.02), above(0.35, 0.02)
    ('0.0204', '0.020004', '0.35')
    """
    digits = significant
    text = f"{value:.{digits}g}"
    while value > threshold and float(text) <= threshold and digits < 17:
        digits += 1
        text = f"{value:.{digits}g}"
    return text


def digitised_checks(digitised: dict, specs: dict, decimals: int = 0) -> pd.DataFrame:
    """What can be checked on each digitised cohort: n, fit to the digitised curve (within the cohort's time
    tolerance, ``curve_fit``), stated percentages.

    Returns
    -------
    DataFrame
        One row per cohort: ``cohort``, ``kind``, ``n_stated``, ``n_reconstructed``, ``events``, ``points``,
        ``max_gap``, ``rmse``, ``ks``, ``landmarks_checked`` (e.g. "89 % at 6: 88.6 %"), ``warning`` ("" or
        what exceeds 0.02 / falls outside the stated percentage by more than 0.02), ``cleaning`` (what
        ``clean_curve`` changed in the digitised points).
    """
    rows = []
    for label, rec in digitised.items():
        spec = specs[label]
        fit = curve_fit(_read(spec["curve"]), rec.reference, float(rec.tolerance["time"]))
        flags, checked = [], []
        if fit["max_gap"] > FIT_WARNING:
            flags.append(f"largest gap {above(fit['max_gap'], FIT_WARNING)} > {FIT_WARNING:g}")
        stated = spec.get("survival") or {}
        if stated:
            times = sorted(float(t) for t in stated)
            got = estimation.survival_at(rec.reference, times)["survival"].to_numpy()
            want = np.array([float(stated[k]) for k in sorted(stated, key=float)]) / 100
            lo, hi = published_range(want, int(spec.get("decimals", decimals)), spec.get("rounding", "round"))
            for t_, w, g, a, b in zip(times, want, got, lo, hi):
                checked.append(f"{100 * w:g} % at {t_:g}: {100 * g:.1f} %")
                if not (a - FIT_WARNING <= g <= b + FIT_WARNING):
                    flags.append(f"{100 * g:.1f} % at {t_:g} vs stated {100 * w:g} %")
        rows.append({"cohort": label, "kind": rec.kind, "n_stated": spec.get("n"), "n_reconstructed": rec.n,
                     "events": int(rec.reference["event"].sum()), **fit,
                     "landmarks_checked": "; ".join(checked), "warning": "; ".join(flags),
                     "cleaning": "; ".join(rec.cleaning).replace("digitised curve: ", "")})
    out = pd.DataFrame(rows, columns=["cohort", "kind", "n_stated", "n_reconstructed", "events", "points",
                                      "max_gap", "rmse", "ks", "landmarks_checked", "warning", "cleaning"])
    out["n_stated"] = out["n_stated"].astype("Int64")
    return out


# --- comparisons ----------------------------------------------------------------------------------------------

def compare_pair(a, b, draws: int | None = None) -> pd.DataFrame:
    """Log-rank and Cox HR (a vs b) in draw i of each cohort, for the first ``draws`` draws both have.

    ``a`` and ``b`` are ``LandmarkReconstructions`` or ``DigitisedReconstructions`` (anything with ``time``
    and ``event`` arrays of shape (draws, n)).
    """
    return tests_by_draw(a, b, int(min(a.time.shape[0], b.time.shape[0], draws or np.inf)))


def reference_tests(reference: pd.DataFrame, comparisons: dict) -> pd.DataFrame:
    """Log-rank test and Cox HR of each comparison on the reference data (``group``, ``time``, ``event``)."""
    rows = []
    for name, (a, b) in comparisons.items():
        d = reference[reference["group"].isin([a, b])].assign(group=lambda x: x["group"].astype(str))
        lr = estimation.logrank(d, "group").iloc[0]
        cox = estimation.cox_hr(d, "group", reference=b).iloc[0]
        rows.append({"comparison": name, "cohorts": f"{a} vs {b}", "chisq": lr["chisq"], "p_logrank": lr["p_value"],
                     "hr": cox["hr"], "lower": cox["lower"], "upper": cox["upper"], "p_cox": cox["p_value"]})
    return pd.DataFrame(rows)


def robustness_table(reconstructions: dict, comparisons: dict, alpha: float = 0.05,
                     published_p: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Spread of each comparison across paired draws.

    Returns
    -------
    (DataFrame, dict)
        One row per comparison: ``comparison``, ``draws``, ``share_significant`` (log-rank p < alpha),
        ``p_median``, ``p_max``, ``hr_min``, ``hr_median``, ``hr_max``, ``share_hr_upper_below_1``,
        ``share_below_published_p``; and comparison name -> per-draw table.
    """
    from .landmarks import robustness

    rows, per_draw = [], {}
    for name, (a, b) in comparisons.items():
        pdraw = compare_pair(reconstructions[a], reconstructions[b])
        spread = robustness(pdraw, alpha=alpha)
        pub = (published_p or {}).get(name)
        rows.append({"comparison": name, "draws": len(pdraw),
                     "share_significant": spread.loc["p_logrank", "share_significant"],
                     "p_median": spread.loc["p_logrank", "median"], "p_max": spread.loc["p_logrank", "max"],
                     "hr_min": spread.loc["hr", "min"], "hr_median": spread.loc["hr", "median"],
                     "hr_max": spread.loc["hr", "max"],
                     "share_hr_upper_below_1": spread.loc["hr_upper", "share_significant"],
                     "share_below_published_p": np.nan if pub is None else float((pdraw["p_logrank"] < pub).mean())})
        per_draw[name] = pdraw
    return pd.DataFrame(rows), per_draw


# --- helpers of the notebook ----------------------------------------------------------------------------------

def _p_number(value) -> float | None:
    """A published p written as a number or a bound ("< 0.0001", "≤ 0.05", 0.01) as a float; None otherwise."""
    try:
        return float(str(value).strip().lstrip("<=≤ ").strip())
    except ValueError:
        return None


def published_p_bounds(facts: pd.DataFrame | None, published_p: dict) -> dict:
    """Comparison -> published p bound as a number, from a fact id ("< 0.0001") or a number."""
    from .. import published

    out = {}
    for name, ref in (published_p or {}).items():
        if isinstance(ref, str) and facts is None and _p_number(ref) is None:
            raise ReconstructionError(
                f"published_p {name!r}: {ref!r} is a fact id, but cohorts_file is empty (no published-facts file "
                "to read it from): in a params file on your own cohorts give each comparison's published p as a "
                "number, or set published_p: {}")
        value = published.fact(facts, ref) if isinstance(ref, str) and facts is not None else ref
        number = _p_number(value)
        if number is None:
            raise ReconstructionError(f"published_p {name!r}: {value!r} is not a p-value")
        out[name] = number
    return out


def patients(landmark_table: pd.DataFrame, digitised_specs: dict) -> int:
    """Patients in the reconstructed cohorts (landmark cohorts with figures, plus digitised cohorts)."""
    total = int(landmark_table[landmark_table["reconstructable"]].drop_duplicates("cohort")["n"].sum())
    for spec in digitised_specs.values():
        if spec.get("at_risk"):
            total += int(clean_at_risk(_read(spec["at_risk"]))["n_at_risk"].iloc[0])
        else:
            total += int(spec["n"])
    return total


def reconstruct_digitised_cohorts(specs: dict, draws: int, seed: int) -> dict:
    """``digitised_reconstructions`` of every digitised cohort, each with its own stream spawned from ``seed``
    (after those of the landmark cohorts: offset so that adding a digitised cohort leaves them unchanged)."""
    streams = np.random.SeedSequence([seed, 1]).spawn(len(specs))
    return {label: digitised_reconstructions(label, spec, draws, int(stream.generate_state(1)[0]))
            for (label, spec), stream in zip(specs.items(), streams)}


def reconstruction_overview(reconstructions: dict) -> pd.DataFrame:
    """One row per cohort: how it was rebuilt, n, draws, deaths (range over draws), and for landmark cohorts
    the patients lost before the last landmark and the reading of the percentages."""
    rows = []
    for label, rec in reconstructions.items():
        deaths = rec.event.sum(axis=1)
        landmark = hasattr(rec, "lost_to_follow_up")
        rows.append({"cohort": label, "kind": "landmarks" if landmark else rec.kind, "n": rec.n, "draws": rec.draws,
                     "deaths_min": int(deaths.min()), "deaths_max": int(deaths.max()),
                     "lost_before_last_landmark": rec.lost_to_follow_up if landmark else pd.NA,
                     "percentages": ("rounded" if rec.rounding == "round" else "truncated") if landmark else "",
                     "acceptance": rec.draws / rec.proposals if landmark else np.nan})
    out = pd.DataFrame(rows)
    out["lost_before_last_landmark"] = out["lost_before_last_landmark"].astype("Int64")
    return out


def reference_data(reconstructions: dict, draw: int = 0) -> pd.DataFrame:
    """One dataset per cohort as one table (``group``, ``time``, ``event``): draw ``draw`` of a landmark cohort,
    the reconstruction of the points as read for a digitised cohort."""
    parts = {label: (rec.reference if isinstance(rec, DigitisedReconstructions) else rec.draw(draw))
             for label, rec in reconstructions.items()}
    frames = [df.assign(group=label)[["group", "time", "event"]] for label, df in parts.items()]
    out = pd.concat(frames, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(parts))
    return out


def compare_with_published(estimates: pd.DataFrame, landmark_table: pd.DataFrame) -> pd.DataFrame:
    """``cohorts.compare_with_published`` plus the reconstructed survival of the cohorts without a published
    percentage (digitised cohorts), noted as such."""
    from .cohorts import compare_with_published as _with_published

    table = _with_published(estimates, landmark_table)
    known = set(landmark_table["cohort"])
    rest = estimates[~estimates["group"].astype(str).isin(known)]
    if rest.empty:
        return table
    extra = pd.DataFrame({"cohort": rest["group"].astype(str), "time": rest["time"], "n": pd.NA,
                          "published_pct": np.nan, "verified": False, "reconstructed_pct": 100 * rest["survival"],
                          "lower_pct": 100 * rest["lower"], "upper_pct": 100 * rest["upper"],
                          "n_risk": rest["n_risk"], "note": "digitised curve: no published percentage"})
    return pd.concat([table, extra], ignore_index=True)


def sensitivity(landmark_table: pd.DataFrame, comparisons: dict, **kwargs) -> pd.DataFrame:
    """``cohorts.landmark_sensitivity`` for every comparison of two landmark cohorts (other comparisons are
    skipped: their cohorts have no rounding or losses to vary). One table with a ``comparison`` column."""
    from .cohorts import landmark_sensitivity

    reconstructable = set(landmark_table.loc[landmark_table["reconstructable"], "cohort"])
    parts = [landmark_sensitivity(landmark_table, a, b, **kwargs).assign(comparison=name)
             for name, (a, b) in comparisons.items() if a in reconstructable and b in reconstructable]
    if not parts:
        return pd.DataFrame(columns=["comparison", "landmarks", "rounding", "losses", "status"])
    out = pd.concat(parts, ignore_index=True)
    return out[["comparison", *[c for c in out.columns if c != "comparison"]]]
