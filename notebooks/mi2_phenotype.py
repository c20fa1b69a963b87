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
# # Anti-Mi2 dermatomyositis: a more muscular phenotype?
#
# **Question.** In a cohort of dermatomyositis (DM) with and without anti-Mi2 antibodies, antisynthetase
# syndrome (ASyS) and immune-mediated necrotising myopathy (IMNM), is anti-Mi2 DM more muscular (weakness at
# onset and during follow-up, CK, necrosis on biopsy) and less systemic (ILD, calcinosis, fever) than DM
# without anti-Mi2; how does strength evolve under treatment; does the anti-Mi2 titre follow CK and
# strength; and what happens to the titre over 4 years or more?
#
# **Methods.** The patients and visits files are read and validated (every problem listed), then: the
# cohort beside the published figures of Pinal-Fernandez et al. (*Neurology* 2019), Table 1, odds ratios of the
# clinical features (Mi2+ vs Mi2− DM), a linear mixed model of strength over time, repeated-measures
# correlations of the titre with CK and strength, and the titre course of patients followed over several years.
# With `patients_file` empty the notebook analyses its demonstration cohort; set `patients_file` and
# `visits_file` (CSV or Excel, French formats and headers accepted) to analyse a cohort. What was analysed is
# stated in the box below, computed from the files themselves (kind of data, SHA-256 of each file, patients).

# %% tags=["parameters"]
patients_file: str = ""  # empty: the demonstration cohort; else a patients table (CSV/Excel)
visits_file: str = ""  # the visits table that goes with patients_file
seed: int = 20191001  # seed of the demonstration cohort (unused when patients_file is set)
processed_dir: str = "data/processed/interactive/mi2_phenotype"  # where the demonstration cohort is written (the batch: data/processed/<output>)
output_dir: str = "reports/interactive/mi2_phenotype"
titre_cutoff_au: float = 20.0  # anti-Mi2 positivity cut-off (arbitrary units)
long_follow_up_years: float = 4.0  # titres measured over at least this long
model_years: float = 2.0  # mixed model on the first years after the first visit (treatment phase)

# %%
import pandas as pd

from IPython.display import Markdown

from myositis import io, manuscript, mi2, mi2_report, paths, provenance, tables, validation
from myositis.figures import mi2 as mi2_figures
from myositis.figures import style

style.use()
pd.set_option("display.max_colwidth", 90)
pd.set_option("display.width", 200)
pd.set_option("display.precision", 3)
out = paths.output_dir(output_dir)
patients_path, visits_path, _ = mi2.cohort_files(patients_file, visits_file, seed, processed_dir)
cohort = mi2.load_cohort(patients_path, visits_path)
patients, visits = cohort.patients, cohort.visits
prov = provenance.of_run("mi2_phenotype", [patients_path, visits_path], n_patients=len(patients),
                         parameters={"patients_file": patients_file, "visits_file": visits_file, "seed": seed,
                                     "titre_cutoff_au": titre_cutoff_au, "long_follow_up_years": long_follow_up_years,
                                     "model_years": model_years},
                         recognise=mi2.generator_of, generator_parameters=["seed"])
synthetic = prov.synthetic  # from the files' content (a generator's output, whatever its seed), not their names
record = prov.write(out)
print("\n".join(cohort.read_as))

# %%
Markdown(prov.box() + "\n" + mi2_report.data_text(prov, cohort) + "\n" + mi2_report.analysable_text(cohort))

# %% [markdown]
# ## Published figures vs this cohort
# The published figures (read from `data/raw/published/mi2.yaml`) beside the same quantity in the cohort
# analysed; the text above the table says how to read it for these data. Published p-values are shown beside
# this cohort's p by Fisher's exact test (the abstract does not name the test behind its p-values; see below).
# Exported as `published_vs_cohort.csv`.

# %%
check = mi2.target_check(patients, visits)
saved = io.write_csv(mi2_report.published_vs_cohort(prov, check), out / "published_vs_cohort.csv")
Markdown(mi2_report.comparison_text(prov, check))

# %%
mi2_report.published_table(prov, check)

# %%
mi2_report.assumptions_table(prov, check)

# %% [markdown]
# ## Validation report
# Every problem found in the two files, one line each (file, row, field, value, rule, severity). *error*: the
# row is excluded from the analysis (listed below with its reason); *warning*: the cell is set missing or
# reported and the row is kept. The full report is written as CSV for the data manager.

# %%
report = io.write_csv(cohort.issues, out / "validation_report.csv")
print(f"{len(cohort.issues)} issues written to {paths.relative(report)}")
tables.from_frame(cohort.flow(), index="Table", title="Rows received, excluded and analysed")

