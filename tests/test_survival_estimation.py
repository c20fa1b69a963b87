"""myositis.survival.estimation against R's survival package and known values.

The R comparisons run one Rscript for all datasets (module fixture ``r_results``); they are marked ``r`` and skip
only when Rscript is absent and MYOSITIS_REQUIRE_R is unset (CI sets it and installs r-cran-survival).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

import survival_data
from myositis import survival
from myositis.exceptions import ValidationError

R_DATASETS = survival_data.NAMES + ("veterans_celltype",)
CONF_TYPES = ("log", "log-log", "plain")
TOL = 1e-6

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
dir <- commandArgs(TRUE)[1]
times <- read.csv(file.path(dir, "times.csv"), stringsAsFactors = FALSE)
refs <- read.csv(file.path(dir, "refs.csv"), stringsAsFactors = FALSE)
out <- list()
add <- function(dataset, what, conf, group, time, key, value) {
  if (length(value)) out[[length(out) + 1]] <<- data.frame(dataset, what, conf, group, time, key, value)
}
for (nm in refs$dataset) {
  d <- read.csv(file.path(dir, paste0(nm, ".csv")), stringsAsFactors = FALSE)
  tt <- times$time[times$dataset == nm]
  for (ct in c("log", "log-log", "plain")) {
    fit <- survfit(Surv(time, event) ~ group, data = d, conf.type = ct)
    s <- summary(fit, times = tt)
    g <- sub("group=", "", as.character(s$strata))
    for (k in c("surv", "lower", "upper", "n.risk", "std.err")) add(nm, "landmark", ct, g, s$time, k, s[[k]])
    s <- summary(fit)
    g <- sub("group=", "", as.character(s$strata))
    for (k in c("surv", "lower", "upper", "n.risk", "n.event")) add(nm, "curve", ct, g, s$time, k, s[[k]])
  }
  fit <- survfit(Surv(time, event) ~ group, data = d)
  med <- summary(fit)$table[, "median"]
  add(nm, "median", "", sub("group=", "", names(med)), NA, "median", unname(med))
  sd <- survdiff(Surv(time, event) ~ group, data = d)
  add(nm, "survdiff", "", "overall", NA, "chisq", sd$chisq)
  lv <- sort(unique(d$group))
  for (pair in combn(lv, 2, simplify = FALSE)) {
    sub_d <- d[d$group %in% pair, ]
    add(nm, "survdiff", "", paste(sort(pair), collapse = " | "), NA, "chisq",
        survdiff(Surv(time, event) ~ group, data = sub_d)$chisq)
  }
  ref <- refs$ref[refs$dataset == nm]; other <- refs$other[refs$dataset == nm]
  sub_d <- d[d$group %in% c(ref, other), ]
  sub_d$x <- as.integer(sub_d$group == other)
  cx <- coxph(Surv(time, event) ~ x, data = sub_d, ties = "efron")
  sc <- summary(cx)
  add(nm, "coxph", "", other, NA, c("coef", "se", "p", "lower", "upper"),
      c(coef(cx), sqrt(vcov(cx))[1, 1], sc$coefficients[1, 5], sc$conf.int[1, 3], sc$conf.int[1, 4]))
}
write.csv(do.call(rbind, out), file.path(dir, "r.csv"), row.names = FALSE)
"""


def landmark_times(d: pd.DataFrame) -> list[float]:
    """Three landmarks inside every group's follow-up, one of them exactly an event time (a tie with a step)."""
    last = d.groupby("group")["time"].max().min()
    inside = d.loc[d["time"] < last, "time"]
    event_time = float(d.loc[(d["event"] == 1) & (d["time"] < last), "time"].median())
    return sorted({0.0, float(np.floor(inside.quantile(0.25))) + 0.5, event_time,
                   float(np.floor(inside.quantile(0.75)))})


def require_r():
    if shutil.which("Rscript") is None:
        if os.environ.get("MYOSITIS_REQUIRE_R") == "1":
            pytest.fail("Rscript not found but MYOSITIS_REQUIRE_R=1 (install r-base-core and r-cran-survival)")
        pytest.skip("Rscript not found")


@pytest.fixture(scope="module")
def data():
    return {name: survival_data.load(name) for name in R_DATASETS}


