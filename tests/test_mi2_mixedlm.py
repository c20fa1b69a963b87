"""The grouped mixed model (myositis.mi2.mixedlm.GroupedMixedLM) against statsmodels' own MixedLM: the same
profile likelihood, score and GLS fixed effects at any covariance, the same fit, and statsmodels' code where the
grouped route does not apply."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from myositis import mi2
from myositis.mi2.analysis import STATIONARY_SCORE, _lbfgs_then_powell
from myositis.mi2.mixedlm import GroupedMixedLM

FORMULA = "y ~ years * C(group)"


@pytest.fixture(scope="module")
def visits():
    """60 patients in 2 groups, 2-7 visits each, a random intercept and slope (correlated) per patient."""
    rng = np.random.default_rng(20240611)
    rows = []
    for i in range(60):
        group = "b" if i % 2 else "a"
        b0, b1 = rng.multivariate_normal([0, 0], [[1.0, -0.3], [-0.3, 0.25]])
        for t in np.sort(rng.uniform(0, 3, rng.integers(2, 8))):
            y = 8 + (-1 if group == "b" else 0) + b0 + (0.4 + (0.3 if group == "b" else 0) + b1) * t
            rows.append({"id": f"P{i:02d}", "group": group, "years": t, "y": y + rng.normal(0, 0.5)})
    return pd.DataFrame(rows)


def _pair(visits, re_formula, reml):
    plain = MixedLM.from_formula(FORMULA, visits, groups=visits["id"], re_formula=re_formula)
    grouped = GroupedMixedLM.from_formula(FORMULA, visits, groups=visits["id"], re_formula=re_formula)
    for m in (plain, grouped):  # the state MixedLM.fit sets before optimising
        m.reml, m.cov_pen, m.fe_pen, m._freepat, m._cov_sing = reml, None, None, None, 0
    return plain, grouped


@pytest.mark.parametrize("re_formula", ["~years", "~1"])
@pytest.mark.parametrize("reml", [True, False])
def test_likelihood_score_and_fixed_effects_equal_statsmodels(visits, re_formula, reml):
    plain, grouped = _pair(visits, re_formula, reml)
    rng = np.random.default_rng(1)
    for _ in range(4):  # packed Cholesky factors of the random-effects covariance, anywhere
        x = rng.normal(0, 1, plain.k_re2)
        p = MixedLMParams.from_packed(x, plain.k_fe, plain.k_re, True, has_fe=False)
        np.testing.assert_allclose(grouped.get_fe_params(p.cov_re, p.vcomp)[0],
                                   plain.get_fe_params(p.cov_re, p.vcomp)[0], rtol=1e-10, atol=1e-12)
        assert grouped.loglike(x) == pytest.approx(plain.loglike(x), rel=1e-12)
        np.testing.assert_allclose(grouped.score(x), plain.score(x), rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(grouped.score(x, profile_fe=False), plain.score(x, profile_fe=False),
                                   rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("re_formula", ["~years", "~1"])
@pytest.mark.parametrize("reml", [True, False])
def test_hessian_and_scale_equal_statsmodels(visits, re_formula, reml):
    """The Hessian (where the standard errors come from) and the error variance, at any parameters."""
    plain, grouped = _pair(visits, re_formula, reml)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = np.concatenate([rng.normal(8, 1, plain.k_fe), rng.normal(0, 1, plain.k_re2)])
        p = MixedLMParams.from_packed(x, plain.k_fe, plain.k_re, True, has_fe=True)
        h_plain, sing_plain = plain.hessian(p)
        h_grouped, sing_grouped = grouped.hessian(p)
        assert sing_grouped == sing_plain
        np.testing.assert_allclose(h_grouped, h_plain, rtol=1e-8, atol=1e-8 * np.abs(h_plain).max())
        assert grouped.get_scale(p.fe_params, p.cov_re, p.vcomp) == pytest.approx(
            plain.get_scale(p.fe_params, p.cov_re, p.vcomp), rel=1e-12)


def test_singular_covariance_is_left_to_statsmodels(visits):
    """A random-effects covariance of rank 1 (correlation -1): statsmodels' pseudo-inverse route, unchanged."""
    plain, grouped = _pair(visits, "~years", True)
    x = np.array([1.0, -0.5, 1e-7])  # Cholesky factor with a near-zero diagonal: an eigenvalue ~1e-14
    p = MixedLMParams.from_packed(x, plain.k_fe, plain.k_re, True, has_fe=False)
    assert grouped._inverse_or_none(p.cov_re) is None
    fe_plain, sing_plain = plain.get_fe_params(p.cov_re, p.vcomp)
    fe_grouped, sing_grouped = grouped.get_fe_params(p.cov_re, p.vcomp)
    assert sing_plain and sing_grouped
    np.testing.assert_array_equal(fe_grouped, fe_plain)
    assert grouped.loglike(x) == plain.loglike(x)


