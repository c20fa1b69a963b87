"""Table 1 with tableone: missing values counted apart, the right test per variable, SMDs, exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from myositis import tables


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n = 60
    d = pd.DataFrame({
        "group": ["A"] * 30 + ["B"] * 30,
        "ck": np.exp(rng.normal(7, 1, n)),
        "age": rng.normal(50, 10, n),
        "fever": rng.choice(["yes", "no"], n),
        "rare": ["yes"] * 2 + ["no"] * 28 + ["no"] * 30,
        "sex": rng.choice(["female", "male"], n),
    })
    d.loc[[1, 5, 40], "fever"] = np.nan
    return d


def test_missing_is_counted_not_a_level(data):
    t = tables.table_one(data, groupby="group", nonnormal=["ck"])
    tab = t.tableone
    assert tab.loc[("fever, n (%)", "yes"), ("Grouped by group", "Missing")] in (3, "3")
    levels = [lvl for var, lvl in tab.index if var.startswith("fever")]
    assert levels == ["yes"]  # yes/no shown as the 'yes' row; no 'None'/'nan' level
    n_yes = (data["fever"] == "yes").sum()
    assert tab.loc[("fever, n (%)", "yes"), ("Grouped by group", "Overall")].startswith(f"{n_yes} (")
    assert f"{100 * n_yes / 57:.1f}" in tab.loc[("fever, n (%)", "yes"), ("Grouped by group", "Overall")]


def test_two_groups_mann_whitney_fisher_and_smd(data):
    t = tables.table_one(data, groupby="group", nonnormal=["ck"])
    tab = t.tableone
    test = tab[("Grouped by group", "Test")]
    assert test.loc[("ck, median [Q1,Q3]", "")] == "Mann-Whitney U"
    assert test.loc[("rare, n (%)", "yes")] == "Fisher's exact"
    assert test.loc[("fever, n (%)", "yes")] == "Chi-squared"
    assert any(str(c[1]).startswith("SMD") for c in tab.columns)
    p = stats.mannwhitneyu(data.loc[data.group == "A", "ck"], data.loc[data.group == "B", "ck"]).pvalue
    assert tab.loc[("ck, median [Q1,Q3]", ""), ("Grouped by group", "P-Value")] == (
        "<0.001" if p < 0.001 else f"{p:.3f}")


def test_more_groups_kruskal_and_no_smd(data):
    d = data.assign(group=np.tile(["A", "B", "C"], 20))
    tab = tables.table_one(d, groupby="group", nonnormal=["ck"]).tableone
    assert tab.loc[("ck, median [Q1,Q3]", ""), ("Grouped by group", "Test")] == "Kruskal-Wallis"
    assert not any(str(c[1]).startswith("SMD") for c in tab.columns)


def test_exports_csv_html_latex(data, tmp_path):
    t = tables.table_one(data, groupby="group", nonnormal=["ck"])
    written = tables.export(t, tmp_path / "out", "table1")
    assert [p.name for p in written] == ["table1.csv", "table1.html", "table1.tex"]
    assert "Mann-Whitney U" in written[0].read_text(encoding="utf-8")
    assert "<table" in written[1].read_text(encoding="utf-8")
    assert "\\begin{tabular}" in written[2].read_text(encoding="utf-8")
    again = tables.export(t, tmp_path / "again", "table1")
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again]


def test_warnings_are_kept_not_printed(data, recwarn):
    # a variable measured in one group only: tableone warns that no p-value could be computed
    d = data.assign(only_a=np.where(data["group"] == "A", data["age"], np.nan))
    t = tables.table_one(d, groupby="group", nonnormal=["ck"])
    assert not [w for w in recwarn if "tableone" in str(w.filename)]
    assert any(note.startswith("No P-Value was computed for only_a") for note in t.notes), t.notes
    assert t.tableone.loc[("only_a, mean (SD)", ""), ("Grouped by group", "Test")] == "Not tested"


def test_numpy_booleans_are_yes_no_with_missing_apart():
    d = pd.DataFrame({"group": ["A"] * 5 + ["B"] * 5,
                      "flag": pd.Series([np.True_, np.False_] * 4 + [None, None], dtype=object)})
    tab = tables.table_one(d, groupby="group", categorical=["flag"]).tableone
    assert [lvl for var, lvl in tab.index if var.startswith("flag")] == ["yes"]
    assert tab.loc[("flag, n (%)", "yes"), ("Grouped by group", "Missing")] in (2, "2")
    assert tab.loc[("flag, n (%)", "yes"), ("Grouped by group", "Overall")] == "4 (50.0)"
