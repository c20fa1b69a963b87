"""myositis.survival (guyot, landmarks, cohorts, accuracy): Guyot et al. (2012) on real datasets, input checks, landmark reconstructions.

Validation protocol (issue 3): each arm of a real dataset shipped by lifelines / scikit-survival is turned into
what a reader digitises from its published KM figure (both corners of every step, reading error of 0.1 % of the
axis in time and 0.001 in survival -- about one pixel of a 1,000-pixel figure --, numbers at risk every few time
units), rebuilt with ``reconstruct_ipd`` and compared with the original: survival at landmarks within 0.02,
median within 5 %, Cox HR between the two arms within 5 %. Landmarks sit between the integer days/weeks of the
data, so that an event tied with the landmark is not pushed across it by the reading error alone.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import survival_data
from myositis import published, survival
from myositis.survival import accuracy
from myositis.exceptions import ReconstructionError

# dataset -> (at-risk spacing, landmarks), in the dataset's time unit (days, weeks or months)
PROTOCOL = {"waltons": (10.0, [30.5, 50.5]), "rossi": (5.0, [20.5, 40.5]), "lung": (100.0, [182.5, 365.5]),
            "veterans": (100.0, [60.5, 182.5]), "whas500": (250.0, [365.5, 1095.5]),
            "gbsg2": (250.0, [730.5, 1825.5])}
NOISE = {"time_noise": 0.001, "survival_noise": 0.001}
_ERRORS: dict = {}


def errors(name: str) -> pd.Series:
    if name not in _ERRORS:
        every, landmarks = PROTOCOL[name]
        _ERRORS[name] = survival.reconstruction_errors(survival_data.load(name), "group", landmarks, every,
                                                       dataset=name, seed=1, **NOISE).iloc[0]
    return _ERRORS[name]


@pytest.mark.parametrize("name", PROTOCOL)
def test_guyot_landmark_survival_within_002(name):
    assert errors(name)["landmark_abs_error"] <= 0.02


@pytest.mark.parametrize("name", [n for n in PROTOCOL if n not in ("rossi", "whas500")] + [
    pytest.param("whas500", marks=pytest.mark.xfail(strict=True, reason=(
        "ill-conditioned median: the female arm's KM stays at 0.5002 from day 1232 to 1317, so a survival error "
        "of 0.0003 moves the median by 6.5 %; landmark and HR errors stay small")))])
def test_guyot_median_within_5_percent(name):
    """(rossi's curves never reach 0.5: no median.)"""
    assert errors(name)["median_pct_error"] <= 5


@pytest.mark.parametrize("name", PROTOCOL)
def test_guyot_hazard_ratio_within_5_percent(name):
    assert errors(name)["hr_pct_error"] <= 5


def test_guyot_exact_without_noise():
    """Without reading error, the rebuilt KM equals the original at every at-risk time (rossi, 432 patients)."""
    d = survival_data.load("rossi")
    arm = d[d["group"] == "aid"][["time", "event"]]
    curve, risk = survival.simulate_digitisation(arm, 5.0, time_noise=0, survival_noise=0)
    ipd = survival.reconstruct_ipd(curve, risk, total_events=int(arm["event"].sum()))
    grid = np.arange(0, 52, 2.5)
    np.testing.assert_allclose(survival.survival_at(ipd, grid)["survival"],
                               survival.survival_at(arm, grid)["survival"], atol=1e-12)
    assert len(ipd) == len(arm) and ipd["event"].sum() == arm["event"].sum()


def test_guyot_from_n_only():
    """No at-risk table (Guyot's 'n only' case): uncensored data are rebuilt exactly from n."""
    rng = np.random.default_rng(7)
    d = pd.DataFrame({"time": np.round(rng.exponential(10, 40), 1), "event": 1})
    curve, _ = survival.simulate_digitisation(d, 5.0, time_noise=0, survival_noise=0)
    ipd = survival.reconstruct_ipd(curve, n=40)
    assert ipd["event"].sum() == 40
    np.testing.assert_allclose(np.sort(ipd["time"]), np.sort(d["time"]))


def test_guyot_total_events_without_at_risk_table():
    d = survival_data.load("waltons")
    arm = d[d["group"] == "miR-137"][["time", "event"]]
    curve, _ = survival.simulate_digitisation(arm, 10.0, seed=2, **NOISE)
    with pytest.warns(survival.DigitisationWarning):  # the simulated reading error, cleaned
        ipd = survival.reconstruct_ipd(curve, n=len(arm), total_events=int(arm["event"].sum()))
    assert ipd["event"].sum() == arm["event"].sum()
    assert len(ipd) == len(arm)


def test_digitiser_noise_is_cleaned_with_a_warning():
    curve = pd.DataFrame({"time": [0, 1, 1, 2, 2.5, 3, 3], "survival": [1.01, 1.0, 0.9, 0.905, 0.9, 0.9, 0.8]})
    with pytest.warns(survival.DigitisationWarning, match="clipped"):
        clean = survival.clean_curve(curve)
    assert clean["survival"].is_monotonic_decreasing
    assert clean["survival"].max() == 1
    with pytest.warns(survival.DigitisationWarning):
        ipd = survival.reconstruct_ipd(curve, n=10)
    assert ipd["event"].sum() == 2


@pytest.mark.parametrize("curve, at_risk, message", [
    ({"time": [0, 1, 2], "survival": [1, 0.9, 1.2]}, None, "row 3, field survival"),
    ({"time": [0, 1, 2], "survival": [100, 90, 80]}, None, "percentages"),
    ({"time": [0, -1, 2], "survival": [1, 0.9, 0.8]}, None, "row 2, field time"),
    ({"time": [0, 1, 2], "survival": [1, "abc", 0.8]}, None, "row 2, field survival: 'abc'"),
    ({"time": [0, 1, 2], "survival": [1, 0.9, 0.8]}, {"time": [0, 1], "n_at_risk": [10, 12]}, "row 2, field n_at_risk"),
    ({"time": [0, 1, 2], "survival": [1, 0.9, 0.8]}, {"time": [1, 2], "n_at_risk": [10, 9]}, "row 1, field time"),
    ({"time": [0, 1, 2], "survival": [1, 0.9, 0.8]}, {"time": [0, 0], "n_at_risk": [10, 9]}, "row 2, field time"),
])
def test_invalid_input_names_the_row(curve, at_risk, message):
    with pytest.raises(ReconstructionError, match=message):
        survival.reconstruct_ipd(pd.DataFrame(curve), None if at_risk is None else pd.DataFrame(at_risk), n=10)


def test_reconstruct_digitised_reads_csv_with_decimal_commas(tmp_path):
    """The notebook's Guyot route: CSV files as a digitiser exports them (here ';' and decimal commas)."""
    d = survival_data.load("waltons")
    arm = d[d["group"] == "miR-137"][["time", "event"]]
    curve, risk = survival.simulate_digitisation(arm, 10.0, seed=3, **NOISE)
    (tmp_path / "curve.csv").write_text(
        "time;survival\n" + "\n".join(f"{t:.4f};{s:.4f}".replace(".", ",") for t, s in curve.to_numpy()))
    risk.to_csv(tmp_path / "risk.csv", index=False)
    with pytest.warns(survival.DigitisationWarning):
        out = survival.reconstruct_digitised({"arm": {"curve": str(tmp_path / "curve.csv"),
                                                      "at_risk": str(tmp_path / "risk.csv"),
                                                      "total_events": int(arm["event"].sum())}})
    got = survival.survival_at(out["arm"], [30.5])["survival"].iloc[0]
    assert got == pytest.approx(survival.survival_at(arm, [30.5])["survival"].iloc[0], abs=0.02)


# --- landmark reconstructions --------------------------------------------------------------------------------

def test_landmark_reconstructions_round_to_published():
    """Every draw's KM rounds to the published 89 % (6 months) and 85 % (12 months) of 29 patients."""
    rec = survival.landmark_reconstructions(29, {6: 0.89, 12: 0.85}, follow_up=12, draws=500, seed=1)
    assert rec.time.shape == (500, 29)
    assert np.all(np.round(rec.survival * 100) == [89, 85])
    for i in (0, 250, 499):
        km = survival.survival_at(rec.draw(i), [6, 12])["survival"].to_numpy()
        assert np.all(np.round(km * 100) == [89, 85])
    # 26/29 = 89.7 % rounds to 90 %: losses to follow-up are needed, and the smallest number is chosen.
    assert rec.lost_to_follow_up == 2
    assert (rec.time <= 12).all() and (rec.time > 0).all()


def test_landmark_reconstructions_whole_counts_need_no_losses():
    """33 % of 15 is 5/15: ten deaths before 6 months, no losses, event times uniform in (0, 6]."""
    rec = survival.landmark_reconstructions(15, {6: 0.33, 12: 0.33}, follow_up=12, draws=2000, seed=2)
    assert rec.lost_to_follow_up == 0
    assert (rec.deaths == [10, 0]).all()
    death_times = rec.time[rec.event == 1]
    assert death_times.max() <= 6 and abs(death_times.mean() - 3) < 0.1


def test_landmark_reconstructions_are_deterministic():
    a = survival.landmark_reconstructions(29, {6: 0.89, 12: 0.85}, draws=50, seed=11)
    b = survival.landmark_reconstructions(29, {6: 0.89, 12: 0.85}, draws=50, seed=11)
    np.testing.assert_array_equal(a.time, b.time)
    np.testing.assert_array_equal(a.event, b.event)


def test_landmark_reconstructions_impossible_figures_raise():
    with pytest.raises(ReconstructionError, match="no dataset of 29 patients"):
        survival.landmark_reconstructions(29, {6: 0.89}, draws=10, seed=1, lost_to_follow_up=0)
    with pytest.raises(ReconstructionError, match="landmark 12"):
        survival.landmark_reconstructions(29, {6: 0.80, 12: 0.85}, draws=10)
    with pytest.raises(ReconstructionError, match="0.89"):
        survival.landmark_reconstructions(29, {6: 89}, draws=10)


def test_landmark_reconstructions_one_decimal():
    """88.0 % of 25 with one decimal: 22/25 exactly, no losses."""
    rec = survival.landmark_reconstructions(25, {12: 0.880}, decimals=1, draws=100, seed=3)
    assert rec.lost_to_follow_up == 0 and (rec.deaths[:, 0] == 3).all()


def test_compare_reconstructions_equals_single_tests():
    a = survival.landmark_reconstructions(29, {6: 0.89, 12: 0.85}, follow_up=12, draws=20, seed=1)
    b = survival.landmark_reconstructions(15, {6: 0.33, 12: 0.33}, follow_up=12, draws=20, seed=2)
    per_draw = survival.compare_reconstructions(a, b)
    for i in (0, 7, 19):
        d = pd.concat([a.draw(i).assign(group="triple"), b.draw(i).assign(group="historical")])
        assert per_draw["p_logrank"].iloc[i] == pytest.approx(survival.logrank(d, "group")["p_value"].iloc[0])
        assert per_draw["hr"].iloc[i] == pytest.approx(survival.cox_hr(d, "group", reference="historical")["hr"].iloc[0])
    summary = survival.robustness(per_draw)
    assert list(summary.index) == ["p_logrank", "hr", "hr_upper"]


def test_ten_thousand_reconstructions_with_logrank():
    """10,000 draws per cohort go through (their speed, target 5 s, is a figure of benchmarks/survival.py, not a
    timed test)."""
    a = survival.landmark_reconstructions(29, {6: 0.89, 12: 0.85}, follow_up=12, draws=10_000, seed=1)
    b = survival.landmark_reconstructions(15, {6: 0.33, 12: 0.33}, follow_up=12, draws=10_000, seed=2)
    per_draw = survival.compare_reconstructions(a, b)
    assert len(per_draw) == 10_000 and per_draw["p_logrank"].between(0, 1).all()


def test_published_landmarks_from_the_tacrolimus_facts():
    facts = published.load_facts("tacrolimus")
    cohorts = {"triple": {"n": "tsuji_triple_n", "survival": {6: "tsuji_triple_surv6", 12: "tsuji_triple_surv12"}},
               "CsA": {"n": "tsuji_csa_n", "survival": {}}}
    table = survival.published_landmarks(facts, cohorts)
    assert table.loc[table["fact"] == "tsuji_triple_surv6", "verified"].item()
    assert not table.loc[table["fact"] == "tsuji_triple_surv12", "verified"].item()
    csa = table[table["cohort"] == "CsA"].iloc[0]
    assert not csa["reconstructable"] and "no published survival figure" in csa["note"]
    recs = survival.reconstruct_cohorts(table, draws=10, seed=1, follow_up=12)
    assert list(recs) == ["triple"]
    with pytest.raises(KeyError, match="no_such_fact"):
        survival.published_landmarks(facts, {"x": {"n": "no_such_fact"}})


def test_median_error_counts_a_median_reached_by_one_curve_only():
    """A rebuilt curve that never reaches 0.5 while the original does is an infinite error, not a skipped one."""
    from myositis.survival.accuracy import _largest_error

    assert _largest_error(np.array([np.nan, 10.0]), np.array([20.0, 10.0]), relative=True) == np.inf
    assert _largest_error(np.array([np.nan, 11.0]), np.array([np.nan, 10.0]), relative=True) == pytest.approx(0.1)
    assert np.isnan(_largest_error(np.array([np.nan]), np.array([np.nan])))


def test_landmark_counts_of_takada():
    """88.0 % (one decimal) is 22/25 exactly and no whole count of 26 (22/26 = 84.6 %, 23/26 = 88.5 %)."""
    out = survival.landmark_counts(88.0, [25, 26], decimals=1)
    assert out[["n", "survivors"]].values.tolist() == [[25, 22], [26, 22], [26, 23]]
    assert out["matches_published"].tolist() == [True, False, False]
    assert survival.landmark_counts(89, [29])["matches_published"].tolist() == [False, False]  # 25/29, 26/29


# --- exact cases worked out by hand (no R needed) -------------------------------------------------------------

def test_guyot_exact_with_censoring_inside_intervals():
    """Hand-built case whose censorings fall inside the at-risk intervals, where Guyot's rules put them.

    10 patients, numbers at risk at 0 (10) and 10 (6). In [0, 10): events at 2, 4, 6 and one censoring; Guyot
    spreads it evenly over the interval (at 5), which falls between the digitised corners at 4 and 6, and the
    reconstruction places a censoring at the midpoint of its two digitised points: 5. In [10, 20]: events at 12,
    15, 18 and two censorings spread at 13.3 and 16.7, i.e. midpoints 13.5 and 16.5. The original data are
    built with censorings exactly there, so the rebuilt data must equal them patient by patient (a censoring
    placed at a digitised point instead of between two would move 5 to 6).
    """
    orig = pd.DataFrame({"time": [2, 4, 5, 6, 12, 13.5, 15, 16.5, 18, 20.0],
                         "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0]})
    curve, risk = survival.simulate_digitisation(orig, 10.0, time_noise=0, survival_noise=0)
    assert risk["n_at_risk"].tolist() == [10, 6]
    ipd = survival.reconstruct_ipd(curve, risk, total_events=int(orig["event"].sum()))
    pd.testing.assert_frame_equal(ipd.astype(float), orig.astype(float))


def test_guyot_events_exact_when_a_censoring_sits_on_an_at_risk_time():
    """R's ``veteran`` standard arm, digitised without reading error (every corner exact): between days 100 and
    200 the data have 3 censorings (days 100, 123, 182) and 34 -> 12 at risk. Guyot's loop starts from 2
    censorings and stops there, because one death too many at day 162 (the rebuilt KM lags the curve with one
    patient too many at risk) also reaches 12; it then shifts 11 later deaths. The rebuilt deaths must be the
    original ones, time by time (the refinement keeps the censoring count whose KM follows the points)."""
    data = accuracy.veteran_data()
    arm = data.loc[data["group"] == "standard", ["time", "event"]]
    curve, risk = survival.simulate_digitisation(arm, 100.0, time_noise=0, survival_noise=0)
    ipd = survival.reconstruct_ipd(curve, risk, total_events=int(arm["event"].sum()))
    np.testing.assert_array_equal(np.sort(ipd.loc[ipd["event"] == 1, "time"].to_numpy()),
                                  np.sort(arm.loc[arm["event"] == 1, "time"].to_numpy()))
    between = ipd[(ipd["event"] == 0) & (ipd["time"] >= 100) & (ipd["time"] < 200)]
    assert len(between) == 3


def _read_early(s10: float, s16: float) -> pd.DataFrame:
    """10 patients, deaths at 4, 10 and 16, the step at day 10 digitised at 9.95 (0.05 early), both corners."""
    return pd.DataFrame({"time": [0, 4, 4, 9.95, 9.95, 16, 16, 25],
                         "survival": [1, 1, 0.9, 0.9, s10, s10, s16, s16]})


def _risk(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["time", "n_at_risk"])


def _split(ipd: pd.DataFrame) -> tuple[list, list]:
    return ipd.loc[ipd["event"] == 1, "time"].tolist(), ipd.loc[ipd["event"] == 0, "time"].tolist()


def test_guyot_death_on_an_at_risk_time_read_early_is_placed_on_it():
    """By hand. Original: 10 patients, deaths at 4, 10, 16, censorings at 6 and 14, 5 censored at 25. At risk
    (time >= t): 10 at 0, 8 at 10, 5 at 20; KM 0.9 from 4, 0.9 * 7/8 = 0.7875 from 10, 0.7875 * 5/6 = 0.65625
    from 16. The step at 10 is read at 9.95, within the default time tolerance (0.5 % of 25 = 0.125).
    On 10: [0, 10) holds one death and 10 - 1 - 8 = 1 censoring (spread to 5, between the digitised points 4 and
    10: placed at 7); 1 death of 8 at 10 gives 0.7875 exactly; [10, 20) holds 8 - 1 - 5 = 2 leavers, the death
    at 16 and one censoring (at 15, between 10 and 16: placed at 13); 1 death of 6 at 16 gives 0.65625 exactly.
    As read (9.95 in [0, 10)): 10 - 2 - 8 = 0 censorings before 10, two after (13 and 18), and the rebuilt KM
    misses the points (1 death of 9 at 9.95 gives 0.8, not 0.7875): the fit keeps the step on 10.
    """
    curve, risk = _read_early(0.7875, 0.65625), _risk((0, 10), (10, 8), (20, 5))
    ipd = survival.reconstruct_ipd(curve, risk, total_events=3)
    assert _split(ipd) == ([4.0, 10.0, 16.0], [7.0, 13.0] + [25.0] * 5)
    # a stated tolerance below the reading error reads every step where it was digitised (Guyot's code)
    ipd = survival.reconstruct_ipd(curve, risk, total_events=3, time_tolerance=0.01)
    assert _split(ipd) == ([4.0, 9.95, 16.0], [13.0, 18.0] + [25.0] * 5)


def test_guyot_death_just_before_an_at_risk_time_stays_there():
    """The same points, but the death at 9.95 is a real one before 10: 7 at risk at 10 (10 - 2 deaths - the
    censoring at 6). As read: 10 - 2 - 7 = 1 censoring in [0, 10), 1 death of 8 at 9.95 gives 0.7875 and the
    rest follows exactly. On 10 it would need 2 censorings before 10 and 1 death of 7 at 10, 0.9 * 6/7 = 0.771,
    off the points: the step stays where it was read (a rule moving every step within the tolerance onto the
    at-risk time fails here)."""
    ipd = survival.reconstruct_ipd(_read_early(0.7875, 0.65625), _risk((0, 10), (10, 7), (20, 5)), total_events=3)
    events, censored = _split(ipd)
    assert events == [4.0, 9.95, 16.0]
    assert len(censored) == 7 and sum(t < 9.95 for t in censored) == 1 and sum(t == 13.0 for t in censored) == 1


def test_guyot_death_on_an_at_risk_time_decided_by_the_table():
    """By hand: deaths at 4, 10, 16, no censoring before 10, one at 14: 9 at risk at 10, 6 at 20; KM 0.9, 0.8
    (1 of 9 at 10), 0.8 * 6/7 (1 of 7 at 16). Read at 9.95, the interval [0, 10) would need 10 - 2 - 9 = -1
    censorings; Guyot's loop then lowers the table's 9 to 8 silently, and its KM still goes through every point
    (1 death of 9 at 9.95 is 0.8 as well): only the table tells the readings apart. On 10 the rebuilt data have
    9 at risk at 10 and 6 at 20, as the table says."""
    curve, risk = _read_early(0.8, 0.8 * 6 / 7), _risk((0, 10), (10, 9), (20, 6))
    ipd = survival.reconstruct_ipd(curve, risk, total_events=3)
    assert _split(ipd) == ([4.0, 10.0, 16.0], [13.0] + [25.0] * 6)
    assert [(ipd["time"] >= t).sum() for t in (10, 20)] == [9, 6]
    as_read = survival.reconstruct_ipd(curve, risk, total_events=3, time_tolerance=0)
    assert (as_read["time"] >= 10).sum() == 8  # what Guyot's code gives: one patient short of the table


def test_even_censorings_counted_as_numpy_counts_them():
    """``guyot._even_counts`` (Guyot's evenly spread censorings counted per digitised interval in Python floats)
    gives ``_hist(_spread(...))``'s counts: by hand, 9 censorings over [0, 10) fall on 1, ..., 9, the breaks
    themselves (right-closed bins, the first also closed on the left), and a time is numpy's to the last bit;
    and on random breaks with ties, breaks
    starting after the first censoring or ending before the last, and wider intervals than the breaks."""
    from myositis.survival import guyot
    assert guyot._even_counts(0.0, 10.0, 9, [0.0, 1.0, 2.0, 2.0, 5.0, 10.0]) == [1, 1, 0, 3, 4]
    assert guyot._even_counts(0.0, 10.0, 9, [2.0, 3.0, 9.5]) == [2, 6]  # 2 on the first break; 1 before it
    assert guyot._even_counts(3.0, 3.0, 4, [3.0]) == []
    assert guyot._even_counts(0.0, 1.0, 9, [0.0, 0.3, 1.0]) == [3, 6]  # (3 * 1) / 10 is 0.3; 3 * (1 / 10) is not
    rng = np.random.default_rng(5)
    for _ in range(300):
        breaks = np.sort(np.round(rng.uniform(0, 20, rng.integers(1, 12)), int(rng.integers(0, 3))))
        t_from = float(breaks[0]) if rng.random() < 0.7 else float(rng.uniform(0, 20))
        t_to = t_from + float(np.round(rng.uniform(0, 20), 1))
        count = int(rng.integers(0, 40))
        expected = guyot._hist(guyot._spread(t_from, t_to, count), breaks).tolist()
        assert guyot._even_counts(t_from, t_to, count, breaks.tolist()) == expected, (t_from, t_to, count, breaks)


def test_guyot_resumed_after_the_intervals_equals_a_full_run():
    """``_guyot`` resumed from the state its loop left after the intervals between at-risk times (what
    ``reconstruct_ipd`` does when ``_steps_on_at_risk_times`` ran the loop and moved nothing) gives the deaths,
    censorings and notes of a full run, with and without total events: on real arms, and on a 33-patient arm
    (whole days, coarse reading) whose last number at risk the loop lowers (resumed with the table's own, the
    last interval keeps one censoring too many)."""
    from myositis.survival import guyot
    small = pd.DataFrame({"time": [26, 16, 21, 11, 1, 2, 34, 30, 33, 1, 3, 24, 3, 1, 6, 6, 8, 1, 17, 12, 3, 4, 23,
                                   5, 3, 2, 8, 11, 7, 18, 5, 2, 13],
                          "event": [1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
                                    1, 1, 1, 1, 0, 1]})
    arms = [(small, 10.0, 873, {"time_noise": 0.003, "survival_noise": 0.005})]
    for name, seed in (("lung", 3), ("veterans", 1)):
        d = survival_data.load(name)
        arms.append((d.loc[d["group"] == d["group"].iloc[0], ["time", "event"]], PROTOCOL[name][0], seed, NOISE))
    for arm, every, seed, noise in arms:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", survival.DigitisationWarning)
            curve, risk = survival.simulate_digitisation(arm, every, seed=seed, **noise)
            pts = guyot.clean_curve(curve)
        t_risk, n_risk = risk["time"].to_numpy(float), risk["n_at_risk"].to_numpy()
        t_s, s = guyot._points_at_risk_times(pts["time"].to_numpy(), pts["survival"].to_numpy(), t_risk)
        kept = {}
        guyot._guyot(t_s, s, t_risk, n_risk, None, keep_loop=kept)
        for total in (int(arm["event"].sum()), None):
            full = guyot._guyot(t_s, s, t_risk, n_risk, total)
            resumed = guyot._guyot(t_s, s, t_risk, n_risk, total, loop=kept["loop"])
            assert all(np.array_equal(a, b) for a, b in zip(full[:2], resumed[:2])) and full[2] == resumed[2]


@pytest.mark.parametrize("times, events, expected", [
    ([1, 2, 3, 4], [1, 1, 1, 1], 2.5),        # S = 0.5 exactly on [2, 3): midpoint of 2 and 3
    ([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], 3.0),  # S: 0.8, 0.6, 0.4 -> first time <= 0.5
    ([1, 2, 3, 4], [1, 0, 1, 1], 3.0),        # S(3) = 0.75 * 1/2 = 0.375 (the censoring at 2 leaves 2 at risk)
    ([1, 2, 3, 4], [1, 1, 0, 0], 2.0),        # 0.5 from 2 to the end of follow-up: no later drop, median 2
    ([2, 2, 5, 7, 7, 9], [1, 1, 0, 1, 0, 1], 7.0),  # S(2) = 4/6, S(7) = 4/6 * 2/3 = 0.444
    ([1, 2, 3, 4], [1, 0, 0, 0], np.nan),     # never reaches 0.5
])
def test_median_survival_hand_computed(times, events, expected):
    """Medians worked out by hand (R's print(survfit) gives the same: 2.5, 3, 3, 2, 7, NA)."""
    got = survival.median_survival(pd.DataFrame({"time": times, "event": events}))["median"].iloc[0]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == expected


def test_median_survival_by_group_hand_computed():
    d = pd.DataFrame({"time": [1, 2, 3, 4, 1, 2, 3, 4, 5], "event": [1] * 9, "group": ["a"] * 4 + ["b"] * 5})
    out = survival.median_survival(d, group="group").set_index("group")
    assert out.loc["a", "median"] == 2.5 and out.loc["b", "median"] == 3.0
    assert out["n"].tolist() == [4, 5] and out["events"].tolist() == [4, 5]


def test_robustness_values():
    """Shares and quantiles computed by hand: 3 of 4 draws with p < 0.05; 2 of 4 with the HR's upper limit
    below 1 (draw 2 has HR 0.9 < 1 but its interval reaches 1.2: not significant)."""
    per_draw = pd.DataFrame({"p_logrank": [0.01, 0.04, 0.2, 0.001], "hr": [0.5, 0.9, 0.95, 0.3],
                             "hr_upper": [0.9, 1.2, 1.5, 0.8]})
    out = survival.robustness(per_draw, alpha=0.05)
    assert out.loc["p_logrank", "share_significant"] == 0.75
    assert out.loc["hr", "share_significant"] == 0.5 and out.loc["hr_upper", "share_significant"] == 0.5
    assert out.loc["p_logrank", "min"] == 0.001 and out.loc["p_logrank", "max"] == 0.2
    assert out.loc["p_logrank", "median"] == pytest.approx(0.025)  # (0.01 + 0.04) / 2
    assert out.loc["hr", "q2.5"] == pytest.approx(0.3 + 0.075 * 0.2)  # linear interpolation at 0.075 of 3 gaps
    assert out.loc["hr_upper", "max"] == 1.5
    assert survival.robustness(per_draw, alpha=0.02).loc["p_logrank", "share_significant"] == 0.5


# --- rounding vs truncation, number of losses ----------------------------------------------------------------

def test_published_range_round_and_truncate():
    lo, hi = survival.published_range([0.89], 0, "round")
    assert lo[0] == pytest.approx(0.885) and hi[0] == pytest.approx(0.895)
    lo, hi = survival.published_range([0.880], 1, "truncate")
    assert lo[0] == pytest.approx(0.88) and hi[0] == pytest.approx(0.881) and hi[0] < 0.881
    with pytest.raises(ReconstructionError, match="rounding='floor'"):
        survival.published_range([0.89], 0, "floor")


def test_truncated_89_percent_fits_three_deaths_and_no_loss():
    """26/29 = 89.66 %: '90 %' rounded, '89 %' truncated. Truncated, 3 deaths and nobody lost fit 89 % at 6
    months; rounded, at least one patient must be lost."""
    rec = survival.landmark_reconstructions(29, {6: 0.89}, follow_up=12, draws=50, seed=1, rounding="truncate")
    assert rec.lost_to_follow_up == 0 and (rec.deaths[:, 0] == 3).all() and rec.rounding == "truncate"
    assert np.all(np.floor(rec.survival * 100 + 1e-9) == 89)
    with pytest.raises(ReconstructionError, match="with 0 patient"):
        survival.landmark_reconstructions(29, {6: 0.89}, draws=10, seed=1, lost_to_follow_up=0)
    rounded = survival.landmark_reconstructions(29, {6: 0.89}, follow_up=12, draws=50, seed=1)
    assert rounded.lost_to_follow_up == 1


def test_landmark_sensitivity_grid():
    facts = published.load_facts("tacrolimus")
    table = survival.published_landmarks(facts, {
        "T": {"n": "tsuji_triple_n", "survival": {6: "tsuji_triple_surv6", 12: "tsuji_triple_surv12"}},
        "H": {"n": "tsuji_hist_n", "survival": {6: "tsuji_hist_surv6", 12: "tsuji_hist_surv12"}}})
    out = survival.landmark_sensitivity(table, "T", "H", losses=[None, 0, 2], roundings=["round", "truncate"],
                                        landmark_sets={"6 and 12": [6, 12], "6 only": [6]}, draws=40, seed=3,
                                        follow_up=12)
    assert len(out) == 12
    row = out[(out["landmarks"] == "6 only") & (out["rounding"] == "truncate") & (out["losses"] == 0)].iloc[0]
    assert row["status"] == "consistent" and row["deaths_treated"] == "3" and row["lost_treated"] == 0
    bad = out[(out["landmarks"] == "6 and 12") & (out["rounding"] == "round") & (out["losses"] == 0)].iloc[0]
    assert "no dataset of 29 patients" in bad["status"] and pd.isna(bad["share_significant"])
    smallest = out[(out["landmarks"] == "6 and 12") & (out["losses"] == "smallest")].set_index("rounding")
    assert smallest.loc["round", "lost_treated"] == 2 and smallest.loc["truncate", "lost_treated"] == 1
    # the shares are those of the draws themselves
    recs = survival.reconstruct_cohorts(table, draws=40, seed=3, follow_up=12, lost_to_follow_up=2)
    per_draw = survival.compare_reconstructions(recs["T"], recs["H"])
    row = out[(out["landmarks"] == "6 and 12") & (out["rounding"] == "round") & (out["losses"] == 2)].iloc[0]
    assert row["share_significant"] == (per_draw["p_logrank"] < 0.05).mean()
    assert row["hr_max"] == pytest.approx(per_draw["hr"].max())


def test_ipdfromkm_port_by_hand():
    """The benchmark's comparator: without censoring it rebuilds uncensored data exactly; with n - D = 2
    censorings over a curve from 0 to 10 they are spread at 3.33 and 6.67 and placed at the midpoints of the
    digitised intervals holding them."""
    d = pd.DataFrame({"time": [1.0, 2, 4, 5, 8, 9], "event": 1})
    curve, _ = survival.simulate_digitisation(d, 5.0, time_noise=0, survival_noise=0)
    out = accuracy.ipdfromkm_without_at_risk(curve, 6, 6)
    np.testing.assert_allclose(out["time"], d["time"]) and np.testing.assert_array_equal(out["event"], 1)
    curve = pd.DataFrame({"time": [0, 2, 2, 5, 5, 10], "survival": [1, 1, 0.75, 0.75, 0.5, 0.5]})
    out = accuracy.ipdfromkm_without_at_risk(curve, 4, 2)
    # 3.33 falls in [2, 5) (midpoint 3.5), 6.67 in [5, 10) (midpoint 7.5); deaths at 2 (1 of 4) and 5 (1 of 2)
    assert out.values.tolist() == [[2.0, 1], [3.5, 0], [5.0, 1], [7.5, 0]]


# --- without an at-risk table: censoring placed so that the rebuilt curve follows the digitised one -------------

def _km_gaps(ipd: pd.DataFrame, curve: pd.DataFrame) -> np.ndarray:
    """Gaps between the KM of ``ipd`` and the digitised curve at its times (lower corner of each step); NaN where
    the rebuilt data have nobody left."""
    low = curve.groupby("time")["survival"].min()
    return np.abs(survival.survival_at(ipd, low.index.to_numpy())["survival"].to_numpy() - low.values)


def test_without_table_exact_with_censoring_read_from_the_drops():
    """10 patients, 5 deaths, no at-risk table. The drops 1/10, 1/8, 1/7, 1/5, 1/4 can only come from 10, 8, 7, 5
    and 4 at risk: one censoring between the deaths at 1 and 2, one between 3 and 4, three after 5. Placed at the
    midpoints of their digitised intervals (1.5, 3.5, 5.5), the original data come back patient by patient (the one
    censored at the end of follow-up, 6, is one of the three placed at 5.5: nothing on the curve tells). Spread
    evenly over the whole curve (the old rule, and IPDfromKM's) they would sit at 1, 2, 3, 4, 5."""
    orig = pd.DataFrame({"time": [1, 1.5, 2, 3, 3.5, 4, 5, 5.5, 5.5, 6.0],
                         "event": [1, 0, 1, 1, 0, 1, 1, 0, 0, 0]})
    curve, _ = survival.simulate_digitisation(orig, 10.0, time_noise=0, survival_noise=0)
    ipd = survival.reconstruct_ipd(curve, n=10, total_events=5)
    pd.testing.assert_frame_equal(ipd.astype(float), orig.assign(time=orig["time"].where(orig["time"] < 6, 5.5))
                                  .astype(float))  # the last, at the end of follow-up, goes to 5.5 with the others
    assert accuracy.ipdfromkm_without_at_risk(curve, 10, 5)["time"].tolist() != orig["time"].tolist()


def test_step_profile_reads_numbers_at_risk_from_exact_drops():
    from myositis.survival.guyot import _step_profile

    at_risk = np.array([50, 49, 40, 39, 37, 20, 19, 13])
    deaths = np.array([1, 1, 1, 1, 2, 1, 1, 3])
    h = deaths / at_risk
    for lam in (0.0, 1e-6):
        d, m, left = _step_profile(h, np.ones(h.size), 60, lam)
        assert m.tolist() == at_risk.tolist() and d.tolist() == deaths.tolist() and left == 10


def _profile_by_enumeration(h, w, n, lam):
    """Every admissible path of ``_step_profile``'s problem written out: at risk m_1 <= n, m_k+1 <= m_k - d_k,
    deaths d_k the cheaper of the floor and the ceiling of m_k h_k (the floor on a tie; at most m_k); the least
    cost and the set of paths reaching it."""
    best, paths = np.inf, []

    def step(k, m):
        costs = {d: w[k] * (d / max(m, 1) - h[k]) ** 2 + lam * d for d in (np.floor(m * h[k]), np.floor(m * h[k]) + 1)
                 if d <= m}
        d = min(costs, key=lambda x: (costs[x], x))
        return int(d), costs[d]

    def walk(k, bound, cost, path):
        nonlocal best, paths
        if k == h.size:
            if cost < best - 1e-12:
                best, paths = cost, [path]
            elif abs(cost - best) <= 1e-12:
                paths.append(path)
            return
        for m in range(bound + 1):
            d, c = step(k, m)
            walk(k + 1, m - d, cost + c, path + ((m, d),))

    walk(0, n, 0.0, ())
    return best, paths


def test_step_profile_reaches_the_least_cost_of_every_path():
    """The dynamic programme against all paths written out (small n and few drops, 200 random cases): its path
    is admissible and its cost is the least. (Mutation tried: no censoring between drops, U = B in the forward
    pass, fails here.)"""
    from myositis.survival.guyot import _step_profile

    rng = np.random.default_rng(11)
    for _ in range(200):
        n, K = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        h = rng.choice([1 / 2, 1 / 3, 1 / 4, 2 / 5, 1 / 6, 0.3, 0.15], K)
        w, lam = rng.uniform(0.2, 1, K), float(rng.choice([0.0, 0.01, -0.01, 0.05]))
        d, m, left = _step_profile(h, w, n, lam)
        cost, paths = _profile_by_enumeration(h, w, n, lam)
        assert m[0] <= n and all(m[k + 1] <= m[k] - d[k] for k in range(K - 1)) and left <= m[-1] - d[-1]
        ours = sum(w[k] * (d[k] / max(m[k], 1) - h[k]) ** 2 + lam * d[k] for k in range(K))
        assert ours == pytest.approx(cost, abs=1e-12)
        assert tuple(zip(m.tolist(), d.tolist())) in paths


def test_without_table_matches_total_events_on_real_arms():
    """n and the total number of events are constraints: every arm of the real datasets comes back with exactly
    its patients and its deaths (digitised with reading error)."""
    for name in ("lung", "veterans", "gbsg2"):
        d = survival_data.load(name)
        for seed, (_, arm) in enumerate(d.groupby("group")):
            curve, _ = survival.simulate_digitisation(arm, 100.0, seed=seed, **NOISE)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", survival.DigitisationWarning)
                ipd = survival.reconstruct_ipd(curve, n=len(arm), total_events=int(arm["event"].sum()))
            assert len(ipd) == len(arm), name
            assert ipd["event"].sum() == arm["event"].sum(), name


def test_censoring_moved_so_that_the_rebuilt_curve_goes_through_the_points():
    """Hand-computed: 5 patients, deaths at 1, 2 and 3, the curve read at both corners of each step:
    1 -> 4/5 = 0.8 (one death among 5), 0.8 -> 0.8 x 2/3 = 0.5333 (one among 3: someone left between 1 and 2),
    -> 0.8 x 1/3 = 0.2667 (one among 2), the last patient censored at 4. Started with both censorings at the end,
    the rebuilt KM gives 0.8 x 3/4 = 0.6 at 2; one censoring moved back across the drops at 3 and 2 lands in
    [1, 2) (the interval of positive width before the step at 2, not the zero-width one between its corners,
    which would censor at 2 itself, still at risk), and the KM then goes through every point. (Mutations tried:
    no move, moves back to the interval just before the drop's index, both fail here.)"""
    from myositis.survival.guyot import _follow_points, _km_hat

    t = np.array([0, 1, 1, 2, 2, 3, 3, 4.0])
    s = np.array([1, 1, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3, 0.8 / 3, 0.8 / 3])
    d = np.array([0, 0, 1, 0, 1, 0, 1, 0])
    start = np.array([0, 0, 0, 0, 0, 0, 0, 2])
    assert _km_hat(d, start, 5)[4] == pytest.approx(0.6)
    d2, cen = _follow_points(t, s, d, start, 5)
    assert d2.tolist() == d.tolist() and cen.tolist() == [0, 0, 1, 0, 0, 0, 0, 1]
    np.testing.assert_allclose(_km_hat(d2, cen, 5), s, atol=1e-12)
    ipd = survival.reconstruct_ipd(pd.DataFrame({"time": t, "survival": s}), n=5, total_events=3)
    # end to end: the censoring between 1 and 2 at 1.5; the last one, left after the death at 3, at the midpoint
    # of [3, 4) (Guyot's convention: nothing on the curve tells it lasted to 4)
    assert ipd.values.tolist() == [[1.0, 1], [1.5, 0], [2.0, 1], [3.0, 1], [3.5, 0]]


def test_deaths_read_again_at_the_numbers_at_risk_the_moves_leave():
    """Hand-computed: 4 patients, the curve read at both corners of each step: 1 -> 0.75 at 1 (one death among 4)
    -> 0.5 at 2 (one among 3), two censored at the end. Deaths rounded at other numbers at risk put both at 2 (the
    rebuilt KM 0.25 above the points between 1 and 2: squared gaps 2 x 0.0625). Read again with the censorings as
    they are, 4 x (1 - 0.75) = 1 death at 1 and 3 x (1 - 0.5 / 0.75) = 1 at 2: the KM goes through every point and
    the total (2) is kept. (Mutation tried: _reread_deaths returning its input fails here.)"""
    from myositis.survival.guyot import _km_hat, _km_misfit, _reread_deaths

    t = np.array([0, 1, 1, 2, 2, 3.0])
    s = np.array([1, 1, 0.75, 0.75, 0.5, 0.5])
    d, cen = np.array([0, 0, 0, 0, 2, 0]), np.array([0, 0, 0, 0, 0, 2])
    assert _km_misfit(s, d, cen, 4) == pytest.approx(0.125)
    d2, cen2 = _reread_deaths(t, s, d, cen, 4, total_events=2)
    assert d2.tolist() == [0, 0, 1, 0, 1, 0] and cen2.tolist() == cen.tolist()
    np.testing.assert_allclose(_km_hat(d2, cen2, 4), s, atol=1e-12)
    # already through the points: nothing to gain, the input comes back as it is
    d3, cen3 = _reread_deaths(t, s, d2, cen2, 4, total_events=2)
    assert d3.tolist() == d2.tolist() and cen3.tolist() == cen2.tolist()


def test_without_table_follows_a_curve_with_early_censoring():
    """Hand-made curve: 40 patients, 20 censored at 0.5, then 20 deaths at 1, 2, ..., 20 (drops 1/20, 1/19, ...).
    The rebuilt KM must go through every digitised point (all censorings before the first death); spreading the
    20 censorings evenly (IPDfromKM) leaves too many at risk early and the rebuilt curve strays from the points."""
    orig = pd.DataFrame({"time": np.concatenate((np.full(20, 0.5), np.arange(1.0, 21))),
                         "event": np.repeat([0, 1], 20)})
    curve, _ = survival.simulate_digitisation(orig, 5.0, time_noise=0, survival_noise=0)
    ipd = survival.reconstruct_ipd(curve, n=40, total_events=20)
    ours = _km_gaps(ipd, curve)
    even = _km_gaps(accuracy.ipdfromkm_without_at_risk(curve, 40, 20), curve)
    assert np.isfinite(ours).all() and ours.max() < 1e-9
    assert np.nanmax(even) > 0.02
    assert ipd["event"].sum() == 20 and (ipd.loc[ipd["event"] == 0, "time"] < 1).all()


def test_without_table_random_censoring_keeps_n_and_events():
    """The robustness draws place censorings at random quantiles; n and the deaths still hold, and the draws
    differ (this arm has only 5 censorings and the points pin most of them: some draws coincide, not all)."""
    d = survival_data.load("veterans")
    arm = d[d["group"] == d["group"].iloc[0]]
    curve, _ = survival.simulate_digitisation(arm, 100.0, seed=3, **NOISE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", survival.DigitisationWarning)
        draws = [survival.reconstruct_ipd(curve, n=len(arm), total_events=int(arm["event"].sum()),
                                          censoring_rng=np.random.default_rng(seed)) for seed in range(1, 9)]
    assert all(len(a) == len(arm) and a["event"].sum() == arm["event"].sum() for a in draws)
    assert len({tuple(a["time"]) for a in draws}) > 1


def test_ipdfromkm_preprocess_drops_a_ridiculous_click():
    """IPDfromKM's preprocess (Tukey fences, k = 0.5, on the change of survival between points): a single click
    far below the curve, followed by the curve again, is dropped; points above 1 are dropped, not clipped."""
    curve = pd.DataFrame({"time": [0, 1, 1, 2, 2, 2.5, 3, 3, 4, 4, 5],
                          "survival": [1.004, 1, 0.9, 0.9, 0.8, 0.3, 0.8, 0.7, 0.7, 0.6, 0.6]})
    pts = accuracy.ipdfromkm_preprocess(curve)
    assert 2.5 not in pts["time"].tolist()
    assert pts.iloc[0].tolist() == [0.0, 1.0] and pts["survival"].max() == 1.0
    assert pts["survival"].is_monotonic_decreasing


def test_ipdfromkm_port_with_at_risk_table_rebuilds_uncensored_data():
    """The benchmark's comparator with an at-risk table: without censoring, deaths come back at their times."""
    d = pd.DataFrame({"time": [1.0, 2, 4, 5, 8, 9, 11, 12, 14, 15], "event": 1})
    curve, risk = survival.simulate_digitisation(d, 5.0, time_noise=0, survival_noise=0)
    out = accuracy.ipdfromkm(curve, risk, total_events=10)
    np.testing.assert_allclose(out["time"], d["time"])
    np.testing.assert_array_equal(out["event"], 1)


def _pbc() -> pd.DataFrame:
    import os

    try:
        return survival_data.load("pbc")
    except survival_data.RUnavailable as exc:
        if os.environ.get("MYOSITIS_REQUIRE_R") == "1":
            pytest.fail(f"R's pbc unavailable but MYOSITIS_REQUIRE_R=1: {exc}")
        pytest.skip(f"R's pbc unavailable: {exc}")


@pytest.mark.r
def test_pbc_rebuilt_with_and_without_at_risk_table():
    """R's survival::pbc (312 randomised patients, deaths; the benchmark's held-out dataset), digitised with the
    protocol's reading error: landmark survival within 0.02 and Cox HR within 5 % by both routes."""
    data = _pbc()
    assert len(data) == 312 and data["event"].sum() == 125
    for route in ("guyot", "guyot_n_events"):
        err = accuracy.route_errors(data, "group", [1825.5, 3650.5], 500.0, route, seed=1, **NOISE)
        assert err["landmark_abs_error"] <= 0.02, route
        assert err["hr_pct_error"] <= 5, route
