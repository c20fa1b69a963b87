"""myositis.survival.comparison: cohorts from any published figure, checks, robustness over digitisation.

The example of params/tacrolimus_survival/veteran_digitised.yaml is a simulated digitisation of R's ``veteran``
data (as shipped by scikit-survival): its original patient-level data exist, so what the notebook rebuilds can be
checked against them, and the committed CSVs against a regeneration.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from myositis import io, paths, survival
from myositis.exceptions import ReconstructionError
from myositis.survival import accuracy, comparison, text

EXAMPLE = paths.ROOT / "params" / "tacrolimus_survival" / "veteran_digitised.yaml"


def example_cohorts() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())["parameters"]["cohorts"]


def test_committed_example_csvs_equal_a_regeneration(tmp_path):
    for arm, (curve, at_risk) in accuracy.veteran_example().items():
        io.write_csv(curve, tmp_path / "curve.csv")
        assert (tmp_path / "curve.csv").read_bytes() == (paths.RAW / "digitised" / f"veteran_{arm}_curve.csv"
                                                          ).read_bytes()
        if arm == "standard":
            io.write_csv(at_risk, tmp_path / "at_risk.csv")
            assert (tmp_path / "at_risk.csv").read_bytes() == (
                paths.RAW / "digitised" / "veteran_standard_at_risk.csv").read_bytes()


@pytest.mark.r
def test_veteran_data_is_r_veteran(tmp_path):
    """The arms rebuilt by the example are those of R's survival::veteran (trt 1 standard, 2 test)."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not found")
    out = tmp_path / "veteran.csv"
    subprocess.run(["Rscript", "-e", f"library(survival); write.csv(veteran[, c('time', 'status', 'trt')], "
                                     f"'{out}', row.names = FALSE)"], check=True, capture_output=True)
    r = pd.read_csv(out)
    ours = accuracy.veteran_data()
    for trt, arm in ((1, "standard"), (2, "test")):
        a = r[r["trt"] == trt].sort_values(["time", "status"])[["time", "status"]].to_numpy(float)
        b = ours[ours["group"] == arm].sort_values(["time", "event"])[["time", "event"]].to_numpy(float)
        np.testing.assert_array_equal(a, b)


def test_example_rebuilds_the_original_arms():
    """Both routes (at-risk table; n and total events only) recover the original arms of the veteran data:
    survival at 90 and 180 days within 0.03, HR (test vs standard) within 10 %; the curve rebuilt with its
    at-risk table follows the digitised points within the 0.02 warning threshold."""
    specs = example_cohorts()
    recs = comparison.reconstruct_digitised_cohorts(specs, draws=20, seed=1)
    checks = comparison.digitised_checks(recs, specs).set_index("cohort")
    assert checks["n_reconstructed"].tolist() == [69, 68]
    assert checks.loc["Standard chemotherapy", "max_gap"] <= comparison.FIT_WARNING
    assert checks.loc["Standard chemotherapy", "warning"] == ""
    data = accuracy.veteran_data()
    names = {"Standard chemotherapy": "standard", "Test chemotherapy": "test"}
    ref = comparison.reference_data(recs).assign(group=lambda d: d["group"].astype(str).map(names))
    got = survival.survival_at(ref, [90, 180], group="group")["survival"].to_numpy()
    want = survival.survival_at(data, [90, 180], group="group")["survival"].to_numpy()
    np.testing.assert_allclose(got, want, atol=0.03)
    hr = survival.cox_hr(ref, "group", reference="standard")["hr"].iloc[0]
    hr0 = survival.cox_hr(data, "group", reference="standard")["hr"].iloc[0]
    assert abs(hr / hr0 - 1) < 0.10


def test_route_without_at_risk_table_follows_the_digitised_curve():
    """Was an expected failure (largest gap 0.039: the even spread of censoring left the test arm's last survivors
    censored at day 790 while its curve drops to 0 at day 999) until the censoring followed the curve."""
    specs = {"T": example_cohorts()["Test chemotherapy"]}
    checks = comparison.digitised_checks(comparison.reconstruct_digitised_cohorts(specs, draws=2, seed=1), specs)
    assert checks["max_gap"].iloc[0] <= comparison.FIT_WARNING


