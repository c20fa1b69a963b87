"""Rewrites of ``myositis.survival`` made for speed give the same numbers, to the last bit, and the same random
draws as the implementations they replace (kept in ``survival_reference``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_reference as ref
from myositis import survival
from myositis.survival import estimation, landmarks


def _same_draws(new, old: dict):
    for key, value in old.items():
        got = getattr(new, key)
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and np.array_equal(got, value), key
        else:
            assert got == value, key


@pytest.mark.parametrize("n, figures, kwargs", [
    (29, {6: 0.89, 12: 0.85}, {"follow_up": 12, "draws": 500, "seed": 20200101}),
    (29, {6: 0.89, 12: 0.85}, {"follow_up": 12, "draws": 2000, "seed": 3, "lost_to_follow_up": 3}),
    (15, {6: 0.33, 12: 0.33}, {"follow_up": 12, "draws": 300, "seed": 2}),
    # several small batches, low acceptance, a pilot budget spent on a number of losses that gives nothing
    (15, {6: 0.80}, {"draws": 700, "seed": 5, "batch": 500, "lost_to_follow_up": 3}),
    (29, {6: 0.89, 12: 0.85}, {"follow_up": 14, "draws": 900, "seed": 7, "batch": 500, "rounding": "truncate"}),
    (40, {3: 0.9, 6: 0.75, 12: 0.6}, {"follow_up": 18, "draws": 400, "seed": 11, "batch": 600}),
    (25, {12: 0.880}, {"decimals": 1, "draws": 100, "seed": 3}),
])
def test_landmark_reconstructions_draw_as_before(n, figures, kwargs):
    """The datasets are built and checked only until enough are accepted, from uniforms drawn chunk by chunk:
    the same datasets, KM values and proposal counts as building and checking whole batches."""
    _same_draws(survival.landmark_reconstructions(n, figures, **kwargs),
                ref.landmark_reconstructions(n, figures, **kwargs))


def test_simulate_and_km_at_as_before():
    n, bounds = 29, np.array([0.0, 6.0, 12.0])
    times = bounds[1:]
    lo, hi = survival.published_range([0.89, 0.85])
    patterns = landmarks._feasible_patterns(n, times, lo, hi, 3)
    # a batch as landmark_reconstructions draws it: its patterns, then its uniforms
    rng = np.random.default_rng(1)
    index = rng.integers(len(patterns), size=3000)
    u = 1.0 - rng.random((3000, n))
    new = (*landmarks._datasets(landmarks._pattern_rows(patterns, n, bounds, 15.0), index, u), patterns[index])
    old = ref.simulate(np.random.default_rng(1), patterns, n, bounds, 15.0, 3000)
    for a, b in zip(new, old):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert np.array_equal(landmarks._km_at(new[0], new[1], times), ref.km_at(old[0], old[1], times))
    # a death on the landmark itself (u = 1) counts at the landmark
    time = np.array([[6.0, 3.0, 12.0, 12.0]])
    event = np.array([[1, 0, 0, 0]], np.int8)
    assert np.array_equal(landmarks._km_at(time, event, times), ref.km_at(time, event, times))


def _datasets(seed, rows=400, n=44, tie_step=None, empty_arm=False):
    rng = np.random.default_rng(seed)
    time = rng.exponential(10, (rows, n))
    if tie_step:
        time = np.ceil(time / tie_step) * tie_step  # many tied deaths (Efron's fractions)
    event = (rng.random((rows, n)) < 0.7).astype(np.int8)
    arm = np.zeros((rows, n), np.int8)
    arm[:, : n // 2] = 1
    time[:, : n // 2] *= rng.uniform(0.3, 3, (rows, 1))  # hazard ratios far from 1 in some rows
    if empty_arm:
        event[: rows // 4, : n // 2] = 0  # no event in one arm: infinite HR, not converged
    return time, event, arm


@pytest.mark.parametrize("kwargs", [{}, {"tie_step": 2.0}, {"tie_step": 5.0, "empty_arm": True}, {"rows": 1}])
def test_cox_batch_as_before(kwargs):
    """The Newton iterations reuse the likelihood computed at the last step: the same fits, to the last bit,
    ties (several Efron terms), step halvings and groups without events included."""
    time, event, arm = _datasets(1, **kwargs)
    new, old = estimation.cox_batch(time, event, arm), ref.cox_batch(time, event, arm)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    lr, cox = estimation.logrank_cox_batch(time, event, arm)
    pd.testing.assert_frame_equal(cox, old, check_exact=True)
    pd.testing.assert_frame_equal(lr, estimation.logrank_batch(time, event, arm), check_exact=True)


def test_cox_batch_as_before_with_step_halvings(monkeypatch):
    """Newton steps on this likelihood rarely overshoot; made to (each step's end moved further, in both
    implementations alike: ``np.clip`` patched), the likelihood falls after thousands of the steps here (checked
    when this test was written), those steps are halved and recomputed, and the fits still agree to the last
    bit."""
    clip = np.clip
    monkeypatch.setattr(np, "clip", lambda a, lo, hi: clip(2.5 * a + 0.7, lo, hi))
    time, event, arm = _datasets(2, rows=300, n=12, tie_step=1.0)
    pd.testing.assert_frame_equal(estimation.cox_batch(time, event, arm), ref.cox_batch(time, event, arm),
                                  check_exact=True)


def _drops(rng, trial):
    n = int(rng.integers(2, 90))
    k = int(rng.integers(1, 80))
    h = rng.uniform(0.001, 0.3, k)
    if trial % 7 == 0:
        h[rng.integers(k)] = 1.0  # a drop to 0
    if trial % 5 == 0:
        h = np.round(h, 2)  # many ties between costs
    return h, rng.uniform(0.1, 1, k), n


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and np.array_equal(x, y)


def test_profiles_as_step_profile():
    """_Profiles (reversed columns, several multipliers at once or one at a time, first looked up while reading
    back) gives _step_profile's deaths, numbers at risk and survivors for every multiplier."""
    from myositis.survival import guyot

    rng = np.random.default_rng(0)
    for trial in range(150):
        h, w, n = _drops(rng, trial)
        terms = guyot._profile_terms(h, w, n)
        profiles = guyot._Profiles(h, n, terms)
        lams = [float(x) for x in rng.choice([-1e-2, 0.0, 1e-3, -3e-4, 0.02, -5.0, 7.0], 3) * rng.uniform(0.5, 2)]
        for lam in lams:
            _same(profiles.profile(lam, ahead=lams), ref.step_profile(h, w, n, lam))
        alone = guyot._Profiles(h, n, terms)  # one multiplier at a time, in buffers reused from one to the next
        for lam in lams:
            _same(alone.profile(lam), ref.step_profile(h, w, n, lam))


