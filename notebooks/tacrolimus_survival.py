# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: myositis (.venv)
#     language: python
#     name: myositis
# ---

# %% [markdown]
# # Survival comparison from published figures
#
# A comparison of survival between cohorts that exist only as published figures: the title, the question, the
# cohorts and the comparisons are parameters (`params/tacrolimus_survival/*.yaml`): the default parameters analyse
# tacrolimus in anti-MDA5 DM-ILD from published landmark figures; `veteran_digitised.yaml` shows two arms digitised
# from a Kaplan-Meier figure.
#
# **Methods.** Each cohort is rebuilt as patient-level data from what the paper gives: n and survival percentages
# at landmarks (many datasets consistent with the rounded figures are drawn), a digitised Kaplan-Meier curve with
# its numbers at risk (Guyot et al. 2012), or a digitised curve with only n and the total number of events.
# Survival is estimated by Kaplan-Meier with Greenwood variance (log-log intervals), tests are the log-rank and a
# two-group Cox model (Efron ties); these functions agree with R's `survival` package to 1e-6
# (`tests/test_survival_estimation.py`). Every comparison is repeated over the reconstructions: the share of them
# that is significant and the range of hazard ratios say how robust a conclusion is to what the paper does not say.

# %% tags=["parameters"]
title = None  # None: the study's title when its own cohorts are analysed, else built from the comparisons
question = None  # None: the study's question, else built from the comparisons
cohorts_file: str = "data/raw/published/tacrolimus.yaml"  # published facts named by id below ("" if none)
cohorts: dict = {  # label -> {"n", "survival": {time: fact id or %}} or {"curve", "at_risk" | "n" + "total_events"}
    "GC+TAC+CYC (Tsuji 2020)": {"n": "tsuji_triple_n",
                                "survival": {6: "tsuji_triple_surv6", 12: "tsuji_triple_surv12"}},
    "Historical step-up (Tsuji 2020)": {"n": "tsuji_hist_n",
                                        "survival": {6: "tsuji_hist_surv6", 12: "tsuji_hist_surv12"}},
    "Historical GC+CsA+CYC (Tsuji 2020)": {"n": "tsuji_csa_n", "survival": {}},
}
comparisons: dict = {"Triple therapy vs step-up": ["GC+TAC+CYC (Tsuji 2020)", "Historical step-up (Tsuji 2020)"]}
published_p = None  # comparison -> published p bound (fact id or number); None: the study's, for its own cohorts
time_unit: str = "months"
landmarks: list = [6, 12]
follow_up: float = 12.0
at_risk_every: float = 2.0  # spacing of the at-risk table under the figure
losses = None  # patients lost before the last landmark in each landmark cohort; None: the smallest consistent number
rounding: str = "round"  # "round" or "truncate": how the published percentages were derived from the KM estimate
draws: int = 2000  # reconstructions of each landmark cohort
digitised_draws: int = 200  # reconstructions of each digitised cohort (jitter x censoring pattern)
seed: int = 20200101
reference_draw: int = 0
alpha: float = 0.05
sensitivity_losses: list = [None, 0, 1, 2, 3]  # numbers of losses tried in the sensitivity analysis (None: smallest)
sensitivity_roundings: list = ["round", "truncate"]
sensitivity_landmarks: dict = {"6 and 12 months": [6, 12], "6 months only (verified figures)": [6]}
sensitivity_draws: int = 500  # draws per combination of the sensitivity analysis
figure_title = None  # None: the study's figure title for its own cohorts, else "Reconstructed data: <cohorts>"
single_arm = None  # a single-arm trial {"label", "survival", "n", ...} ({}: none); None: the study's, for its own cohorts
limits = None  # list of limits; None: those the facts file attaches to the facts used (the limits of reconstruction
# are always added)
output_dir: str = "reports/interactive/tacrolimus_survival"
processed_dir: str = "data/processed/interactive/tacrolimus_survival"  # the batch: data/processed/<output>

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown

from myositis import io, manuscript, paths, provenance, published, results, survival, tables
from myositis.figures import km, style
from myositis.survival import comparison, single_arm as single, text

style.use()
pd.set_option("display.precision", 4)
pd.set_option("display.width", 160)
out = paths.output_dir(output_dir)
processed = paths.output_dir(processed_dir)
comparison.check_comparisons(comparisons, cohorts)
study = text.study_texts(cohorts_file, cohorts, comparisons, title=title, question=question, figure_title=figure_title,
                         limits=limits, single_arm=single_arm, published_p=published_p)
