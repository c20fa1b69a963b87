"""Kaplan-Meier figures in the conventions of R's survminer (``ggsurvplot``): step curves, ``+`` censor marks,
shaded confidence bands, log-rank p in the panel and the numbers at risk under the x axis, aligned with its ticks.

Numbers come from ``myositis.survival`` (at risk = patients with time >= t, as R and SAS count them); this module
only draws. Colours are the house Okabe-Ito palette (colour-blind safe).
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from mpl_toolkits.axes_grid1 import make_axes_locatable

from ..survival import estimation
from . import style


def _nice_step(xmax: float) -> float:
    raw = xmax / 6
    mag = 10 ** np.floor(np.log10(raw))
    return float(min((m * mag for m in (1, 2, 2.5, 3, 5, 10) if m * mag >= raw), default=raw))


def format_p(p: float) -> str:
    """p-value as printed on survival figures: 'p < 0.0001', else 2 significant digits."""
    if not np.isfinite(p):
        return "p = NA"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def plot_km(data: pd.DataFrame, group: str | None = "group", time: str = "time", event: str = "event", ax=None,
            conf_int: bool = True, conf_type: str = "log-log", risk_table: bool = True, break_time: float | None = None,
            xmax: float | None = None, landmarks=(), pvalue: bool = True, title: str | None = None,
            xlabel: str = "Time (months)", ylabel: str = "Survival probability", colours: dict | None = None,
            legend_title: str | None = None):
    """Kaplan-Meier curves with confidence bands, censor marks, landmarks, log-rank p and a number-at-risk table.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    group : str or None
        Column defining the curves (None: one curve).
    time, event : str
        Column names (event 1, censored 0).
    ax : matplotlib Axes, optional
        Axes to draw on; the at-risk table is appended below it. A new figure when None.
    conf_int : bool
        Shade the pointwise confidence band (``conf_type`` as in ``survival.survival_at``).
    risk_table : bool
        Draw the numbers at risk at each x tick under the axis.
    break_time : float, optional
        Spacing of the x ticks and of the at-risk table (survminer's ``break.time.by``).
    xmax : float, optional
        Right end of the x axis (the last follow-up time by default).
    landmarks : sequence of float
        Times marked by a dotted vertical line (e.g. ``[6, 12]`` months).
    pvalue : bool
        Print the log-rank p-value (overall test) in the lower left corner when there are two or more groups.
    title, xlabel, ylabel, legend_title : str, optional
    colours : dict, optional
        Group -> colour; the house palette by default.

    Returns
    -------
    matplotlib Axes
        The survival axes (the at-risk table is a second axes of the same figure).

    References
    ----------
    Kassambara A, Kosinski M, Biecek P. survminer: Drawing Survival Curves using 'ggplot2'. R package.
    Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations that are friendly to
    colorblind people. 2008.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 5.8 if risk_table else 4.6))
    fig = ax.figure
    km = estimation.kaplan_meier(data, time=time, event=event, group=group, conf_type=conf_type)
    groups = list(pd.unique(km["group"]))
    colours = colours or style.colours(groups)
    end = float(pd.to_numeric(data[time]).max()) if xmax is None else float(xmax)
    step = break_time or _nice_step(end)
    ticks = np.arange(0, end + 1e-9, step)

    for g in groups:
        k = km[km["group"].isna()] if g is None else km[km["group"] == g]
        t = np.concatenate(([0.0], k["time"].to_numpy()))
        s = np.concatenate(([1.0], k["survival"].to_numpy()))
        colour = colours[g]
        label = "All patients" if g is None else str(g)
        ax.step(t, s, where="post", color=colour, lw=1.8, label=label)
        if conf_int:
            lo = np.concatenate(([1.0], k["lower"].fillna(0).to_numpy()))
            hi = np.concatenate(([1.0], k["upper"].fillna(1).to_numpy()))
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, lw=0)
        cens = k[k["n_censor"] > 0]
        ax.plot(cens["time"], cens["survival"], ls="none", marker="+", ms=9, mew=1.4, color=colour)

    for lm in landmarks:
        ax.axvline(lm, color="0.45", ls=":", lw=1, zorder=0)
        ax.text(lm, 0.015, f" {lm:g}", ha="left", va="bottom", fontsize=8, color="0.35",
                transform=ax.get_xaxis_transform())
    if pvalue and len(groups) >= 2:
        p = estimation.logrank(data, group=group, time=time, event=event, pairwise=False)["p_value"].iloc[0]
        ax.text(0.03, 0.05, f"Log-rank {format_p(p)}", transform=ax.transAxes, ha="left", va="bottom",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 2})
    ax.set_xlim(-0.02 * end, end * 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xticks(ticks)
    ax.set_yticks(np.linspace(0, 1, 5))
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    legend = len(groups) > 1
    if legend:
        # Above the panel, as survminer does, so that it never hides a curve (one curve needs no legend).
        ax.legend(title=legend_title, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(len(groups), 2),
                  fontsize=9, title_fontsize=9, borderaxespad=0.2)
    if title:
        rows = -(-len(groups) // 2) if legend else 0
        ax.set_title(title, loc="left", pad=6 + 20 * rows)

    if risk_table:
        table = estimation.at_risk_table(data, ticks, group=group, time=time, event=event)
        tab = make_axes_locatable(ax).append_axes("bottom", size=f"{8 * len(groups) + 6}%", pad=0.62, sharex=ax)
        for row, g in enumerate(groups):
            key = "all" if g is None else g
            for x, n in zip(ticks, table.loc[key].to_numpy()):
                tab.text(x, row, f"{int(n)}", ha="center", va="center", color=colours[g], fontsize=9)
        tab.set_ylim(len(groups) - 0.5, -0.5)
        tab.set_yticks(range(len(groups)))
        tab.set_yticklabels(["All patients" if g is None else str(g) for g in groups], fontsize=9)
        for lbl, g in zip(tab.get_yticklabels(), groups):
            lbl.set_color(colours[g])
        tab.tick_params(axis="both", length=0)
        tab.tick_params(axis="x", labelbottom=False)
        for side in ("top", "right", "bottom", "left"):
            tab.spines[side].set_visible(False)
        tab.set_title("Number at risk", loc="left", fontsize=9)
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
    matplotlib Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
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
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10) if 0.8 * hr.min() <= t <= 1.25 * max(hr.max(), 1)]
    axes[1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[1].set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes[1].axvline(1, color="0.3", ls=":", lw=1)
    axes[1].set_xlabel("Cox hazard ratio (log scale)")
    axes[0].set_title("Log-rank p-value", loc="left", fontsize=10)
    axes[1].set_title("Hazard ratio", loc="left", fontsize=10)
    fig.suptitle(f"Reconstructed data: {comparison}, {len(per_draw)} consistent reconstructions", x=0.01,
                 ha="left", fontsize=10)
    fig.tight_layout()
    return fig
