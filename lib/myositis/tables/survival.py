"""Survival tables like R's ``tbl_survfit``: survival with its CI at chosen times, and the median survival with
its 95 % CI, computed as R's ``survfit`` does.

The median's interval is Brookmeyer & Crowley's: the times where the upper and the lower pointwise confidence
curves cross 0.5, on the CI scale chosen (R's default "log"; "log-log" on request), with R's rules for flat
stretches (``survival:::findq``). "Not reached" when the curve (or a bound) stays above one half.

References
----------
Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics 1982;38:29-41.
Therneau TM. A Package for Survival Analysis in R (``quantile.survfit``, ``print.survfit``).
Sjoberg DD, et al. gtsummary. R J 2021;13:570-80 (``tbl_survfit``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..survival import estimation
from . import format as fmt
from .table import Table, mark

TOLERANCE = np.sqrt(np.finfo(float).eps)
NOT_REACHED = "Not reached"
CI_NAMES = {"log": "log", "log-log": "log-log", "plain": "plain (linear)"}


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = TOLERANCE) -> float:
    """R ``survival:::findq``: the time where the cumulative curve ``y`` (1 - S, non-decreasing, may hold NaN)
    first reaches ``p``, averaged over a flat stretch exactly at ``p``."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    n = y.size
    ok = ~np.isnan(y)

    def approx_right(shift):
        # approx(y + shift, 1:n, p, method = "constant", f = 1) with NA pairs removed, rule = 1
        yy = y[ok] + shift
        idx = np.arange(n)[ok]
        if p < yy[0] or p > yy[-1]:
            return None
        return int(idx[np.flatnonzero(yy >= p)[0]])

    i1, i2 = approx_right(tol), approx_right(-tol)
    if i1 is None or i2 is None:
        return np.nan
    quant = (x[i1] + x[i2]) / 2
    if p == 0:
        quant = x[0]
    if not np.isnan(y[n - 1]) and abs(p - y[n - 1]) < tol:
        quant = (x[i1] + xmax) / 2
    return float(quant)


def median_ci(data: pd.DataFrame, group: str | None = None, time: str = "time", event: str = "event",
              conf_type: str = "log", conf_level: float = 0.95, probability: float = 0.5) -> pd.DataFrame:
    """Median (or another quantile) survival time with its Brookmeyer-Crowley confidence interval.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str, optional
        Column defining the curves.
    time, event : str
        Column names (event 1, censored 0).
    conf_type : {"log", "log-log", "plain"}
        Scale of the pointwise intervals whose crossings bound the median; "log" is R's default.
    conf_level : float
    probability : float
        0.5 for the median; 0.25 for the time by which a quarter had the event.

    Returns
    -------
    DataFrame
        ``group``, ``n``, ``events``, ``median``, ``lower``, ``upper`` (NaN: not reached).

    Notes
    -----
    R: ``quantile(survfit(Surv(time, event) ~ group, data = d, conf.type = "log"), probs = 0.5)``, the same
    numbers as ``print(fit)``'s median, 0.95LCL and 0.95UCL.
    """
    km = estimation.kaplan_meier(data, time=time, event=event, group=group, conf_type=conf_type,
                                 conf_level=conf_level)
    rows = []
    for g in pd.unique(km["group"]):
        k = km[km["group"].isna()] if g is None else km[km["group"] == g]
        x = np.concatenate(([0.0], k["time"].to_numpy(float)))
        sub = data if g is None else data[data[group] == g]

        def q(curve):
            return _findq(x, np.concatenate(([0.0], 1 - k[curve].to_numpy(float))), probability)

        rows.append({"group": g, "n": len(sub), "events": int(pd.to_numeric(sub[event]).sum()),
                     "median": q("survival"), "lower": q("lower"), "upper": q("upper")})
    return pd.DataFrame(rows)


