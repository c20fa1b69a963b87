"""Figures of the anti-Mi2 phenotype notebook: forest plot of odds ratios, strength spaghetti plot with group
means, titre scatter plots, titre trajectories of the long-follow-up subgroup. Each takes ``ax=None`` (one panel)
or ``axes=None`` (several) and returns what it drew on (Axes, or an array of Axes), as lifelines' plots do; says
*Synthetic data* in its title when asked to. Legible from 10 to 1,000 patients: log axes get plain, thinned
ticks (``style.set_log_ticks``) and a group without data is left out with a note, never drawn empty; with no
data at all a figure is one panel saying so (``style.no_data``), never an exception."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from ..mi2 import GROUPS
from . import style


def plot_forest(ors: pd.DataFrame, ax=None, synthetic: bool = False,
                title: str = "Odds ratios, Mi2+ vs Mi2- DM", xlabel: str = "Odds ratio (95 % CI), log scale"):
    """Forest plot of odds ratios with their 95 % CI on a log axis; a dashed line at OR = 1.

    Parameters
    ----------
    ors : DataFrame
        From ``myositis.mi2.odds_ratios`` (index = feature; ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``correction``). Features with a Haldane correction are marked with a dagger.
    """
    ors = ors.dropna(subset=["odds_ratio", "ci_low", "ci_high"])
    if ors.empty:
        return style.no_data(title, "No odds ratio could be estimated (a group has no patient with a value).",
                             synthetic, ax)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.42 * len(ors) + 1.4))
    y = np.arange(len(ors))[::-1]
    colour = style.PALETTE[0]
    ax.hlines(y, ors["ci_low"], ors["ci_high"], color=colour, lw=1.6)
    ax.plot(ors["odds_ratio"], y, "s", color=colour, ms=6)
    ax.axvline(1, color="0.4", ls="--", lw=0.9)
    ax.set_xscale("log")
    labels = [f"{name} \u2020" if corr else name for name, corr in zip(ors.index, ors["correction"])]
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    lo = max(min(ors["ci_low"].min(), 0.5) / 1.5, 1e-3)
    hi = min(max(ors["ci_high"].max(), 2) * 1.5, 1e4)
    ax.set_xlim(lo, hi)
    style.set_log_ticks(ax, "x", max_ticks=7)
    ax.minorticks_off()
    ax.text(0.02, -0.13 - 0.02 * (len(ors) < 6), "\u2190 less frequent in Mi2+ DM", transform=ax.transAxes,
            ha="left", va="top", fontsize=8.5, color="0.35")
    ax.text(0.98, -0.13 - 0.02 * (len(ors) < 6), "more frequent in Mi2+ DM \u2192", transform=ax.transAxes,
            ha="right", va="top", fontsize=8.5, color="0.35")
    if ors["correction"].astype(bool).any():
        ax.text(1.0, 1.0, "\u2020 Haldane correction (a zero cell)", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8, color="0.35")
    ax.set_title(style.synthetic_title(title, synthetic), loc="left")
    return ax


def plot_spaghetti(visits: pd.DataFrame, means: pd.DataFrame, synthetic: bool = False, max_months: float = 60,
                   groups=GROUPS, title: str = "Strength over time (Kendall 0-10)", axes=None):
    """One panel per group: each patient's strength over months since onset (thin lines), the group mean per
    6-month period (thick line).

    Parameters
    ----------
    visits : DataFrame
        ``id``, ``group``, ``months_since_onset``, ``strength_kendall``.
    means : DataFrame
        From ``myositis.mi2.strength_by_period`` (index = months at the start of the period, one column per
        group); drawn at the middle of each period.
    axes : sequence of Axes, optional
        One per group with data (a new figure when None).

    Returns
    -------
    array of Axes
        One panel per group with strength data; groups without any are named in a note under the panels.
    """
    colours = style.colours(GROUPS)
    d = visits.dropna(subset=["strength_kendall"])
    d = d[d["months_since_onset"] <= max_months]
    with_data = set(d["group"].astype(str))
    empty = [g for g in groups if g in set(visits["group"].astype(str)) and g not in with_data]
    groups = [g for g in groups if g in with_data]
    if not groups:  # every panel would be empty: say so instead
        ax = axes[0] if axes is not None else None
        return np.array([style.no_data(title, "No strength measurement to draw in any group.", synthetic, ax)])
    if axes is None:
        fig, axes = plt.subplots(1, len(groups), figsize=(3.0 * len(groups) + 0.6, 3.6), sharey=True,
                                 squeeze=False)
        axes = axes[0]
    axes = np.asarray(axes).ravel()
    fig = axes[0].figure
    width = float(np.diff(means.index).min()) if len(means) > 1 else 6.0
    for ax, g in zip(axes, groups):
        dg = d[d["group"].astype(str) == g].sort_values(["id", "months_since_onset"])
        xy = dg[["months_since_onset", "strength_kendall"]].to_numpy()  # sorted by patient: one line each
        ids = dg["id"].to_numpy()
        lines = np.split(xy, np.flatnonzero(ids[1:] != ids[:-1]) + 1) if len(xy) else []
        ax.add_collection(LineCollection(lines, colors=colours[g], alpha=0.15, linewidths=0.7))
        if g in means:
            ax.plot(means.index + width / 2, means[g], color=colours[g], lw=2.6, marker="o", ms=3.5,
                    label="group mean")
        ax.set_title(f"{g} (n = {dg['id'].nunique()})", fontsize=10)
        ax.set_xlabel("Months since onset")
        ax.set_xlim(0, max_months)
        ax.set_xticks(np.arange(0, max_months + 1, 12))
    axes[0].set_ylabel("Strength, Kendall scale (10 = normal)")
    axes[0].set_ylim(max(0, np.floor(d["strength_kendall"].quantile(0.005))) if len(d) else 0, 10.3)
    axes[0].legend(handles=[Line2D([], [], color="0.5", alpha=0.5, lw=0.8, label="one patient"),
                            Line2D([], [], color="0.2", lw=2.6, marker="o", ms=3.5, label="group mean (6-month periods)")],
                   loc="lower right", fontsize=8)
    fig.suptitle(style.synthetic_title(title, synthetic), x=0.01, ha="left", fontsize=11)
    if empty:
        fig.text(0.01, 0.0, "Not shown (no strength measurement): " + ", ".join(empty), fontsize=8, color="0.35",
                 ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04 if empty else 0, 1, 1))
    return axes


def plot_titre_scatter(visits: pd.DataFrame, correlations: pd.DataFrame | None = None, synthetic: bool = False,
                       group: str = "Mi2+ DM", title: str = "Anti-Mi2 titre vs CK and strength, all visits",
                       axes=None):
    """Two panels: titre vs CK (both log scale) and titre vs strength, one point per visit of ``group``,
    with the repeated-measures r in each panel when given.

    Returns
    -------
    array of 2 Axes
    """
    d = visits[(visits["group"].astype(str) == group)].dropna(subset=["anti_mi2_titre_au"])
    d = d[d["anti_mi2_titre_au"] > 0]
    if d.empty:
        ax = np.asarray(axes).ravel()[0] if axes is not None else None
        return np.array([style.no_data(title, f"No {group} patient with an anti-Mi2 titre.", synthetic, ax)])
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.9))
    axes = np.asarray(axes).ravel()
    a1, a2 = axes
    fig = a1.figure
    colour = style.PALETTE[0]
    a1.scatter(d["anti_mi2_titre_au"], d["ck_u_l"], s=10, alpha=0.45, color=colour, edgecolor="none")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("Anti-Mi2 titre (AU, log scale)")
    a1.set_ylabel("CK (IU/L, log scale)")
    a2.scatter(d["anti_mi2_titre_au"], d["strength_kendall"], s=10, alpha=0.45, color=colour, edgecolor="none")
    a2.set_xscale("log")
    a2.set_xlabel("Anti-Mi2 titre (AU, log scale)")
    a2.set_ylabel("Strength, Kendall scale (10 = normal)")
    if correlations is not None:
        for ax, pair in ((a1, "log10 titre ~ log10 CK"), (a2, "log10 titre ~ strength")):
            r = correlations.loc[pair]
            if pd.isna(r["r"]):
                continue
            ax.text(0.03, 0.04, f"rmcorr r = {r['r']:.2f}\n95 % CI {r['ci_low']:.2f} to {r['ci_high']:.2f}",
                    transform=ax.transAxes, fontsize=8.5, va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "0.8", "boxstyle": "round,pad=0.3"})
    for ax in (a1, a2):
        ax.autoscale_view()
        style.set_log_ticks(ax, "x")
    a1.autoscale_view()
    style.set_log_ticks(a1, "y")
    fig.suptitle(style.synthetic_title(f"{title} ({group}, {d['id'].nunique()} patients, {len(d)} visits)",
                                       synthetic), x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return axes


def plot_titre_trajectories(visits: pd.DataFrame, long: pd.DataFrame, cutoff: float, ax=None,
                            synthetic: bool = False, title: str = "Anti-Mi2 titre, patients followed >= 4 years"):
    """Titre over years since the first measurement for each patient of the long-follow-up subgroup; the
    positivity cut-off dashed; negativation (the titre stays below the cut-off) marked with a cross; patients
    who stopped treatment drawn with a thicker line.

    Parameters
    ----------
    long : DataFrame
        From ``myositis.mi2.long_follow_up``.
    """
    if long.empty:
        return style.no_data(title, "No patient with titres measured over the follow-up asked for.", synthetic, ax)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.4))
    d = visits[visits["id"].isin(long["id"])].dropna(subset=["anti_mi2_titre_au"]).sort_values(
        ["id", "months_since_onset"])
    info = long.set_index("id")
    for k, (pid, dp) in enumerate(d.groupby("id", sort=True)):
        row = info.loc[pid]
        years = (dp["months_since_onset"] - row["first_month"]) / 12
        colour = style.PALETTE[1] if row["negative"] else style.PALETTE[0]
        stopped = bool(row["treatment_stopped"]) if pd.notna(row["treatment_stopped"]) else False
        ax.plot(years, dp["anti_mi2_titre_au"], color=colour, lw=2.4 if stopped else 1.1, alpha=0.9, marker="o",
                ms=2.5)
        if row["negative"] and pd.notna(row["negative_from_month"]):
            x = (row["negative_from_month"] - row["first_month"]) / 12
            y = dp.loc[dp["months_since_onset"] == row["negative_from_month"], "anti_mi2_titre_au"].iloc[0]
            ax.plot(x, y, marker="X", ms=10, color=colour, markeredgecolor="black", zorder=5)
    ax.axhline(cutoff, color="0.3", ls="--", lw=1)
    ax.text(0.0, cutoff * 1.08, f"positivity cut-off ({cutoff:g} AU)", fontsize=8,
            color="0.3", va="bottom")
    ax.set_yscale("log")
    ax.autoscale_view()
    style.set_log_ticks(ax, "y")
    ax.set_xlabel("Years since first titre")
    ax.set_ylabel("Anti-Mi2 titre (AU, log scale)")
    handles = [Line2D([], [], color=style.PALETTE[0], lw=1.1, label="titre still positive at last visit"),
               Line2D([], [], color=style.PALETTE[1], lw=1.1, label="became negative"),
               Line2D([], [], color="0.3", marker="X", ls="none", ms=9, markeredgecolor="black",
                      label="negative from here on"),
               Line2D([], [], color="0.3", lw=2.4, label="stopped treatment")]
    ax.legend(handles=handles, loc="upper right", fontsize=8)
    ax.set_title(style.synthetic_title(f"{title} (n = {len(long)})", synthetic), loc="left")
    return ax
