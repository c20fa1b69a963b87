"""HScore, HLH-2004 and MAS 2016 on worked cases computed by hand from the published tables.

Every expected value below is a literal worked out by hand from ../shared/facts.md ("Scores"), never recomputed
with myositis.scores: the arithmetic is written next to each case.

Published definitions checked here:
- HScore: Fardet L, et al. Arthritis Rheumatol 2014;66(9):2613-2620 (points per component, maximum 337,
  probability table 90 < 1 % ... 250 > 99 %).
- HLH-2004: Henter JI, et al. Pediatr Blood Cancer 2007;48:124-131 (5 of 8 criteria).
- MAS 2016: Ravelli A, et al. Arthritis Rheumatol 2016;68(3):566-576 (fever + ferritin > 684 + 2 of 4).
"""

import math

import numpy as np
import pandas as pd
import pytest

from myositis import published, scores
from myositis.exceptions import InputFileError

# ------------------------------------------------------------------------------------------------- fixtures
#: Every HScore component known and at 0 points: IS no, 37.0 °C, no organomegaly, Hb 13 / leukocytes 7 /
#: platelets 250 (0 lineages), ferritin 300, TG 1.0, fibrinogen 3.0, AST 20, no marrow haemophagocytosis.
HSCORE_ZERO = dict(known_immunosuppression=False, max_temperature_c=37.0, hepatomegaly=False, splenomegaly=False,
                   haemoglobin_g_dl=13.0, leukocytes_g_l=7.0, platelets_g_l=250.0, ferritin_ng_ml=300.0,
                   triglycerides_mmol_l=1.0, fibrinogen_g_l=3.0, ast_u_l=20.0, marrow_haemophagocytosis=False)

#: The worked case of the issue.
CASE_238 = dict(known_immunosuppression=False, max_temperature_c=39.0, hepatomegaly=True, splenomegaly=True,
                haemoglobin_g_dl=8.5, leukocytes_g_l=6.0, platelets_g_l=90.0, ferritin_ng_ml=8000.0,
                triglycerides_mmol_l=2.0, fibrinogen_g_l=2.0, ast_u_l=120.0, marrow_haemophagocytosis=False)

#: HLH-2004, every criterion known, exactly 5 met, each met one at its boundary:
#: fever 38.5 (≥ 38.5 met), splenomegaly yes, Hb 8.9 < 9 and platelets 99.9 < 100 (2 lineages, neutrophils
#: 1.5 not < 1.0) met, TG 3.0 (≥ 3.0) met, ferritin 500 (≥ 500) met; haemophagocytosis no, NK normal,
#: sCD25 2399 (< 2400) not met → 5 of 8.
HLH_FIVE = dict(max_temperature_c=38.5, fever=True, splenomegaly=True, haemoglobin_g_dl=8.9, platelets_g_l=99.9,
                neutrophils_g_l=1.5, triglycerides_mmol_l=3.0, fibrinogen_g_l=2.0, haemophagocytosis=False,
                marrow_haemophagocytosis=False, nk_activity_low=False, ferritin_ng_ml=500.0, scd25_u_ml=2399.0)

#: MAS 2016 at the boundaries, classified: fever yes, ferritin 685 (> 684); platelets 181 (≤ 181) met,
#: AST 48.1 (> 48) met, TG 1.76 (not > 1.76), fibrinogen 3.61 (not ≤ 3.6) → 2 of 4 → classified.
MAS_TWO = dict(fever=True, ferritin_ng_ml=685.0, platelets_g_l=181.0, ast_u_l=48.1, triglycerides_mmol_l=1.76,
               fibrinogen_g_l=3.61)


def with_(base, **changes):
    return {**base, **changes}


def without(base, *keys):
    return {k: v for k, v in base.items() if k not in keys}


# --------------------------------------------------------------------------------------------------- HScore
def test_hscore_worked_case_238():
    """fever 39.0 → 33; hepato + spleno → 38; Hb 8.5 ≤ 9.2 and plt 90 ≤ 110 (leukocytes 6 > 5) → 2 lineages → 24;
    ferritin 8000 > 6000 → 50; TG 2.0 in 1.5-4 → 44; fibrinogen 2.0 ≤ 2.5 → 30; AST 120 ≥ 30 → 19; no marrow
    haemophagocytosis → 0; no immunosuppression → 0; total 33+38+24+50+44+30+19 = 238.
    Probability: 238 lies between the rows 230 (98 %) and 240 (99 %) → 98-99 %."""
    r = scores.hscore(CASE_238)
    assert (r.low, r.high) == (238, 238)
    assert r.complete and r.unknown == ()
    assert r.points == {"known_immunosuppression": (0, 0), "temperature": (33, 33), "organomegaly": (38, 38),
                        "cytopenias": (24, 24), "ferritin": (50, 50), "triglycerides": (44, 44),
                        "fibrinogen": (30, 30), "ast": (19, 19), "marrow_haemophagocytosis": (0, 0)}
    assert (r.probability.low, r.probability.high, r.probability.text) == (98, 99, "98-99 %")