@pytest.fixture(scope="module")
def r_results(data, tmp_path_factory):
    """All R numbers at once: one Rscript run over every dataset."""
    require_r()
    folder = tmp_path_factory.mktemp("r")
    times, refs = [], []
    for name, d in data.items():
        d.to_csv(folder / f"{name}.csv", index=False)
        times += [{"dataset": name, "time": t} for t in landmark_times(d)]
        groups = list(pd.unique(d["group"]))
        refs.append({"dataset": name, "ref": groups[0], "other": groups[1]})
    pd.DataFrame(times).to_csv(folder / "times.csv", index=False)
    pd.DataFrame(refs).to_csv(folder / "refs.csv", index=False)
    (folder / "run.R").write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(folder / "run.R"), str(folder)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(folder / "r.csv", keep_default_na=True)


def r_wide(r: pd.DataFrame, name: str, what: str, conf: str) -> pd.DataFrame:
    sub = r[(r["dataset"] == name) & (r["what"] == what) & (r["conf"].fillna("") == conf)]
    wide = sub.pivot(index=["group", "time"], columns="key", values="value")
    return wide.add_prefix("r_").reset_index()


@pytest.mark.r
@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", R_DATASETS)
def test_survival_at_against_R(r_results, data, name, conf_type):
    """R: summary(survfit(Surv(time, event) ~ group, data = d, conf.type = conf_type), times = tt)"""
    d = data[name]
    ours = survival.survival_at(d, landmark_times(d), group="group", conf_type=conf_type)
    ref = r_wide(r_results, name, "landmark", conf_type)
    merged = ours.merge(ref, on=["group", "time"], how="outer", validate="1:1")
    assert len(merged) == len(ours) == len(ref)
    np.testing.assert_array_equal(merged["n_risk"], merged["r_n.risk"])
    for mine, theirs in [("survival", "surv"), ("std_err", "std.err"), ("lower", "lower"), ("upper", "upper")]:
        np.testing.assert_allclose(merged[mine], merged[f"r_{theirs}"], atol=TOL, rtol=0, equal_nan=True,
                                   err_msg=f"{name} {conf_type} {mine}")


@pytest.mark.r
@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", R_DATASETS)
def test_kaplan_meier_curve_against_R(r_results, data, name, conf_type):
    """R: summary(survfit(Surv(time, event) ~ group, data = d, conf.type = conf_type)) (every event time)"""
    km = survival.kaplan_meier(data[name], group="group", conf_type=conf_type)
    km = km[km["n_event"] > 0]
    ref = r_wide(r_results, name, "curve", conf_type)
    merged = km.merge(ref, on=["group", "time"], how="outer", validate="1:1")
    assert len(merged) == len(km) == len(ref)
    np.testing.assert_array_equal(merged["n_risk"], merged["r_n.risk"])
    np.testing.assert_array_equal(merged["n_event"], merged["r_n.event"])
    for mine, theirs in [("survival", "surv"), ("lower", "lower"), ("upper", "upper")]:
        np.testing.assert_allclose(merged[mine], merged[f"r_{theirs}"], atol=TOL, rtol=0, equal_nan=True)


@pytest.mark.r
@pytest.mark.parametrize("name", R_DATASETS)
def test_logrank_against_R(r_results, data, name):
    """R: survdiff(Surv(time, event) ~ group, data = d), overall and on each pair of groups"""
    d = data[name]
    r = r_results[(r_results["dataset"] == name) & (r_results["what"] == "survdiff")].set_index("group")["value"]
    ours = survival.logrank(d, "group", pairwise=True)
    overall = ours["chisq"].iloc[0]
    assert overall == pytest.approx(r["overall"], abs=TOL)
    for a, b in combinations(sorted(d["group"].unique()), 2):
        pair = survival.logrank(d[d["group"].isin([a, b])], "group")
        assert pair["chisq"].iloc[0] == pytest.approx(r[f"{a} | {b}"], abs=TOL)
        if d["group"].nunique() > 2:
            row = ours[ours["comparison"].isin([f"{a} vs {b}", f"{b} vs {a}"])]
            assert row["chisq"].iloc[0] == pytest.approx(r[f"{a} | {b}"], abs=TOL)


