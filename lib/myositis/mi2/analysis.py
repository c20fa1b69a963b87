"""The analyses of the phenotype notebook: Table 1 data, odds ratios of the clinical features, the mixed model of
strength over time, repeated-measures correlations of the anti-Mi2 titre, the long-follow-up titres.

References
----------
Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics 1982;38:963-74.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from .schema import BOOL_FEATURES, GROUPS, LABELS


def with_group(visits: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Visits with the patient's group (as ``load_cohort`` returns them); unchanged when already there."""
    if "group" in visits:
        return visits
    return visits.merge(patients[["id", "group"]], on="id", how="left", validate="many_to_one")


def table_one_data(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients table with readable column names and yes/no levels, for Table 1 (missing kept missing)."""
    d = patients.copy()
    for col in BOOL_FEATURES:
        d[col] = d[col].astype("boolean").map({True: "yes", False: "no"}).astype(object)
        d.loc[patients[col].isna(), col] = np.nan
    d["sex"] = d["sex"].map({"F": "female", "M": "male"})
    d["group"] = d["group"].astype(str)
    cols = ["group", "sex", "age_onset_years", "ck_max_u_l", "follow_up_years", *BOOL_FEATURES]
    return d[cols].rename(columns={c: LABELS[c] for c in cols if c != "group"})


TABLE_ONE_CONTINUOUS = [LABELS[c] for c in ("age_onset_years", "ck_max_u_l", "follow_up_years")]
TABLE_ONE_CATEGORICAL = [LABELS[c] for c in ("sex", *BOOL_FEATURES)]


def odds_ratios(patients: pd.DataFrame, features=BOOL_FEATURES, exposed: str = "Mi2+ DM",
                reference: str = "Mi2- DM") -> pd.DataFrame:
    """Odds ratio of each yes/no feature, ``exposed`` vs ``reference`` group, with 95 % CI (Woolf, log scale).

    A Haldane-Anscombe correction (0.5 added to every cell) is applied to a feature with a zero cell, and said
    in the ``correction`` column. The Fisher exact p-value is given alongside. When either group has no patient
    with a value for a feature, its odds ratio, CI and p are missing (a correction would invent an OR of 1).

    References
    ----------
    Woolf B. On estimating the relation between blood group and disease. Ann Hum Genet 1955;19:251-3.
    Haldane JBS. The estimation and significance of the logarithm of a ratio of frequencies. Ann Hum Genet
    1956;20:309-11.
    """
    from statsmodels.stats.contingency_tables import Table2x2

    rows = []
    for feat in features:
        d = patients[patients["group"].isin([exposed, reference]) & patients[feat].notna()]
        a = int(((d["group"] == exposed) & (d[feat] == True)).sum())  # noqa: E712
        b = int(((d["group"] == exposed) & (d[feat] == False)).sum())  # noqa: E712
        c = int(((d["group"] == reference) & (d[feat] == True)).sum())  # noqa: E712
        e = int(((d["group"] == reference) & (d[feat] == False)).sum())  # noqa: E712
        if a + b == 0 or c + e == 0:  # a group without any patient with a value: nothing to estimate
            rows.append({"feature": LABELS.get(feat, feat), f"{exposed} yes/n": f"{a}/{a + b}",
                         f"{reference} yes/n": f"{c}/{c + e}", "odds_ratio": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "p_fisher": np.nan, "correction": ""})
            continue
        zero = min(a, b, c, e) == 0
        table = np.array([[a, b], [c, e]], dtype=float) + (0.5 if zero else 0.0)
        t2 = Table2x2(table)
        low, high = t2.oddsratio_confint()
        rows.append({"feature": LABELS.get(feat, feat), f"{exposed} yes/n": f"{a}/{a + b}",
                     f"{reference} yes/n": f"{c}/{c + e}", "odds_ratio": t2.oddsratio, "ci_low": low, "ci_high": high,
                     "p_fisher": stats.fisher_exact([[a, b], [c, e]])[1],
                     "correction": "Haldane (+0.5)" if zero else ""})
    return pd.DataFrame(rows).set_index("feature")


@dataclass
class StrengthModel:
    """Linear mixed model of strength: its fixed effects as a table, the sample, formula and convergence."""

    fixed: pd.DataFrame
    n_patients: int
    n_visits: int
    formula: str
    random: str
    converged: bool
    not_fitted: str = ""  # why the model was not fitted (a group absent, too few patients), else ""

    @property
    def fitted(self) -> bool:
        return not self.not_fitted

    def sentence(self, exposed: str = "Mi2+ DM", reference: str = "Mi2- DM") -> str:
        """The two effects the notebook states: the difference at onset and in slope, exposed vs reference (or
        why they cannot be given)."""
        g = f"C(group, Treatment('{reference}'))[T.{exposed}]"
        if self.not_fitted:
            return f"Not fitted: {self.not_fitted}."
        if g not in self.fixed.index:
            return (f"{exposed} vs {reference}: no {exposed} patient with strength measurements in the model "
                    f"({self.n_visits} visits of {self.n_patients} patients).")
        base, slope = self.fixed.loc[g], self.fixed.loc[f"years:{g}"]
        return (f"{exposed} vs {reference}: strength {base['estimate']:+.2f} Kendall points at onset "
                f"(95 % CI {base['ci_low']:+.2f} to {base['ci_high']:+.2f}), slope {slope['estimate']:+.2f} points "
                f"per year (95 % CI {slope['ci_low']:+.2f} to {slope['ci_high']:+.2f}); "
                f"{self.n_visits} visits of {self.n_patients} patients, random {self.random}.")


def strength_model(visits: pd.DataFrame, reference: str = "Mi2- DM", max_years: float = 2.0,
                   random_slope: bool = True) -> StrengthModel:
    """Linear mixed model of Kendall strength on time x group with patient random effects (statsmodels).

    ``strength_kendall ~ years * C(group, Treatment(reference))``, random intercept (and slope on time) per
    patient, fitted by REML on the visits of the first ``max_years`` after the first visit (the treatment
    phase, where strength changes roughly linearly; later visits are at the plateau). Time is years since
    onset. The REML likelihood (statsmodels' own, computed for all patients at once by
    :class:`~myositis.mi2.mixedlm.GroupedMixedLM`) is maximised by L-BFGS, then Powell from where L-BFGS stopped
    when it did not converge or stopped at a non-zero score (a random-effects correlation near -1 stops the
    gradient methods short on these data; :func:`_lbfgs_then_powell`); when
    neither converges (or L-BFGS fails on a singular covariance), statsmodels' default optimisers (BFGS,
    L-BFGS, CG) are tried too and the better fit kept (converged first, then the higher likelihood). ``converged`` says whether the fit kept converged.

    Returns
    -------
    StrengthModel
        ``fixed``: estimate, standard error, 95 % CI and p of each fixed effect. On data that cannot support
        the model (no strength measurement, the reference group absent, a single group, fewer than 3 patients
        per group, a singular fit) nothing is fitted: ``fixed`` is empty and ``not_fitted`` says why.

    References
    ----------
    Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics 1982;38:963-74.
    """
    from .mixedlm import GroupedMixedLM

    d = visits.dropna(subset=["strength_kendall", "months_since_onset"]).copy()
    d["group"] = d["group"].astype(str)
    first = d.groupby("id")["months_since_onset"].transform("min")
    d = d[d["months_since_onset"] - first <= 12 * max_years]
    d["years"] = d["months_since_onset"] / 12
    formula = f"strength_kendall ~ years * C(group, Treatment('{reference}'))"
    random = "intercept and slope per patient" if random_slope else "intercept per patient"
    groups = sorted(set(d["group"]))
    why = ("no strength measurement" if d.empty else
           f"no {reference} patient with strength measurements (the reference group)" if reference not in groups
           else f"only one group ({groups[0]}) has strength measurements: nothing to compare" if len(groups) < 2
           else "")
    if not why and d["id"].nunique() < 3 * len(groups):
        why = (f"too few patients ({d['id'].nunique()} in {len(groups)} groups) for a model with a random "
               "intercept and slope per patient")
    if why:
        empty = pd.DataFrame(columns=["estimate", "std_err", "ci_low", "ci_high", "p"], dtype=float)
        return StrengthModel(empty, int(d["id"].nunique()), len(d), formula, random, False, why)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GroupedMixedLM.from_formula(formula, d, groups=d["id"], re_formula="~years" if random_slope else "~1")
        try:
            fit = _lbfgs_then_powell(model)
        except (np.linalg.LinAlgError, ValueError):  # L-BFGS can step onto a singular covariance
            fit = None
        if fit is None or not (fit.converged and np.isfinite(fit.llf)):
            try:
                alt = model.fit(reml=True)  # statsmodels' default optimisers
            except (np.linalg.LinAlgError, ValueError) as err:  # singular design on a tiny or degenerate cohort
                if fit is None:
                    empty = pd.DataFrame(columns=["estimate", "std_err", "ci_low", "ci_high", "p"], dtype=float)
                    return StrengthModel(empty, int(d["id"].nunique()), len(d), formula, random, False,
                                         f"the fit failed on these data ({type(err).__name__}: {err})")
                alt = fit
            # kept when its likelihood is finite and it converged where the first did not (or got higher)
            if fit is None or (np.isfinite(alt.llf) and (not np.isfinite(fit.llf)
                                                         or (alt.converged, alt.llf) > (fit.converged, fit.llf))):
                fit = alt
    ci = fit.conf_int()
    names = fit.fe_params.index
    fixed = pd.DataFrame({"estimate": fit.fe_params, "std_err": fit.bse[names], "ci_low": ci.loc[names, 0],
                          "ci_high": ci.loc[names, 1], "p": fit.pvalues[names]})
    return StrengthModel(fixed, d["id"].nunique(), len(d), formula, random, bool(fit.converged))


#: statsmodels' warning when the first optimiser of ``MixedLM.fit(method=[...])`` stops without converging.
RETRY_POWELL = "Retrying MixedLM optimization with powell"

#: Largest score (per visit, the scale statsmodels' optimisers work on) at which an L-BFGS fit that says it
#: converged is taken as the maximum.
STATIONARY_SCORE = 1e-4


def _lbfgs_then_powell(model):
    """REML fit by L-BFGS, then by Powell from where L-BFGS stopped unless it stopped at a maximum.

    What ``model.fit(reml=True, method=["lbfgs", "powell"])`` does (and, when L-BFGS says it did not converge,
    exactly that call), with one difference: statsmodels moves on to Powell only when L-BFGS says it did not
    converge, and where these data stop L-BFGS short (a random-effects correlation near -1) whether it says so
    depends on rounding in the last digits of the likelihood: on the notebook's cohort the same point, score
    about 0.04 per visit, is "converged" or not depending on the order in which the patients are summed, and on
    other cohorts (seeds 11, 12, 13) statsmodels' own L-BFGS reports convergence 7 to 23 log-likelihood units
    below where Powell then goes. Here Powell
    also runs when L-BFGS says it converged at a point whose score is not zero (above
    :data:`STATIONARY_SCORE` per visit), from that point.
    """
    # statsmodels' sequence: Powell from L-BFGS's own last point when L-BFGS says it did not converge (which
    # statsmodels announces with its "Retrying MixedLM optimization with powell" warning); else the call stops
    # after L-BFGS and is the L-BFGS fit. One L-BFGS run either way (this ran L-BFGS alone first, then L-BFGS
    # again before Powell: the same deterministic run twice).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(reml=True, method=["lbfgs", "powell"])
    for w in caught:  # to whoever called, as they came
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if any(issubclass(w.category, ConvergenceWarning) and str(w.message) == RETRY_POWELL for w in caught):
        return fit
    start = fit.params_object.get_packed(use_sqrt=model.use_sqrt, has_fe=False)
    if np.max(np.abs(model.score(start, profile_fe=True))) / model.n_totobs <= STATIONARY_SCORE:
        return fit
    return model.fit(reml=True, method=["powell"], start_params=start)


_CORRELATIONS: dict = {}  # content hash of the visits used -> result (the target check and the notebook share it)


def titre_correlations(visits: pd.DataFrame, group: str = "Mi2+ DM") -> pd.DataFrame:
    """Repeated-measures correlation of the anti-Mi2 titre with CK and with strength over visits (:func:`rm_corr`).

    Titre and CK are log10-transformed (skewed, multiplicative changes), so visits with a titre (or CK) of 0 are
    left out of that pair, as are patients with fewer than two usable visits; ``patients`` and ``visits`` give
    what was used. The rmcorr coefficient is the within-patient association, not confounded by differences
    between patients. With fewer than three such patients a pair is not estimated (``r``, CI and ``p``
    missing; ``patients`` and ``visits`` say why).

    References
    ----------
    Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
    """
    import hashlib

    columns = ["id", "group", "months_since_onset", "anti_mi2_titre_au", "ck_u_l", "strength_kendall"]
    try:
        used = visits[columns]
    except KeyError:
        return _titre_correlations(visits, group)
    key = (group, hashlib.sha256(pd.util.hash_pandas_object(used, index=False).to_numpy().tobytes()).hexdigest())
    if key not in _CORRELATIONS:
        _CORRELATIONS.clear()  # one cohort at a time: keep memory flat
        _CORRELATIONS[key] = _titre_correlations(visits, group)
    return _CORRELATIONS[key].copy()


def rm_corr(data: pd.DataFrame, x: str, y: str, subject: str) -> dict:
    """Repeated-measures correlation of ``x`` and ``y`` within subjects (Bakdash & Marusich 2017).

    The ANCOVA of ``y`` on ``x`` with one intercept per subject, in closed form: with ``x`` and ``y`` centred on
    each subject's mean, r = sum(xc yc) / sqrt(sum(xc^2) sum(yc^2)), N - k - 1 degrees of freedom (N observations,
    k subjects), p from the F test of ``x`` (1 and N - k - 1 df) and the 95 % CI by Fisher's z with n = dof + 2,
    rounded to 2 decimals: what pingouin's ``rm_corr`` returns (tested against it), without fitting an OLS with
    one dummy column per subject.

    Returns
    -------
    dict
        ``r``, ``dof``, ``p``, ``ci_low``, ``ci_high``.

    References
    ----------
    Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
    Vallat R. Pingouin: statistics in Python. J Open Source Softw 2018;3(31):1026 (``pingouin.rm_corr``).
    """
    d = data[[x, y, subject]].dropna()
    if d[subject].nunique() < 3:
        raise ValueError("rm_corr requires at least 3 unique subjects.")
    xv, yv = d[x].to_numpy(float), d[y].to_numpy(float)
    codes = pd.factorize(d[subject])[0]
    k = codes.max() + 1
    counts = np.bincount(codes, minlength=k)
    xc = xv - (np.bincount(codes, xv, k) / counts)[codes]
    yc = yv - (np.bincount(codes, yv, k) / counts)[codes]
    sxy, sxx, syy = float(xc @ yc), float(xc @ xc), float(yc @ yc)
    dof = len(d) - k - 1
    ss_x = sxy ** 2 / sxx  # sum of squares explained by x within subjects
    ss_error = syy - ss_x
    r = float(np.sign(sxy) * np.sqrt(ss_x / (ss_x + ss_error)))
    p = float(stats.f.sf(ss_x / (ss_error / dof), 1, dof))
    half = stats.norm.ppf(0.975) / np.sqrt(dof + 2 - 3)
    ci = np.round(np.tanh([np.arctanh(r) - half, np.arctanh(r) + half]), 2)
    return {"r": r, "dof": int(dof), "p": p, "ci_low": float(ci[0]), "ci_high": float(ci[1])}


def _titre_correlations(visits: pd.DataFrame, group: str) -> pd.DataFrame:
    d = visits[(visits["group"] == group)].dropna(subset=["anti_mi2_titre_au"]).copy()
    d = d[d["anti_mi2_titre_au"] > 0]
    d["log10_titre"] = np.log10(d["anti_mi2_titre_au"])
    d["log10_ck"] = np.log10(d["ck_u_l"].where(d["ck_u_l"] > 0))
    rows = []
    for y, label in (("log10_ck", "log10 titre ~ log10 CK"), ("strength_kendall", "log10 titre ~ strength")):
        dd = d.dropna(subset=[y])
        dd = dd[dd.groupby("id")["id"].transform("size") >= 2]
        if dd["id"].nunique() < 3:  # rmcorr needs three patients with two visits: not estimated, counts kept
            rows.append({"pair": label, "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "dof": 0, "p": np.nan,
                         "patients": dd["id"].nunique(), "visits": len(dd)})
            continue
        r = rm_corr(dd, x="log10_titre", y=y, subject="id")
        rows.append({"pair": label, "r": r["r"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "dof": r["dof"],
                     "p": r["p"], "patients": dd["id"].nunique(), "visits": len(dd)})
    return pd.DataFrame(rows).set_index("pair")



#: Printed headers of :func:`long_follow_up` (``myositis.tables.from_frame(long, labels=LONG_FOLLOW_UP_LABELS)``).
LONG_FOLLOW_UP_LABELS = {"id": "Patient", "first_month": "First titre (month)", "last_month": "Last titre (month)",
                         "years_measured": "Years measured", "first_titre": "First titre (AU)",
                         "last_titre": "Last titre (AU)", "declined": "Declined", "negative": "Negative at last visit",
                         "negative_from_month": "Negative from (month)", "treatment_stopped": "Treatment stopped",
                         "relapse_after_stop": "Relapse after stopping"}

def long_follow_up(patients: pd.DataFrame, visits: pd.DataFrame, years: float = 4.0, cutoff: float = 20.0,
                   group: str = "Mi2+ DM") -> pd.DataFrame:
    """Patients whose titre was measured over at least ``years``: first and last titre, decline, negativation.

    Negativation: the last titre is below ``cutoff`` (the month from which every later titre stays below the
    cut-off is given in ``negative_from_month``).

    Returns
    -------
    DataFrame
        One row per patient: ``id``, ``first_month``, ``last_month``, ``years_measured``, ``first_titre``,
        ``last_titre``, ``declined``, ``negative``, ``negative_from_month``, ``treatment_stopped``,
        ``relapse_after_stop``.
    """
    d = visits[visits["group"] == group].dropna(subset=["anti_mi2_titre_au"])
    d = d.sort_values(["id", "months_since_onset"])
    g = d.groupby("id", observed=True)
    s = pd.DataFrame({"first_month": g["months_since_onset"].first(), "last_month": g["months_since_onset"].last(),
                      "first_titre": g["anti_mi2_titre_au"].first(), "last_titre": g["anti_mi2_titre_au"].last()})
    s["years_measured"] = (s["last_month"] - s["first_month"]) / 12
    s = s[s["years_measured"] >= years].copy()
    s["declined"] = s["last_titre"] < s["first_titre"]
    s["negative"] = s["last_titre"] < cutoff
    # first month from which every later titre is below the cut-off
    d = d[d["id"].isin(s.index)].copy()
    d["positive_later"] = d.iloc[::-1].assign(pos=lambda x: x["anti_mi2_titre_au"] >= cutoff).groupby(
        "id")["pos"].cummax().iloc[::-1]
    s["negative_from_month"] = d[~d["positive_later"]].groupby("id")["months_since_onset"].min()
    extra = patients.set_index("id").reindex(s.index)
    for col in ("treatment_stopped", "relapse_after_stop"):
        s[col] = extra[col].astype("boolean") if col in extra else pd.array([pd.NA] * len(s), dtype="boolean")
    s = s.reset_index()
    return s[["id", "first_month", "last_month", "years_measured", "first_titre", "last_titre", "declined",
              "negative", "negative_from_month", "treatment_stopped", "relapse_after_stop"]]


def strength_summary(visits: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Mean strength at the first and last visit of patients weak at onset, and of all patients, per group."""
    weak = set(patients.loc[patients["weakness_onset"] == True, "id"])  # noqa: E712
    d = visits.dropna(subset=["strength_kendall"]).sort_values(["id", "months_since_onset"])
    g = d.groupby("id", observed=True)
    per = pd.DataFrame({"group": g["group"].first().astype(str), "first": g["strength_kendall"].first(),
                        "last": g["strength_kendall"].last()})
    per["weak_onset"] = per.index.isin(weak)
    out = per[per["weak_onset"]].groupby("group")[["first", "last"]].mean().add_prefix("weak at onset: ")
    out = out.join(per.groupby("group")[["first", "last"]].mean().add_prefix("all: "))
    return out.reindex([g for g in GROUPS if g in out.index])


def strength_by_period(visits: pd.DataFrame, width_months: float = 6, max_months: float = 60) -> pd.DataFrame:
    """Mean strength per group in bins of months since onset: the numbers behind the spaghetti plot."""
    d = visits.dropna(subset=["strength_kendall"])
    d = d[d["months_since_onset"] < max_months]
    bins = (d["months_since_onset"] // width_months) * width_months
    t = d.groupby([bins.rename("months"), d["group"].astype(str)])["strength_kendall"].mean().unstack("group")
    t.index = t.index.astype(int)
    return t[[g for g in GROUPS if g in t.columns]]


def format_p(p: pd.Series) -> pd.Series:
    """p-values as text for display: '<0.001' below 0.001, else three decimals."""
    return p.map(lambda x: "" if pd.isna(x) else ("<0.001" if x < 0.001 else f"{x:.3f}"))