title, question, figure_title = study["title"], study["question"], study["figure_title"]
limits, single_arm, published_p = study["limits"], study["single_arm"], study["published_p"]
landmark_specs, digitised_specs = comparison.split_cohorts(cohorts)
facts = published.load_facts(paths.resolve(cohorts_file)) if cohorts_file else None
landmark_table = survival.published_landmarks(facts, landmark_specs)
p_bounds = comparison.published_p_bounds(facts, published_p)
run = provenance.of_run("tacrolimus_survival",  # the facts file is an input only if a fact of it is used
                        survival.input_files(cohorts_file if study["facts_used"] else "", digitised_specs),
                        n_patients=comparison.patients(landmark_table, digitised_specs), kind="reconstructed",
                        parameters={"cohorts": list(cohorts), "comparisons": comparisons, "losses": losses,
                                    "rounding": rounding, "draws": draws, "seed": seed})
run.write(out)
Markdown(f"## {title}\n\n**Question.** {question}\n\n" + run.box())

# %% [markdown]
# ## Published figures
# What the papers give for the cohorts defined by landmark percentages. `verified` is False for figures not read in
# the publication itself (see the facts file) and for numbers typed in the parameters. A cohort without any survival
# figure cannot be reconstructed: only what was reported about it can be quoted.

# %%
tables.from_frame(landmark_table[["cohort", "n", "time", "published_pct", "verified", "reconstructable", "note"]],
                  labels={"cohort": "Cohort", "time": f"Time ({time_unit})", "published_pct": "Published survival %",
                          "verified": "Read in the publication", "reconstructable": "Reconstructable",
                          "note": "Note"}, title="Published figures of the cohorts",
                  empty="No cohort given as published landmark percentages in these parameters.")

# %% [markdown]
# ## 1. Reconstruct each cohort
# *Landmark cohorts*: every dataset of n patients whose Kaplan-Meier survival gives the published percentage at each
# landmark, drawn many times (`survival.landmark_reconstructions`): deaths and losses to follow-up placed uniformly
# within the intervals between landmarks, survivors censored at the end of follow-up. Two things papers rarely say
# are parameters: `rounding` (were the percentages rounded or truncated?) and `losses` (how many patients were lost
# before the last landmark; by default the smallest number consistent with the figures). Section 4 repeats the
# comparison over both.
#
# *Digitised cohorts*: the Guyot et al. (2012) algorithm rebuilds the patients from the digitised curve and its
# numbers at risk (or from n and the total number of events); the robustness draws repeat it with every digitised
# point moved within its reading tolerance and the censorings placed at random within each at-risk interval.

# %%
reconstructions = survival.reconstruct_cohorts(landmark_table, draws=draws, seed=seed, follow_up=follow_up,
                                               lost_to_follow_up=losses, rounding=rounding)
reconstructions.update(comparison.reconstruct_digitised_cohorts(digitised_specs, draws=digitised_draws, seed=seed))
tables.from_frame(comparison.reconstruction_overview(reconstructions),
                  labels={"cohort": "Cohort", "kind": "Kind", "draws": "Draws", "deaths_min": "Deaths (fewest)",
                          "deaths_max": "Deaths (most)", "lost_before_last_landmark": "Lost before the last landmark",
                          "percentages": "Percentages read as", "acceptance": "Share of draws accepted"},
                  title="Reconstructions of each cohort")

# %% [markdown]
# ### Checks of the digitised cohorts
# n stated against the at-risk table, and how closely the rebuilt curve follows the digitised points (largest gap,
# root mean square error and Kolmogorov-Smirnov distance, as IPDfromKM reports them; a gap above 0.02 is flagged),
# and the rebuilt survival against any percentage stated for the same cohort. (Empty without digitised cohorts.)

# %%
checks = comparison.digitised_checks({k: reconstructions[k] for k in digitised_specs}, digitised_specs)
tables.from_frame(checks, labels={"cohort": "Cohort", "kind": "Kind", "n_stated": "n stated",
                                  "n_reconstructed": "n rebuilt", "events": "Events", "points": "Points",
                                  "max_gap": "Largest gap", "rmse": "RMSE", "ks": "KS distance",
                                  "landmarks_checked": "Landmarks checked", "warning": "Warning",
                                  "cleaning": "Cleaning"},
                  title="Checks of the digitised cohorts",
                  empty="No digitised cohort in these parameters: nothing to check.")

# %% [markdown]
# ## 2. Kaplan-Meier curves of the reconstructed cohorts
# One reference dataset per cohort (a landmark cohort's draw `reference_draw`, any other being equally consistent
# with the paper; a digitised cohort's reconstruction of the points as read), with numbers at risk. Its
# patient-level data are written to `reference_draw.csv` in the processed folder.

# %%
reference = comparison.reference_data(reconstructions, draw=reference_draw)
io.write_csv(reference, processed / "reference_draw.csv")
ax = survival.plot_km(reference, group="group", landmarks=landmarks, break_time=at_risk_every, xmax=follow_up,
                      title=figure_title, conf_type="log-log", xlabel=f"Time ({time_unit})")
