"""statsmodels' linear mixed model with its profile likelihood and score computed for all groups at once.

statsmodels' ``MixedLM`` evaluates the (REML or ML) profile log-likelihood, its score and the GLS fixed effects
with a Python loop over the groups (patients): each of the few hundred evaluations an optimiser makes costs one
pass over every patient. With random effects given by a design ``Z`` (no variance components, no penalty), every
quantity the loop accumulates is a sum over groups of small matrices built from the per-group cross-products
``X'X``, ``X'Z``, ``Z'Z``, ``Z'y`` and ``Z'r``, through the Woodbury identity

    (I + Z Psi Z')^-1 = I - Z (Psi^-1 + Z'Z)^-1 Z'

and the matrix determinant lemma ``log|I + Z Psi Z'| = log|Psi| + log|Psi^-1 + Z'Z|`` (what statsmodels'
``_smw_solver`` and ``_smw_logdet`` compute group by group). :class:`GroupedMixedLM` computes the same sums with
numpy over stacked ``q x q`` systems (``q`` random effects per group), so the likelihood, score and fixed effects
are statsmodels' own to rounding (tested against them), the optimisers and the results object (Hessian, standard
errors, p-values) are statsmodels' unchanged, and a fit takes a fraction of the time.

References
----------
Lindstrom MJ, Bates DM. Newton-Raphson and EM algorithms for linear mixed-effects models for repeated-measures
data. J Am Stat Assoc 1988;83:1014-22.
Seabold S, Perktold J. statsmodels: econometric and statistical modeling with Python. Proc 9th Python in Science
Conference, 2010 (``statsmodels.regression.mixed_linear_model.MixedLM``).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams


class GroupedMixedLM(MixedLM):
    """``statsmodels.regression.mixed_linear_model.MixedLM`` whose profile log-likelihood, score and GLS fixed
    effects are computed for all groups at once (same values to rounding, same optimisers and results).

    Built exactly as ``MixedLM`` (``GroupedMixedLM.from_formula(formula, data, groups=..., re_formula=...)``).
    Models the grouped route does not cover (variance components, penalties, sparse random-effects designs, a
    singular random-effects covariance) are computed by statsmodels' own per-group code.
    """

    # ---- the per-group cross-products, computed once ----
    def _grouped(self) -> dict | None:
        """Stacked per-group data, or None when the model is outside the grouped route."""
        if getattr(self, "_grouped_cache", None) is not None:
            return self._grouped_cache
        if (self.k_vc > 0 or self.k_re == 0 or self.k_fe == 0 or self.cov_pen is not None
                or self.fe_pen is not None or any(sparse.issparse(a) for a in self._aex_r)):
            return None
        x = np.concatenate([np.asarray(e, dtype=float) for e in self.exog_li])
        z = np.concatenate([np.asarray(a, dtype=float) for a in self._aex_r])
        y = np.concatenate([np.asarray(e, dtype=float) for e in self.endog_li])
        sizes = np.array([len(e) for e in self.endog_li])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

        def gsum(values):  # sum of the rows of each group, groups in statsmodels' order
            return np.add.reduceat(values, starts, axis=0)

        xz = gsum(x[:, :, None] * z[:, None, :])  # (G, p, q)
        self._grouped_cache = {
            "x": x, "z": z, "y": y, "gsum": gsum,
            "xx": gsum(x[:, :, None] * x[:, None, :]).sum(axis=0),  # (p, p): X'X needs no per-group term
            "xz": xz, "zx": np.swapaxes(xz, 1, 2),
            "zz": np.stack([np.asarray(a, dtype=float) for a in self._aex_r2]),  # (G, q, q)
            "zy": gsum(z * y[:, None]),  # (G, q)
            "xy": x.T @ y,
        }
        return self._grouped_cache

    @staticmethod
    def _inverse_or_none(cov_re, tol=1e-10):
        """``cov_re``'s inverse, or None where statsmodels would use a pseudo-inverse (left to its own code)."""
        w = np.linalg.eigvalsh(cov_re)
        if w.min() < tol:
            return None
        try:
            return np.linalg.inv(cov_re)
        except np.linalg.LinAlgError:
            return None

    # ---- statsmodels' methods, grouped ----
    def get_fe_params(self, cov_re, vcomp, tol=1e-10):
        """GLS fixed effects given the random-effects covariance (``MixedLM.get_fe_params``)."""
        g = self._grouped()
        cov_re_inv = None if g is None else self._inverse_or_none(cov_re, tol)
        if cov_re_inv is None:
            return super().get_fe_params(cov_re, vcomp, tol)
        m = g["zz"] + cov_re_inv  # (G, q, q)
        rhs = np.concatenate([g["zx"], g["zy"][:, :, None]], axis=2)  # Z'[X y], (G, q, p + 1)
        w = np.linalg.solve(m, rhs)
        xtxy = np.concatenate([g["xx"], g["xy"][:, None]], axis=1) - np.einsum("gpq,gqk->pk", g["xz"], w)
        return np.linalg.solve(xtxy[:, :-1], xtxy[:, -1]), False

    def loglike(self, params, profile_fe=True):
        """Profile log-likelihood (REML or ML as ``self.reml``; ``MixedLM.loglike``)."""
        g = self._grouped()
        if type(params) is not MixedLMParams:
            params = MixedLMParams.from_packed(params, self.k_fe, self.k_re, self.use_sqrt, has_fe=False)
        cov_re_inv = None if g is None else self._inverse_or_none(params.cov_re)
        if cov_re_inv is None:
            return super().loglike(params, profile_fe)
        if profile_fe:
            fe_params, _ = self.get_fe_params(params.cov_re, params.vcomp)
        else:
            fe_params = params.fe_params
        _, cov_re_logdet = np.linalg.slogdet(params.cov_re)
        m = g["zz"] + cov_re_inv
        _, m_logdet = np.linalg.slogdet(m)
        resid = g["y"] - g["x"] @ fe_params
        zr = g["gsum"](g["z"] * resid[:, None])  # (G, q)
        qf = resid @ resid - np.einsum("gq,gq->", zr, np.linalg.solve(m, zr[:, :, None])[:, :, 0])
        likeval = -(len(m) * cov_re_logdet + m_logdet.sum()) / 2.0
        n, k = self.n_totobs, self.k_fe
        if self.reml:
            xvx = g["xx"] - np.einsum("gpq,gqk->pk", g["xz"], np.linalg.solve(m, g["zx"]))
            likeval -= (n - k) * np.log(qf) / 2.0
            likeval -= np.linalg.slogdet(xvx)[1] / 2.0
            likeval -= (n - k) * np.log(2 * np.pi) / 2.0
            likeval += (n - k) * np.log(n - k) / 2.0
            likeval -= (n - k) / 2.0
        else:
            likeval -= n * np.log(qf) / 2.0
            likeval -= n * np.log(2 * np.pi) / 2.0
            likeval += n * np.log(n) / 2.0
            likeval -= n / 2.0
        return likeval

    def score_full(self, params, calc_fe):
        """Score in the full ``cov_re`` parameterisation (``MixedLM.score_full``; ``score_sqrt`` uses it)."""
        g = self._grouped()
        cov_re_inv = None if g is None else self._inverse_or_none(params.cov_re)
        if cov_re_inv is None:
            return super().score_full(params, calc_fe)
        q = self.k_re
        m = g["zz"] + cov_re_inv
        resid = g["y"] - g["x"] @ params.fe_params
        zr = g["gsum"](g["z"] * resid[:, None])  # Z'r, (G, q)
        mi_zz = np.linalg.solve(m, g["zz"])  # M^-1 Z'Z, (G, q, q)
        mi_zr = np.linalg.solve(m, zr[:, :, None])[:, :, 0]
        zvz = g["zz"] - g["zz"] @ mi_zz  # Z'V^-1 Z per group
        zvr = zr - np.einsum("gab,gb->ga", g["zz"], mi_zr)  # Z'V^-1 r
        xvz = g["xz"] - g["xz"] @ mi_zz  # X'V^-1 Z
        rvir = resid @ resid - np.einsum("gq,gq->", zr, mi_zr)

        score_fe = np.zeros(self.k_fe)
        score_re = np.zeros(self.k_re2)
        score_vc = np.zeros(0)
        fac = self.n_totobs - (self.k_fe if self.reml else 0)
        if calc_fe:
            xr = g["x"].T @ resid
            xtvir = xr - np.einsum("gpq,gq->p", g["xz"], mi_zr)
            score_fe += fac * xtvir / rvir
        zvz_sum = zvz.sum(axis=0)
        rvavr = np.einsum("ga,gb->ab", zvr, zvr)
        if self.reml:
            xtvix = g["xx"] - np.einsum("gpq,gqk->pk", g["xz"], np.linalg.solve(m, g["zx"]))
            xtvixi = np.linalg.inv(xtvix)
        jj = 0
        for j1 in range(q):  # the lower triangle of cov_re, in statsmodels' order
            for j2 in range(j1 + 1):
                both = 1.0 if j1 == j2 else 2.0  # an off-diagonal term enters V twice
                score_re[jj] -= 0.5 * both * zvz_sum[j2, j1]
                score_re[jj] += 0.5 * fac * both * rvavr[j1, j2] / rvir
                if self.reml:
                    xtax = np.einsum("gp,gk->pk", xvz[:, :, j1], xvz[:, :, j2])
                    if j1 != j2:
                        xtax = xtax + xtax.T
                    score_re[jj] += 0.5 * np.sum(xtvixi.T * xtax)
                jj += 1
        return score_fe, score_re, score_vc