def test_draws_vary_within_the_tolerance_and_are_deterministic():
    specs = example_cohorts()
    a = comparison.reconstruct_digitised_cohorts(specs, draws=15, seed=4)
    b = comparison.reconstruct_digitised_cohorts(specs, draws=15, seed=4)
    std = a["Standard chemotherapy"]
    np.testing.assert_array_equal(std.time, b["Standard chemotherapy"].time)
    assert std.time.shape == (15, 69)
    assert len({tuple(np.sort(row)) for row in std.time}) > 1  # the draws differ
    # events sit at digitised times moved by at most the tolerance (5 days)
    pts = pd.read_csv(paths.resolve(specs["Standard chemotherapy"]["curve"]))["time"].to_numpy()
    ev = std.time[std.event == 1]
    assert np.min(np.abs(ev[:, None] - pts[None, :]), axis=1).max() <= 5 + 1e-9


def test_robustness_table_counts_significant_draws():
    specs = example_cohorts()
    recs = comparison.reconstruct_digitised_cohorts(specs, draws=10, seed=2)
    table, per_draw = comparison.robustness_table(recs, {"T vs S": ["Test chemotherapy", "Standard chemotherapy"]},
                                                  alpha=0.05)
    d = per_draw["T vs S"]
    assert table["share_significant"].iloc[0] == (d["p_logrank"] < 0.05).mean()
    assert table["hr_max"].iloc[0] == d["hr"].max()
    i = 3  # one draw by hand
    pair = pd.concat([recs["Test chemotherapy"].draw(i).assign(group="T"),
                      recs["Standard chemotherapy"].draw(i).assign(group="S")])
    assert d["hr"].iloc[i] == pytest.approx(survival.cox_hr(pair, "group", reference="S")["hr"].iloc[0])


def test_stated_n_differing_from_the_at_risk_table_is_an_error():
    spec = dict(example_cohorts()["Standard chemotherapy"], n=29)
    with pytest.raises(ReconstructionError, match=r"cohort 'Std'.*stated n = 29 but the at-risk table starts "
                                                  r"with 69"):
        comparison.digitised_reconstructions("Std", spec, draws=2, seed=1)


def test_wrong_curve_or_stated_percentage_is_flagged():
    """The test arm's curve rebuilt with the standard arm's numbers at risk departs from its points by more than
    0.02, and a stated percentage far from the curve is reported."""
    specs = example_cohorts()
    wrong = {"X": {"curve": specs["Test chemotherapy"]["curve"], "at_risk": specs["Standard chemotherapy"]["at_risk"],
                   "tolerance": {"time": 5.0, "survival": 0.005}, "survival": {90: 70}}}
    recs = comparison.reconstruct_digitised_cohorts(wrong, draws=2, seed=1)
    row = comparison.digitised_checks(recs, wrong).iloc[0]
    assert "70 % at 90" in row["landmarks_checked"] and "vs stated 70 %" in row["warning"]
    good = {"S": dict(specs["Standard chemotherapy"], survival={90: 55})}
    row = comparison.digitised_checks(comparison.reconstruct_digitised_cohorts(good, draws=2, seed=1), good).iloc[0]
    assert row["warning"] == ""


def test_curve_fit_statistics_by_hand():
    """Points on the curve have gap 0; a point 0.1 below it has gap 0.1 (RMSE over 3 points: 0.1 / sqrt(3))."""
    ipd = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [1, 1, 0, 0]})  # S: 0.75 at 1, 0.5 at 2
    curve = pd.DataFrame({"time": [0, 1, 2.5], "survival": [1.0, 0.75, 0.4]})
    fit = comparison.curve_fit(curve, ipd)
    assert fit["max_gap"] == pytest.approx(0.1) and fit["rmse"] == pytest.approx(0.1 / np.sqrt(3))
    # read at 1.0 but possibly 0.5 later: the curve's values over [0.5, 1.5] span 0.75..1, so 0.9 is on it
    assert comparison.curve_fit(pd.DataFrame({"time": [0, 1.0], "survival": [1, 0.9]}), ipd, 0.5)["max_gap"] == 0
    assert comparison.curve_fit(pd.DataFrame({"time": [0, 1.6], "survival": [1, 0.9]}), ipd, 0.5)["max_gap"] == \
        pytest.approx(0.15)


