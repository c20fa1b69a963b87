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
# # The published facts behind the myositis notebooks
#
# **Question.** Which published figures do the analyses of this project rest on, where does each come from,
# and which could be checked in the publication itself?
#
# **Data.** Published aggregate figures only (no patient-level data), transcribed into
# `data/raw/published/*.yaml` with the citation (PMID or DOI), the seed document that cites it and, for every
# figure, its **source**: where it was actually read. A figure is *verified* only when it was read in the
# publication itself (its abstract or full text); one read only in a French seed summary or in a secondary
# source (a news summary, a table reproducing a score) is *UNVERIFIED* and names that source
# (`data/raw/README.md`). The analysis notebooks read their targets from these files, never from numbers typed
# into a notebook.

# %% tags=["parameters"]
studies: list = ["mi2", "tacrolimus", "sam", "scores"]  # study files in data/raw/published/
processed_file: str = "data/processed/published_facts.csv"  # tidy table for other tools (R, Excel)
output_dir: str = "reports/interactive/00_published_facts"

# %%
import pandas as pd

from IPython.display import Markdown

from myositis import io, paths, provenance, published, tables

pd.set_option("display.max_colwidth", 90)
facts = published.load_facts(studies)
prov = provenance.of_run("00_published_facts", [paths.PUBLISHED / f"{study}.yaml" for study in studies],
                         parameters={"studies": studies})
record = prov.write(paths.output_dir(output_dir))

# %%
Markdown(prov.box())

# %% [markdown]
# ## Publications
# One row per publication: its citation, identifiers, the seed document that cites it, and how many of its
# figures were verified in the publication.

# %%
tables.from_frame(published.citations(facts), labels=published.CITATION_LABELS,
                  title="Publications behind the notebooks")

# %% [markdown]
# ## How many figures, how many verified, read where
# A figure is *verified* when it was read in the publication itself (abstract or full text), *unverified* when
# it comes only from a seed summary or a secondary source: those are shown but must not be quoted as the
# paper's. Columns: how many figures of each study were read in each kind of source.

# %%
tables.from_frame(facts.assign(read_in=facts["source"].map(published.source_kind)).pivot_table(
    index="study", columns="read_in", values="fact", aggfunc="size", fill_value=0, sort=False).reindex(
    columns=list(published.SOURCE_KINDS), fill_value=0).assign(
    verified=facts.groupby("study", sort=False)["verified"].sum(), figures=facts.groupby("study", sort=False).size()),
    index="Study file", labels={"verified": "Verified", "figures": "Figures"},
    title="Figures of each study by where they were read")

# %% [markdown]
# ## The unverified figures and where they were read
# Every figure not found in the publication's own text, with its real source. These are the figures a text
# must not attribute to the paper.

# %%
tables.from_frame(facts.loc[~facts["verified"], ["study", "fact", "quantity", "group", "value", "unit", "source"]],
                  labels={"study": "Study file", "fact": "Figure", "quantity": "Quantity", "group": "Group",
                          "value": "Value", "unit": "Unit", "source": "Where it was read"},
                  title="Unverified figures and where they were read",
                  empty="Every figure was read in the publication itself.")

# %% [markdown]
# ## Anti-Mi2 dermatomyositis (seed `000_*`)

# %%
tables.from_frame(published.study_table(facts, "mi2"), title="Anti-Mi2 dermatomyositis: published figures")

# %% [markdown]
# ## Tacrolimus in anti-MDA5 DM-ILD and PM/DM-ILD (seed `002_*`)

# %%
tables.from_frame(published.study_table(facts, "tacrolimus"), title="Tacrolimus in anti-MDA5 DM-ILD: published figures")

# %% [markdown]
# ## Macrophage activation syndrome complicating DM (seed `001_*`)

# %%
tables.from_frame(published.study_table(facts, "sam"), title="Macrophage activation syndrome complicating DM: published figures")

# %% [markdown]
# ## Scores used for MAS (HScore, HLH-2004, 2016 EULAR/ACR/PRINTO)

# %%
tables.from_frame(published.study_table(facts, "scores"), title="Scores used for MAS: published figures")

# %% [markdown]
# ## Export
# The tidy table (one row per figure) is written for use outside Python, e.g. `read.csv()` in R.

# %%
print(f"wrote {paths.relative(io.write_csv(facts, processed_file))}: {len(facts)} figures")

# %% [markdown]
# ## Conclusion
# These tables are the only place where published numbers enter the project. Each figure says where it was
# read; the unverified ones (listed above with their seed or secondary source) are flagged and carried as such
# into the analyses, and `myositis.published` refuses a file where a figure is marked verified without a source
# in the publication itself. Directions between groups (unit *direction*) are facts too, with their own source:
# the comparisons of anti-Mi2 DM with antisynthetase syndrome are read only in the seed. Group sizes of a 2018
# conference abstract of the anti-Mi2 cohort differ from the 2019 paper and are deliberately not mixed in.
#
# **Provenance.** `data/raw/published/*.yaml`, checked against `data/raw/manifest.csv` (SHA-256) before each
# batch run.

# %%
# NBVAL_IGNORE_OUTPUT
from myositis import reporting

reporting.versions()