def test_hscore_all_at_maximum_is_337():
    """IS 18 + 40.0 °C 49 + both organs 38 + Hb 7, leukocytes 2, platelets 30 (3 lineages) 34 + ferritin 10000 50
    + TG 5 64 + fibrinogen 1.0 30 + AST 200 19 + marrow 35 = 337 (the published maximum) → > 99 %."""
    case = dict(known_immunosuppression=True, max_temperature_c=40.0, hepatomegaly=True, splenomegaly=True,
                haemoglobin_g_dl=7.0, leukocytes_g_l=2.0, platelets_g_l=30.0, ferritin_ng_ml=10000.0,
                triglycerides_mmol_l=5.0, fibrinogen_g_l=1.0, ast_u_l=200.0, marrow_haemophagocytosis=True)
    r = scores.hscore(case)
    assert (r.low, r.high) == (337, 337)
    assert r.probability.text == "> 99 %"
    assert published.fact(published.load_facts("scores"), "hscore_max") == 337


def test_hscore_all_at_minimum_is_0():
    """Every component at its 0-points band → 0 → below the first row (90, < 1 %) → < 1 %."""
    r = scores.hscore(HSCORE_ZERO)
    assert (r.low, r.high, r.probability.text) == (0, 0, "< 1 %")
    assert (r.probability.low, r.probability.high) == (0, 1)


def test_hscore_nothing_known_spans_0_to_337():
    r = scores.hscore({})
    assert (r.low, r.high) == (0, 337)
    assert not r.complete and len(r.unknown) == 9
    assert (r.probability.low, r.probability.high, r.probability.text) == (0, 100, "< 1 % to > 99 %")


@pytest.mark.parametrize("key, value, component, points", [
    # temperature: < 38.4 → 0; 38.4-39.4 inclusive → 33; > 39.4 → 49
    ("max_temperature_c", 38.39, "temperature", 0), ("max_temperature_c", 38.4, "temperature", 33),
    ("max_temperature_c", 39.4, "temperature", 33), ("max_temperature_c", 39.41, "temperature", 49),
    # ferritin: < 2000 → 0; 2000-6000 inclusive → 35; > 6000 → 50
    ("ferritin_ng_ml", 1999.9, "ferritin", 0), ("ferritin_ng_ml", 2000, "ferritin", 35),
    ("ferritin_ng_ml", 6000, "ferritin", 35), ("ferritin_ng_ml", 6000.1, "ferritin", 50),
    # triglycerides: < 1.5 → 0; 1.5-4 inclusive → 44; > 4 → 64
    ("triglycerides_mmol_l", 1.49, "triglycerides", 0), ("triglycerides_mmol_l", 1.5, "triglycerides", 44),
    ("triglycerides_mmol_l", 4.0, "triglycerides", 44), ("triglycerides_mmol_l", 4.01, "triglycerides", 64),
    # fibrinogen: ≤ 2.5 → 30; > 2.5 → 0
    ("fibrinogen_g_l", 2.5, "fibrinogen", 30), ("fibrinogen_g_l", 2.51, "fibrinogen", 0),
    # AST: < 30 → 0; ≥ 30 → 19
    ("ast_u_l", 29.9, "ast", 0), ("ast_u_l", 30, "ast", 19),
    # yes/no components
    ("known_immunosuppression", True, "known_immunosuppression", 18),
    ("marrow_haemophagocytosis", True, "marrow_haemophagocytosis", 35),
    ("hepatomegaly", True, "organomegaly", 23), ("splenomegaly", True, "organomegaly", 23),
    # one cytopenic lineage scores 0
    ("haemoglobin_g_dl", 9.2, "cytopenias", 0),
])
def test_hscore_boundaries(key, value, component, points):
    """Starting from a case at 0 points, one value moved to either side of a published threshold."""
    r = scores.hscore(with_(HSCORE_ZERO, **{key: value}))
    assert r.points[component] == (points, points)
    assert (r.low, r.high) == (points, points)