def test_profile_for_events_as_before():
    """The bisection over the multiplier tries the same multipliers with the same results (small problems through
    _Profiles, large ones through _step_profile)."""
    from myositis.survival import guyot

    rng = np.random.default_rng(1)
    for trial in range(200):
        h, w, n = _drops(rng, trial)
        events = int(rng.integers(0, n + 1))
        _same(guyot._profile_for_events(h, w, n, events), ref.profile_for_events(h, w, n, events))
    h = rng.uniform(0.001, 0.05, 300)  # 300 x 400 cells: above CHUNK_CELLS
    _same(guyot._profile_for_events(h, np.ones(300), 399, 250), ref.profile_for_events(h, np.ones(300), 399, 250))


def _digitised_specs(tmp_path):
    import yaml

    from myositis import paths

    cohorts = yaml.safe_load((paths.ROOT / "params" / "tacrolimus_survival" / "veteran_digitised.yaml")
                             .read_text())["parameters"]["cohorts"]
    std, test = cohorts["Standard chemotherapy"], cohorts["Test chemotherapy"]
    # the standard arm's curve cut after day 411: the jitter moves its last point before or after the at-risk row of
    # day 400, which is dropped or kept draw by draw (dropped in 3 of the 12 draws of seed 2), the row of day 500
    # always
    curve = pd.read_csv(paths.resolve(std["curve"]))
    curve[curve["time"] <= 412].to_csv(tmp_path / "cut.csv", index=False)
    return {"table": std, "n and events": test, "n only": {k: v for k, v in test.items() if k != "total_events"},
            "table, last row dropped or kept": dict(std, curve=str(tmp_path / "cut.csv"),
                                                    tolerance={"time": 30.0, "survival": 0.005})}


