"""Figures of the SAM (MAS) case series: inclusion flow, swimmer plot of treatment lines, response to the
first line. Each takes ``ax=None`` and returns the axes; titles say *Synthetic data* when asked to."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style

#: Response → colour (Okabe-Ito): green complete, orange partial, vermilion none, grey not evaluable/unknown.
RESPONSE_COLOURS = {"complete": "#009E73", "partial": "#E69F00", "none": "#D55E00", "not evaluable": "#999999",
                    "unknown": "#CCCCCC"}

RESPONSE_LABELS = {"complete": "complete response", "partial": "partial response", "none": "no response",
                   "not evaluable": "not evaluable", "unknown": "response unknown"}


def plot_inclusion_flow(flow: pd.DataFrame, ax=None, synthetic: bool = False, title: str = "Inclusion flow"):
    """Flow diagram received → valid → analysed with the exclusions beside each step.

    Parameters
    ----------
    flow : DataFrame
        From ``myositis.sam.inclusion_flow`` (``step``, ``n``, ``detail``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    steps = flow[flow["step"] != "excluded"].reset_index(drop=True)
    ys = np.linspace(8.8, 1.2, len(steps))
    box = {"boxstyle": "round,pad=0.45", "facecolor": "#E8F1F8", "edgecolor": style.PALETTE[0]}
    excluded_box = {"boxstyle": "round,pad=0.4", "facecolor": "#FBEFE6", "edgecolor": style.PALETTE[1]}
    pending = []
    k = 0
    for _, row in flow.iterrows():
        if row["step"] == "excluded":
            if row["n"]:
                pending.append(f"{row['detail']}: {row['n']}")
            continue
        y = ys[k]
        ax.text(3, y, f"{row['step'].capitalize()}\n{row['detail']}: n = {row['n']}", ha="center", va="center",
                bbox=box, fontsize=9)
        if k > 0:
            ax.annotate("", xy=(3, y + 0.75), xytext=(3, ys[k - 1] - 0.75),
                        arrowprops={"arrowstyle": "->", "color": "0.3"})
            text = "Excluded\n" + ("\n".join(pending) if pending else "none")
            ymid = (y + ys[k - 1]) / 2
            ax.annotate("", xy=(5.9, ymid), xytext=(3, ymid), arrowprops={"arrowstyle": "->", "color": "0.5"})
            ax.text(6.0, ymid, text, ha="left", va="center", bbox=excluded_box, fontsize=8.5)
        pending = []
        k += 1
    ax.set_title(style.synthetic_title(title, synthetic))
    return ax


#: Short drug names written inside the bars of the swimmer plot (full names in the legend note).
ABBREVIATIONS = {"GC": "GC", "MP pulses": "MP", "IVIG": "IVIG", "etoposide": "VP16", "anakinra": "ANK",
                 "ciclosporin": "CsA", "tacrolimus": "TAC", "JAK inhibitor": "JAKi", "tocilizumab": "TCZ",
                 "rituximab": "RTX", "cyclophosphamide": "CYC", "plasma exchange": "PE", "other": "other",
                 "not stated": "?"}


def short_regimen(regimen: str) -> str:
    """'MP pulses + IVIG + etoposide' -> 'MP+IVIG+VP16' (unknown words kept as they are)."""
    return "+".join(ABBREVIATIONS.get(d.strip(), d.strip()) for d in str(regimen).split("+"))


def plot_swimmer(lines: pd.DataFrame, patients: pd.DataFrame, ax=None, max_days: float = 365,
                 synthetic: bool = False, title: str = "Treatment lines of MAS, response and outcome"):
    """Swimmer plot: one lane per patient, treatment lines coloured by response, ICU stay, relapse, death or
    last follow-up, on days from MAS onset (cut at ``max_days``; an arrow marks follow-up beyond).

    Parameters
    ----------
    lines : DataFrame
        From ``myositis.sam.treatment_lines`` (``pseudonym``, ``line``, ``regimen``, ``start_day``, ``end_day``,
        ``response``).
    patients : DataFrame
        One row per patient: ``pseudonym``, ``follow_up_days``, ``death`` (bool), ``icu_day``, ``relapse_day``,
        in the order of the lanes (top first).
    """
    n = len(patients)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.26 * n + 1.6))
    lane = {p: n - 1 - i for i, p in enumerate(patients["pseudonym"])}
    for p in patients.to_dict("records"):  # rows as dicts: a Series per row cost more than the drawing
        y = lane[p["pseudonym"]]
        end = p["follow_up_days"]
        shown_end = min(end, max_days) if pd.notna(end) else 0
        ax.plot([0, shown_end], [y, y], color="0.75", lw=1, zorder=1)
        if pd.notna(end):
            if p["death"]:
                ax.plot(shown_end, y, marker="X", color="black", ms=7, zorder=4, ls="none") if end <= max_days else None
            if end > max_days:
                ax.annotate("", xy=(max_days * 1.035, y), xytext=(max_days, y),
                            arrowprops={"arrowstyle": "->", "color": "0.3"})
            elif not p["death"]:
                ax.plot(shown_end, y, marker="|", color="0.3", ms=9, zorder=4, ls="none")
        if pd.notna(p.get("icu_day")) and p["icu_day"] <= max_days:
            ax.plot(max(p["icu_day"], 0), y + 0.28, marker="v", color=style.PALETTE[0], ms=5, zorder=5, ls="none")
        if pd.notna(p.get("relapse_day")) and p["relapse_day"] <= max_days:
            ax.plot(p["relapse_day"], y, marker="*", color=style.PALETTE[3], ms=9, zorder=5, ls="none")
    for ln in lines.to_dict("records"):
        if ln["pseudonym"] not in lane or pd.isna(ln["start_day"]):
            continue
        start = max(ln["start_day"], 0)
        stop = ln["end_day"] if pd.notna(ln["end_day"]) else start + 3
        stop = min(max(stop, start + 1), max_days)
        if start >= max_days:
            continue
        ax.barh(lane[ln["pseudonym"]], stop - start, left=start, height=0.55,
                color=RESPONSE_COLOURS.get(ln["response"], "#CCCCCC"), edgecolor="white", lw=0.8, zorder=3)
        label = short_regimen(ln["regimen"])
        if stop - start >= (len(label) + 1) * max_days / 130:  # only where the label fits inside the bar
            ax.text(start + 2, lane[ln["pseudonym"]], label, ha="left", va="center", fontsize=6, zorder=6,
                    color="black" if ln["response"] in ("partial", "unknown") else "white")
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"P{n - i:02d}" for i in range(n)], fontsize=7)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlim(-3, max_days * 1.06)
    ax.set_xlabel("Days from MAS diagnosis")
    ax.set_ylabel("Patient")
    handles = [Patch(color=c, label=RESPONSE_LABELS[r]) for r, c in RESPONSE_COLOURS.items()]
    handles += [Line2D([], [], marker="v", color=style.PALETTE[0], ls="none", label="ICU admission"),
                Line2D([], [], marker="*", color=style.PALETTE[3], ls="none", ms=9, label="relapse"),
                Line2D([], [], marker="X", color="black", ls="none", label="death"),
                Line2D([], [], marker="|", color="0.3", ls="none", ms=9, label="alive at last follow-up")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.text(1.02, 0.0, "Drugs in the bars:\n" + "\n".join(f"{a} {d}" for d, a in ABBREVIATIONS.items()
                                                          if a not in ("GC", "IVIG", "other", "?")),
            transform=ax.transAxes, fontsize=7, va="bottom", ha="left", color="0.3")
    ax.set_title(style.synthetic_title(title, synthetic))
    return ax


def plot_first_line_response(table: pd.DataFrame, ax=None, synthetic: bool = False,
                             title: str = "Response to the first line of treatment of MAS"):
    """Horizontal stacked bars: patients per first-line regimen by response.

    Parameters
    ----------
    table : DataFrame
        From ``myositis.sam.first_line_response`` (index regimen; response columns).
    """
    order = [r for r in RESPONSE_COLOURS if r in table.columns]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
    t = table.iloc[::-1]
    left = np.zeros(len(t))
    for r in order:
        ax.barh(t.index, t[r], left=left, color=RESPONSE_COLOURS[r], label=RESPONSE_LABELS[r], edgecolor="white")
        left += t[r].to_numpy()
    ax.set_xlabel("Patients")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(title="Response", loc="lower right", fontsize=8)
    ax.set_title(style.synthetic_title(title, synthetic))
    return ax