@pytest.mark.parametrize("hb, leuko, plt, points", [
    (9.2, 5.0, 250, 24),     # Hb ≤ 9.2 and leukocytes ≤ 5: 2 lineages → 24
    (9.21, 5.0, 250, 0),     # Hb just above: 1 lineage → 0
    (13, 5.01, 110, 0),      # leukocytes just above, platelets ≤ 110: 1 lineage → 0
    (9.2, 5.0, 110, 34),     # 3 lineages → 34
    (9.2, 7.0, 110.1, 0),    # platelets just above: 1 lineage → 0
    (13, 5.0, 110, 24),      # leukocytes and platelets: 2 → 24
])
def test_hscore_cytopenia_lineages(hb, leuko, plt, points):
    r = scores.hscore(with_(HSCORE_ZERO, haemoglobin_g_dl=hb, leukocytes_g_l=leuko, platelets_g_l=plt))
    assert r.points["cytopenias"] == (points, points)


def test_hscore_both_organs_38():
    assert scores.hscore(with_(HSCORE_ZERO, hepatomegaly=True, splenomegaly=True)).points["organomegaly"] == (38, 38)


@pytest.mark.parametrize("hb, leuko, plt, low, high", [
    (8.0, 4.0, None, 24, 34),    # 2 lineages known, platelets unknown: 2 or 3 → 24-34
    (8.0, None, None, 0, 34),    # 1 known, 2 unknown: 1 to 3 lineages → 0-34
    (13.0, None, None, 0, 24),   # 0 known, 2 unknown: 0 to 2 → 0-24
    (13.0, 7.0, None, 0, 0),     # 0 known, 1 unknown: 0 or 1 lineage → 0 either way (settled)
    (None, None, None, 0, 34),
])
def test_hscore_cytopenias_with_unknown_lineages(hb, leuko, plt, low, high):
    r = scores.hscore(with_(HSCORE_ZERO, haemoglobin_g_dl=hb, leukocytes_g_l=leuko, platelets_g_l=plt))
    assert r.points["cytopenias"] == (low, high)
    assert ("cytopenias" in r.unknown) == (low != high)


def test_hscore_organomegaly_with_one_organ_unknown():
    """Hepatomegaly yes, spleen unknown: 1 or 2 organs → 23-38; hepatomegaly no, spleen unknown → 0-23."""
    assert scores.hscore(with_(HSCORE_ZERO, hepatomegaly=True, splenomegaly=None)).points["organomegaly"] == (23, 38)
    assert scores.hscore(with_(HSCORE_ZERO, splenomegaly=None)).points["organomegaly"] == (0, 23)


def test_hscore_missing_components_give_low_and_high():
    """Temperature 39.5 → 49; hepatomegaly no, spleen unknown → 0-23; Hb 9.2 (≤ 9.2), leukocytes unknown,
    platelets 111 (> 110) → 1-2 lineages → 0-24; ferritin 2000 → 35; TG unknown → 0-64; fibrinogen 2.5 → 30;
    AST 29 → 0; immunosuppression yes → 18; marrow unknown → 0-35.
    low = 49+0+0+35+0+30+0+18+0 = 132; high = 49+23+24+35+64+30+0+18+35 = 278.
    Probability: 132 lies between 130 (9 %) and 140 (16 %) → lower bound 9; 278 ≥ 250 (> 99 %) → upper 100."""
    case = dict(known_immunosuppression=True, max_temperature_c=39.5, hepatomegaly=False, splenomegaly=None,
                haemoglobin_g_dl=9.2, leukocytes_g_l=float("nan"), platelets_g_l=111.0, ferritin_ng_ml=2000.0,
                fibrinogen_g_l=2.5, ast_u_l=29.0, marrow_haemophagocytosis=pd.NA)   # TG key absent
    r = scores.hscore(case)
    assert (r.low, r.high) == (132, 278)
    assert r.unknown == ("organomegaly", "cytopenias", "triglycerides", "marrow_haemophagocytosis")
    assert not r.complete
    assert (r.probability.low, r.probability.high, r.probability.text) == (9, 100, "9 % to > 99 %")


def test_missing_key_none_nan_and_na_are_the_same_unknown():
    base = without(CASE_238, "ferritin_ng_ml")
    results = [scores.hscore(base), scores.hscore(with_(base, ferritin_ng_ml=None)),
               scores.hscore(with_(base, ferritin_ng_ml=np.nan)), scores.hscore(with_(base, ferritin_ng_ml=pd.NA))]
    # 238 - 50 (ferritin) = 188 at ferritin's fewest points (0), 188 + 50 = 238 at its most
    assert {(r.low, r.high, r.unknown) for r in results} == {(188, 238, ("ferritin",))}