# %%
tables.from_frame(validation.summarise(cohort.issues), labels={"severity": "Severity", "rule": "Rule"},
                  title="Problems by rule", empty="No problem found in the files.")

# %%
tables.from_frame(cohort.excluded, title="Rows excluded, each with its reason", empty="No row excluded.")

# %% [markdown]
# ## Table 1: the four groups
# n (%) of the patients with a value (missing values in an *Unknown* row, not in the percentages); median
# (Q1, Q3) for age, CK and follow-up; tests as R's gtsummary `add_p()` chooses them: chi-square when every
# expected count is at least 5, Fisher's exact test otherwise (any table size), Kruskal–Wallis for continuous
# variables. Exported to CSV, HTML, Word and LaTeX in the run's output folder.

# %%
table1_data = mi2.table_one_data(patients)
table1 = tables.summary_table(table1_data, by="group", order={"group": list(mi2.GROUPS)}, overall=True,
                              title="Patient characteristics by group")
saved = prov.annotate(tables.export(table1, out, "table1_four_groups"))
ms = manuscript.Manuscript("Anti-Mi2 dermatomyositis phenotype",
                           data_note=prov.summary(),
                           abbreviations={"CK": "creatine kinase", "CI": "confidence interval",
                                          "DM": "dermatomyositis", "ASyS": "antisynthetase syndrome",
                                          "IMNM": "immune-mediated necrotising myopathy", "IU": "international units"})
ms.add_table(table1)
table1

# %% [markdown]
# ## Table 1: Mi2+ vs Mi2− DM
# The comparison of the paper: Wilcoxon rank-sum for the continuous variables, chi-square or Fisher's exact
# test for the others (the same rule).

# %%
dm = table1_data[table1_data["group"].isin(mi2.DM_GROUPS)]
table1_dm = tables.summary_table(dm, by="group", order={"group": list(mi2.DM_GROUPS)},
                                 title="Patient characteristics, Mi2+ vs Mi2− DM")
saved = prov.annotate(tables.export(table1_dm, out, "table1_mi2_dm"))
ms.add_table(table1_dm)
table1_dm

# %% [markdown]
# ## Odds ratios, Mi2+ vs Mi2− DM
# Odds ratio of each clinical feature with its 95 % CI (Woolf), Fisher's exact p; a 0.5 correction
# (Haldane) when a cell is zero. The table is the data of the forest plot.

# %%
ors = mi2.odds_ratios(patients)
ax = mi2_figures.plot_forest(ors, synthetic=synthetic)
saved = style.save(ax.figure, out / "forest_odds_ratios", provenance=prov, show=True)
ms.add_figure(saved[0], "Odds ratios of clinical features, Mi2+ vs Mi2− DM (95% CI, log scale)",
              notes=["† Haldane correction (0.5 added to each cell of a table with a zero)."])
saved = io.write_csv(ors.reset_index(), out / "odds_ratios.csv")
or_table = tables.from_odds_ratios(ors, "Mi2+ DM", "Mi2− DM", title="Odds ratios, Mi2+ vs Mi2− DM")
ms.add_table(or_table)
or_table

# %% [markdown]
# ## Published p-values beside this cohort's
# A p-value depends on its test as much as on the counts, so each comparison names both: the abstract does
# not name the test behind its p-values; this cohort's p is given by Fisher's exact test (as in the odds-ratio
# table) and by the test Table 1 used for the same 2 × 2 table. The sentences are written from the results.

# %%
p_values = mi2.p_value_comparison(patients)
Markdown(mi2.p_value_text(p_values))

# %%
tables.from_frame(p_values.drop(columns="sentence"), pvalues=["published_p", "fisher_p", "table1_p"],
                  labels={"fact": "Published fact", "variable": "Variable", "published_p": "p in the paper",
                          "published_test": "Test in the paper", "fisher_p": "Fisher p", "table1_p": "Table 1 p",
                          "table1_test": "Table 1 test", "patients": "Patients"},
                  title="Published p-values beside this cohort's")

# %% [markdown]
# ## Strength over time
# Each patient's strength (Kendall scale, 10 = normal) over months since onset, with the group mean per
# 6-month period (the table below is the data of the thick lines).

# %%
means = mi2.strength_by_period(visits)
axes = mi2_figures.plot_spaghetti(visits, means, synthetic=synthetic)
saved = style.save(axes, out / "strength_spaghetti", provenance=prov, show=True)
ms.add_figure(saved[0], "Strength over time by group: each patient (thin) and the group mean per 6-month period")
tables.from_frame(means, index="Months", digits=2, title="Mean strength per 6-month period, by group")

