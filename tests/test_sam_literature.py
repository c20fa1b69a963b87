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
        for key in ("n", "mortality", "median_age", "survival_90d", "ferritin", "treatments", "icu",
                    "mortality_text"):
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
    """2 deaths of 28 (7.1 %, CI 0.9-23.5): Ding's 6/12 differs (R: fisher.test(matrix(c(2, 26, 6, 6), 2))$p.value
    = 0.004836), Liang's 77.8 % lies outside the CI; 17 of 28 differs from neither."""
    table = literature.comparison_table(_series(2, 28))
    p = literature.differences(table).set_index("study").loc["ding_2022", "p (Fisher)"]
    assert p == pytest.approx(0.004836415, abs=1e-8)
    text = literature.differences_text(table)
    assert "2 of 28 cases with a known vital status (7.1 %, exact 95 % CI 0.9-23.5 %)" in text
    assert ("The series differs beyond chance from Ding 2022 (50.0 %, Fisher's exact p = 0.005) and Liang 2020 "
            "(77.8 %") in text
    assert "Not tested: Kumakura 2014 (population not comparable), Kishida 2020 (no mortality figure in the " \
           "abstract), Zhu 2024 (90-day survival, another measure) and Chang 2023 (population not comparable)" in text
    assert text.endswith("Liang 2020 and Zhu 2024 (same hospital, overlapping years) are never pooled.")
    same = literature.differences_text(literature.comparison_table(_series(17, 28)))
    assert ("The series does not differ beyond chance from Ding 2022 (50.0 %, Fisher's exact p = 0.728) and "
            "Liang 2020") in same
    assert "differs beyond chance from" not in same


def test_unknown_vital_status_is_not_counted_as_survival():
    """17 deaths of 28 known and 4 unknown: the denominator is 28 (Fisher p as for 17/28, R 0.7284641), never 32."""
    s = _series(17, 32).assign(death=[True] * 17 + [False] * 11 + [None] * 4)
    table = literature.comparison_table(s)
    assert table.loc[0, "deaths known"] == 28 and table.loc[0, "mortality %"] == pytest.approx(100 * 17 / 28)
    d = literature.differences(table).set_index("study")
    assert d.loc["ding_2022", "p (Fisher)"] == pytest.approx(0.7284641, abs=1e-6)
    assert "17 of 28 cases with a known vital status" in literature.differences_text(table)
    assert "vital status unknown for 4" in literature.differences_text(table)
    empty = literature.comparison_table(_series(0, 3).assign(death=None))
    assert "cannot be set against" in literature.differences_text(empty)


def test_liang_and_zhu_are_each_compared_alone():
    """Same hospital, overlapping years: one row each in the comparison, neither count added to the other."""
    table = literature.comparison_table(_series(17, 28))
    d = literature.differences(table)
    assert d["study"].tolist() == table["study"].iloc[1:].tolist()        # one comparison per population
    assert table["study"].value_counts().max() == 1
    liang, zhu = (table.set_index("study").loc[k] for k in ("liang_2020", "zhu_2024"))
    assert pd.isna(liang["n"]) and zhu["n"] == 22 and pd.isna(zhu["deaths"])   # nothing to pool, nothing pooled
    shown = literature.display_table(table).set_index("study")
    assert shown.loc["Liang 2020", "flags"].endswith("never pooled with Zhu 2024")
    assert shown.loc["Zhu 2024", "flags"].endswith("never pooled with Liang 2020")


def test_display_table_says_what_the_abstract_does_not_give():
    shown = literature.display_table(literature.comparison_table(_series(6, 12)))
    rows = {s or p: r for s, p, r in zip(shown["study"], shown["population"], shown.to_dict("records"))}
    assert rows["this series"]["mortality (exact 95 % CI)"] == "6/12, 50.0 % (21.1-78.9)"   # R binom.test(6, 12)
    assert rows["Ding 2022"]["mortality (exact 95 % CI)"] == "6/12, 50.0 % (21.1-78.9)"
    assert rows["Liang 2020"]["mortality (exact 95 % CI)"] == "77.8 % (n not given: no exact CI)"
    assert rows["Liang 2020"]["n"] == literature.NOT_IN_ABSTRACT
    assert all(r["ICU %"] == literature.NOT_IN_ABSTRACT for k, r in rows.items() if k != "this series")
    assert rows["Zhu 2024"]["ferritin (ng/mL)"].startswith("> 1685 ng/mL")      # a cut-off, shown as words
    assert rows["Kumakura 2014"]["treatments"].startswith("corticosteroids first in 95.7 %; if refractory")
    assert rows["Kishida 2020"]["mortality (exact 95 % CI)"].startswith("higher than MAS in other rheumatic")
    assert rows["this series"]["ferritin (ng/mL)"] == "median 1000"
    assert rows["this series"]["treatments"] == ("GC not recorded, IVIG not recorded, etoposide not recorded, "
                                                 "anakinra not recorded")


