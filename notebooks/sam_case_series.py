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
# # Macrophage activation syndrome complicating dermatomyositis: the case series from the eCRF
#
# **Question.** In a national call for cases of macrophage activation syndrome (MAS, *syndrome d'activation
# macrophagique*) complicating dermatomyositis (DM), diagnosed between 01/01/2010 and 01/10/2020 in France:
# what are the clinical, biological and immunological features of the DM, the features of the MAS, the
# treatments given and their efficacy, and how do patients fare after MAS onset?
#
# **Methods.** The export (REDCap raw or labels, the Excel template, or a centre's CSV) is read and validated
# (every problem listed, every exclusion with its reason), pseudonymised with a secret key before anything is
# written, then described: the DM, the MAS, the MAS scores, the treatment lines and survival from MAS onset. By
# default the notebook reads the project's demonstration export; set `crf_file` (a file in the git-ignored
# `data/private/`) and a pseudonymisation key to analyse a real series. What was analysed is stated in the box
# below, computed from the file itself (kind of data, SHA-256, cases).

# %% tags=["parameters"]
crf_file: str = "data/raw/sam_synthetic_series.csv"  # CRF export (REDCap raw/labels, Excel, CSV) or a folder of exports
answers_dir: str = ""  # folder of answered query workbooks: corrections applied on top of the raw exports
collection_start: str = "2021-01-04"  # first day of the call's collection (calendar of the dashboard)
collection_months: int = 6  # length of the collection (the call: six months)
reminder_months: int = 3  # reminder with the closing date (the call: at three months)
pseudonym_key_file: str = ""  # key file outside the repository, or set MYOSITIS_PSEUDONYM_KEY (never a key here)
processed_dir: str = "data/processed/interactive/sam_case_series"  # pseudonymised table for R / Excel (the batch: data/processed/<output>)
output_dir: str = "reports/interactive/sam_case_series"
landmarks_months: list = [6, 12]
swimmer_days: int = 365  # x-axis of the swimmer plot (days from MAS diagnosis)

# %%
import pandas as pd
from IPython.display import Markdown

from myositis import (io, manuscript, paths, provenance, reporting, results, sam, sam_report, scores, survival, tables,
                      validation)
from myositis.figures import km
from myositis.figures import sam as sam_figures
from myositis.figures import style

style.use()
pd.set_option("display.max_colwidth", 100)
pd.set_option("display.precision", 3)
out = paths.output_dir(output_dir)
answers = sam.corrections.read_answers(answers_dir)
cases, issues = sam.load_crf(crf_file, corrections=answers, require=True)
key = sam.pseudonym_key(crf_file, key_file=pseudonym_key_file)
cohort = sam.pseudonymise(cases, key)
analysed = sam.analysed(cohort)
prov = provenance.of_run("sam_case_series", sam.centres.export_files(crf_file), n_patients=len(analysed),
                         unit="cases",
                         parameters={"crf_file": crf_file, "answers_dir": answers_dir,
                                     "landmarks_months": landmarks_months, "swimmer_days": swimmer_days},
                         recognise=sam.generator_of)
synthetic = prov.synthetic  # from the file's content, not its name
record = prov.write(out)
print(f"read as: {cases.attrs['format']}")
print(f"pseudonymisation key: {'public demo key (synthetic data only)' if key == sam.DEMO_KEY.encode() else 'provided'}")

# %%
Markdown(prov.box() + "\n" + sam_report.data_text(prov, cases, sam.inclusion_flow(cases)))

# %% [markdown]
# ## Validation report
# Every problem found in the export, one line each (file, row, field, value, rule, severity); identifying
# values are masked. *error*: the case is excluded from analysis (or a column the analysis needs is absent);
# *warning*: the cell is set missing or is to be checked, and the case is kept. The full report is written
# as CSV for the data manager; the export itself is never modified.

# %%
report = io.write_csv(issues, out / "validation_report.csv")
print(f"{len(issues)} issues written to {paths.relative(report)}")
tables.from_frame(validation.summarise(issues), labels={"severity": "Severity", "rule": "Rule"},
                  title="Problems by rule", empty="No problem found in the export.")

# %%
tables.from_frame(issues[issues["row"].notna()], title="Problems found in the export, one per cell",
                  empty="No problem found in the export.")