def test_fit_equals_statsmodels_fit(visits):
    """Same optimiser, same start: the same estimates, standard errors, p-values and likelihood."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [cls.from_formula(FORMULA, visits, groups=visits["id"], re_formula="~years").fit(reml=True,
                                                                                                method="lbfgs")
                for cls in (MixedLM, GroupedMixedLM)]
    plain, grouped = fits
    assert plain.converged and grouped.converged
    np.testing.assert_allclose(grouped.fe_params, plain.fe_params, rtol=1e-6)
    np.testing.assert_allclose(grouped.bse, plain.bse, rtol=1e-5)
    np.testing.assert_allclose(grouped.pvalues, plain.pvalues, rtol=1e-4, atol=1e-12)
    assert grouped.llf == pytest.approx(plain.llf, rel=1e-9)
    np.testing.assert_allclose(grouped.cov_re, plain.cov_re, rtol=1e-5)


def test_variance_components_use_statsmodels_own_code(visits):
    """A model outside the grouped route (variance components) is computed by statsmodels' per-group loop."""
    d = visits.assign(visit_kind=np.where(visits.index % 2, "x", "y"))
    kw = dict(groups=d["id"], re_formula="~1", vc_formula={"kind": "0 + C(visit_kind)"})
    plain = MixedLM.from_formula(FORMULA, d, **kw)
    grouped = GroupedMixedLM.from_formula(FORMULA, d, **kw)
    for m in (plain, grouped):
        m.reml, m.cov_pen, m.fe_pen, m._freepat, m._cov_sing = True, None, None, None, 0
    assert grouped._grouped() is None
    x = np.array([0.8, 0.5])
    assert grouped.loglike(x) == plain.loglike(x)


def _model_visits(seed, share=1.0):
    """The visits strength_model fits (first 2 years after the first visit), of a share of a synthetic cohort."""
    patients, visits = mi2.synthetic_cohort(seed)
    if share < 1:
        keep = set(np.random.default_rng(seed).choice(patients["id"].unique(), size=int(len(patients) * share),
                                                      replace=False))
        patients, visits = patients[patients["id"].isin(keep)], visits[visits["id"].isin(keep)]
    d = mi2.with_group(visits, patients).dropna(subset=["strength_kendall"])
    d = d[d["months_since_onset"] - d.groupby("id")["months_since_onset"].transform("min") <= 24].copy()
    d["group"], d["years"] = d["group"].astype(str), d["months_since_onset"] / 12
    return d


def test_when_lbfgs_does_not_converge_the_fit_is_statsmodels_lbfgs_then_powell():
    """79 patients where L-BFGS stops short and says so: Powell from L-BFGS's own last point, as statsmodels'
    ``method=["lbfgs", "powell"]`` (the code before the grouped model) does; the estimates agree within Powell's
    tolerance. (Powell from the point rebuilt from the results object instead ends on the singular boundary,
    log-likelihood +inf.)"""
    d = _model_visits(23, 0.15)
    formula = "strength_kendall ~ years * C(group, Treatment('Mi2- DM'))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = GroupedMixedLM.from_formula(formula, d, groups=d["id"], re_formula="~years")
        assert not grouped.fit(reml=True, method=["lbfgs"]).converged
        fit = _lbfgs_then_powell(grouped)
        plain = MixedLM.from_formula(formula, d, groups=d["id"], re_formula="~years").fit(
            reml=True, method=["lbfgs", "powell"])
    assert fit.converged and plain.converged and np.isfinite(fit.llf)
    assert fit.llf == pytest.approx(plain.llf, abs=1e-3)
    np.testing.assert_allclose(fit.fe_params, plain.fe_params, atol=1e-3)
    np.testing.assert_allclose(fit.bse, plain.bse, atol=1e-3)


def test_powell_runs_when_lbfgs_stops_at_a_non_stationary_point():
    """On the notebook's cohort L-BFGS stops short (score ~0.04 per visit); whatever it says about convergence,
    Powell must take over and reach a higher REML likelihood with a near-zero score."""
    d = _model_visits(20191001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GroupedMixedLM.from_formula("strength_kendall ~ years * C(group, Treatment('Mi2- DM'))", d,
                                            groups=d["id"], re_formula="~years")
        lbfgs = model.fit(reml=True, method=["lbfgs"])
        fit = _lbfgs_then_powell(model)
    score = model.score(lbfgs.params_object.get_packed(use_sqrt=True, has_fe=False))
    assert np.max(np.abs(score)) / model.n_totobs > STATIONARY_SCORE
    assert fit.converged and fit.llf > lbfgs.llf + 5


def _lbfgs_then_powell_before(model):
    """_lbfgs_then_powell as it was: L-BFGS alone, then (when it did not converge) statsmodels' L-BFGS + Powell,
    which ran the same deterministic L-BFGS a second time."""
    fit = model.fit(reml=True, method=["lbfgs"])
    if not fit.converged:
        return model.fit(reml=True, method=["lbfgs", "powell"])
    start = fit.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
    if np.max(np.abs(model.score(start, profile_fe=True))) / model.n_totobs <= STATIONARY_SCORE:
        return fit
    return model.fit(reml=True, method=["powell"], start_params=start)


@pytest.mark.parametrize("seed, share, lbfgs_converges", [(20191001, 1.0, False), (4, 0.3, True), (23, 0.15, False)])
def test_one_lbfgs_run_gives_the_fit_of_two(seed, share, lbfgs_converges):
    """_lbfgs_then_powell runs L-BFGS once (statsmodels' L-BFGS + Powell call, stopping after L-BFGS when it
    converges) and returns the very fit the previous code did (estimates, standard errors, covariance, scale and
    likelihood equal to the last bit), on the notebook's cohort and on cohorts where L-BFGS converges or not."""
    d = _model_visits(seed, share)
    formula = "strength_kendall ~ years * C(group, Treatment('Mi2- DM'))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [GroupedMixedLM.from_formula(formula, d, groups=d["id"], re_formula="~years") for _ in range(3)]
        assert models[0].fit(reml=True, method=["lbfgs"]).converged == lbfgs_converges
        before, now = _lbfgs_then_powell_before(models[1]), _lbfgs_then_powell(models[2])
    assert now.converged == before.converged and now.llf == before.llf and now.scale == before.scale
    for a, b in ((now.fe_params, before.fe_params), (now.bse, before.bse), (now.cov_re, before.cov_re)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
