"""The table layer against R on R's own datasets (survival::pbc, lung, veteran, exported by R in the test):
Table 1 tests as gtsummary's add_p() picks and computes them, survival at times and median CIs as survfit,
Cox HRs as coxph. Marked ``r``: one Rscript run for the module (skips without R unless MYOSITIS_REQUIRE_R=1)."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from myositis import survival, tables

R_SCRIPT = r"""
library(survival)
out <- commandArgs(TRUE)[1]
data(pbc, package = "survival"); data(cancer, package = "survival")
pbc$edema <- factor(pbc$edema); pbc$stage <- factor(pbc$stage); pbc$ascites <- factor(pbc$ascites)
sets <- list(pbc_trt = list(d = subset(pbc, !is.na(trt)), by = "trt"),
             pbc_stage = list(d = subset(pbc, !is.na(stage)), by = "stage"),
             small_trt = list(d = subset(pbc, !is.na(trt))[1:40, ], by = "trt"),
             small_stage = list(d = subset(pbc, !is.na(stage))[1:40, ], by = "stage"))
write.csv(pbc, file.path(out, "pbc.csv"), row.names = FALSE)
rows <- list()
for (name in names(sets)) {
  d <- sets[[name]]$d; by <- sets[[name]]$by
  write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  for (v in c("sex", "ascites", "edema", "stage", "spiders", "bili", "age", "albumin", "platelet")) {
    if (v == by) next
    x <- d[[v]]; g <- factor(d[[by]])
    if (is.factor(x) || is.character(x) || v %in% c("spiders")) {
      ok <- !is.na(x) & !is.na(g)
      tab <- table(g[ok], factor(x[ok]))
      e <- outer(rowSums(tab), colSums(tab)) / sum(tab)
      if (min(e) >= 5) { test <- "chisq"; p <- chisq.test(tab, correct = FALSE)$p.value }
      else { test <- "fisher"; p <- fisher.test(tab)$p.value }
    } else if (nlevels(g) == 2) { test <- "wilcox"; p <- wilcox.test(x ~ g)$p.value }
    else { test <- "kruskal"; p <- kruskal.test(x ~ g)$p.value }
    rows[[length(rows) + 1]] <- data.frame(set = name, variable = v, test = test, p = p)
  }
}
write.csv(do.call(rbind, rows), file.path(out, "tests.csv"), row.names = FALSE)

lung$event <- as.integer(lung$status == 2); veteran$event <- veteran$status
pbc2 <- subset(pbc, !is.na(trt)); pbc2$event <- as.integer(pbc2$status == 2)
write.csv(lung, file.path(out, "lung.csv"), row.names = FALSE)
write.csv(veteran, file.path(out, "veteran.csv"), row.names = FALSE)
write.csv(pbc2, file.path(out, "pbc2.csv"), row.names = FALSE)
surv <- list(); meds <- list()
spec <- list(lung = list(d = lung, g = "sex", t = c(180, 365, 730)),
             veteran = list(d = veteran, g = "celltype", t = c(30, 90, 180)),
             pbc2 = list(d = pbc2, g = "trt", t = c(1000, 2000, 3000)))