def test_numpy_and_integer_inputs_are_accepted():
    case = with_(CASE_238, ferritin_ng_ml=np.int64(8000), ast_u_l=np.float32(120), hepatomegaly=np.bool_(True),
                 splenomegaly=1, known_immunosuppression=0)
    assert scores.hscore(case).low == 238


# ---------------------------------------------------------------------------------------------- probability
@pytest.mark.parametrize("score, low, high, text", [
    # the published rows (facts.md): each row gives its own probability
    (90, 0, 1, "< 1 %"), (100, 1, 1, "1 %"), (110, 3, 3, "3 %"), (120, 5, 5, "5 %"), (130, 9, 9, "9 %"),
    (140, 16, 16, "16 %"), (150, 25, 25, "25 %"), (160, 40, 40, "40 %"), (170, 54, 54, "54 %"),
    (180, 70, 70, "70 %"), (190, 80, 80, "80 %"), (200, 88, 88, "88 %"), (210, 93, 93, "93 %"),
    (220, 96, 96, "96 %"), (230, 98, 98, "98 %"), (240, 99, 99, "99 %"), (250, 99, 100, "> 99 %"),
    # outside the table
    (0, 0, 1, "< 1 %"), (89, 0, 1, "< 1 %"), (251, 99, 100, "> 99 %"), (337, 99, 100, "> 99 %"),
    # between rows: the bracketing rows' probabilities as a range (no interpolation)
    (169, 40, 54, "40-54 %"), (175, 54, 70, "54-70 %"), (171, 54, 70, "54-70 %"),
    (95, 0, 1, "< 1 % to 1 %"), (245, 99, 100, "99 % to > 99 %"),
])
def test_hscore_probability_table(score, low, high, text):
    p = scores.hscore_probability(score)
    assert (p.low, p.high, p.text) == (low, high, text)


def test_hscore_probability_of_a_score_range():
    """132-278: lower bound at 132 (between 130, 9 %, and 140) is 9; upper bound at 278 (> 99 %) is 100.
    150-200: 25 % at 150 to 88 % at 200."""
    assert scores.hscore_probability(132, 278) == scores.Probability(9, 100, "9 % to > 99 %")
    assert scores.hscore_probability(150, 200) == scores.Probability(25, 88, "25-88 %")
    with pytest.raises(ValueError, match="high is below low"):
        scores.hscore_probability(200, 150)


def test_probability_table_rows_as_in_facts_md():
    rows = [(r[0], r[1]) for r in scores.tables().probability]
    assert rows == [(90, "< 1 %"), (100, "1 %"), (110, "3 %"), (120, "5 %"), (130, "9 %"), (140, "16 %"),
                    (150, "25 %"), (160, "40 %"), (170, "54 %"), (180, "70 %"), (190, "80 %"), (200, "88 %"),
                    (210, "93 %"), (220, "96 %"), (230, "98 %"), (240, "99 %"), (250, "> 99 %")]


# ------------------------------------------------------------------------------------------------- HLH-2004
def test_hlh2004_exactly_five_of_eight_is_fulfilled():
    r = scores.hlh2004(HLH_FIVE)
    assert (r.low, r.high, r.required, r.fulfilled) == (5, 5, 5, True)
    assert r.complete
    assert {k for k, v in r.points.items() if v == (1, 1)} == {
        "fever", "splenomegaly", "cytopenias", "triglycerides_fibrinogen", "ferritin"}


