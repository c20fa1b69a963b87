"""SAM rules at their boundaries and the derived tables by value, on a small export whose every expected value is
worked out by hand below (the mutation check of issue 12 found these rules unguarded):

- inclusion window 01/01/2010 to 01/10/2020, both ends included;
- a death on the MAS day is possible (0 days of survival, an event), only a death before MAS is impossible;
- a MAS before birth is impossible;
- of two rows with one recognition code, the first row not excluded for another reason is kept;
- months are average months: DAYS_PER_MONTH = 365.25 / 12.
"""

import pandas as pd
import pytest

from myositis import sam, units

HEADER = ("record_id;initials;birth_date;centre;sex;mas_date;death;death_date;last_followup_date;"
          "line1_drugs___gc;line1_start;line1_response;line2_drugs___ivig;line2_start;ferritin_ng_ml")
ROWS = [
    "1;AAAA;01/01/1960;REI;F;01/10/2020;Non;;01/04/2021;Oui;01/10/2020;Réponse partielle;Oui;11/10/2020;1000",
    "2;BBBB;01/01/1960;REI;F;02/10/2020;Non;;01/04/2021;;;;;;",          # the day after the window
    "3;CCCC;01/01/1960;REI;F;01/01/2010;Non;;01/01/2011;;;;;;3000",      # first day of the window
    "4;DDDD;01/01/1960;REI;F;31/12/2009;Non;;01/01/2011;;;;;;",          # the day before
    "5;EEEE;01/01/1970;REI;F;15/03/2015;Oui;15/03/2015;;;;;;;5000",      # death on the MAS day
    "6;FFFF;01/06/2015;REI;F;01/03/2015;Non;;01/03/2016;;;;;;",          # MAS before birth
    "7;GGGG;01/01/1965;REI;F;10/05/2016;Oui;01/05/2016;;;;;;;",          # death before MAS, duplicate of 8
    "8;GGGG;01/01/1965;NTE;F;10/05/2016;Oui;20/05/2016;;;;;;;",          # same patient, valid: kept
    "9;HHHH;01/01/1966;REI;F;10/05/2017;Non;;10/05/2018;;;;;;7000",       # both valid: the first is kept
    "10;HHHH;01/01/1966;LYO;F;10/05/2017;Non;;10/05/2018;;;;;;",
]
KEY = "a test key of more than sixteen characters"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    f = tmp_path_factory.mktemp("rules") / "rules.csv"
    f.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    cases, issues = sam.load_crf(f)
    cohort = sam.pseudonymise(cases, sam.pseudonym_key(f, key=KEY))
    return cases, issues, cohort


def rule(cases, record):
    return cases.loc[cases["record_id"] == str(record), "exclusion_rule"].item()


def test_inclusion_window_both_ends_included(loaded):
    cases, _, _ = loaded
    assert rule(cases, 1) == "" and rule(cases, 3) == ""                       # 01/10/2020 and 01/01/2010
    assert rule(cases, 2) == "outside inclusion window" == rule(cases, 4)     # 02/10/2020 and 31/12/2009


def test_death_on_the_mas_day_is_possible(loaded):
    cases, issues, _ = loaded
    assert rule(cases, 5) == ""
    assert not ((issues["rule"].str.startswith("impossible dates")) & (issues["field"] == "death_date")
                & (issues["row"] == 6)).any()                                 # record 5 is on file line 6
    assert rule(cases, 7) == "impossible dates"                               # nine days before MAS


def test_mas_before_birth_is_impossible(loaded):
    cases, issues, _ = loaded
    assert rule(cases, 6) == "impossible dates"
    assert ((issues["rule"] == "impossible dates: MAS before birth") & (issues["row"] == 7)).sum() == 1  # line 7


def test_the_right_row_of_a_duplicate_is_kept(loaded):
    cases, _, _ = loaded
    assert rule(cases, 8) == ""                 # row 7 (same code) is excluded for its dates: row 8 is kept
    assert rule(cases, 7) == "impossible dates"
    assert rule(cases, 9) == "" and rule(cases, 10) == "duplicate"   # both valid: the first is kept


def test_days_per_month_is_an_average_month():
    assert units.DAYS_PER_MONTH == 365.25 / 12 == sam.DAYS_PER_MONTH


def test_follow_up_and_survival_by_hand(loaded):
    """Analysed: records 1, 3, 5, 8, 9.
    1: MAS 01/10/2020, alive at 01/04/2021 → 182 days → 182 × 12 / 365.25 = 5.979466 months, event 0;
    3: 01/01/2010 → 01/01/2011 = 365 days → 11.991786 months, event 0; 5: death on the MAS day → 0, event 1;
    8: MAS 10/05/2016, death 20/05/2016 → 10 days → 0.328542 months, event 1;
    9: 10/05/2017 → 10/05/2018 = 365 days → 11.991786, event 0."""
    _, _, cohort = loaded
    a = sam.analysed(cohort)
    assert list(sam.follow_up_days(a)) == [182, 365, 0, 10, 365]
    s = sam.survival_data(a)
    assert list(s["event"]) == [0, 0, 1, 1, 0]
    assert list(s["time_months"]) == pytest.approx([5.979466, 11.991786, 0.0, 0.328542, 11.991786], abs=1e-6)