def test_cohort_definitions_and_comparisons_are_checked():
    with pytest.raises(ReconstructionError, match="cohort 'A'.*define the cohort"):
        comparison.split_cohorts({"A": {"n": 10}})
    with pytest.raises(ReconstructionError, match="cohort 'B'.*needs 'n'"):
        comparison.split_cohorts({"B": {"curve": "x.csv"}})
    with pytest.raises(ReconstructionError, match="comparison 'c': no cohort 'Z'"):
        comparison.check_comparisons({"c": ["A", "Z"]}, {"A": {}, "B": {}})
    with pytest.raises(ReconstructionError, match="two cohort labels"):
        comparison.check_comparisons({"c": ["A"]}, {"A": {}})
    landmark, digitised = comparison.split_cohorts({"L": {"n": 10, "survival": {6: 50}}, **example_cohorts()})
    assert list(landmark) == ["L"] and len(digitised) == 2


def test_landmark_cohort_from_numbers_in_the_parameters():
    table = survival.published_landmarks(None, {"A": {"n": 20, "survival": {6: 50}},
                                                "B": {"n": 20, "survival": {6: 80}}})
    assert table["note"].eq("stated in the parameters").all() and not table["verified"].any()
    recs = survival.reconstruct_cohorts(table, draws=50, seed=1, follow_up=6)
    table2, per_draw = comparison.robustness_table(recs, {"A vs B": ["A", "B"]})
    assert per_draw["A vs B"]["hr"].min() > 1  # 50 % vs 80 % survival: higher hazard in A in every draw
    words = text.findings(table2, per_draw, recs, {"A vs B": ["A", "B"]}, 0.05, time_unit="months")
    assert "higher hazard in the first cohort" in words and "lost before the last landmark (6 months)" in words


def test_ratio_sentence_is_computed():
    assert "ratio of 2.70" in text.ratio_sentence("a", 89, "b", 33, "6 months")
    assert "difference of 56 percentage points" in text.ratio_sentence("a", 89, "b", 33, "6 months")


def test_example_params_run_without_synthetic_wording(tmp_path):
    """The example params file through the runner: the report names the data kind and the inputs' SHA-256
    prefixes, contains no 'synthetic', and its outputs (title, text, figures' titles) nothing of the default's
    Tsuji/Takada analysis."""
    from myositis import provenance, runner

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = runner.run_batch([EXAMPLE], reports=tmp_path, jobs=1)
    assert [r.status for r in results] == ["ok"], [r.error for r in results]
    html = (tmp_path / "veteran_digitised.html").read_text(encoding="utf-8")
    for f in ("veteran_standard_curve.csv", "veteran_standard_at_risk.csv", "veteran_test_curve.csv"):
        assert provenance.sha256(paths.RAW / "digitised" / f)[:12] in html
    assert "reconstructed from published figures" in html
    assert "synthetic" not in html.lower()
    import json

    outputs = json.dumps([c.get("outputs", []) for c in json.loads(
        (tmp_path / "veteran_digitised.ipynb").read_text(encoding="utf-8"))["cells"]])
    assert "Tsuji" not in outputs and "Takada" not in outputs  # the default's cohorts live in its parameters only
    assert "Veterans' lung cancer trial: test vs standard chemotherapy" in outputs


def test_sensitivity_findings_wording():
    """'every reconstruction under these assumptions' only when every consistent combination is significant."""
    base = {"comparison": "c", "landmarks": "6", "rounding": "round", "lost_treated": 1, "lost_control": 0,
            "hr_min": 0.1, "hr_max": 0.2, "status": "consistent"}
    all_sig = pd.DataFrame([dict(base, losses=1, share_significant=1.0), dict(base, losses=2, share_significant=1.0)])
    assert "every reconstruction under these assumptions" in text.sensitivity_findings(all_sig, 0.05)
    some = all_sig.assign(share_significant=[1.0, 0.9])
    words = text.sensitivity_findings(some, 0.05)
    assert "every reconstruction" not in words and "ranges from 90.0 % to 100 %" in words