@pytest.mark.parametrize("changes, criterion, met", [
    (dict(max_temperature_c=38.4), "fever", 0),                       # < 38.5
    (dict(haemoglobin_g_dl=9.0), "cytopenias", 0),                    # Hb 9.0 is not < 9: 1 lineage
    (dict(platelets_g_l=100.0), "cytopenias", 0),                     # platelets 100 is not < 100: 1 lineage
    (dict(platelets_g_l=150.0, neutrophils_g_l=0.99), "cytopenias", 1),  # Hb 8.9 + neutrophils 0.99 < 1.0
    (dict(platelets_g_l=150.0, neutrophils_g_l=1.0), "cytopenias", 0),   # neutrophils 1.0 is not < 1.0
    (dict(triglycerides_mmol_l=2.99), "triglycerides_fibrinogen", 0),  # TG < 3.0, fibrinogen 2.0 > 1.5
    (dict(triglycerides_mmol_l=2.99, fibrinogen_g_l=1.5), "triglycerides_fibrinogen", 1),  # fibrinogen ≤ 1.5
    (dict(triglycerides_mmol_l=2.99, fibrinogen_g_l=1.51), "triglycerides_fibrinogen", 0),
    (dict(ferritin_ng_ml=499.9), "ferritin", 0),                      # < 500
    (dict(scd25_u_ml=2400.0), "scd25", 1),                            # ≥ 2400
    (dict(nk_activity_low=True), "nk_activity_low", 1),
    (dict(haemophagocytosis=True), "haemophagocytosis", 1),
    (dict(splenomegaly=False), "splenomegaly", 0),
])
def test_hlh2004_boundaries(changes, criterion, met):
    """From HLH_FIVE (5 met), one criterion moved across its threshold: 4 (not fulfilled) or 6 (fulfilled)."""
    base = scores.hlh2004(HLH_FIVE).points[criterion][0]
    r = scores.hlh2004(with_(HLH_FIVE, **changes))
    assert r.points[criterion] == (met, met)
    assert r.low == r.high == 5 - base + met
    assert r.fulfilled is (r.low >= 5)


def test_hlh2004_unknowns_leave_it_undetermined():
    """4 met (fever, spleen, cytopenias, TG) + ferritin and sCD25 unknown: 4-6 → undetermined."""
    r = scores.hlh2004(without(HLH_FIVE, "ferritin_ng_ml", "scd25_u_ml"))
    assert (r.low, r.high, r.fulfilled) == (4, 6, None)
    assert r.unknown == ("ferritin", "scd25")


def test_hlh2004_five_met_with_unknowns_is_fulfilled():
    """5 met + sCD25 and NK unknown: 5-7 → fulfilled whatever they are."""
    r = scores.hlh2004(without(HLH_FIVE, "scd25_u_ml", "nk_activity_low"))
    assert (r.low, r.high, r.fulfilled) == (5, 7, True)


def test_hlh2004_cannot_reach_five():
    """Met: splenomegaly, ferritin (2). Not met: fever 37.0, cytopenias (Hb 12, plt 200, neutrophils 3),
    TG 1.0 / fibrinogen 3.0, haemophagocytosis no. Unknown: NK, sCD25. 2-4 → not fulfilled."""
    case = dict(max_temperature_c=37.0, splenomegaly=True, haemoglobin_g_dl=12.0, platelets_g_l=200.0,
                neutrophils_g_l=3.0, triglycerides_mmol_l=1.0, fibrinogen_g_l=3.0, haemophagocytosis=False,
                ferritin_ng_ml=900.0)
    r = scores.hlh2004(case)
    assert (r.low, r.high, r.fulfilled) == (2, 4, False)


def test_hlh2004_nothing_known():
    r = scores.hlh2004({})
    assert (r.low, r.high, r.fulfilled, len(r.unknown)) == (0, 8, None, 8)


@pytest.mark.parametrize("fever, expected", [(False, (0, 0)), (True, (0, 1)), (None, (0, 1))])
def test_hlh2004_fever_without_temperature(fever, expected):
    """Temperature unknown: an afebrile patient cannot have ≥ 38.5 °C; a febrile one may or may not."""
    r = scores.hlh2004(with_(HLH_FIVE, max_temperature_c=None, fever=fever))
    assert r.points["fever"] == expected


@pytest.mark.parametrize("any_site, marrow, expected", [
    (None, True, (1, 1)),     # marrow haemophagocytosis is haemophagocytosis
    (False, None, (0, 0)),    # none at any site
    (None, False, (0, 1)),    # marrow negative, spleen and nodes unknown
    (None, None, (0, 1)),
    (True, False, (1, 1)),    # spleen or node
])
def test_hlh2004_haemophagocytosis_sites(any_site, marrow, expected):
    r = scores.hlh2004(with_(HLH_FIVE, haemophagocytosis=any_site, marrow_haemophagocytosis=marrow))
    assert r.points["haemophagocytosis"] == expected


@pytest.mark.parametrize("changes, expected", [
    (dict(neutrophils_g_l=None, platelets_g_l=150.0), (0, 1)),   # Hb 8.9 low + neutrophils unknown: 1-2 lineages
    (dict(neutrophils_g_l=None), (1, 1)),                       # Hb and platelets already 2
    (dict(neutrophils_g_l=None, haemoglobin_g_dl=12.0, platelets_g_l=150.0), (0, 0)),  # at most 1
    (dict(triglycerides_mmol_l=None, fibrinogen_g_l=1.4), (1, 1)),  # fibrinogen alone meets it
])
def test_hlh2004_partly_known_criteria(changes, expected):
    r = scores.hlh2004(with_(HLH_FIVE, **changes))
    name = "triglycerides_fibrinogen" if "fibrinogen_g_l" in changes else "cytopenias"
    assert r.points[name] == expected


