"""The table layer without R: gtsummary's number formats, test choice, Table 1 rows, survival and model tables,
exports (HTML deterministic, Word readable, LaTeX, CSV)."""

from __future__ import annotations

import docx
import numpy as np
import pandas as pd
import pytest

from myositis import tables
from myositis.tables import format as fmt
from myositis.tables import tests as stat


@pytest.mark.parametrize("p,text", [(1.0, ">0.9"), (0.91, ">0.9"), (0.296, "0.3"), (0.25, "0.3"), (0.178, "0.2"),
                                    (0.149, "0.15"), (0.0995, "0.10"), (0.05, "0.050"), (0.0042, "0.004"),
                                    (0.001, "0.001"), (0.00099, "<0.001"), (1.7109e-05, "<0.001"), (np.nan, "—")])
def test_style_pvalue_digits_1_as_gtsummary(p, text):
    """gtsummary::style_pvalue(p, digits = 1), values worked by hand from its source."""
    assert fmt.style_pvalue(p, digits=1) == text


@pytest.mark.parametrize("p,text", [(1.0, ">0.99"), (0.995, ">0.99"), (0.9901, ">0.99"), (0.99, "0.99"),
                                    (0.296, "0.30"), (0.178, "0.18"), (0.125, "0.13"), (0.0995, "0.10"),
                                    (0.09995, "0.10"), (0.0994, "0.10"), (0.0949, "0.095"), (0.05, "0.050"),
                                    (0.0015, "0.002"),
                                    (0.001, "0.001"), (0.00099, "<0.001"), (0.0, "<0.001"), (1.5, "—"),
                                    (-0.01, "—")])
def test_style_pvalue_default_is_two_digits(p, text):
    """The project's default: gtsummary::style_pvalue(p, digits = 2), worked by hand from its source
    (0.0995, 0.0994 and 0.09995 round to 0.10 at two decimals, so they take the two-decimal branch)."""
    assert fmt.style_pvalue(p) == text


def test_style_pvalue_refuses_other_digits():
    with pytest.raises(ValueError):
        fmt.style_pvalue(0.5, digits=4)


@pytest.mark.parametrize("x,sig,ratio", [(0.123, "0.12", "0.12"), (1.23, "1.2", "1.23"), (12.34, "12", "12.3"),
                                         (310, "310", "310"), (0.995, "1.0", "1.00"), (1681.0, "1,681", "1,681")])
def test_sigfig_and_ratio(x, sig, ratio):
    assert fmt.style_sigfig(x) == sig
    assert fmt.style_ratio(x) == ratio


def test_percent_and_half_away_from_zero():
    assert [fmt.style_percent(p) for p in (0.3, 0.125, 0.05, 0.0004, 0)] == ["30", "13", "5.0", "<0.1", "0"]
    assert fmt.style_number(2.5) == "3" and fmt.style_number(0.125, 2) == "0.13"  # not banker's rounding


def test_fisher_rxc_hand_computed():
    """A 2 x 3 table small enough to enumerate by hand: margins rows (2, 2), columns (2, 1, 1)."""
    table = [[2, 0, 0], [0, 1, 1]]
    # tables with these margins: x = first row; probabilities prod(r!)prod(c!)/(n! prod x!) with n = 4
    # first row (2,0,0) p=1/6, (0,1,1) 1/6, (1,1,0) 1/3, (1,0,1) 1/3 -> p-value = 1/6 + 1/6
    assert stat.fisher_exact(table).p_value == pytest.approx(1 / 3, abs=1e-12)


def test_choice_follows_expected_counts():
    assert stat.categorical([[10, 10], [10, 10]]).test == "chisq"
    assert stat.categorical([[10, 10, 1], [10, 10, 3]]).test == "fisher"
    assert stat.continuous([1, 2, 3], [4, 5, 6]).test == "wilcox"
    assert stat.continuous([1, 2], [3, 4], [5, 6]).test == "kruskal"


@pytest.fixture
def cohort():
    rng = np.random.default_rng(3)
    n = 40
    d = pd.DataFrame({"group": rng.choice(["Mi2+ DM", "Mi2- DM"], n), "ck": np.exp(rng.normal(7, 1, n)),
                      "ild": rng.choice([True, False], n), "sex": rng.choice(["female", "male"], n)})
    d.loc[[2, 7], "ck"] = np.nan
    return d


def test_summary_table_rows(cohort):
    t = tables.summary_table(cohort, by="group", labels={"ck": "CK, IU/L", "ild": "Interstitial lung disease"},
                             overall=True)
    first = list(t.body.iloc[:, 0])
    assert first == ["CK, IU/L", "Unknown", "Interstitial lung disease", "Sex", "female", "male"]
    assert list(t.body.columns[:2]) == ["Characteristic", f"Overall\nN = 40{tables.table.mark(1)}"]
    n_ild = int(cohort["ild"].sum())
    assert t.body.iloc[2, 1] == f"{n_ild} ({fmt.style_percent(n_ild / 40)}%)"
    med = np.quantile(cohort["ck"].dropna(), 0.5, method="averaged_inverted_cdf")
    assert t.body.iloc[0, 1].startswith(fmt.style_number(med, 0) + " (")
    assert t.body.iloc[1, 1] == "2"  # the Unknown row counts missing CK
    text = t.body.to_string()
    for artefact in ("nan", "NaN", "<NA>", "None", "e-0"):
        assert artefact not in text
    assert t.footnotes[0] == "Median (Q1, Q3); n (%)"
    assert "Wilcoxon rank sum test" in t.footnotes


