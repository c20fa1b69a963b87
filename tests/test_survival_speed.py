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
    new = landmarks._simulate(np.random.default_rng(1), patterns, n, bounds, 15.0, 3000)
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
