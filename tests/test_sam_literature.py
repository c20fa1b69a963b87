"""The series beside the literature: exact CIs and Fisher tests against R, whole counts by hand, the published
rows read from sam.yaml with their sources, comparability flags, and the generated sentence."""

import math

import numpy as np
import pandas as pd
import pytest

from myositis import published
from myositis.sam import literature


@pytest.mark.parametrize("k, n, low, high", [
    (6, 12, 21.09446, 78.90554),    # R: binom.test(6, 12)$conf.int
    (17, 28, 40.57682, 78.49572),   # R: binom.test(17, 28)$conf.int
    (0, 10, 0.0, 30.84971),         # R: binom.test(0, 10)$conf.int
    (10, 10, 69.15029, 100.0),      # R: binom.test(10, 10)$conf.int
])
def test_exact_ci_matches_r(k, n, low, high):
    lo, hi = literature.exact_ci(k, n)
    assert (lo, hi) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    assert all(math.isnan(v) for v in literature.exact_ci(0, 0))


@pytest.mark.parametrize("percent, n, k", [
    (12.9, 116, 15),   # 15/116 = 12.93 % → 12.9; 14/116 = 12.07, 16/116 = 13.79
    (50, 12, 6), (16.7, 18, 3), (77.8, 9, 7), (77.8, 18, 14),
    (33.3, 7, None),   # no k of 7 prints 33.3 % (2/7 = 28.6, 3/7 = 42.9)
])
def test_whole_count_by_hand(percent, n, k):
    assert literature.whole_count(percent, n) == k


def _series(deaths, n):
    return pd.DataFrame({"age_at_mas_years": [50.0] * n, "ferritin_ng_ml": [1000.0] * n,
                         "death": [True] * deaths + [False] * (n - deaths), "icu": [False] * n,
                         "dm_antibodies_tested": [True] * n, "dm_antibodies___mda5": [True] * n})


def test_published_rows_come_from_the_facts_with_sources():
    rows = literature.published_rows().set_index("study")
    facts = published.load_facts("sam").set_index("fact")
    assert rows.loc["ding_2022", "n"] == facts.loc["ding_total_cases", "value"] == 12
    assert rows.loc["ding_2022", "deaths"] == 6 and rows.loc["kumakura_2014", "deaths"] == 15
    assert rows.loc["chang_2023", "deaths"] == 3 and "juvenile" in rows.loc["chang_2023", "flags"]
    assert rows.loc["liang_2020", "never pool with"] == "zhu_2024" and rows.loc["zhu_2024", "never pool with"] == \
        "liang_2020"
    assert pd.isna(rows.loc["liang_2020", "n"]) and rows.loc["liang_2020", "mortality %"] == 77.8
    assert rows.loc["zhu_2024", "90-day survival %"] == 18.2
    for study, row in rows.iterrows():
        assert row["source"].startswith(("verified: abstract", "unverified")), study


def test_every_comparison_fact_is_verified_in_an_abstract():
    doc = published.load_study("sam")
    facts = published.load_facts("sam").set_index("fact")
    for c in doc["comparison"]:
        for key in ("n", "mortality", "median_age", "survival_90d"):
            if c.get(key):
                assert facts.loc[c[key], "verified"] and facts.loc[c[key], "source"].startswith("abstract"), c[key]
    pubs = {p["id"]: p for p in doc["publications"]}
    assert pubs["ding_2022"]["pmid"] == "35586303" and pubs["ding_2022"]["doi"] == "10.1177/20406223221098128"
    assert pubs["liang_2020"]["doi"] == "10.3899/jrheum.190542"
    assert pubs["chang_2023"]["pmid"] == "37735702"


def test_differences_fisher_against_r_and_flags():
    """Series 17/28 deaths vs Ding 6/12: R fisher.test(matrix(c(17, 11, 6, 6), 2))$p.value = 0.7284641."""
    table = literature.comparison_table(_series(17, 28))
    d = literature.differences(table).set_index("study")
    assert d.loc["ding_2022", "p (Fisher)"] == pytest.approx(0.7284641, abs=1e-6)
    assert d.loc["ding_2022", "verdict"] == "compatible"
    assert d.loc["chang_2023", "verdict"].startswith("not comparable")
    assert d.loc["kumakura_2014", "verdict"].startswith("not comparable")
    assert d.loc["liang_2020", "verdict"] == "inside the series' 95 % CI"      # 77.8 in 40.6-78.5
    assert d.loc["zhu_2024", "verdict"].startswith("90-day survival")


def test_generated_text_says_where_the_series_differs():
    """2 deaths of 28 (7.1 %, CI 0.9-23.5): Ding's 6/12 differs (Fisher), Liang's 77.8 % lies outside the CI."""
    text = literature.differences_text(literature.comparison_table(_series(2, 28)))
    assert "2 of 28 (7.1 %" in text and "differs beyond chance from ding_2022" in text
    assert "liang_2020 (77.8 %, outside the CI)" in text and "never pooled" in text
    same = literature.differences_text(literature.comparison_table(_series(17, 28)))
    assert "does not differ beyond chance" in same


def test_series_row_by_hand():
    s = _series(3, 4)
    s.loc[0, "icu"] = True
    s["line1_drugs___gc"] = [True, True, False, True]
    s["line2_drugs___gc"] = [False, False, True, False]
    row = literature.series_row(s)
    assert row["n"] == 4 and row["deaths"] == 3 and row["mortality %"] == 75.0
    assert row["ICU %"] == 25.0 and row["anti-MDA5 %"] == 100.0 and row["median age (years)"] == 50.0
    assert row["treatments"].startswith("GC 100 %, IVIG nan %")   # no IVIG column: unknown, not 0 %
    assert np.isclose(row["95 % CI low"], 19.41204, atol=1e-4)   # R: binom.test(3, 4)$conf.int
