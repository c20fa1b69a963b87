"""Figures stay legible from 10 to 1,000 patients: no tick labels running into each other ("0.010.02",
"3×10¹4×10¹"), no empty panel drawn "n = 0", and the plot functions' API (ax/axes in, Axes out)."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from myositis import mi2  # noqa: E402
from myositis.figures import km, style  # noqa: E402
from myositis.figures import mi2 as mi2_figures  # noqa: E402


def overlapping_ticks(fig) -> list[str]:
    """Pairs of visible tick labels whose boxes intersect, on any axis of the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bad = []
    for ax in fig.axes:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            shown = [t for t in labels if t.get_visible() and t.get_text()]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in shown]
            for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
                if ba.overlaps(bb):
                    bad.append(f"{a}|{b}")
    return bad


@pytest.fixture(scope="module")
def cohort():
    patients, visits = mi2.synthetic_cohort(seed=3)
    return patients, visits


def sample(patients, visits, n, seed):
    rng = np.random.default_rng(seed)
    picked = patients.sample(n=n, replace=n > len(patients), random_state=seed).reset_index(drop=True)
    picked["new_id"] = [f"P{i:04d}" for i in range(len(picked))]
    v = picked[["id", "new_id"]].merge(visits, on="id").drop(columns="id").rename(columns={"new_id": "id"})
    v["months_since_onset"] = v["months_since_onset"] + rng.uniform(-0.2, 0.2, len(v))
    picked = picked.drop(columns="id").rename(columns={"new_id": "id"})
    return picked, mi2.with_group(v, picked)


@pytest.mark.parametrize("n", [10, 40, 1000])
def test_mi2_figures_legible(cohort, n):
    patients, visits = sample(*cohort, n, seed=n)
    visits.loc[visits["group"] == mi2.GROUPS[-1], "strength_kendall"] = np.nan  # a group with no strength
    ors = mi2.odds_ratios(patients)
    ax = mi2_figures.plot_forest(ors)
    assert isinstance(ax, plt.Axes) and overlapping_ticks(ax.figure) == []
    plt.close(ax.figure)
    axes = mi2_figures.plot_spaghetti(visits, mi2.strength_by_period(visits))
    fig = style.figure_of(axes)
    titles = [a.get_title() for a in axes]
    assert not any("n = 0" in t for t in titles) and not any(t.startswith(mi2.GROUPS[-1]) for t in titles)
    assert any("Not shown" in t.get_text() and mi2.GROUPS[-1] in t.get_text() for t in fig.texts)
    assert overlapping_ticks(fig) == []
    plt.close(fig)
    if (visits["group"] == "Mi2+ DM").any():
        axes = mi2_figures.plot_titre_scatter(visits)
        assert len(axes) == 2 and overlapping_ticks(axes[0].figure) == []
        plt.close(axes[0].figure)


@pytest.mark.parametrize("n", [10, 1000])
def test_km_legible(n):
    rng = np.random.default_rng(n)
    d = pd.DataFrame({"time": rng.exponential(12, n).round(2) + 0.1, "event": rng.integers(0, 2, n),
                      "group": rng.choice(["A", "B"], n)})
    ax = km.plot_km(d, cumulative_events=True)
    assert overlapping_ticks(ax.figure) == []
    plt.close(ax.figure)


@pytest.mark.parametrize("spread", [(0.011, 0.03), (0.05, 40), (0.9, 1.3)])
def test_reconstruction_spread_log_ticks(spread):
    rng = np.random.default_rng(1)
    per_draw = pd.DataFrame({"p_logrank": rng.uniform(1e-5, 0.2, 200),
                             "hr": np.exp(rng.uniform(*np.log(spread), 200))})
    axes = km.plot_reconstruction_spread(per_draw, comparison="A vs B")
    assert overlapping_ticks(axes[0].figure) == []
    labels = [t.get_text() for t in axes[1].get_xticklabels() if t.get_text()]
    assert len(labels) >= 2 and not any("10^" in x or "×" in x for x in labels)
    plt.close(axes[0].figure)


def test_log_ticks_readable():
    assert style.log_ticks(0.01, 200) == [0.01, 0.1, 1, 10, 100]
    assert style.log_ticks(30, 45) == [30, 40]
    assert len(style.log_ticks(1e-4, 1e6)) <= 7