@pytest.mark.r
@pytest.mark.parametrize("name", survival_data.NAMES)
def test_cox_hr_against_R(r_results, data, name):
    """R: coxph(Surv(time, event) ~ x, data = d, ties = "efron"), x = 1 for the second group"""
    d = data[name]
    ref, other = list(pd.unique(d["group"]))[:2]
    r = r_results[(r_results["dataset"] == name) & (r_results["what"] == "coxph")].set_index("key")["value"]
    ours = survival.cox_hr(d, "group", reference=ref).iloc[0]
    assert ours["log_hr"] == pytest.approx(r["coef"], abs=TOL)
    assert ours["se"] == pytest.approx(r["se"], abs=TOL)
    assert ours["lower"] == pytest.approx(r["lower"], abs=TOL)
    assert ours["upper"] == pytest.approx(r["upper"], abs=TOL)
    assert ours["p_value"] == pytest.approx(r["p"], abs=TOL, rel=1e-6)


@pytest.mark.r
@pytest.mark.parametrize("name", R_DATASETS)
def test_median_against_R(r_results, data, name):
    """R: summary(survfit(Surv(time, event) ~ group, data = d))$table[, "median"]"""
    r = r_results[(r_results["dataset"] == name) & (r_results["what"] == "median")].set_index("group")["value"]
    ours = survival.median_survival(data[name], group="group").set_index("group")["median"]
    np.testing.assert_allclose(ours.reindex(r.index), r, atol=TOL, equal_nan=True)


def test_batch_functions_match_single_fits():
    """logrank_batch / cox_batch on stacked datasets equal the one-dataset functions (ties included).

    logrank is an independent implementation; cox_hr runs cox_batch on one row, so for Cox this checks the
    vectorisation across datasets of different tie structures (cox_hr itself is checked against R above)."""
    d = survival_data.load("rossi")  # weeks: many tied event times
    rng = np.random.default_rng(3)
    stacks = [d.sample(frac=1, replace=True, random_state=int(s)).reset_index(drop=True)
              for s in rng.integers(0, 10_000, 5)]
    time = np.stack([s["time"].to_numpy() for s in stacks])
    event = np.stack([s["event"].to_numpy() for s in stacks])
    arm = np.stack([(s["group"] == "aid").to_numpy().astype(int) for s in stacks])
    lr = survival.logrank_batch(time, event, arm)
    cx = survival.cox_batch(time, event, arm)
    for i, s in enumerate(stacks):
        assert lr["chisq"].iloc[i] == pytest.approx(survival.logrank(s, "group")["chisq"].iloc[0], rel=1e-10)
        single = survival.cox_hr(s, "group", reference="no aid").iloc[0]
        assert cx["hr"].iloc[i] == pytest.approx(single["hr"], rel=1e-9)


def test_cox_matches_lifelines():
    """lifelines' CoxPHFitter also uses Efron ties: same HR and s.e. (a second, independent reference).

    Tolerance 1e-5, not 1e-6: lifelines stops Newton-Raphson earlier than coxph (R agrees with us to 1e-6)."""
    from lifelines import CoxPHFitter

    d = survival_data.load("lung")
    x = pd.DataFrame({"time": d["time"], "event": d["event"], "x": (d["group"] == "female").astype(int)})
    ll = CoxPHFitter().fit(x, "time", "event").summary.loc["x"]
    ours = survival.cox_hr(d, "group", reference="male").iloc[0]
    assert ours["log_hr"] == pytest.approx(ll["coef"], abs=1e-5)
    assert ours["se"] == pytest.approx(ll["se(coef)"], abs=1e-5)


def test_cox_without_events_in_one_group_is_flagged():
    d = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": [1, 1, 1, 0, 0, 0], "group": list("AAABBB")})
    out = survival.cox_hr(d, "group")
    assert not out["converged"].iloc[0]
    assert np.isnan(out["lower"].iloc[0])


def test_at_risk_counts_time_greater_or_equal():
    """A patient censored at t is at risk at t (R and SAS), and so is one who dies at t."""
    d = pd.DataFrame({"time": [2, 4, 4, 6, 8], "event": [1, 0, 1, 1, 0]})
    table = survival.at_risk_table(d, [0, 4, 5, 8, 9])
    assert table.iloc[0].tolist() == [5, 4, 2, 1, 0]


def test_survival_at_published_interval_of_takada():
    """3 deaths among 25 patients, nobody censored: the KM log-log interval is the one Takada et al. 2020 publish
    beside 88.0 % (67.3-96.0 %, read from data/raw/published/tacrolimus.yaml; a check of the method)."""
    pub = survival.published_interval("tacrolimus", "takada_surv52w").iloc[0]
    d = pd.DataFrame({"time": [1, 2, 3] + [12] * 22, "event": [1, 1, 1] + [0] * 22})
    out = survival.survival_at(d, [12], conf_type="log-log").iloc[0]
    assert out["survival"] == pytest.approx(pub["survival"])
    assert round(out["lower"] * 100, 1) == round(pub["lower"] * 100, 1)
    assert round(out["upper"] * 100, 1) == round(pub["upper"] * 100, 1)


