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
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The published facts behind the myositis notebooks
#
# **Question.** Which published figures do the analyses of this project rest on, where does each come from,
# and which could be checked in the publication itself?
#
# **Data.** Published aggregate figures only (no patient-level data), transcribed into
# `data/raw/published/*.yaml` with the citation (PMID or DOI) and the seed document each comes from. A figure
# read only in the French seed summaries, not in the publication, is marked *unverified*. The analysis
# notebooks read their targets from these files, never from numbers typed into a notebook.

# %% tags=["parameters"]
studies: list = ["mi2", "tacrolimus", "sam", "scores"]  # study files in data/raw/published/
processed_file: str = "data/processed/published_facts.csv"  # tidy table for other tools (R, Excel)
output_dir: str = "reports/interactive/00_published_facts"

# %%
import pandas as pd

from myositis import io, paths, published

pd.set_option("display.max_colwidth", 90)
facts = published.load_facts(studies)

# %% [markdown]
# ## Publications
# One row per publication: its citation, identifiers, the seed document that cites it, and how many of its
# figures were verified in the publication.

# %%
published.citations(facts)

# %% [markdown]
# ## How many figures, how many verified
# A figure is *verified* when it was read in the publication (abstract or table), *unverified* when it comes
# only from the seed summaries: those are shown but must not be quoted as the paper's.

# %%
facts.groupby("study", sort=False).agg(figures=("fact", "size"), verified=("verified", "sum"),
                                       unverified=("verified", lambda v: int((~v).sum())))

# %% [markdown]
# ## Anti-Mi2 dermatomyositis (seed `000_*`)

# %%
published.study_table(facts, "mi2")

# %% [markdown]
# ## Tacrolimus in anti-MDA5 DM-ILD and PM/DM-ILD (seed `002_*`)

# %%
published.study_table(facts, "tacrolimus")

# %% [markdown]
# ## Macrophage activation syndrome complicating DM (seed `001_*`)

# %%
published.study_table(facts, "sam")

# %% [markdown]
# ## Scores used for MAS (HScore, HLH-2004, 2016 EULAR/ACR/PRINTO)

# %%
published.study_table(facts, "scores")

# %% [markdown]
# ## Export
# The tidy table (one row per figure) is written for use outside Python, e.g. `read.csv()` in R.

# %%
print(f"wrote {paths.relative(io.write_csv(facts, processed_file))}: {len(facts)} figures")

# %% [markdown]
# ## Conclusion
# These tables are the only place where published numbers enter the project. Unverified figures (read only in
# the seed summaries) are flagged and carried as such into the analyses: the 12-month survival of the
# tacrolimus cohort (85 %), the survival figures of the ciclosporin cohort (not published in the sources read),
# and the trial's progression-free survival (76.4 %) among them. Group sizes of a 2018 conference abstract of the
# anti-Mi2 cohort differ from the 2019 paper and are deliberately not mixed in.
#
# **Provenance.** `data/raw/published/*.yaml`, checked against `data/raw/manifest.csv` (SHA-256) before each
# batch run.

# %%
# NBVAL_IGNORE_OUTPUT
from myositis import reporting

reporting.versions()