def test_missing_column_is_a_named_error(cohort):
    from myositis.exceptions import ValidationError

    with pytest.raises(ValidationError, match="weight"):
        tables.summary_table(cohort, by="group", variables=["ck", "weight"])


def test_median_hand_computed():
    """Times 1..6 all events: S = 5/6, 4/6, 3/6 (=0.5 at t=3, flat until t=4) -> median (3 + 4) / 2 = 3.5."""
    d = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": 1})
    m = tables.median_ci(d).iloc[0]
    assert m["median"] == 3.5
    d2 = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": [1, 0, 0, 0, 0, 0]})
    t = tables.survival_table(d2, [2])
    assert t.body.iloc[0, -1] == "Not reached"


def test_regression_terms_in_words():
    est = pd.DataFrame({"estimate": [50.0, 2.0, -0.5, 0.3], "ci_low": [40, 1, -1, 0.1], "ci_high": [60, 3, 0, 0.5],
                        "p_value": [1e-9, 0.01, 0.04, 0.2]},
                       index=["Intercept", "C(group, Treatment('Mi2- DM'))[T.Mi2+ DM]", "years",
                              "years:C(group, Treatment('Mi2- DM'))[T.Mi2+ DM]"])
    t = tables.regression_table(est, measure="Beta", labels={"group": "Group", "years": "Years since onset"},
                                level_labels={"Mi2+ DM": "Anti-Mi2 DM", "Mi2- DM": "DM without anti-Mi2"})
    assert list(t.body.iloc[:, 0]) == ["Group", "DM without anti-Mi2", "Anti-Mi2 DM", "Years since onset",
                                       "Years since onset × Group (Anti-Mi2 DM vs DM without anti-Mi2)"]
    assert "C(" not in t.body.to_string() and "[T." not in t.body.to_string()


def test_exports(cohort, tmp_path):
    t = tables.summary_table(cohort, by="group", title="Characteristics")
    written = tables.export(t, tmp_path / "a", "table1")
    again = tables.export(t, tmp_path / "b", "table1")
    assert [p.suffix for p in written] == [".csv", ".html", ".docx", ".tex"]
    for p, q in zip(written, again):
        if p.suffix != ".docx":
            assert p.read_bytes() == q.read_bytes(), p.name
    html = written[1].read_text(encoding="utf-8")
    assert "Characteristics" in html and "Wilcoxon rank sum test" in html
    csv = pd.read_csv(written[0], index_col=False)
    assert csv.shape == (len(t.body), t.body.shape[1])
    doc = docx.Document(written[2])
    assert len(doc.tables) == 1 and doc.tables[0].cell(1, 0).text == t.body.iloc[0, 0]
    assert any("Wilcoxon" in p.text for p in doc.paragraphs)
    tex = written[3].read_text(encoding="utf-8")
    assert r"\toprule" in tex and r"\textsuperscript{1}" in tex


def test_empty_data_gives_a_table_not_an_error():
    """A series where every case was excluded still renders (the SAM notebook runs to its end)."""
    empty = pd.DataFrame({"time": pd.Series([], dtype=float), "event": pd.Series([], dtype=int)})
    t = tables.survival_table(empty, [6, 12])
    assert t.body.iloc[0, 0] == "No patient with follow-up" and set(t.body.iloc[0, 1:]) == {"—"}
    s = tables.summary_table(pd.DataFrame({"age": pd.Series([], dtype=float)}), types={"age": "continuous"})
    assert s.body.iloc[0, 1] == "—"


def test_one_observed_level_gets_no_test_and_says_why(cohort):
    """A variable with one observed level (a 1 x 2 table) had chi-square with p = nan (or Fisher p = 1 on small
    counts). R's chisq.test / fisher.test stop ("'x' and 'y' must have at least 2 levels") and gtsummary's add_p
    leaves the p-value empty: here "—" with a footnote giving the reason."""
    for n in (40, 6):  # expected counts >= 5 (chi-square's branch) and < 5 (Fisher's)
        d = cohort.head(n).assign(steroids="yes")
        d["rare"] = ["present"] * n  # text, one level
        result = stat.categorical(pd.crosstab(d["rare"], d["group"]).to_numpy())
        assert np.isnan(result.p_value) and result.reason == stat.ONE_LEVEL
        t = tables.summary_table(d, by="group", variables=["ild", "rare"])
        text = t.body.to_string() + " ".join(t.footnotes)
        row = t.body[t.body["Characteristic"] == "Rare"].iloc[0]
        for artefact in ("nan", "NaN", "1", ">0.99"):
            assert artefact not in row["p-value"]
        note = f"No p-value: {stat.ONE_LEVEL}"
        assert note in t.footnotes
        assert row["p-value"] == fmt.MISSING + tables.table.mark(t.footnotes.index(note) + 1)
        assert "nan" not in text.lower().replace("analysable", "")
        stats_row = t.stats.set_index("variable").loc["rare"]
        assert stats_row["test"] is None and stats_row["no_test"] == stat.ONE_LEVEL
    # the same level in one group only of two with values: the other group has none -> one group
    assert stat.categorical([[3, 0], [2, 0]]).reason == stat.ONE_GROUP
    assert stat.categorical([[3, 4], [2, 5]]).reason == ""