# ------------------------------------------------------------------------------------------------- MAS 2016
def test_mas2016_two_of_four_at_the_boundaries_is_classified():
    r = scores.mas2016(MAS_TWO)
    assert (r.low, r.high, r.classified) == (2, 2, True)
    assert r.points == {"fever": (1, 1), "ferritin": (1, 1), "platelets": (1, 1), "ast": (1, 1),
                        "triglycerides": (0, 0), "fibrinogen": (0, 0)}


@pytest.mark.parametrize("changes, low, classified", [
    (dict(ast_u_l=48.0), 1, False),                  # AST 48 is not > 48: 1 of 4
    (dict(platelets_g_l=181.1), 1, False),           # platelets > 181: 1 of 4
    (dict(ast_u_l=48.0, triglycerides_mmol_l=1.77), 2, True),   # TG 1.77 > 1.76 replaces AST
    (dict(ast_u_l=48.0, fibrinogen_g_l=3.6), 2, True),          # fibrinogen 3.6 ≤ 3.6 (360 mg/dL)
    (dict(ferritin_ng_ml=684.0), 2, False),          # ferritin must be > 684
    (dict(fever=False), 2, False),                   # not febrile
])
def test_mas2016_boundaries(changes, low, classified):
    r = scores.mas2016(with_(MAS_TWO, **changes))
    assert (r.low, r.classified) == (low, classified)


def test_mas2016_fever_missing_is_undetermined():
    """Ferritin and 2 of 4 met, fever unknown: classification needs a febrile patient → None. A maximum
    temperature does not stand in for the fever answer (the criteria give no threshold)."""
    for case in (without(MAS_TWO, "fever"), with_(MAS_TWO, fever=None),
                 with_(MAS_TWO, fever=None, max_temperature_c=39.5)):
        r = scores.mas2016(case)
        assert (r.low, r.high, r.classified) == (2, 2, None)
        assert r.unknown == ("fever",)


def test_mas2016_fever_missing_but_other_criteria_settle_it():
    """Fever unknown but ferritin 500 ≤ 684: not classified whatever the fever."""
    assert scores.mas2016(with_(MAS_TWO, fever=None, ferritin_ng_ml=500.0)).classified is False


@pytest.mark.parametrize("case, low, high, classified", [
    # platelets 100 met, the other 3 unknown: 1-4 → undetermined
    (dict(fever=True, ferritin_ng_ml=1000.0, platelets_g_l=100.0), 1, 4, None),
    # platelets 200 and AST 30 not met, TG and fibrinogen unknown: 0-2 → undetermined
    (dict(fever=True, ferritin_ng_ml=1000.0, platelets_g_l=200.0, ast_u_l=30.0), 0, 2, None),
    # and TG 1.0 not met: 0-1 → cannot reach 2
    (dict(fever=True, ferritin_ng_ml=1000.0, platelets_g_l=200.0, ast_u_l=30.0, triglycerides_mmol_l=1.0),
     0, 1, False),
    # all 4 supportive met but ferritin unknown → undetermined
    (dict(fever=True, platelets_g_l=100.0, ast_u_l=100.0, triglycerides_mmol_l=3.0, fibrinogen_g_l=1.0),
     4, 4, None),
])
def test_mas2016_with_unknowns(case, low, high, classified):
    r = scores.mas2016(case)
    assert (r.low, r.high, r.classified) == (low, high, classified)


def test_mas2016_docstring_says_sjia_not_adult_dm():
    doc = " ".join(scores.mas2016.__doc__.split())
    assert "systemic juvenile idiopathic arthritis" in doc and "not validated in adult dermatomyositis" in doc


# ---------------------------------------------------------------------------------------------------- units
@pytest.mark.parametrize("mmol_l, mg_dl", [(1.5, 132.7), (4.0, 354.0), (3.0, 265.0), (1.76, 156.0)])
def test_triglyceride_conversion_matches_published_pairs(mmol_l, mg_dl):
    """Published pairs (HScore, HLH-2004, MAS 2016) are rounded: they imply factors 88.3-88.6, so 88.57
    reproduces each within 0.3 %."""
    assert scores.triglycerides_mmol_l_to_mg_dl(mmol_l) == pytest.approx(mg_dl, rel=0.003)
    assert scores.triglycerides_mg_dl_to_mmol_l(mg_dl) == pytest.approx(mmol_l, rel=0.003)