# %% [markdown]
# ## The collection: centres, queries back to the clinicians, corrections
# Per centre: exports received and the date of the latest, cases received / valid / analysed, queries still
# open and answered, and how complete each section of the CRF is (questions asked of every case). The calendar
# comes from the parameters: the call runs six months with a reminder at three.

# %%
tables.from_frame(sam.dashboard.calendar(collection_start, collection_months, reminder_months),
                  title="Calendar of the call for cases")

# %%
queries_table = sam.queries.query_table(cases, issues)
books = sam.queries.write_query_workbooks(queries_table, out / "queries")
tables.from_frame(sam.dashboard.dashboard(cases, queries_table, answers), title="The collection by centre",
                  labels={"centre": "Centre", "exports": "Exports", "received": "Received", "valid": "Valid",
                          "analysed": "Analysed", "last_export": "Last export", "queries_answered": "Queries answered",
                          "queries_open": "Queries open"})

# %% [markdown]
# One query workbook per centre (French: record number, field, value received, rule, empty answer columns),
# holding only that centre's rows, identifiers masked. The centre's answers, read back from `answers_dir`, are
# applied on top of the raw exports (never modified); each correction is in the audit trail below, and an
# answer whose cell changed since (the centre re-exported) is reported *stale* and not applied.

# %%
print("\n".join(f"{paths.relative(b)}: {n} queries" for b, n in
                 zip(books, queries_table.groupby(queries_table["Centre"].replace("", "XXX")).size())))
tables.from_frame(sam.corrections.audit_trail(cases), title="Corrections applied (audit trail)",
                  empty="No correction applied (no answered query workbook in answers_dir).")

# %% [markdown]
# ## Inclusion flow
# Received rows → valid cases (not empty, MAS dated, dates possible, not a duplicate of another centre's case)
# → cases analysed (MAS diagnosed within the inclusion window of the call for cases). Nothing is dropped
# silently: each excluded row is listed with its reason.

# %%
flow = sam.inclusion_flow(cases)
tables.from_frame(flow, labels={"step": "Step", "detail": "Detail"}, title="Inclusion flow")

# %%
tables.from_frame(sam.exclusions(cases), labels={"row": "File line", "rule": "Rule", "reason": "Reason"},
                  title="Rows excluded, each with its reason", empty="No row excluded.")

# %%
ax = sam_figures.plot_inclusion_flow(flow, synthetic=synthetic)
saved_flow = style.save(ax.figure, out / "inclusion_flow", provenance=prov, show=True)

# %% [markdown]
# ## Pseudonymised data
# Only this table leaves memory: the recognition code becomes an HMAC-SHA256 pseudonym (keyed), the birth
# date becomes ages at DM diagnosis and at MAS, other dates become days from MAS onset, free text is dropped.
# It keeps every row with its exclusion reason, for analyses in R or Excel.

# %%
processed = sam.write_processed(cohort, processed_dir, synthetic=synthetic)
print(f"{len(cohort)} rows, {cohort.shape[1]} columns written to {paths.relative(processed)}")
print(f"{len(analysed)} cases analysed below")

# %% [markdown]
# ## The dermatomyositis: patients, antibodies, phenotype
# Table 1 of the analysed cases (tableone). A question left blank in the CRF is shown as *not reported*, a
# level of its own, never silently dropped from the denominator.

# %%
table1_data = sam.table_one_data(analysed)
table1 = tables.summary_table(table1_data, title="Characteristics of the analysed cases",
                              types={"age at MAS (years)": "continuous", "DM diagnosis to MAS (days)": "continuous",
                                     "CK (U/L)": "continuous"})
saved = prov.annotate(tables.export(table1, out, "table1"))
table1

# %% [markdown]
# Myositis-specific and -associated antibodies: each positive antibody over the patients with a result
# (a patient can have two, e.g. anti-MDA5 with anti-Ro52).

# %%
antibodies = tables.count_table(sam.checkbox_counts(analysed, "dm_antibodies"), label="Antibody",
                                title="Myositis-specific and -associated antibodies")
antibodies

# %% [markdown]
# Skin and muscle signs, and treatments of the DM received before the MAS.