# %% [markdown]
# A linear mixed model (statsmodels `mixedlm`, REML) of strength on time × group, with a random intercept
# and slope per patient, over the treatment phase (the first `model_years` after the first visit), Mi2− DM
# as reference. The sentence below is computed from the fit.

# %%
model = mi2.strength_model(visits, max_years=model_years)
print(model.sentence())
print(f"model converged: {model.converged}")
model_table = tables.regression_table(
    model.fixed, measure="Beta", p_value="p", labels={"group": "Group", "years": "Years since onset"},
    title="Strength (Kendall points): fixed effects of the linear mixed model",
    note=f"{model.n_visits} visits of {model.n_patients} patients; random {model.random} per patient; REML")
ms.add_table(model_table)
model_table

# %% [markdown]
# ## Anti-Mi2 titre, CK and strength
# Repeated-measures correlation (Bakdash & Marusich 2017) over the visits of Mi2+ DM patients: the
# association within patients over time, on log10 titre and log10 CK. The paper reports p < 0.001 without
# coefficients.

# %%
correlations = mi2.titre_correlations(visits)
axes = mi2_figures.plot_titre_scatter(visits, correlations, synthetic=synthetic)
saved = style.save(axes, out / "titre_scatter", provenance=prov, show=True)
ms.add_figure(saved[0], "Anti-Mi2 titre against CK and strength, all visits (log scales); r: repeated-measures "
              "correlation")
titre_table = tables.from_frame(correlations, index="Pair", pvalues=["p"], digits={"r": 2},
                                labels={"dof": "Degrees of freedom", "patients": "Patients", "visits": "Visits"},
                                ci={"r (95% CI)": ("r", "ci_low", "ci_high")},
                                title="Repeated-measures correlation of the anti-Mi2 titre with CK and strength")
ms.add_table(titre_table, notes=["Repeated-measures correlation (Bakdash & Marusich 2017), one slope per patient."])
titre_table

# %% [markdown]
# ## Patients with titres over 4 years or more
# Titre trajectories of the Mi2+ DM patients with titres measured over at least `long_follow_up_years`; a
# cross marks the visit from which the titre stays below the cut-off (negativation); thick lines are the
# patients who stopped immunosuppression.

# %%
long = mi2.long_follow_up(patients, visits, years=long_follow_up_years, cutoff=titre_cutoff_au)
ax = mi2_figures.plot_titre_trajectories(visits, long, cutoff=titre_cutoff_au, synthetic=synthetic)
saved = style.save(ax.figure, out / "titre_trajectories", provenance=prov, show=True)
ms.add_figure(saved[0], "Anti-Mi2 titre over time, patients with titres over at least "
              f"{long_follow_up_years:g} years")
print(f"{len(long)} patients; titre declined in {long['declined'].sum()}, negative at last visit in "
      f"{long['negative'].sum()}; of these, {(long['negative'] & (long['treatment_stopped'] == True)).sum()} "
      f"stopped treatment, relapses after stopping: {(long['relapse_after_stop'] == True).sum()}")
tables.from_frame(long, digits=1, labels=mi2.LONG_FOLLOW_UP_LABELS, title="Patients with titres measured over 4 years or more",
                  empty="No patient with titres over 4 years or more.")

# %% [markdown]
# ## Findings, conclusion and limits
# Written from this run's results (the odds ratios, the mixed model, the correlations and the long follow-up
# above), so that they describe the data analysed, whatever they are.

# %%
Markdown("\n".join([mi2_report.findings_text(prov, ors, model, correlations, long, years=long_follow_up_years),
                     mi2_report.conclusion_text(prov, ors, check, model),
                     mi2_report.limits_text(prov, cohort, ors, model)]))

# %% [markdown]
# **Provenance.** The box at the top (and `provenance.json` in `output_dir`, with the date of the run) names
# the files analysed and their SHA-256. Published figures: `data/raw/published/mi2.yaml` (Pinal-Fernandez 2019;
# Landon-Cardinal 2016 ACR abstract). Outputs in
# `output_dir`: `published_vs_cohort.csv`, `validation_report.csv`, `table1_*.csv/.html/.docx/.tex`, `odds_ratios.csv`,
# `manuscript.docx` and the figures (PNG, PDF, SVG).

# %% [markdown]
# The tables and figures above, numbered, with their captions and footnotes, in one Word document
# (`manuscript.docx` in `output_dir`) to paste into a paper.

# %%
ms.write(out / "manuscript.docx")
ms.contents()

# %%
# NBVAL_IGNORE_OUTPUT
from myositis import reporting

reporting.versions()