def test_series_row_by_hand():
    s = _series(3, 4)
    s.loc[0, "icu"] = True
    s["line1_drugs___gc"] = [True, True, False, True]
    s["line2_drugs___gc"] = [False, False, True, False]
    row = literature.series_row(s)
    assert row["n"] == 4 and row["deaths"] == 3 and row["mortality %"] == 75.0
    assert row["ICU %"] == 25.0 and row["anti-MDA5 %"] == 100.0 and row["median age (years)"] == 50.0
    assert row["treatments"].startswith("GC 100 %, IVIG not recorded")   # no IVIG column: unknown, not 0 %
    assert np.isclose(row["95 % CI low"], 19.41204, atol=1e-4)   # R: binom.test(3, 4)$conf.int


def test_key_results_for_the_sweep_table_by_hand():
    """6 rows read (1 duplicate, 1 outside the window): 5 valid, 4 analysed, 3 deaths of 4 (R binom.test(3, 4):
    19.41204-99.36905 %), survival at 6 months as given, median ferritin of 100/200/300/1000 = 250."""
    from myositis import sam_report

    cases = pd.DataFrame({"exclusion_rule": ["", "", "", "", "outside inclusion window", "duplicate"]})
    analysed = _series(3, 4).assign(ferritin_ng_ml=[100.0, 200.0, 300.0, 1000.0], icu=[True, None, False, False])
    landmarks = pd.DataFrame({"group": [None], "time": [6.0], "survival": [0.5], "lower": [0.1], "upper": [0.8]})
    key = sam_report.key_results(cases, analysed, landmarks, pd.DataFrame({"x": [1, 2]}))
    assert {k: key[k] for k in ("cases_read", "cases_valid", "cases_analysed", "deaths", "deaths_known",
                                "queries")} == {"cases_read": 6, "cases_valid": 5, "cases_analysed": 4, "deaths": 3,
                                                "deaths_known": 4, "queries": 2}
    assert key["mortality_percent"] == 75.0
    assert (key["mortality_ci_low"], key["mortality_ci_high"]) == (pytest.approx(19.41204, abs=1e-4),
                                                                    pytest.approx(99.36905, abs=1e-4))
    assert (key["survival_6m"], key["survival_6m_low"], key["survival_6m_high"]) == (0.5, 0.1, 0.8)
    assert key["median_ferritin_ng_ml"] == 250.0 and key["icu_percent"] == pytest.approx(100 / 3)
    assert key["median_age_at_mas"] == 50.0 and key["anti_mda5_percent"] == 100.0
    assert all(v is None or isinstance(v, (int, float)) for v in key.values())


@pytest.mark.parametrize("times, events, survival, low, high, verdict", [
    # R: summary(survfit(Surv(t, e) ~ 1, conf.type = "log-log"), times = 90 / (365.25 / 12))
    ([1, 2] + [12] * 8, [1, 1] + [0] * 8, 80.0, 40.869078, 94.587265, "outside"),
    ([1, 1.5, 2, 2.5, 2.9, 3.5] + [12] * 4, [1] * 6 + [0] * 4, 50.0, 18.360559, 75.317408, "outside"),  # 18.2 < 18.36
    # 2.95 months is before 90 days (2.957 months)
    ([1, 1.5, 2, 2.5, 2.9, 2.95, 3.5] + [12] * 3, [1] * 7 + [0] * 3, 40.0, 12.269317, 67.020464, "inside"),
])
def test_zhu_90_day_survival_against_the_series_kaplan_meier(times, events, survival, low, high, verdict):
    """Zhu 2024 publishes 90-day survival (18.2 %): set against the series' KM survival at 90 days and its CI."""
    n = len(times)
    surv = pd.DataFrame({"time_months": times, "event": events})
    table = literature.comparison_table(_series(sum(events), n), surv)
    s = table.iloc[0]
    assert s["90-day survival %"] == pytest.approx(survival)
    if low is not None:
        assert (s["90-day CI low"], s["90-day CI high"]) == (pytest.approx(low, abs=1e-5),
                                                             pytest.approx(high, abs=1e-5))
    d = literature.differences(table).set_index("study")
    assert d.loc["zhu_2024", "verdict"] == f"90-day survival {verdict} the series' 95 % CI"
    text = literature.differences_text(table)
    assert f"Zhu 2024 (90-day survival 18.2 %, set against this series' Kaplan-Meier {survival:.1f} %" in text
    sentence = next(x for x in text.split(". ") if "Zhu 2024 (90-day" in x)
    assert ("differs beyond chance" in sentence.split("Zhu 2024")[0]) == (verdict == "outside")