@pytest.mark.parametrize("conf_type, lower, upper", [("log", 0.761407713059257, 1.0),
                                                     ("log-log", 0.672561452863359, 0.959639832332033),
                                                     ("plain", 0.752617418543146, 1.0)])
def test_km_ci_without_censoring_against_R(conf_type, lower, upper):
    """R: d <- data.frame(time = c(1, 2, 3, rep(12, 22)), event = c(1, 1, 1, rep(0, 22)));
    summary(survfit(Surv(time, event) ~ 1, data = d, conf.type = conf_type), times = 12)[c("lower", "upper")]
    (the closed form must also equal the KM of any uncensored data with 3 deaths, tied ones included)."""
    out = survival.km_ci_without_censoring(22, 25, conf_type).iloc[0]
    assert out["survival"] == pytest.approx(0.88)
    assert out["lower"] == pytest.approx(lower, abs=TOL)
    assert out["upper"] == pytest.approx(upper, abs=TOL)
    tied = pd.DataFrame({"time": [2, 2, 5] + [12] * 22, "event": [1, 1, 1] + [0] * 22})
    km = survival.survival_at(tied, [12], conf_type=conf_type).iloc[0]
    assert km["lower"] == pytest.approx(lower, abs=TOL) and km["upper"] == pytest.approx(upper, abs=TOL)


def test_binomial_ci_clopper_pearson():
    """R: binom.test(22, 25)$conf.int = 0.6878097 0.9745346 (Clopper-Pearson)"""
    out = survival.binomial_ci(22, 25).iloc[0]
    assert out["lower"] == pytest.approx(0.6878097, abs=1e-6)
    assert out["upper"] == pytest.approx(0.9745346, abs=1e-6)
    edge = survival.binomial_ci([0, 5], 5)
    assert edge["lower"].iloc[0] == 0 and edge["upper"].iloc[1] == 1
    test = survival.binomial_test(22, 25, 0.33).iloc[0]
    assert test["p_value"] == pytest.approx(1.88536742667132e-08, rel=1e-6)  # R: binom.test(22, 25, p = 0.33)


def test_fisher_test_against_R():
    """R: fisher.test(matrix(c(5, 10, 12, 3), 2))$p.value = 0.0253276870336761; 22/25 vs 15/16 gives p = 1."""
    out = survival.fisher_test(5, 15, 12, 15).iloc[0]
    assert out["p_value"] == pytest.approx(0.0253276870336761, rel=1e-6)
    assert out["odds_ratio"] == pytest.approx(5 * 3 / (10 * 12))  # sample odds ratio, as documented
    assert survival.fisher_test(22, 25, 15, 16)["p_value"].iloc[0] == pytest.approx(1.0)


def test_invalid_rows_are_named():
    d = pd.DataFrame({"time": [1, -2, 3], "event": [1, 0, 1]})
    with pytest.raises(ValidationError, match="row 2"):
        survival.survival_at(d, [1])
    with pytest.raises(ValidationError, match="row 1"):
        survival.survival_at(pd.DataFrame({"time": [1], "event": [2]}), [1])


def test_survival_at_zero_survival_has_no_standard_error_and_no_warning():
    """Everyone dead by the landmark: survival 0, its standard error undefined (NaN, as R's 0 * Inf), silently."""
    import warnings

    d = pd.DataFrame({"time": [1.0, 2.0, 3.0, 5.0], "event": [1, 1, 1, 0]})
    d = pd.concat([d, pd.DataFrame({"time": [1.0, 2.0], "event": [1, 1]})], keys=["a", "b"]).reset_index(0)
    d = d.rename(columns={"level_0": "group"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = survival.survival_at(d, [2.0], group="group")
    b = out[out["group"] == "b"].iloc[0]
    assert b["survival"] == 0 and np.isnan(b["std_err"])
    a = out[out["group"] == "a"].iloc[0]
    assert a["survival"] == pytest.approx(0.5) and a["std_err"] == pytest.approx(0.5 * np.sqrt(1 / 12 + 1 / 6))