def test_cohort_assumptions_say_where_censorings_go():
    from types import SimpleNamespace

    tol = {"time": 5.0, "survival": 0.005}
    table = text.cohort_assumptions(SimpleNamespace(kind="digitised + at-risk table", tolerance=tol), "days")
    no_table = text.cohort_assumptions(SimpleNamespace(kind="digitised, n and events", tolerance=tol), "days")
    assert "within the at-risk intervals" in table and "follow the digitised one" not in table
    assert "follow the digitised one" in no_table and "within the at-risk intervals" not in no_table


def test_a_flagged_gap_is_written_visibly_above_the_threshold(monkeypatch):
    """A gap of 0.02036 was printed "largest gap 0.020 > 0.02": the flag must show a number above 0.02."""
    assert comparison.above(0.02036, 0.02) == "0.0204"
    assert comparison.above(0.0200004, 0.02) == "0.0200004"
    assert comparison.above(0.35, 0.02) == "0.35"
    specs = {"T": example_cohorts()["Test chemotherapy"]}
    recs = comparison.reconstruct_digitised_cohorts(specs, draws=1, seed=1)
    monkeypatch.setattr(comparison, "curve_fit", lambda *a, **k: {"points": 5, "max_gap": 0.020036,
                                                                   "rmse": 0.01, "ks": 0.02})
    warning = comparison.digitised_checks(recs, specs)["warning"].iloc[0]
    assert "largest gap 0.02004 > 0.02" in warning
    shown = float(warning.split("largest gap ")[1].split(" >")[0])
    assert shown > comparison.FIT_WARNING


STUDY_WORDS = ("tsuji", "takada", "tacrolimus", "mda5")


def test_study_texts_come_from_the_cohorts_analysed():
    """Defaults are "derive": the Tsuji study's title, figure title, single-arm trial and limits are used only for
    its own cohorts (facts of its file); on user cohorts, even with the default facts file, nothing of it leaks."""
    tac = "data/raw/published/tacrolimus.yaml"
    tsuji = {"A (Tsuji 2020)": {"n": "tsuji_triple_n", "survival": {6: "tsuji_triple_surv6"}},
             "B (Tsuji 2020)": {"n": "tsuji_hist_n", "survival": {6: "tsuji_hist_surv6"}}}
    got = text.study_texts(tac, tsuji, {"A vs B": ["A (Tsuji 2020)", "B (Tsuji 2020)"]})
    assert got["study"] and "Tacrolimus" in got["title"] and "Tsuji" in got["figure_title"]
    assert got["single_arm"]["survival"] == "takada_surv52w" and got["published_p"] == {}
    assert [lim[:22] for lim in got["limits"]] == ["*Historical controls.*", "*Single-arm trial.* Ta"]
    # without the historical cohort's facts and without the trial, neither limit applies
    only = text.study_texts(tac, {"A": tsuji["A (Tsuji 2020)"]}, {}, single_arm={})
    assert only["limits"] == [] and only["single_arm"] == {}
    # user cohorts: numbers, digitised curves; the default facts file still named
    numbers = {"Drug": {"n": 40, "survival": {6: 80, 12: 70}}, "Placebo": {"n": 38, "survival": {6: 60, 12: 45}}}
    for cohorts in (numbers, example_cohorts()):
        pair = list(cohorts)
        got = text.study_texts(tac, cohorts, {"X": pair})
        assert not got["study"] and got["single_arm"] == {} and got["published_p"] == {} and got["limits"] == []
        assert got["title"] == f"Survival from published figures: {pair[0]} vs {pair[1]}"
        assert got["figure_title"] == f"Reconstructed data: {pair[0]}, {pair[1]}"
        words = " ".join([got["title"], got["question"], got["figure_title"],
                          text.conclusion("", "", "", "", got["limits"])]).lower()
        assert not any(w in words for w in STUDY_WORDS), words
    # given parameters are kept as given
    kept = text.study_texts(tac, numbers, {"X": ["Drug", "Placebo"]}, title="T", limits=["L"], figure_title="F")
    assert (kept["title"], kept["limits"], kept["figure_title"]) == ("T", ["L"], "F")