# %%
dm_signs = tables.count_table({"Skin": sam.checkbox_counts(analysed, "dm_skin"),
                               "Muscle": sam.checkbox_counts(analysed, "dm_muscle"),
                               "Treatment of the DM before MAS": sam.checkbox_counts(analysed, "dm_treatments")},
                              label="Sign or treatment", title="Skin and muscle signs, treatments before the MAS")
dm_signs

# %% [markdown]
# ## The MAS: triggers, clinical and biological features
# Counts over patients with an answer (*known*); laboratory values at MAS diagnosis in the CRF unit (units
# written in cells were converted on ingestion: triglycerides mg/dL ÷ 88.57, fibrinogen mg/dL ÷ 100,
# ferritin µg/L = ng/mL).

# %%
triggers = tables.count_table(sam.checkbox_counts(analysed, "mas_trigger"), label="Trigger",
                              title="Triggers of the MAS")
triggers

# %%
mas_features = tables.count_table(
    sam.yes_no_counts(analysed, {"fever": "fever", "hepatomegaly": "hepatomegaly", "splenomegaly": "splenomegaly",
                                 "lymphadenopathy": "lymphadenopathy",
                                 "known_immunosuppression": "known immunosuppression",
                                 "marrow_haemophagocytosis": "haemophagocytosis on marrow aspirate"}),
    label="Feature", title="Clinical features of the MAS")
mas_features

# %%
labs = tables.from_frame(
    sam.lab_summary(analysed, {"max_temperature_c": "max temperature (°C)", "haemoglobin_g_dl": "haemoglobin (g/dL)",
                               "leukocytes_g_l": "leukocytes (G/L)", "neutrophils_g_l": "neutrophils (G/L)",
                               "platelets_g_l": "platelets (G/L)", "ferritin_ng_ml": "ferritin (ng/mL)",
                               "triglycerides_mmol_l": "triglycerides (mmol/L)", "fibrinogen_g_l": "fibrinogen (g/L)",
                               "ast_u_l": "AST (U/L)", "alt_u_l": "ALT (U/L)", "ldh_u_l": "LDH (U/L)",
                               "scd25_u_ml": "sCD25 (U/mL)"}),
    labels={"variable": "At MAS diagnosis", "known": "Known", "missing": "Missing", "min": "Min", "max": "Max"},
    ci={"Median (Q1, Q3)": ("median", "q1", "q3")}, digits="row", title="Laboratory values at MAS diagnosis")
labs

# %% [markdown]
# ## MAS scores per case
# HScore (Fardet 2014), HLH-2004 (Henter 2007) and the 2016 EULAR/ACR/PRINTO classification (Ravelli 2016)
# from the same CRF columns (`myositis.scores`). A missing item is not scored as absent: each score is given
# as the range from all missing items absent (*low*) to all present (*high*), and a criterion set is
# *undetermined* when the missing items could change the verdict. The 2016 criteria were built for systemic
# JIA: in adult DM they are a reference, not a validated classification.

# %%
case_scores = scores.score_table(analysed)
saved = io.write_csv(case_scores.assign(pseudonym=analysed["pseudonym"]), out / "scores.csv")
score_summary = tables.summary_table(
    case_scores[["hscore_low", "hscore_high", "hlh2004_met_low", "hlh2004_met_high"]].astype(float),
    types=dict.fromkeys(["hscore_low", "hscore_high", "hlh2004_met_low", "hlh2004_met_high"], "continuous"),
    labels={"hscore_low": "HScore, missing items absent", "hscore_high": "HScore, missing items present",
            "hlh2004_met_low": "HLH-2004 criteria met, missing absent",
            "hlh2004_met_high": "HLH-2004 criteria met, missing present"},
    digits={"hscore_low": 0, "hscore_high": 0, "hlh2004_met_low": 1, "hlh2004_met_high": 1},
    title="MAS scores of the analysed cases")
score_summary

# %%
verdict = {True: "yes", False: "no"}
criteria = tables.from_frame(pd.DataFrame({
    "HLH-2004 fulfilled (5 of 8)": case_scores["hlh2004_fulfilled"].map(verdict).fillna("undetermined").value_counts(),
    "MAS 2016 classified (sJIA criteria)": case_scores["mas2016_classified"].map(verdict).fillna(
        "undetermined").value_counts(),
    "HScore >= 169 (Fardet's cut-off) with missing items absent": (
        case_scores["hscore_low"] >= 169).map(verdict).value_counts(),
}).reindex(["yes", "no", "undetermined"]).fillna(0).astype(int), index="Verdict",
    title="Cases fulfilling each set of criteria", footnotes=[
        "Undetermined: the missing items could change the verdict. The 2016 criteria were built for systemic JIA."])
