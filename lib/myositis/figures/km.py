"""Kaplan-Meier figures in the conventions of R's survminer (``ggsurvplot``): step curves, ``+`` censor marks,
shaded confidence bands, log-rank p in the panel and the numbers at risk under the x axis, aligned with its ticks.

Numbers come from ``myositis.survival`` (at risk = patients with time >= t, as R and SAS count them); this module
only draws. Colours are the house Okabe-Ito palette (colour-blind safe).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from mpl_toolkits.axes_grid1 import make_axes_locatable

from ..survival import estimation
from . import style


def _nice_step(xmax: float) -> float:
    raw = xmax / 6
    mag = 10 ** np.floor(np.log10(raw))
    return float(min((m * mag for m in (1, 2, 2.5, 3, 5, 10) if m * mag >= raw), default=raw))


#: Opacity of the confidence bands (survminer ``conf.int.alpha`` default).
BAND_ALPHA = 0.3


def format_p(p: float) -> str:
    """p-value as survminer's ``surv_pvalue`` prints it on the figure: "p < 0.0001", else
    ``paste("p =", signif(p, 2))`` ("p = 0.0013", "p = 0.05")."""
    if not np.isfinite(p):
        return "p = NA"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


CI_SCALES = {"log": "log scale, R survfit's default", "log-log": "log-log scale", "plain": "linear scale"}


def caption(conf_type: str = "log", conf_level: float = 0.95, median_line: str | None = "hv",
            risk_table: bool = True, pvalue: bool = True) -> str:
    """The figure's caption notes: what the bands, marks, lines and numbers are (the CI type stated).

    Examples
    --------
    >>> caption("log-log", median_line=None, risk_table=False, pvalue=False)
    'Kaplan-Meier estimates; shaded bands: pointwise 95% confidence intervals (log-log scale); +: censored.'
    """
    parts = [f"Kaplan-Meier estimates; shaded bands: pointwise {conf_level:.0%} confidence intervals "
             f"({CI_SCALES[conf_type]}); +: censored"]
    if median_line:
        parts.append("dashed lines: median survival")
    if pvalue:
        parts.append("p: log-rank test (survminer's signif(p, 2))")
    if risk_table:
        parts.append("numbers at risk: patients still followed (time >= t)")
    return "; ".join(parts) + "."


def _median_text(m: pd.Series) -> str:
    from ..tables import format as fmt

    if np.isnan(m["median"]):
        return "median not reached"
    bound = [fmt.style_sigfig(v) if np.isfinite(v) else "NR" for v in (m["lower"], m["upper"])]
    return f"median {fmt.style_sigfig(m['median'])} ({bound[0]}\u2013{bound[1]})"


def plot_km(data: pd.DataFrame, group: str | None = "group", time: str = "time", event: str = "event", ax=None,
            conf_int: bool = True, conf_type: str = "log", conf_level: float = 0.95, risk_table: bool = True,
            cumulative_events: bool = False, cumulative_censored: bool = False, break_time: float | None = None,
            xmax: float | None = None, landmarks=(), pvalue: bool = True, median_line: str | None = "hv",
            median_in_legend: bool = True, percent: bool = False, labels: dict | None = None,
            title: str | None = None, xlabel: str = "Time (months)", ylabel: str = "Survival probability",
            colours: dict | None = None, legend_title: str | None = None):
    """Kaplan-Meier curves as survminer's ``ggsurvplot`` draws them: confidence bands, censor marks, median
    lines, log-rank p, medians in the legend and the number-at-risk table on its own axis.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str or None
        Column defining the curves (None: one curve).
    time, event : str
        Column names (event 1, censored 0).
    ax : matplotlib Axes, optional
        Axes to draw on; the tables are appended below it. A new figure when None.
    conf_int : bool
        Shade the pointwise confidence band.
    conf_type : {"log", "log-log", "plain"}
        Scale of the band; "log" is R survfit's default (survminer's bands), "log-log" SAS's and Stata's.
    conf_level : float
    risk_table : bool
        Number at risk at each x tick, in a panel below with its own x axis (survminer ``risk.table``).
    cumulative_events, cumulative_censored : bool
        Further panels: events, and censorings, up to each tick (survminer ``cumevents``, ``cumcensor``).
    break_time : float, optional
        Spacing of the x ticks and of the tables (survminer's ``break.time.by``).
    xmax : float, optional
        Right end of the x axis (the last follow-up time by default).
    landmarks : sequence of float
        Times marked by a dotted vertical line (e.g. ``[6, 12]`` months).
    pvalue : bool
        Log-rank p-value (overall test) in the panel when there are two or more groups.
    median_line : {"hv", "h", "v", None}
        Dashed lines at the median survival (survminer ``surv.median.line``).
    median_in_legend : bool
        Each curve's label ends with its median and 95 % CI (Brookmeyer-Crowley, ``conf_type`` scale).
    percent : bool
        y axis in percent (survminer ``surv.scale = "percent"``).
    labels : dict, optional
        ``{group value: printed name}`` (survminer ``legend.labs``).
    title, xlabel, ylabel, legend_title : str, optional
    colours : dict, optional
        Group -> colour; the house palette by default.

    Returns
    -------
    matplotlib Axes
        The survival axes; the table panels are further axes of the same figure (``ax.figure.axes``).
        :func:`caption` gives the matching caption text.

    References
    ----------
    Kassambara A, Kosinski M, Biecek P. survminer: Drawing Survival Curves using 'ggplot2' (``ggsurvplot``).
    Brookmeyer R, Crowley J. Biometrics 1982;38:29-41 (median CI).
    Okabe M, Ito K. Color Universal Design (CUD). 2008.
    """
    from ..tables.survival import median_ci

    if median_line not in (None, "hv", "h", "v"):
        raise ValueError("median_line must be 'hv', 'h', 'v' or None")
    labels = dict(labels or {})
    n_tables = int(risk_table) + int(cumulative_events) + int(cumulative_censored)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.6 + 1.2 * n_tables))
    fig = ax.figure
    km = estimation.kaplan_meier(data, time=time, event=event, group=group, conf_type=conf_type,
                                 conf_level=conf_level)
    groups = list(pd.unique(km["group"]))
    colours = colours or style.colours(groups)
    medians = median_ci(data, group=group, time=time, event=event, conf_type=conf_type, conf_level=conf_level)
    end = float(pd.to_numeric(data[time]).max()) if xmax is None else float(xmax)
    step = break_time or _nice_step(end)
    ticks = np.arange(0, end + 1e-9, step)

    def name(g):
        return "All patients" if g is None else str(labels.get(g, g))

    for g in groups:
        k = km[km["group"].isna()] if g is None else km[km["group"] == g]
        t = np.concatenate(([0.0], k["time"].to_numpy()))
        s = np.concatenate(([1.0], k["survival"].to_numpy()))
        colour = colours[g]
        m = medians[medians["group"].isna() if g is None else medians["group"] == g].iloc[0]
        label = name(g) + (f", {_median_text(m)}" if median_in_legend else "")
        ax.step(t, s, where="post", color=colour, lw=1.8, label=label)
        if conf_int:
            lo = np.concatenate(([1.0], k["lower"].fillna(0).to_numpy()))
            hi = np.concatenate(([1.0], k["upper"].fillna(1).to_numpy()))
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=BAND_ALPHA, lw=0)
        cens = k[k["n_censor"] > 0]
        ax.plot(cens["time"], cens["survival"], ls="none", marker="+", ms=9, mew=1.4, color=colour)
        if median_line and np.isfinite(m["median"]):
            if "h" in median_line:
                ax.plot([0, m["median"]], [0.5, 0.5], color="black", ls="--", lw=1.0, zorder=1)
            if "v" in median_line:
                ax.plot([m["median"], m["median"]], [0, 0.5], color="black", ls="--", lw=1.0, zorder=1)

    for lm in landmarks:
        ax.axvline(lm, color="0.45", ls=":", lw=1, zorder=0)
        ax.text(lm, 0.015, f" {lm:g}", ha="left", va="bottom", fontsize=8, color="0.35",
                transform=ax.get_xaxis_transform())
    if pvalue and len(groups) >= 2:
        p = estimation.logrank(data, group=group, time=time, event=event, pairwise=False)["p_value"].iloc[0]
        # where survminer puts it: x = last time / 50, y = 0.2, left-aligned (the test is named in the caption)
        last = float(pd.to_numeric(data[time]).max())
        ax.text(last / 50, 0.2, format_p(p), ha="left", va="center", fontsize=11,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 2})
    ax.set_xlim(-0.02 * end, end * 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xticks(ticks, [f"{x:g}" for x in ticks])
    yt = np.linspace(0, 1, 5)
    ax.set_yticks(yt, [f"{100 * y:g}%" for y in yt] if percent else [f"{y:g}" for y in yt])
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    legend = len(groups) > 1
    if median_in_legend and not legend and len(medians):  # one curve: its median in the panel, no legend box
        m = medians.iloc[0]
        ax.text(0.98, 0.97, _median_text(m).capitalize(), transform=ax.transAxes, ha="right", va="top",
                fontsize=9, color=colours[groups[0]])
    if legend:
        # Above the panel, as survminer does, so that it never hides a curve.
        ncol = 1 if median_in_legend else min(len(groups), 2)
        ax.legend(title=legend_title, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol,
                  fontsize=9, title_fontsize=9, borderaxespad=0.2)
    if title:
        rows = (len(groups) if median_in_legend else -(-len(groups) // 2)) if legend else 0
        ax.set_title(title, loc="left", pad=6 + 15 * rows + (12 if legend_title and legend else 0))

    panels = []
    if risk_table:
        counts = estimation.at_risk_table(data, ticks, group=group, time=time, event=event)
        panels.append(("Number at risk", counts))
    if cumulative_events or cumulative_censored:
        t_all = pd.to_numeric(data[time]).to_numpy(float)
        e_all = pd.to_numeric(data[event]).to_numpy(int)
        g_all = None if group is None else data[group].to_numpy()
        for wanted, title_txt, flag in ((cumulative_events, "Cumulative number of events", 1),
                                        (cumulative_censored, "Cumulative number censored", 0)):
            if not wanted:
                continue
            rows = {}
            for g in groups:
                mask = np.ones(t_all.size, bool) if g is None else (g_all == g)
                rows["all" if g is None else g] = [int(((t_all <= x) & (e_all == flag) & mask).sum()) for x in ticks]
            panels.append((title_txt, pd.DataFrame(rows).T))
    divider = make_axes_locatable(ax) if panels else None
    for i, (panel_title, table) in enumerate(panels):
        tab = divider.append_axes("bottom", size=f"{7 * len(groups) + 8}%", pad=0.75 if i == 0 else 0.55,
                                  sharex=ax)
        for row, g in enumerate(groups):
            key = "all" if g is None else g
            for x, n in zip(ticks, table.loc[key].to_numpy()):
                tab.text(x, row, f"{int(n)}", ha="center", va="center", color=colours[g], fontsize=9)
        tab.set_ylim(len(groups) - 0.5, -0.5)
        tab.set_yticks(range(len(groups)), [name(g) for g in groups], fontsize=9)
        for lbl, g in zip(tab.get_yticklabels(), groups):
            lbl.set_color(colours[g])
        tab.tick_params(axis="y", length=0, pad=12)
        tab.tick_params(axis="x", labelbottom=i == len(panels) - 1, labelsize=8)
        for side in ("top", "right", "left"):
            tab.spines[side].set_visible(False)
        tab.set_title(panel_title, loc="left", fontsize=9, fontweight="bold")
        if i == len(panels) - 1:
            tab.set_xlabel(xlabel, fontsize=9)
    fig.align_ylabels()
    return ax


def plot_reconstruction_spread(per_draw: pd.DataFrame, comparison: str = "", alpha: float = 0.05,
                               published_p: float | None = None, axes=None):
    """Histograms of the log-rank p-value and the Cox HR (both on log scales) across consistent reconstructions.

    Parameters
    ----------
    per_draw : DataFrame
        ``survival.compare_reconstructions`` output (columns ``p_logrank``, ``hr``).
    comparison : str
        Label of the comparison, used in the figure title.
    alpha : float
        Significance threshold drawn on the p-value panel.
    published_p : float, optional
        The p-value bound a paper reports (e.g. 0.0001 for "p < 0.0001"), drawn for comparison.
    axes : pair of Axes, optional

    Returns
    -------
    array of 2 Axes
        ``style.save`` accepts it as it is.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    axes = np.asarray(axes)
    fig = axes[0].figure
    p = np.log10(per_draw["p_logrank"].clip(lower=1e-300))
    axes[0].hist(p, bins=40, color=style.PALETTE[0], alpha=0.85)
    axes[0].axvline(np.log10(alpha), color=style.PALETTE[1], ls="--", lw=1.2, label=f"p = {alpha:g}")
    if published_p is not None:
        axes[0].axvline(np.log10(published_p), color="0.2", ls=":", lw=1.2, label=f"published p < {published_p:g}")
    axes[0].set_xlabel("log10 of the log-rank p-value")
    axes[0].set_ylabel("Reconstructions")
    axes[0].legend(loc="center right", bbox_to_anchor=(0.93, 0.55), fontsize=8)
    hr = per_draw["hr"].to_numpy(float)
    hr = hr[np.isfinite(hr) & (hr > 0)]
    axes[1].hist(hr, bins=np.geomspace(min(hr.min(), 0.9), max(hr.max(), 1.1), 40), color=style.PALETTE[2], alpha=0.85)
    axes[1].set_xscale("log")
    # readable at any spread: 1-2-5 ticks thinned so labels never run together ("0.010.02")
    style.set_log_ticks(axes[1], "x", lo=min(hr.min(), 0.9), hi=max(hr.max(), 1.1), max_ticks=6)
    axes[1].axvline(1, color="0.3", ls=":", lw=1)
    axes[1].set_xlabel("Cox hazard ratio (log scale)")
    axes[0].set_title("Log-rank p-value", loc="left", fontsize=10)
    axes[1].set_title("Hazard ratio", loc="left", fontsize=10)
    fig.suptitle(f"Reconstructed data: {comparison}, {len(per_draw)} consistent reconstructions", x=0.01,
                 ha="left", fontsize=10)
    fig.tight_layout()
    return axes