def test_treatment_lines_by_hand(loaded):
    """Record 1: line 1 GC from day 0 (01/10/2020), partial response, until line 2 (IVIG, day 10: 11/10/2020),
    which runs to the end of follow-up (day 182) with no response given."""
    _, _, cohort = loaded
    a = sam.analysed(cohort)
    lines = sam.treatment_lines(a)
    assert lines[["line", "regimen", "start_day", "end_day", "response"]].values.tolist() == [
        [1, "GC", 0.0, 10.0, "partial"], [2, "IVIG", 10.0, 182.0, "unknown"]]


def test_lab_summary_by_hand(loaded):
    """Ferritin of the analysed (1, 3, 5, 8, 9): 1000, 3000, 5000, missing, 7000 → 4 known, 1 missing,
    median 4000, quartiles (linear, as R's default type 7) 2500 and 5500, range 1000-7000."""
    _, _, cohort = loaded
    t = sam.lab_summary(sam.analysed(cohort), {"ferritin_ng_ml": "ferritin"}).iloc[0]
    assert (t["known"], t["missing"], t["median"], t["q1"], t["q3"], t["min"], t["max"]) == (
        4, 1, 4000, 2500, 5500, 1000, 7000)


def test_the_valid_row_of_a_cross_centre_duplicate_is_kept(tmp_path):
    """The same patient in two centres' files: the first file's row has impossible dates (death before MAS), the
    second file's is valid. The valid row is kept (not the first file's), the invalid one keeps its own reason;
    when both are valid the first file's row is kept and the other is the duplicate."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a_NTE.csv").write_text("\n".join([
        HEADER, "1;KKKK;01/01/1961;NTE;F;10/05/2016;Oui;01/05/2016;;;;;;;",      # death before MAS
        "2;LLLL;01/01/1962;NTE;F;10/05/2017;Non;;10/05/2018;;;;;;"]) + "\n", encoding="utf-8")
    (folder / "b_REI.csv").write_text("\n".join([
        HEADER, "1;KKKK;01/01/1961;REI;F;10/05/2016;Oui;20/05/2016;;;;;;;",      # same patient, valid
        "2;LLLL;01/01/1962;REI;F;10/05/2017;Non;;10/05/2018;;;;;;"]) + "\n", encoding="utf-8")
    cases, _ = sam.load_crf(folder)
    by = {(f, r): x for f, r, x in zip(cases["source_file"], cases["record_id"], cases["exclusion_rule"])}
    assert by[("a_NTE.csv", "1")] == "impossible dates" and by[("b_REI.csv", "1")] == ""
    assert by[("a_NTE.csv", "2")] == "" and by[("b_REI.csv", "2")] == "duplicate"


@pytest.mark.parametrize("typed, score, criterion, expected", [
    ("1,5", "hscore", "triglycerides", (44, 44)),           # HScore ≥ 1.5 mmol/L or ≥ 132.7 mg/dL
    ("132,7 mg/dL", "hscore", "triglycerides", (44, 44)),
    ("1,327 g/L", "hscore", "triglycerides", (44, 44)),
    ("132,6 mg/dL", "hscore", "triglycerides", (0, 0)),
    ("265 mg/dL", "hlh2004", "triglycerides_fibrinogen", (1, 1)),   # HLH-2004 ≥ 3.0 mmol/L (≥ 265 mg/dL)
    ("2,65 g/L", "hlh2004", "triglycerides_fibrinogen", (1, 1)),
    ("264,9 mg/dL", "hlh2004", "triglycerides_fibrinogen", (0, 1)),  # fibrinogen unknown: not met by TG alone
    ("156 mg/dL", "mas2016", "triglycerides", (0, 0)),          # MAS 2016 > 156 mg/dL (> 1.76 mmol/L)
    ("1,56 g/L", "mas2016", "triglycerides", (0, 0)),
    ("156,1 mg/dL", "mas2016", "triglycerides", (1, 1)),
])
def test_triglyceride_thresholds_typed_in_each_unit_through_the_reader(tmp_path, typed, score, criterion, expected):
    """A triglyceride typed in a centre's export exactly at a published threshold, in each unit the eCRF accepts,
    lands on the threshold's published side after ingestion (the eCRF's conversion factors, not only the scores')."""
    from myositis import scores

    f = tmp_path / "tg.csv"
    # the temperature "39,5" shows the file's decimal comma (alone, "1,327" could be a thousands separator)
    f.write_text("record_id;initials;birth_date;centre;sex;mas_date;max_temperature_c;triglycerides_mmol_l\n"
                 f"1;TGTG;01/01/1960;REI;F;01/06/2015;39,5;{typed}\n", encoding="utf-8")
    cases, issues = sam.load_crf(f)
    assert not (issues["field"] == "triglycerides_mmol_l").any(), typed
    case = cases.iloc[0].to_dict()
    result = {"hscore": scores.hscore, "hlh2004": scores.hlh2004, "mas2016": scores.mas2016}[score](case)
    assert tuple(result.points[criterion]) == expected, typed


def test_response_by_line_in_the_crf_order_with_totals():
    """Hand-made lines: line 1 none, partial, complete, partial; line 2 not evaluable, none. Columns follow the
    CRF's order (complete, partial, none, not evaluable), not the alphabet; totals by line and by response."""
    lines = pd.DataFrame({"line": [1, 1, 1, 1, 2, 2],
                          "response": ["none", "partial", "complete", "partial", "not evaluable", "none"]})
    t = sam.response_by_line(lines)
    assert list(t.columns) == ["complete", "partial", "none", "not evaluable", "total"]
    assert t.loc[1].tolist() == [1, 2, 1, 0, 4]
    assert t.loc[2].tolist() == [0, 0, 1, 1, 2]
    assert t.loc["total"].tolist() == [1, 2, 2, 1, 6]