@pytest.mark.parametrize("kind", ["table", "n and events", "n only", "table, last row dropped or kept"])
def test_digitised_draws_as_with_data_frames(kind, tmp_path):
    """The robustness draws run on arrays give what jitter_curve and reconstruct_ipd give on data frames: the same
    datasets from the same seed."""
    import warnings

    from myositis.survival import comparison
    from myositis.survival.guyot import DigitisationWarning, clean_at_risk, clean_curve

    spec = _digitised_specs(tmp_path)[kind]
    rec = comparison.digitised_reconstructions(kind, spec, draws=12, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigitisationWarning)
        points = clean_curve(comparison._read(spec["curve"]))
        table = clean_at_risk(comparison._read(spec["at_risk"])) if spec.get("at_risk") else None
    rng = np.random.default_rng(2)
    time, event = ref.digitised_draws(points, table, spec, rec.tolerance, rec.n, 12, rng)
    assert np.array_equal(rec.time, time) and np.array_equal(rec.event, event)


def test_reconstruct_cohorts_as_before():
    """reconstruct_cohorts reads the table as arrays: the same cohorts, figures, seeds and datasets as selecting
    the rows with pandas (numbers and fact ids, a cohort without figures, one decimal, landmark subsets, losses by
    cohort, an impossible combination named with its cohort)."""
    from myositis import paths, published
    from myositis.exceptions import ReconstructionError
    from myositis.survival import cohorts

    facts = published.load_facts(paths.resolve("data/raw/published/tacrolimus.yaml"))
    table = cohorts.published_landmarks(facts, {
        "A": {"n": "tsuji_triple_n", "survival": {6: "tsuji_triple_surv6", 12: "tsuji_triple_surv12"}},
        "B": {"n": 15, "survival": {12: 33, 6: 33}},
        "C": {"n": "tsuji_csa_n", "survival": {}},
        "D": {"n": 25, "survival": {12: 88.0}, "decimals": 1}})
    for kwargs in ({}, {"landmarks": [6]}, {"landmarks": [12.0], "rounding": "truncate"},
                   {"lost_to_follow_up": {"A": 3, "D": 1}}, {"lost_to_follow_up": 2, "follow_up": 14}):
        new = cohorts.reconstruct_cohorts(table, draws=40, seed=5, **kwargs)
        old = ref.reconstruct_cohorts(table, draws=40, seed=5, **kwargs)
        assert list(new) == list(old)
        for label in new:
            assert new[label].landmarks == old[label].landmarks and new[label].n == old[label].n
            _same_draws(new[label], {"time": old[label].time, "event": old[label].event,
                                     "proposals": old[label].proposals, "decimals": old[label].decimals,
                                     "lost_to_follow_up": old[label].lost_to_follow_up})
    with pytest.raises(ReconstructionError, match="cohort 'A'") as new_error:
        cohorts.reconstruct_cohorts(table, draws=10, seed=1, lost_to_follow_up=0)
    with pytest.raises(ReconstructionError) as old_error:
        ref.reconstruct_cohorts(table, draws=10, seed=1, lost_to_follow_up=0)
    assert str(new_error.value) == str(old_error.value)