criteria

# %% [markdown]
# ## Treatment timeline
# One lane per analysed patient (P01, P02... in order of follow-up, not identifiers): each line of treatment of
# the MAS from its start to the next line (or the end of follow-up), coloured by its response; ICU admission,
# relapse, death or last follow-up. The table below is the data of the figure.

# %%
lines = sam.treatment_lines(analysed)
lanes = analysed[["pseudonym", "death", "icu_day", "relapse_day"]].assign(
    follow_up_days=sam.follow_up_days(analysed)).sort_values(["follow_up_days", "pseudonym"])
ax = sam_figures.plot_swimmer(lines, lanes, max_days=swimmer_days, synthetic=synthetic)
swimmer_files = style.save(ax.figure, out / "swimmer", provenance=prov, show=True)
tables.from_frame(lines.groupby("line").agg(patients=("pseudonym", "nunique"),
                                            median_start_day=("start_day", "median")),
                  index="Line", labels={"patients": "Patients", "median_start_day": "Median start (day from MAS)"},
                  title="Lines of treatment of the MAS")

# %%
responses = tables.from_frame(sam.response_by_line(lines), index="Line",
                              title="Response to each line of treatment (patients)")
responses

# %% [markdown]
# ## Response by first-line treatment
# The regimen of the first line (glucocorticoids alone, with methylprednisolone pulses, or combined) and the
# response the centre reported. With a handful of patients per regimen and regimens chosen by severity
# (confounding by indication), this table describes practice; it cannot rank treatments.

# %%
first_line = sam.first_line_response(analysed)
ax = sam_figures.plot_first_line_response(first_line, synthetic=synthetic)
first_line_files = style.save(ax.figure, out / "first_line_response", provenance=prov, show=True)
first_line_table = tables.from_frame(first_line, index="First-line regimen",
                                     title="Response by first-line regimen (patients)")
first_line_table

# %% [markdown]
# ## Outcome and survival from MAS onset
# ICU admission, relapse and death; Kaplan-Meier survival from MAS diagnosis to death (censored at last
# follow-up) with the number at risk, and survival at 6 and 12 months with 95 % confidence intervals
# (log-log).

# %%
outcomes = tables.count_table(sam.outcomes(analysed), label="Outcome", title="Outcomes after the MAS")
outcomes

# %%
surv = sam.survival_data(analysed)
print(f"{len(surv)} patients with known follow-up, {surv['event'].sum()} deaths; time unknown: {surv.attrs['unknown']}")
ax = survival.plot_km(surv, group=None, time="time_months", event="event", landmarks=landmarks_months,
                      break_time=6, xmax=24, title=style.synthetic_title("Survival from MAS diagnosis", synthetic),
                      xlabel="Months from MAS diagnosis", conf_type="log-log")
km_files = style.save(ax.figure, out / "survival", provenance=prov, show=True)
survival_table = tables.survival_table(surv, landmarks_months, time="time_months", event="event",
                                       conf_type="log-log", time_label="{t:g} months",
                                       title=style.synthetic_title("Survival from MAS diagnosis", synthetic))
saved = prov.annotate(tables.export(survival_table, out, "survival_table"))
landmarks = survival.survival_at(surv, landmarks_months, time="time_months", event="event")
key_results = sam_report.key_results(cases, analysed, landmarks, queries_table)  # recorded for sweep tables
recorded = {name: results.record(name, value, output_dir) for name, value in key_results.items()}
survival_table

# %% [markdown]
# ## The series beside the literature
# The series (first row) and the published MAS/HLH populations: n, age, anti-MDA5 share, ferritin, treatments, ICU
# and mortality with its exact (Clopper-Pearson) 95 % CI. Each published figure carries its citation, where it
# was read and whether it is verified (`data/raw/published/sam.yaml`); *not in abstract* marks a figure the
# abstract does not give (what it says in words instead is shown, never turned into a number), and a published
# count of deaths is derived from n and the printed percentage only when one whole count gives it. Flags mark populations that are not comparable (juvenile, other diseases, single centre); Liang 2020
# and Zhu 2024 come from the same hospital over overlapping years and are never pooled. Mortality is compared
# with each comparable population on its own (Fisher's exact test when the published deaths are a whole count,
# else whether the published figure lies inside the series' CI); Zhu 2024's 90-day survival with the series'
# Kaplan-Meier survival at 90 days and its 95 % CI.

