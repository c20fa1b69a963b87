"""Cohorts published only as n and (rounded) survival percentages at landmarks (e.g. "89 % at 6 months").

``landmark_reconstructions`` draws many datasets consistent with those figures, so that a conclusion can be
checked across all of them rather than on one invented dataset; ``compare_reconstructions`` tests two cohorts
draw by draw and ``robustness`` summarises how robust "significant" is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from ..exceptions import ReconstructionError
from . import estimation

MAX_AUTO_LOST = 10


class Draws:
    """Reconstructed datasets held as ``time`` and ``event`` arrays of shape (draws, n)."""

    @property
    def draws(self) -> int:
        return self.time.shape[0]

    def draw(self, i: int = 0) -> pd.DataFrame:
        """Draw ``i`` as patient-level data (``time``, ``event``), sorted by time."""
        order = np.argsort(self.time[i], kind="stable")
        return pd.DataFrame({"time": self.time[i][order], "event": self.event[i][order]})


@dataclass(frozen=True)
class LandmarkReconstructions(Draws):
    """Datasets consistent with a cohort published as n and rounded survival at landmarks, one per row.

    Attributes
    ----------
    time, event : ndarray, shape (draws, n)
        Follow-up time and event indicator of each patient in each draw.
    deaths, lost : ndarray, shape (draws, landmarks)
        Deaths and losses to follow-up in each interval ending at a landmark.
    survival : ndarray, shape (draws, landmarks)
        Kaplan-Meier survival of each draw at each landmark (all give the published figures when rounded or
        truncated, as ``rounding`` says).
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
    rounding: str = "round"

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


def _pattern_rows(patterns, n, bounds, follow_up):
    """For each pattern, what its patients' times are made of: ``time = lo + u * width`` (``u`` in (0, 1]) and
    the event indicator, one row of n per pattern.

    Patients are laid out as the datasets always were (``tests/survival_reference.simulate``): the deaths of
    each interval, then the losses of each interval, then the survivors; a death or loss of the interval (a, b]
    has ``lo = a`` and ``width = b - a`` (the same ``a + u * (b - a)`` as computed patient by patient), a survivor
    ``lo = follow_up`` and width 0 (``follow_up + u * 0`` is ``follow_up`` exactly)."""
    j_count = len(bounds) - 1
    cum = np.cumsum(patterns, axis=1)
    category = (np.arange(n)[None, :, None] >= cum[:, None, :]).sum(axis=2)  # 0..J-1 deaths, J..2J-1 losses, 2J alive
    moving = category < 2 * j_count
    interval = np.where(moving, category % j_count, 0)
    lo, hi = bounds[:-1][interval], bounds[1:][interval]
    return (np.where(moving, lo, follow_up), np.where(moving, hi - lo, 0.0),
            (category < j_count).astype(np.int8))


def _datasets(rows, index, u):
    """Times and events of the datasets of patterns ``index`` (rows of ``_pattern_rows``) with uniforms ``u``."""
    lo, width, event = rows
    return lo[index] + u * width[index], event[index]


def _km_at(time, event, landmarks):
    """KM survival of each row at each landmark (continuous times: no ties among events).

    Each row's log factors are laid out in time order and summed up to each landmark (the same terms in the same
    places as ever, so the same sums to the last bit); the times sorted are only compared with the landmarks, and
    as they are sorted the times up to a landmark are the first ``(time <= landmark).sum()``."""
    order = np.argsort(time, axis=1, kind="stable")
    e = np.take_along_axis(event, order, axis=1)
    n = time.shape[1]
    at_risk = n - np.arange(n)
    with np.errstate(divide="ignore"):
        log_factor = np.where(e == 1, np.log1p(-1.0 / at_risk), 0.0)
    position = np.arange(n)
    return np.exp(np.stack([np.where(position < (time <= L).sum(axis=1)[:, None], log_factor, 0.0).sum(axis=1)
                            for L in landmarks], axis=1))


