"""myositis.figures.km: the survminer-style KM figure draws what survival computes and saves PNG + PDF."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import survival_data  # noqa: E402
from myositis import survival  # noqa: E402
from myositis.figures import km, style  # noqa: E402


def test_plot_km_risk_table_matches_at_risk_counts(tmp_path):
    d = survival_data.load("waltons")
    style.use()
    ax = survival.plot_km(d, break_time=10, landmarks=[30, 60], title="Waltons")
    fig = ax.figure
    table_ax = [a for a in fig.axes if a is not ax][0]
    ticks = np.arange(0, 75 + 1e-9, 10)
    for row, group in enumerate(pd.unique(d["group"])):
        shown = [int(t.get_text()) for t in table_ax.texts if t.get_position()[1] == row]
        times = d.loc[d["group"] == group, "time"].to_numpy()
        assert shown == [int((times >= x).sum()) for x in ticks]  # counted here, not by survival.at_risk_table
    # the numbers sit under the x ticks of the survival axes
    assert sorted({t.get_position()[0] for t in table_ax.texts}) == list(ax.get_xticks())
    assert any("Log-rank p" in t.get_text() for t in ax.texts)
    written = style.save(fig, tmp_path / "km")
    assert [p.suffix for p in written] == [".png", ".pdf"] and all(p.stat().st_size > 0 for p in written)
    style.close(fig)


def test_plot_km_single_curve_and_given_axes():
    import matplotlib.pyplot as plt

    d = survival_data.load("lung")
    fig, ax = plt.subplots()
    out = survival.plot_km(d, group=None, ax=ax, risk_table=False)
    assert out is ax
    assert not any("Log-rank" in t.get_text() for t in ax.texts)
    plt.close(fig)


def test_format_p():
    assert km.format_p(0.00001) == "p < 0.0001"
    assert km.format_p(0.0312) == "p = 0.031"


def test_single_cohort_without_group_draws_its_curve_and_no_legend():
    """group=None once drew nothing (a comparison with None is always False)."""
    import matplotlib.pyplot as plt

    d = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0, 5.0], "event": [1, 0, 1, 1, 0]})
    ax = km.plot_km(d, group=None, break_time=1, xmax=5, title="one cohort")
    step = ax.lines[0]
    assert list(step.get_ydata()) == pytest.approx([1.0, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3 * 0.5, 0.8 * 2 / 3 * 0.5])
    assert ax.get_legend() is None
    plt.close(ax.figure)