def survival_table(data: pd.DataFrame, times=(), group: str | None = None, time: str = "time",
                   event: str = "event", conf_type: str = "log", conf_level: float = 0.95, median: bool = True,
                   group_labels: dict | None = None, group_title: str | None = None,
                   time_label: str = "Month {t:g}", time_unit: str = "months",
                   title: str = "Survival") -> Table:
    """Survival at chosen times and median survival, one row per group, as gtsummary's ``tbl_survfit``.

    Cells read "63% (55%, 72%)" (survival and its CI, gtsummary's ``style_percent``) and "310 (285, 363)"
    (median and its CI, two significant figures at least), "Not reached" when the curve stays above one half.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    times : sequence of float
        Landmarks, in the unit of ``time``.
    group : str, optional
        Column defining the rows.
    conf_type : {"log", "log-log", "plain"}
        CI scale (R's default "log"); named in a footnote.
    median : bool
        Add the median survival column.
    group_labels : dict, optional
        ``{value: printed name}``.
    group_title : str, optional
        Label of the grouping variable's row (default: the column name).
    time_label : str
        Header of a landmark column, formatted with ``t``.
    time_unit : str
        Unit of the median, for its header.

    Returns
    -------
    Table
        ``stats``: one row per group and time (``survival``, ``lower``, ``upper``) and per group for the median.

    Notes
    -----
    R: ``tbl_survfit(survfit(Surv(time, event) ~ group, d), times = c(6, 12))`` and
    ``tbl_survfit(fit, probs = 0.5)``; numbers from ``summary(fit, times = c(6, 12))`` and ``quantile(fit, 0.5)``.
    """
    group_labels = dict(group_labels or {})
    if len(data) == 0:  # nothing to estimate: say so in the table rather than fail
        headers = [time_label.format(t=t) for t in times] + ([f"Median survival, {time_unit}"] if median else [])
        return Table(body=pd.DataFrame([["No patient with follow-up"] + [fmt.MISSING] * len(headers)],
                                       columns=["Characteristic"] + headers), title=title, kind="survival")
    at = estimation.survival_at(data, list(times), group=group, conf_type=conf_type, conf_level=conf_level,
                                time=time, event=event) if len(times) else pd.DataFrame()
    med = median_ci(data, group=group, time=time, event=event, conf_type=conf_type, conf_level=conf_level)
    level = f"{conf_level:.0%}"
    headers = [time_label.format(t=t) for t in times]
    med_header = f"Median survival, {time_unit} ({level} CI)"
    rows, indent, stats_rows = [], [], []
    if group is not None:
        rows.append([group_title or group] + [""] * (len(headers) + int(median)))
        indent.append(0)
    for g in med["group"]:
        cells = []
        for t in times:
            r = at[(at["group"].isna() if g is None else at["group"] == g) & (at["time"] == t)].iloc[0]
            if np.isnan(r["survival"]):
                cells.append(fmt.MISSING)
            else:
                cells.append(f"{fmt.style_percent(r['survival'])}% ({fmt.style_percent(r['lower'])}%, "
                             f"{fmt.style_percent(r['upper'])}%)")
            stats_rows.append({"group": g, "time": t, "what": "survival", "estimate": r["survival"],
                               "lower": r["lower"], "upper": r["upper"]})
        m = med[med["group"].isna() if g is None else med["group"] == g].iloc[0]
        if median:
            def show(v):
                return NOT_REACHED if np.isnan(v) else fmt.style_sigfig(v)

            cells.append(NOT_REACHED if np.isnan(m["median"]) else
                         f"{show(m['median'])} ({show(m['lower'])}, {show(m['upper'])})")
        stats_rows.append({"group": g, "time": np.nan, "what": "median", "estimate": m["median"],
                           "lower": m["lower"], "upper": m["upper"]})
        name = "All patients" if g is None else str(group_labels.get(g, g))
        rows.append([f"{name} (n = {int(m['n'])}, {int(m['events'])} events)"] + cells)
        indent.append(1 if group is not None else 0)
    columns = ["Characteristic"] + [h + mark(1) for h in headers] + ([med_header + mark(2)] if median else [])
    footnotes = [f"Kaplan-Meier survival ({level} CI on the {CI_NAMES[conf_type]} scale)"]
    if median:
        footnotes.append(f"Brookmeyer-Crowley {level} CI of the median ({CI_NAMES[conf_type]} scale); "
                         f"\"{NOT_REACHED}\": the curve or the bound stays above 50%")
    if not len(times):
        columns = [columns[0]] + [med_header + mark(1)]
        footnotes = footnotes[1:]
    return Table(body=pd.DataFrame(rows, columns=columns), indent=indent, title=title, footnotes=footnotes,
                 stats=pd.DataFrame(stats_rows), kind="survival", bold_rows=[0] if group is not None else [])