def _accept(rows, index, rng, n, times, lo, hi, wanted, chunk=1024):
    """The first ``wanted`` datasets of a batch (patterns ``index``, then ``index.size`` rows of n uniforms drawn
    from ``rng``) whose KM lies within [lo, hi] at every landmark: ``(time, event, index, survival,
    proposals)`` of those accepted, ``proposals`` the rows examined up to the last of them (the whole batch when
    fewer were found).

    The rows are drawn and examined in chunks of growing size, and the examination stops once ``wanted`` are
    found: the same datasets, in the same order, as drawing and examining the whole batch at once (the generator
    fills an array row after row, each row's KM depends on that row alone), without drawing, building and sorting
    the rest of the batch (an acceptance of 20 % needs a fifth of it). The uniforms of a batch are drawn to its
    end unless enough are found, so the generator is where a whole batch leaves it for the next batch; once
    enough are found nothing more is drawn from it."""
    size = index.size
    parts, start, found = [], 0, 0
    while start < size and found < wanted:
        stop = min(size, start + chunk)
        u = 1.0 - rng.random((stop - start, n))  # in (0, 1]: deaths may fall on the landmark itself
        time, event = _datasets(rows, index[start:stop], u)
        surv = _km_at(time, event, times)
        take = np.flatnonzero(np.all((surv >= lo) & (surv <= hi), axis=1))[: wanted - found]
        parts.append((time[take], event[take], index[start:stop][take], surv[take]))
        found += take.size
        last = start + int(take[-1]) + 1 if take.size else stop
        start, chunk = stop, 2 * chunk
    time, event, index, surv = (np.concatenate(x) for x in zip(*parts))
    return time, event, index, surv, (last if found >= wanted else size)


ROUNDINGS = ("round", "truncate")


def published_range(values, decimals: int = 0, rounding: str = "round") -> tuple[np.ndarray, np.ndarray]:
    """The proportions a published percentage can stand for: ``(lo, hi)`` with lo <= S <= hi.

    Parameters
    ----------
    values : array-like
        Published survival as proportions (0.89 for "89 %").
    decimals : int
        Decimals of the published percentage.
    rounding : {"round", "truncate"}
        "round": within half a unit of the last decimal (inclusive); "truncate": from the figure up to (not
        including) the next unit.

    Raises
    ------
    ReconstructionError
        Unknown ``rounding``.
    """
    values = np.asarray(values, float)
    unit = 10.0 ** (-decimals) / 100
    if rounding == "round":
        return values - unit / 2 - 1e-12, values + unit / 2 + 1e-12
    if rounding == "truncate":
        return values - 1e-12, values + unit - 1e-9
    raise ReconstructionError(f"rounding={rounding!r}: choose one of {', '.join(ROUNDINGS)}")


def landmark_reconstructions(n: int, landmarks: dict, follow_up: float | None = None, draws: int = 1000,
                             seed: int = 0, decimals: int = 0, lost_to_follow_up: int | None = None,
                             batch: int = 20000, max_proposals: int = 5_000_000,
                             rounding: str = "round") -> LandmarkReconstructions:
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
    rounding : {"round", "truncate"}
        How the published percentages were derived from the exact Kaplan-Meier estimate: rounded to the nearest
        unit of the last decimal ("89 %" covers [88.5, 89.5]) or truncated ("89 %" covers [89, 90)). Papers
        rarely say; 26/29 = 89.66 % is "90 %" rounded but "89 %" truncated.

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
    lo, hi = published_range(values, decimals, rounding)
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
        rows = _pattern_rows(patterns, n, bounds, follow_up)
        while kept < draws and (proposals < budget or kept > 0) and proposals < max_proposals:
            # a batch drawn as ever (its patterns, then its uniforms), drawn and checked only until enough
            # datasets are accepted
            index = rng.integers(len(patterns), size=batch)
            time, event, index, surv, examined = _accept(rows, index, rng, n, times, lo, hi, draws - kept)
            proposals += examined
            kept_t.append(time), kept_e.append(event), kept_p.append(patterns[index]), kept_s.append(surv)
            kept += index.size
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
                                       proposals=proposals, rounding=rounding)
    shown = ", ".join(f"{v * 100:.{decimals}f} % at {t_:g}" for t_, v in zip(times, values)) + (" (truncated)" if rounding == "truncate" else "")
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
    return tests_by_draw(treated, control, treated.draws)


def tests_by_draw(a, b, k: int) -> pd.DataFrame:
    """Log-rank test and Cox HR (a vs b) in draw i of each, for the first ``k`` draws; ``a`` and ``b`` are
    anything with ``time`` and ``event`` arrays of shape (draws, n) (``compare_reconstructions``,
    ``comparison.compare_pair``). Same columns as ``compare_reconstructions``."""
    time = np.concatenate((a.time[:k], b.time[:k]), axis=1)
    event = np.concatenate((a.event[:k], b.event[:k]), axis=1)
    arm = np.concatenate((np.ones((k, a.time.shape[1]), np.int8), np.zeros((k, b.time.shape[1]), np.int8)), axis=1)
    lr, cox = estimation.logrank_cox_batch(time, event, arm)
    return pd.DataFrame({"draw": np.arange(k), "chisq": lr["chisq"], "p_logrank": lr["p_value"], "hr": cox["hr"],
                         "hr_lower": cox["lower"], "hr_upper": cox["upper"], "p_cox": cox["p_value"],
                         "hr_converged": cox["converged"]})


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