for (name in names(spec)) for (ct in c("log", "log-log", "plain")) {
  s <- spec[[name]]
  fit <- survfit(as.formula(paste("Surv(time, event) ~", s$g)), data = s$d, conf.type = ct)
  sm <- summary(fit, times = s$t)
  surv[[length(surv) + 1]] <- data.frame(set = name, conf = ct, group = sub(".*=", "", as.character(sm$strata)),
                                         time = sm$time, surv = sm$surv, lower = sm$lower, upper = sm$upper)
  q <- quantile(fit, 0.5)
  meds[[length(meds) + 1]] <- data.frame(set = name, conf = ct, group = sub(".*=", "", rownames(q$quantile)),
                                         median = q$quantile[, 1], lower = q$lower[, 1], upper = q$upper[, 1])
}
write.csv(do.call(rbind, surv), file.path(out, "surv.csv"), row.names = FALSE)
write.csv(do.call(rbind, meds), file.path(out, "medians.csv"), row.names = FALSE)
cox <- list()
for (name in c("lung", "pbc2")) {
  s <- spec[[name]]; d <- s$d; d$x <- as.integer(d[[s$g]] == max(d[[s$g]]))
  fit <- coxph(Surv(time, event) ~ x, data = d); ci <- exp(confint(fit))
  cox[[length(cox) + 1]] <- data.frame(set = name, hr = exp(coef(fit)), lower = ci[1], upper = ci[2],
                                       p = summary(fit)$coefficients[1, 5])
}
write.csv(do.call(rbind, cox), file.path(out, "cox.csv"), row.names = FALSE)
"""

TOL = 1e-6
TESTS = {"Pearson's Chi-squared test": "chisq", "Fisher's exact test": "fisher", "Wilcoxon rank sum test": "wilcox",
         "Kruskal-Wallis rank sum test": "kruskal"}


@pytest.fixture(scope="module")
def r_out(tmp_path_factory):
    if shutil.which("Rscript") is None:
        if os.environ.get("MYOSITIS_REQUIRE_R") == "1":
            pytest.fail("Rscript not found but MYOSITIS_REQUIRE_R=1")
        pytest.skip("Rscript not found")
    folder = tmp_path_factory.mktemp("r_tables")
    (folder / "run.R").write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(folder / "run.R"), str(folder)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return folder


def _read(folder, name):
    return pd.read_csv(folder / f"{name}.csv", index_col=False)


@pytest.mark.r
@pytest.mark.parametrize("dataset", ["pbc_trt", "pbc_stage", "small_trt", "small_stage"])
def test_table_one_tests_match_R(r_out, dataset):
    """R: gtsummary's default choice (min expected >= 5: chisq.test(correct = FALSE), else fisher.test;
    wilcox.test for 2 groups, kruskal.test for more) on survival::pbc and its first 40 patients."""
    d = _read(r_out, dataset)
    by = "trt" if dataset.endswith("trt") else "stage"
    ref = _read(r_out, "tests")
    ref = ref[ref["set"] == dataset].set_index("variable")
    types = {v: "categorical" for v in ("sex", "ascites", "edema", "stage", "spiders")}
    types.update({v: "continuous" for v in ("bili", "age", "albumin", "platelet")})
    t = tables.summary_table(d, by=by, variables=list(ref.index), types=types)
    ours = t.stats.set_index("variable")
    assert [TESTS[x] for x in ours.loc[ref.index, "test"]] == list(ref["test"])
    for v, row in ref.iterrows():
        exact = row["test"] == "fisher"
        np.testing.assert_allclose(ours.loc[v, "p_value"], row["p"], rtol=1e-9 if exact else 1e-6,
                                   atol=0 if exact else 1e-12, err_msg=f"{dataset} {v} {row['test']}")


@pytest.mark.r
def test_r_cases_cover_every_test(r_out):
    """The R cases exercise each choice, including Fisher on tables larger than 2 x 2 (edema 3 levels, stage 4)."""
    ref = _read(r_out, "tests")
    assert set(ref["test"]) == {"chisq", "fisher", "wilcox", "kruskal"}
    assert set(ref.loc[ref["test"] == "fisher", "variable"]) & {"edema", "stage"}


@pytest.mark.r
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize("dataset,group,times", [("lung", "sex", [180, 365, 730]),
                                                 ("veteran", "celltype", [30, 90, 180]),
                                                 ("pbc2", "trt", [1000, 2000, 3000])])
def test_survival_table_matches_R(r_out, dataset, group, times, conf_type):
    """R: summary(survfit(Surv(time, event) ~ g, d, conf.type = ct), times = tt) and quantile(fit, 0.5)"""
    d = _read(r_out, dataset)
    t = tables.survival_table(d, times, group=group, conf_type=conf_type)
    ref = _read(r_out, "surv")
    ref = ref[(ref["set"] == dataset) & (ref["conf"] == conf_type)]
    st = t.stats[t.stats["what"] == "survival"].copy()
    st["group"] = st["group"].astype(str)
    merged = st.merge(ref.assign(group=ref["group"].astype(str)), on=["group", "time"], how="inner")
    assert len(merged) == len(ref) > 0
    for a, b in [("estimate", "surv"), ("lower_x", "lower_y"), ("upper_x", "upper_y")]:
        np.testing.assert_allclose(merged[a], merged[b], atol=TOL, rtol=0)
    med = tables.median_ci(d, group=group, conf_type=conf_type)
    med["group"] = med["group"].astype(str)
    rm = _read(r_out, "medians")
    rm = rm[(rm["set"] == dataset) & (rm["conf"] == conf_type)].assign(group=lambda x: x["group"].astype(str))
    both = med.merge(rm, on="group", suffixes=("", "_r"))
    assert len(both) == len(rm)
    for c in ("median", "lower", "upper"):
        np.testing.assert_allclose(both[c], both[f"{c}_r"], atol=TOL, rtol=0, equal_nan=True, err_msg=c)


@pytest.mark.r
@pytest.mark.parametrize("dataset,group", [("lung", "sex"), ("pbc2", "trt")])
def test_cox_table_matches_R(r_out, dataset, group):
    """R: coxph(Surv(time, event) ~ I(g == max(g)), d); exp(confint(fit)); summary(fit)$coefficients[, 5]"""
    d = _read(r_out, dataset)
    hr = survival.cox_hr(d, group=group, reference=int(d[group].min()))
    t = tables.from_cox(hr, group=group, labels={group: "Group"})
    ref = _read(r_out, "cox").set_index("set").loc[dataset]
    s = t.stats.iloc[0]
    np.testing.assert_allclose([s["estimate"], s["lower"], s["upper"], s["p_value"]],
                               [ref["hr"], ref["lower"], ref["upper"], ref["p"]], rtol=1e-6)
    assert list(t.body.iloc[:, 0]) == ["Group", str(int(d[group].min())), str(int(d[group].max()))]
    assert t.body.iloc[1, 1] == "—"  # the reference level is shown, without an estimate


#: gtsummary 2.1.0 style_pvalue() and cards::round5(), transcribed in base R (gtsummary is not installed here):
#: the branches, the round5 rule and format(nsmall = d) printing are R's, run by R.
R_STYLE_PVALUE = r"""
round5 <- function(x, digits = 0) sign(x) * trunc(abs(x) * 10^digits + 0.5 + sqrt(.Machine$double.eps)) / 10^digits
style_number <- function(x, digits) format(round5(x, digits), nsmall = digits, scientific = FALSE, trim = TRUE)
style_pvalue <- function(x, digits) {
  if (is.na(x) || x > 1 + 1e-15 || x < 0 - 1e-15) return(NA_character_)
  big <- c(0.9, 0.99, 0.999)[digits]
  if (x > big) return(paste0(">", style_number(big, digits)))
  if (digits == 1 && round5(x, 1) >= 0.2) return(style_number(x, 1))
  if (digits <= 2 && round5(x, 2) >= 0.1) return(style_number(x, 2))
  if (x >= 0.001) return(style_number(x, 3))
  paste0("<", style_number(0.001, 3))
}
p <- as.numeric(strsplit(commandArgs(TRUE)[1], ",")[[1]])
for (d in 1:3) for (x in p) cat(d, sprintf("%.17g", x), style_pvalue(x, d), "\n")
"""

P_BOUNDARIES = [1.0, 0.999, 0.9991, 0.995, 0.99, 0.9901, 0.95, 0.9, 0.90001, 0.5, 0.25, 0.2, 0.197, 0.1949,
                0.15, 0.125, 0.12, 0.1, 0.0999, 0.0995, 0.09949, 0.09995, 0.0994, 0.06, 0.05, 0.0305, 0.0015,
                0.0010001, 0.001, 0.00099, 0.0002, 2e-5, 0.0]


@pytest.mark.r
def test_style_pvalue_matches_R_rules(tmp_path):
    """R: gtsummary::style_pvalue(p, digits = 1, 2, 3) on boundary values (its branches transcribed into base R,
    rounding and printing by R itself)."""
    if shutil.which("Rscript") is None:
        if os.environ.get("MYOSITIS_REQUIRE_R") == "1":
            pytest.fail("Rscript not found but MYOSITIS_REQUIRE_R=1")
        pytest.skip("Rscript not found")
    script = tmp_path / "pvalue.R"
    script.write_text(R_STYLE_PVALUE)
    proc = subprocess.run(["Rscript", str(script), ",".join(repr(p) for p in P_BOUNDARIES)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 3 * len(P_BOUNDARIES)
    for digits, x, text in lines:
        assert tables.format.style_pvalue(float(x), digits=int(digits)) == text, (digits, x, text)
