"""Table 1 (patient characteristics by group) with tableone, and its exports to CSV, HTML and LaTeX.

One function builds the table the way a gtsummary user expects (``tbl_summary(by = group) |> add_p() |>
add_overall()``): counts and % for categorical variables, median [Q1, Q3] for skewed ones, mean (SD) for the
others, the number of missing values per variable in its own column (missing values are *not* counted as a
level), a test per variable chosen by its type and the number of groups, and standardised mean differences
when two groups are compared.

Tests: categorical, chi-square, or Fisher's exact for a 2x2 table with an expected or observed count below 5
(tableone's rule; a larger table with such counts keeps chi-square, flagged in the test's name); skewed continuous, Kruskal-Wallis for three groups or more and Mann-Whitney U for two; other continuous,
Welch's t-test for two groups and one-way ANOVA for more.

References
----------
Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: an open source Python package for producing summary
statistics for research papers. JAMIA Open 2018;1(1):26-31.
Sjoberg DD, Whiting K, Curry M, et al. Reproducible summary tables with the gtsummary package. R J 2021;13:570-80.
Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between treatment groups
in propensity-score matched samples. Stat Med 2009;28:3083-107 (standardised mean differences).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tableone import TableOne

from .. import io, paths

YES_NO = ("yes", "no")


def mann_whitney(*groups) -> float:
    """Two-sided Mann-Whitney U p-value of two groups (missing values dropped)."""
    a, b = (pd.Series(g, dtype=float).dropna() for g in groups)
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


mann_whitney.__name__ = "Mann-Whitney U"


def table_one(df: pd.DataFrame, columns=None, categorical=None, groupby: str | None = None, nonnormal=None,
              labels: dict | None = None, order: dict | None = None, pval: bool = True, smd: bool | None = None,
              overall: bool = True, decimals: int = 1, yes_only: bool = True) -> TableOne:
    """Table 1 by group with tableone: counts and %, median [Q1,Q3], missing counts, tests and SMDs.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    columns : list of str, optional
        Variables shown, in this order (default: every column but ``groupby``).
    categorical : list of str, optional
        Categorical variables (default: object, category and boolean columns among ``columns``).
    groupby : str, optional
        The grouping column (e.g. ``"group"``); ``None`` describes the whole cohort.
    nonnormal : list of str, optional
        Skewed continuous variables: median [Q1,Q3] and a rank test (Kruskal-Wallis, or Mann-Whitney U for
        two groups).
    labels : dict, optional
        Display names ``{column: label}``.
    order : dict, optional
        Order of levels ``{column: [levels]}``; e.g. ``{"group": ["Mi2+ DM", "Mi2- DM"]}``.
    pval : bool
        Add p-values and the name of each test (only with ``groupby``).
    smd : bool, optional
        Standardised mean differences; default: when exactly two groups are compared.
    overall : bool
        Add an "Overall" column.
    decimals : int
        Decimals of continuous summaries.
    yes_only : bool
        For yes/no variables show the "yes" row only (like gtsummary's dichotomous rows).

    Returns
    -------
    TableOne
        ``.tableone`` is the formatted DataFrame; the warnings tableone raised (e.g. small expected counts)
        are in ``.notes`` (a list of str), not printed.

    Notes
    -----
    ``include_null=False``: a missing value is counted in the *Missing* column, never as a level, so the
    percentages are over the patients with a value (as gtsummary does by default).
    """
    columns = list(columns) if columns is not None else [c for c in df.columns if c != groupby]
    if categorical is None:
        categorical = [c for c in columns if df[c].dtype == object or isinstance(df[c].dtype, pd.CategoricalDtype)
                       or str(df[c].dtype) in ("bool", "boolean")]
    categorical = list(categorical)
    nonnormal = list(nonnormal or [])
    data = df[columns + ([groupby] if groupby else [])].copy()
    for c in categorical:  # tableone needs plain labels; keep missing as missing
        mask = data[c].isna()
        data[c] = data[c].astype(object).map(
            lambda v: ("yes" if v else "no") if isinstance(v, (bool, np.bool_)) else v)
        data.loc[mask, c] = None
    order = dict(order or {})
    limit = {}
    for c in categorical:
        levels = set(data[c].dropna().astype(str))
        if levels and levels <= set(YES_NO):
            order.setdefault(c, list(YES_NO))
            if yes_only:
                limit[c] = 1
    n_groups = data[groupby].nunique() if groupby else 1
    if smd is None:
        smd = groupby is not None and n_groups == 2
    htest = {c: mann_whitney for c in nonnormal} if (groupby and n_groups == 2) else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = TableOne(data, columns=columns, categorical=categorical, groupby=groupby, nonnormal=nonnormal,
                         labels=labels, order=order or None, limit=limit or None, pval=bool(pval and groupby),
                         htest_name=bool(pval and groupby), htest=htest, missing=True, include_null=False,
                         smd=bool(smd), overall=overall, decimals=decimals)
    table.notes = sorted({str(w.message) for w in caught})
    return table


def export(table, out_dir, name: str = "table1") -> list[Path]:
    """Write a table (a TableOne or a DataFrame) as CSV, HTML and LaTeX into ``out_dir``.

    The CSV is UTF-8 with '\\n' line ends (opens in Excel and R's ``read.csv``); the HTML is a plain table for
    a browser or Word; the LaTeX a ``tabular`` for a manuscript (``booktabs``).

    Returns
    -------
    list of Path
        ``<name>.csv``, ``<name>.html``, ``<name>.tex``.
    """
    df = table.tableone if hasattr(table, "tableone") else table
    folder = paths.output_dir(out_dir)
    csv_path, html_path, tex_path = (folder / f"{name}.{ext}" for ext in ("csv", "html", "tex"))
    io.write_csv(df, csv_path, index=True)  # the project's one CSV writer: formulas neutralised
    html_path.write_text(df.to_html(na_rep="", border=0), encoding="utf-8")
    tex_path.write_text(df.to_latex(na_rep="", escape=True, multirow=False, multicolumn=True), encoding="utf-8")
    return [csv_path, html_path, tex_path]