km_files = style.save(ax.figure, out / "km_reconstructed", provenance=run, show=True)
tables.from_frame(survival.at_risk_table(reference, np.arange(0, follow_up + 1e-9, at_risk_every), group="group"),
                  index="Cohort", title=f"Number at risk ({time_unit} from the start of follow-up)")

# %% [markdown]
# ## 3. Survival at the landmarks: reconstructed next to published
# Kaplan-Meier estimate and 95 % log-log interval of the reference data beside the published percentage. By
# construction every draw of a landmark cohort gives the published figure (rounded or truncated, as `rounding`
# says); the interval shows how little a small cohort tells.

# %%
estimates = survival.survival_at(reference, landmarks, group="group", conf_type="log-log")
landmark_comparison = tables.from_frame(
    comparison.compare_with_published(estimates, landmark_table),
    labels={"cohort": "Cohort", "time": f"Time ({time_unit})", "published_pct": "Published %",
            "verified": "Read in the publication", "n_risk": "At risk", "note": "Note"},
    ci={"Reconstructed % (95% CI)": ("reconstructed_pct", "lower_pct", "upper_pct")},
    digits={"reconstructed_pct": 1}, title="Survival at the landmarks: reconstructed beside published",
    footnotes=["Kaplan-Meier estimate of the reference data, 95% CI on the log-log scale."])
landmark_comparison

# %% [markdown]
# The same numbers as a table for a paper (R gtsummary's `tbl_survfit` layout), with the median survival and its
# Brookmeyer–Crowley interval on the same log-log scale; exported to CSV, HTML, Word and LaTeX.

# %%
survival_table = tables.survival_table(reference, landmarks, group="group", conf_type="log-log",
                                       time_label="{t:g} " + time_unit, time_unit=time_unit,
                                       group_title="Cohort (reference data)",
                                       title="Reconstructed data: survival at the landmarks and median survival")
saved = run.annotate(tables.export(survival_table, out, "survival_table"))
survival_table

# %% [markdown]
# How large are the differences at the first landmark? Computed, never quoted: from the published percentages when
# there are some, else from the reconstructed curves.

# %%
ratio_text = text.ratio_sentences(estimates, landmark_table, comparisons, landmarks[0], time_unit)
Markdown(ratio_text)

# %% [markdown]
# ## 4. Comparisons
# Log-rank test and Cox hazard ratio (first cohort vs second) on the reference data, then on every pair of draws:
# if "significant" held only for some reconstructions, the published comparison would be fragile.

# %%
reference_tests = tables.from_frame(
    comparison.reference_tests(reference, comparisons), pvalues=["p_logrank", "p_cox"],
    labels={"comparison": "Comparison", "cohorts": "Cohorts", "chisq": "Log-rank χ²", "p_logrank": "Log-rank p",
            "p_cox": "Cox p"}, ci={"HR (95% CI)": ("hr", "lower", "upper")}, digits={"hr": 2, "chisq": 1},
    title="Log-rank test and Cox hazard ratio on the reference data")
reference_tests

# %%
robust, per_draw = comparison.robustness_table(reconstructions, comparisons, alpha=alpha, published_p=p_bounds)
main = list(comparisons)[0]  # the figure shows the first comparison
fig = km.plot_reconstruction_spread(per_draw[main], comparison=main, alpha=alpha, published_p=p_bounds.get(main))
spread_files = style.save(fig, out / "reconstruction_spread", provenance=run, show=True)
results.record("share_significant", robust["share_significant"].iloc[0], output_dir)  # first comparison, for sweeps
results.record("hr_min", robust["hr_min"].iloc[0], output_dir)
results.record("hr_max", robust["hr_max"].iloc[0], output_dir)
results.record("p_max", robust["p_max"].iloc[0], output_dir)
robust_table = tables.from_frame(
    robust, pvalues=["p_median", "p_max"],
    labels={"comparison": "Comparison", "draws": "Pairs of draws", "share_significant": "Share significant",
            "p_median": "Median p", "p_max": "Largest p", "hr_min": "HR, lowest", "hr_median": "HR, median",
            "hr_max": "HR, highest", "share_hr_upper_below_1": "Share with HR upper bound < 1",
            "share_below_published_p": "Share below the published p"},
    title="The comparison over every consistent reconstruction")
robust_table

# %%
findings = text.findings(robust, per_draw, reconstructions, comparisons, alpha, p_bounds, time_unit)
Markdown(findings)

# %% [markdown]
# ### Sensitivity analysis: losses to follow-up × rounding or truncation
# For comparisons between two landmark cohorts, the reconstructions above share one set of assumptions. Here each
# is repeated for each number of patients lost before the last landmark (the same number in each cohort;
# "smallest" = the fewest consistent with each cohort's figures), with the published percentages read as rounded
# or as truncated, and with the landmark sets of `sensitivity_landmarks`. Combinations that no dataset can satisfy
# are listed with the reason. (For the default: if 89 % was truncated, 26/29 = 89.7 % fits, i.e. 3 deaths and no
# loss at 6 months.)