def test_user_cohorts_run_shows_nothing_of_the_default_study(tmp_path):
    """Through the runner, two params files that give their own cohorts but no title, figure title, limits or
    facts file (the default, tacrolimus.yaml, stays set): digitised arms and landmark cohorts given as numbers.
    Nothing in the outputs names the default study."""
    import json

    from myositis import runner

    base = yaml.safe_load(EXAMPLE.read_text())
    for key in ("title", "question", "figure_title", "limits", "cohorts_file", "single_arm", "published_p"):
        base["parameters"].pop(key)
    base["parameters"].update(digitised_draws=20)
    digitised = dict(base, output="own_digitised")
    numbers = {"notebook": base["notebook"], "output": "own_landmarks", "parameters": {
        "cohorts": {"Drug": {"n": 40, "survival": {6: 80, 12: 70}}, "Placebo": {"n": 38, "survival": {6: 60, 12: 45}}},
        "comparisons": {"Drug vs placebo": ["Drug", "Placebo"]}, "draws": 100, "sensitivity_draws": 20,
        "sensitivity_landmarks": {"6 and 12 months": [6, 12]}}}
    files = []
    for doc in (digitised, numbers):
        files.append(tmp_path / f"{doc['output']}.yaml")
        files[-1].write_text(yaml.safe_dump(doc, sort_keys=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = runner.run_batch(files, reports=tmp_path / "reports", jobs=1, check_manifest=False)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    for doc in (digitised, numbers):
        cells = json.loads((tmp_path / "reports" / f"{doc['output']}.ipynb").read_text(encoding="utf-8"))["cells"]
        outputs = json.dumps([c.get("outputs", []) for c in cells])
        shown = outputs.replace("tacrolimus_survival", "").replace("published/tacrolimus.yaml", "").lower()
        assert not any(w in shown for w in STUDY_WORDS), [w for w in STUDY_WORDS if w in shown]
        pair = list(doc["parameters"]["cohorts"])
        assert f"Survival from published figures: " in outputs and "**Limits.**" in outputs
        assert f"Reconstructed data: {pair[0]}, {pair[1]}" in outputs


def test_stated_time_tolerance_reaches_the_reconstruction(tmp_path):
    """The cohort's ``tolerance: {time:}`` is the window within which a step read just before an at-risk time may
    lie on it (tests/test_survival_reconstruction.py: deaths at 4, 10, 16, the step at 10 read at 9.95, by hand):
    the default (0.5 % of 25) and a stated 0.1 put the death on 10, a stated 0.01 keeps it at 9.95."""
    curve = pd.DataFrame({"time": [0, 4, 4, 9.95, 9.95, 16, 16, 25],
                          "survival": [1, 1, 0.9, 0.9, 0.7875, 0.7875, 0.65625, 0.65625]})
    curve.to_csv(tmp_path / "curve.csv", index=False)
    pd.DataFrame({"time": [0, 10, 20], "n_at_risk": [10, 8, 5]}).to_csv(tmp_path / "risk.csv", index=False)
    spec = {"curve": str(tmp_path / "curve.csv"), "at_risk": str(tmp_path / "risk.csv"), "total_events": 3}

    def events(tolerance):
        rec = comparison.digitised_reconstructions("X", dict(spec, **tolerance), draws=1, seed=1)
        return sorted(rec.reference.loc[rec.reference["event"] == 1, "time"])

    assert events({}) == [4.0, 10.0, 16.0]
    assert events({"tolerance": {"time": 0.1, "survival": 0.0}}) == [4.0, 10.0, 16.0]
    assert events({"tolerance": {"time": 0.01, "survival": 0.0}}) == [4.0, 9.95, 16.0]