def test_triglyceride_factor_and_round_trip():
    assert scores.triglycerides_mmol_l_to_mg_dl(1.0) == pytest.approx(88.57)
    assert round(scores.triglycerides_mg_dl_to_mmol_l(156.0), 2) == 1.76
    x = np.array([0.5, 1.5, 4.0])
    np.testing.assert_allclose(scores.triglycerides_mg_dl_to_mmol_l(scores.triglycerides_mmol_l_to_mg_dl(x)), x)


def test_fibrinogen_and_ferritin_conversions():
    assert scores.fibrinogen_g_l_to_mg_dl(3.6) == pytest.approx(360.0)     # MAS 2016
    assert scores.fibrinogen_mg_dl_to_g_l(360.0) == pytest.approx(3.6)
    assert scores.fibrinogen_g_l_to_mg_dl(1.5) == pytest.approx(150.0)     # HLH-2004
    assert scores.fibrinogen_g_l_to_mg_dl(2.5) == pytest.approx(250.0)     # HScore
    assert scores.ferritin_ug_l_to_ng_ml(500.0) == 500.0                   # HLH-2004 µg/L = ng/mL
    assert scores.ferritin_ng_ml_to_ug_l(684.0) == 684.0


def test_converted_mas_fibrinogen_threshold_lands_on_the_criterion():
    """360 mg/dL converted (3.6 g/L) meets ≤ 360; 361 mg/dL does not."""
    two_without_fib = with_(MAS_TWO, ast_u_l=10.0)                 # platelets only: 1 of 4
    assert scores.mas2016(with_(two_without_fib, fibrinogen_g_l=scores.fibrinogen_mg_dl_to_g_l(360))).classified
    assert not scores.mas2016(with_(two_without_fib, fibrinogen_g_l=scores.fibrinogen_mg_dl_to_g_l(361))).classified


# ----------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize("key, value, message", [
    ("ferritin_ng_ml", -1.0, r"ferritin_ng_ml: -1.0 is impossible \(negative\)"),
    ("ast_u_l", "abc", r"ast_u_l: 'abc' is not a number"),
    ("haemoglobin_g_dl", "8,5", r"haemoglobin_g_dl: '8,5' is not a number"),
    ("platelets_g_l", True, r"platelets_g_l: True is not a number"),
    ("triglycerides_mmol_l", math.inf, r"triglycerides_mmol_l: inf is not a finite number"),
    ("max_temperature_c", 29.9, r"max_temperature_c: 29.9 °C is impossible"),
    ("max_temperature_c", 45.1, r"max_temperature_c: 45.1 °C is impossible"),
    ("hepatomegaly", "Oui", r"hepatomegaly: 'Oui' is not a yes/no answer"),
    ("marrow_haemophagocytosis", 2, r"marrow_haemophagocytosis: 2 is not a yes/no answer"),
])
def test_invalid_values_raise_naming_key_and_value(key, value, message):
    with pytest.raises(ValueError, match=message):
        scores.hscore(with_(CASE_238, **{key: value}))


def test_temperature_limits_are_accepted():
    assert scores.hscore(with_(HSCORE_ZERO, max_temperature_c=30.0)).low == 0
    assert scores.hscore(with_(HSCORE_ZERO, max_temperature_c=45.0)).low == 49


def test_hlh_and_mas_validate_their_own_keys():
    with pytest.raises(ValueError, match="scd25_u_ml: -5 is impossible"):
        scores.hlh2004(with_(HLH_FIVE, scd25_u_ml=-5))
    with pytest.raises(ValueError, match="fever: 'yes' is not a yes/no answer"):
        scores.mas2016(with_(MAS_TWO, fever="yes"))


# -------------------------------------------------------------------------------------------- results, table
def test_results_are_frozen_and_flatten():
    r = scores.hscore(CASE_238)
    with pytest.raises(AttributeError):
        r.low = 0
    d = r.as_dict(points=True)
    assert d["hscore_low"] == 238 and d["hscore_cytopenias_low"] == 24 and d["hscore_unknown"] == ""
    assert scores.hlh2004(HLH_FIVE).as_dict() == {"hlh2004_met_low": 5, "hlh2004_met_high": 5,
                                                  "hlh2004_fulfilled": True, "hlh2004_unknown": ""}