# %%
literature_table = sam.literature.comparison_table(analysed, surv)
literature = tables.from_frame(
    sam.literature.display_table(literature_table),
    labels={"study": "Study", "population": "Population", "median age (years)": "Median age (years)",
            "anti-MDA5 %": "Anti-MDA5 %", "ferritin (ng/mL)": "Ferritin (ng/mL)", "treatments": "Treatments",
            "mortality (exact 95 % CI)": "Mortality (exact 95% CI)", "90-day survival %": "90-day survival %",
            "flags": "Comparability", "source": "Source"},
    title="The series beside published MAS/HLH populations",
    footnotes=["Mortality: deaths/n, % and exact (Clopper-Pearson) 95% CI. Citations in the next table."])
literature

# %%
Markdown(sam.literature.differences_text(literature_table))

# %%
literature_sources = tables.from_frame(
    literature_table[["study", "citation", "source", "never pool with"]].iloc[1:],
    labels={"study": "Study", "citation": "Citation", "source": "Where each figure was read",
            "never pool with": "Never pooled with"},
    title="Published populations: citations and where their figures were read")
literature_sources

# %% [markdown]
# ## Findings, conclusion and limits
# Written from this run's tables above (antibodies, scores, outcomes, survival), so that they describe the
# series analysed, whatever it is.

# %%
Markdown("\n".join([
    sam_report.findings_text(prov, analysed, sam.outcomes(analysed), sam.checkbox_counts(analysed, "dm_antibodies"),
                             landmarks, case_scores),
    sam_report.conclusion_text(prov, analysed, landmarks),
    sam_report.limits_text(prov, analysed, issues)]))

# %% [markdown]
# **Provenance.** The box at the top (and `provenance.json` in `output_dir`, with the date of the run) names
# the export and its SHA-256. CRF definition: `lib/myositis/crf_fields.yaml`. Inclusion window:
# `data/raw/published/sam.yaml` (call for cases, CHU de Reims, seed 001). Outputs: `validation_report.csv`,
# `table1.*`, `survival_table.*`, `scores.csv`, `manuscript.docx` and the figures in `output_dir`; the pseudonymised table in `processed_dir`.

# %% [markdown]
# The tables and figures of this run's results, numbered with captions and footnotes, in `manuscript.docx`
# (output folder). The data-management tables (validation problems, collection by centre, audit trail,
# exclusions) stay in this report and its CSV files: they are not results of the series.

# %%
ms = manuscript.Manuscript("Macrophage activation syndrome in dermatomyositis: case series", data_note=prov.summary(),
                           abbreviations={"CI": "confidence interval", "CK": "creatine kinase", "DM": "dermatomyositis",
                                          "ILD": "interstitial lung disease", "MAS": "macrophage activation syndrome"})
ms.add_figure(saved_flow[0], "Inclusion flow of the call for cases")
ms.add_table(table1)
ms.add_table(antibodies)
ms.add_table(dm_signs)
ms.add_table(triggers)
ms.add_table(mas_features)
ms.add_table(labs)
ms.add_table(score_summary)
ms.add_table(criteria)
ms.add_figure(swimmer_files[0], "Treatment timeline of each analysed patient (lines of MAS treatment, response, "
              "ICU, relapse, death)")
ms.add_table(responses)
ms.add_figure(first_line_files[0], "Response by first-line regimen")
ms.add_table(first_line_table)
ms.add_table(outcomes)
ms.add_figure(km_files[0], "Survival from MAS diagnosis", notes=[km.caption("log-log", pvalue=False)])
ms.add_table(survival_table)
ms.add_table(literature)
ms.add_table(literature_sources)
ms.write(out / "manuscript.docx")
ms.contents()

# %%
# NBVAL_IGNORE_OUTPUT
from myositis import reporting

reporting.versions()
