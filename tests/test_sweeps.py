"""Sweeps: a grid or list of points expands into named runs whose recorded results are gathered in one table."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from myositis import results, runner, sweeps
from myositis.exceptions import MyositisError
from test_figures_legible import overlapping_ticks
from test_runner import make_notebook, make_params


def test_record_writes_plain_json_and_returns_the_value(tmp_path):
    out = tmp_path / "run"
    assert results.record("hr", np.float64(0.5), out) == 0.5
    results.record("n", np.int64(29), out)
    results.record("significant", np.bool_(True), out)
    results.record("missing", float("nan"), out)
    assert results.load(out) == {"hr": 0.5, "n": 29, "significant": True, "missing": None}
    assert (out / "results.json").read_text().startswith('{\n "hr": 0.5')
    with pytest.raises(MyositisError, match="result 'table'"):
        results.record("table", pd.DataFrame({"a": [1]}), out)


def test_grid_and_points_expand_to_named_runs(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)", params="x = 1\nrounding = 'round'\nf = ''")
    p = make_params(tmp_path / "s.yaml", nb, output="tac", parameters={"x": 9},
                    sweep={"grid": {"x": [0, 3], "rounding": ["round", "truncate"]},
                           "points": [{"f": "data/raw/centre_a.csv"}]})
    runs = runner.load_runs(p)
    assert [r.output for r in runs] == [
        "tac__x=0__rounding=round__f=centre_a", "tac__x=0__rounding=truncate__f=centre_a",
        "tac__x=3__rounding=round__f=centre_a", "tac__x=3__rounding=truncate__f=centre_a"]
    assert runs[3].parameters == {"x": 3, "rounding": "truncate", "f": "data/raw/centre_a.csv"}
    assert {r.sweep for r in runs} == {"tac"}


def test_points_with_the_same_label_are_refused(tmp_path):
    from myositis.exceptions import ParamsError

    nb = make_notebook(tmp_path / "n.ipynb", "print(y)", params="x = 1\nf = ''")
    p = make_params(tmp_path / "s.yaml", nb, output="s",
                    sweep={"points": [{"f": "a/centre.csv"}, {"f": "b/centre.csv"}]})
    with pytest.raises(ParamsError, match="same run name"):
        runner.load_runs(p)


def test_sweep_runs_and_gathers_results_into_table_figure_and_index(tmp_path):
    body = ("from myositis import results\n"
            "results.record('y', y, output_dir)\n"
            "results.record('y_squared', y * y * (2 if mode == 'b' else 1), output_dir)")
    nb = make_notebook(tmp_path / "n.ipynb", body, params="x = 1\nmode = 'a'\noutput_dir = 'reports/x'")
    p = make_params(tmp_path / "s.yaml", nb, output="sq", description="square of x+1",
                    sweep={"grid": {"x": [1, 2], "mode": ["a", "b"]}})
    reports = tmp_path / "reports"
    assert runner.main([str(p)], jobs=2, reports=str(reports)) == 0
    table = pd.read_csv(reports / "sq" / "sweep.csv")
    assert list(table.columns) == ["run", "status", "x", "mode", "y", "y_squared"]
    assert table["y"].tolist() == [2, 2, 3, 3]
    assert table["y_squared"].tolist() == [4, 8, 9, 18]
    assert (table["status"] == "ok").all()
    assert (reports / "sq" / "sweep.png").stat().st_size > 1000
    page = (reports / "sq.html").read_text()
    assert 'src="sq/sweep.png"' in page and "sq__x=2__mode=b.html" in page
    index = (reports / "index.html").read_text()
    assert 'href="sq.html"' in index and 'href="sq/sweep.csv"' in index
    meta = json.loads((reports / "sq.sweep.json").read_text())
    assert meta["swept"] == ["x", "mode"] and meta["ok"] == 4

    # a second batch reuses every point and gathers the same table
    assert runner.main([str(p)], jobs=2, reports=str(reports)) == 0
    again = json.loads((reports / "runs.json").read_text())["runs"]
    assert {r["status"] for r in again} == {"reused"}
    again_table = pd.read_csv(reports / "sq" / "sweep.csv")
    assert (again_table["status"] == "reused").all()
    pd.testing.assert_frame_equal(again_table.drop(columns="status"), table.drop(columns="status"))


def test_figure_of_a_single_swept_parameter():
    df = pd.DataFrame({"run": ["a", "b"], "status": ["ok", "ok"], "losses": [0, 3], "hr": [0.2, 0.4]})
    fig = sweeps.figure(df, ["losses"], ["hr"], "t")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "losses" and ax.get_ylabel() == "hr"
    assert list(ax.lines[0].get_ydata()) == [0.2, 0.4]


CENTRE_FILES = ["data/raw/sam_multicentre_synthetic/sam_synthetic_NCY_2021-04-02_redcap_labels.csv",
                "data/raw/sam_multicentre_synthetic/sam_synthetic_NTE_2021-03-29.csv",
                "data/raw/sam_multicentre_synthetic/sam_synthetic_REI_2021-03-31_redcap_raw.csv"]


def test_figure_of_many_results_over_long_file_names_is_legible():
    # the SAM per-centre sweep: 12 results, 3 points named by long file paths, a processed_dir given with each
    rng = np.random.default_rng(1)
    names = [f"result_number_{i}_with_a_long_name" for i in range(12)]
    df = pd.DataFrame({"run": ["a", "b", "c"], "status": "ok", "crf_file": CENTRE_FILES,
                       "processed_dir": [f"data/processed/sam_centres/{c}" for c in ("NCY", "NTE", "REI")],
                       **{n: rng.uniform(0, 1000, 3) for n in names}})
    fig = sweeps.figure(df, ["crf_file", "processed_dir"], names, "sam_centres")
    assert overlapping_ticks(fig) == []
    width, height = fig.get_size_inches() * 150  # savefig dpi
    assert width < 2200 and height < 2400, (width, height)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 12 and len({round(ax.get_position().x0, 3) for ax in panels}) <= 4
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["NCY", "NTE", "REI"]
    assert len(panels[0].lines) == 1 and fig.legends == []  # processed_dir varies with the file: no line per folder
    key = sweeps._key_html(df, "crf_file")  # printed on the sweep page
    assert "<td>NCY</td>" in key and CENTRE_FILES[0] in key and sweeps._key_html(df, "run") == ""
    plt.close(fig)


@pytest.mark.parametrize("n_results,n_points", [(1, 2), (5, 40), (20, 12)])
def test_figure_legible_for_1_to_20_results_and_2_to_40_points(n_results, n_points):
    rng = np.random.default_rng(n_points)
    files = [f"data/raw/export_of_the_centre_{i:02d}_made_on_2021-04-02.csv" for i in range(n_points)]
    names = [f"r{i}" for i in range(n_results)]
    df = pd.DataFrame({"run": files, "status": "ok", "crf_file": files, "draws": 500,
                       **{n: rng.uniform(0, 1, n_points) for n in names}})
    df = pd.concat([df, df.assign(draws=2000)], ignore_index=True)
    fig = sweeps.figure(df, ["crf_file", "draws"], names, "t")
    assert overlapping_ticks(fig) == []
    assert fig.get_size_inches()[0] * 150 < 2200
    assert len(fig.legends) == 1  # one legend (draws) for the figure, not one per panel
    plt.close(fig)


def test_short_labels():
    stems = [sweeps.label(f) for f in CENTRE_FILES]
    assert list(sweeps.short_labels(stems).values()) == ["NCY", "NTE", "REI"]
    assert sweeps.short_labels(["none", "2", "3"]) == {"none": "none", "2": "2", "3": "3"}
    long_same = ["export_of_centre_a_" + "x" * 20, "export_of_centre_b_" + "y" * 20]
    assert list(sweeps.short_labels(long_same).values()) == ["a", "b"]
    numbered = ["a" * 20 + "_" + "b" * 20, "a" * 20 + "_" + "c" * 20]
    assert list(sweeps.short_labels(numbered).values()) == ["1", "2"]


def test_example_sweeps_expand_to_runs_of_declared_parameters():
    files = runner.discover_sweeps()
    assert any(f.parent.parent.name == "tacrolimus_survival" for f in files)
    for f in files:
        runs = runner.load_runs(f)
        assert len(runs) > 1 and len({r.output for r in runs}) == len(runs)
        assert all(r.reports == str(runner.paths.REPORTS) for r in runs)  # public examples: public reports


def test_each_sweep_point_writes_its_own_processed_folder(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)", params="x = 1\nprocessed_dir = 'data/processed/n'")
    runs = runner.load_runs(make_params(tmp_path / "s.yaml", nb, output="s", sweep={"grid": {"x": [1, 2]}}))
    assert [runner.injected(r)["processed_dir"] for r in runs] == ["data/processed/s__x=1", "data/processed/s__x=2"]
    assert all("processed_dir" not in r.parameters for r in runs)  # chosen by the runner, not written in the run
    fixed = runner.load_runs(make_params(tmp_path / "t.yaml", nb, output="t", sweep={"grid": {"x": [1, 2]}},
                                         parameters={"processed_dir": "data/processed/mine"}))
    assert {runner.injected(r)["processed_dir"] for r in fixed} == {"data/processed/mine"}  # as the user asked
    assert runner.processed_dir_clashes(fixed) == {"data/processed/mine": ["t__x=1", "t__x=2"]}


def test_intervals_are_read_from_the_result_names():
    names = ["cases_read", "mortality_percent", "mortality_ci_low", "mortality_ci_high", "survival_6m",
             "survival_6m_low", "survival_6m_high", "hr_median", "hr_q2_5", "hr_q97_5", "orphan_low", "orphan_high",
             "x_low"]
    assert sweeps.intervals(names) == {"mortality_percent": ("mortality_ci_low", "mortality_ci_high"),
                                       "survival_6m": ("survival_6m_low", "survival_6m_high"),
                                       "hr_median": ("hr_q2_5", "hr_q97_5")}


def test_a_result_with_its_interval_is_one_panel_with_error_bars():
    # survival at 6 months per centre with its CI: one panel (not three) whose bars reach the bounds
    df = pd.DataFrame({"run": ["a", "b", "c"], "status": "ok", "crf_file": CENTRE_FILES,
                       "survival_6m": [0.53, 0.53, 0.55], "survival_6m_low": [0.21, 0.21, 0.23],
                       "survival_6m_high": [0.77, 0.77, 0.78], "deaths": [5, 5, 5]})
    fig = sweeps.figure(df, ["crf_file"], ["survival_6m", "survival_6m_low", "survival_6m_high", "deaths"], "t")
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_ylabel() for ax in panels] == ["survival_6m", "deaths"]
    bars = panels[0].collections[0].get_segments()  # the error bars' vertical segments, one per centre
    assert [(round(seg[0][1], 2), round(seg[1][1], 2)) for seg in bars] == [(0.21, 0.77), (0.21, 0.77), (0.23, 0.78)]
    lo, hi = panels[0].get_ylim()
    assert lo <= 0.21 and hi >= 0.78  # the axis shows the intervals, not only the 0.53-0.55 of the estimates
    assert overlapping_ticks(fig) == []
    plt.close(fig)