def test_score_table_one_row_per_case():
    """Rows: the 238 case (HLH: fever 39.0, spleen, Hb 8.5 + plt 90, ferritin 8000 met; TG 2.0 / fib 2.0 not;
    marrow no but other sites, NK, sCD25 unknown → 4-7; MAS: fever column absent → unknown, ferritin 8000,
    plt 90, AST 120, TG 2.0 > 1.76, fib 2.0 ≤ 3.6 → 4 of 4 → undetermined), nothing known, and the 132-278 case."""
    cases = pd.DataFrame([
        {**CASE_238, "record_id": "A"},
        {"record_id": "B"},
        dict(record_id="C", known_immunosuppression=True, max_temperature_c=39.5, hepatomegaly=False,
             haemoglobin_g_dl=9.2, platelets_g_l=111.0, ferritin_ng_ml=2000.0, fibrinogen_g_l=2.5, ast_u_l=29.0),
    ], index=["p1", "p2", "p3"])
    cases["hepatomegaly"] = pd.array(cases["hepatomegaly"].tolist(), dtype="boolean")
    t = scores.score_table(cases)
    assert list(t.index) == ["p1", "p2", "p3"]
    assert t["hscore_low"].tolist() == [238, 0, 132]
    assert t["hscore_high"].tolist() == [238, 337, 278]
    assert t["hscore_probability_low"].tolist() == [98, 0, 9]
    assert t["hscore_probability_high"].tolist() == [99, 100, 100]
    assert t.loc["p1", "hlh2004_met_low"] == 4 and t.loc["p1", "hlh2004_met_high"] == 7
    assert t["hlh2004_fulfilled"].dtype == "boolean" and t["hlh2004_fulfilled"].isna().all()
    assert t.loc["p1", "mas2016_met_low"] == 4 and pd.isna(t.loc["p1", "mas2016_classified"])
    assert {"hlh2004_met_low", "hlh2004_met_high", "hlh2004_fulfilled", "mas2016_met_low", "mas2016_met_high",
            "mas2016_classified", "hscore_probability"} <= set(t.columns)


def test_score_table_names_the_row_of_a_bad_value():
    cases = pd.DataFrame([CASE_238, with_(CASE_238, ferritin_ng_ml="ND")], index=["p1", "p2"])
    with pytest.raises(ValueError, match="row p2: ferritin_ng_ml: 'ND' is not a number"):
        scores.score_table(cases)


def test_score_table_empty():
    t = scores.score_table(pd.DataFrame(columns=["ferritin_ng_ml"]))
    assert t.empty and "hscore_low" in t.columns


# ------------------------------------------------------------------------------------------------ the tables
def test_interval_notation():
    i = scores.Interval.parse("[1.5, 4)")
    assert 1.5 in i and 3.99 in i and 4 not in i and 1.49 not in i
    assert str(scores.Interval.parse("(-inf, 30)")) == "(-inf, 30)"
    for bad in ("[-inf, 3)", "(1, 2", "[3, 1]", "(0, inf]"):
        with pytest.raises(ValueError):
            scores.Interval.parse(bad)


@pytest.fixture
def patched_tables(monkeypatch):
    """Serve an edited copy of the tables, and forget it afterwards."""
    real = published.load_study("scores")

    def patch(edit):
        import copy
        doc = copy.deepcopy(real)
        edit(doc["tables"])
        monkeypatch.setattr(scores.published, "load_study", lambda study: doc)
        scores.tables.cache_clear()

    yield patch
    scores.tables.cache_clear()


def test_a_gap_between_bands_is_refused(patched_tables):
    def edit(t):   # 38.4 itself would belong to no band
        t["hscore"]["components"][1]["bands"][1]["interval"] = "(38.4, 39.4]"
    patched_tables(edit)
    with pytest.raises(InputFileError, match="'temperature': bands .* leave a gap or overlap"):
        scores.tables()


def test_points_not_adding_up_to_337_are_refused(patched_tables):
    def edit(t):
        t["hscore"]["components"][0]["points_by_count"][1] = 17
    patched_tables(edit)
    with pytest.raises(InputFileError, match="add up to 336, not the published maximum 337"):
        scores.tables()


def test_tables_section_leaves_the_published_facts_as_they_were():
    facts = published.load_facts("scores")
    assert published.fact(facts, "hscore_cutoff") == 169
    assert published.fact(facts, "hlh2004_required") == 5
    assert published.fact(facts, "mas2016_ferritin") == "> 684"
    assert scores.tables().hscore_maximum == 337 and scores.tables().hlh2004_required == 5