# %%
sensitivity = comparison.sensitivity(landmark_table, comparisons, losses=sensitivity_losses,
                                     roundings=sensitivity_roundings, landmark_sets=sensitivity_landmarks,
                                     draws=sensitivity_draws, seed=seed, follow_up=follow_up, alpha=alpha)
io.write_csv(sensitivity, processed / "sensitivity.csv")
sensitivity_table = tables.from_frame(
    sensitivity, pvalues=["p_max"],
    labels={"comparison": "Comparison", "landmarks": "Landmarks", "rounding": "Percentages", "losses": "Lost",
            "lost_treated": "Lost, first cohort", "lost_control": "Lost, second cohort",
            "deaths_treated": "Deaths, first cohort", "deaths_control": "Deaths, second cohort", "draws": "Draws",
            "share_significant": "Share significant", "p_max": "Largest p", "hr_min": "HR, lowest",
            "hr_max": "HR, highest", "status": "Status"},
    title="Sensitivity analysis: losses to follow-up × rounding")
sensitivity_table

# %%
sensitivity_text = text.sensitivity_findings(sensitivity, alpha)
Markdown(sensitivity_text)

# %% [markdown]
# Cohorts that cannot be tested (no survival figure): nothing is invented for them.

# %%
tables.from_frame(landmark_table.loc[~landmark_table["reconstructable"], ["cohort", "n", "note"]],
                  labels={"cohort": "Cohort", "note": "Note"}, title="Cohorts that cannot be tested",
                  empty="Every cohort has a published survival figure: all were reconstructed.")

# %% [markdown]
# ## 5. Single-arm trial
# When `single_arm` names a trial reported as survival at one landmark: which whole counts match its figure, its
# interval recomputed beside the published one, and tests against a benchmark and historical controls. (Empty
# when `single_arm` is empty.)

# %%
trial = single.analyse(facts, single_arm, cohorts_file) if single_arm else {}
trial_counts = tables.from_frame(trial.get("counts"), labels=single.LABELS, title="Single-arm trial: whole counts matching the published "
                                 "percentage", empty="No single-arm trial in these parameters.")
trial_counts

# %%
trial_intervals = tables.from_frame(trial.get("intervals"), labels=single.LABELS, title="Single-arm trial: published interval and ours",
                                    empty="No single-arm trial in these parameters.")
trial_intervals

# %%
trial_tests = tables.from_frame(trial.get("tests"), pvalues=["p_value"], labels=single.LABELS,
                                title="Single-arm trial: tests against a benchmark and historical controls",
                                empty="No single-arm trial in these parameters.")
trial_tests

# %%
tables.from_frame(trial.get("other_counts"), labels=single.LABELS, title="Single-arm trial: nearby counts that do not match",
                  empty="No single-arm trial in these parameters.")

# %%
Markdown(trial.get("text", "No single-arm trial in these parameters."))

# %% [markdown]
# ## Conclusion
# Generated from the results above: it changes with the cohorts and the assumptions. A reconstruction does not
# make a difference causal; quote its direction and size, not an exact p.

# %%
Markdown(text.conclusion(findings, sensitivity_text, ratio_text, trial.get("text", ""), limits, checks))

# %%
publications = tables.from_frame(published.citations(facts, study["facts_used"]) if facts is not None else None,
                                 labels=published.CITATION_LABELS, title="Publications the cohorts come from",
                                 empty="No publication: every cohort was given in the parameters.")
publications

# %% [markdown]
# The tables and figures of this run, numbered with captions and footnotes, in `manuscript.docx` (output folder);
# tables without rows for these parameters (e.g. no single-arm trial) are left out of it.

# %%
ms = manuscript.Manuscript(figure_title, data_note=run.summary(),
                           abbreviations={"CI": "confidence interval", "HR": "hazard ratio"})
ms.add_table(landmark_comparison)
ms.add_figure(km_files[0], figure_title + " (reference data)", notes=[km.caption("log-log")])
ms.add_table(survival_table)
ms.add_table(reference_tests)
ms.add_table(robust_table)
ms.add_figure(spread_files[0], f"Log-rank p and Cox HR over the consistent reconstructions, {main}")
ms.add_table(sensitivity_table)
ms.add_table(trial_counts)
ms.add_table(trial_intervals)
ms.add_table(trial_tests)
ms.add_table(publications)
ms.write(out / "manuscript.docx")
ms.contents()

# %%
# NBVAL_IGNORE_OUTPUT
from myositis import reporting

reporting.versions()
