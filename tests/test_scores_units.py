"""Every threshold of HScore, HLH-2004 and MAS 2016, entered at the threshold in each unit the eCRF accepts.

The thresholds below are typed from the published wording (../shared/facts.md "Scores"; the HScore triglyceride
pair 132.7-354 mg/dL and fibrinogen 250 mg/dL also in the table of PMC7589537), never read back from
``scores.yaml``. A value is typed as a centre would (``"132.7 mg/dL"``), converted as ``load_crf`` converts it
(``Field.to_stored_unit``, the CRF's factors), then scored with the public functions. For each threshold and unit:

- at the threshold, the value lands on the side the published wording puts it ("≥ 1.5" meets at 1.5; "> 1.76"
  does not meet at 1.76), in *every* unit: 132.7 mg/dL (= 1.498 mmol/L) scores 44 HScore points like 1.5 mmol/L,
  265 mg/dL meets HLH-2004's ≥ 265 mg/dL, 156 mg/dL does not meet MAS 2016's > 156 mg/dL;
- one step of the typed precision below and above, the value lands on each side.

A unit with no published figure takes the figure of a unit with an exact decimal relation (g/L of triglycerides
from mg/dL ÷ 100; haemoglobin g/L from g/dL × 10; cells /mm3 from G/L × 1000); never through the molar factor.
"""

from decimal import Decimal

import pytest

from myositis import crf, scores

# score, component / criterion, key, published wording, figures by unit as published, result just below, just above
THRESHOLDS = [
    ("hscore", "temperature", "max_temperature_c", ">=", {"°C": "38.4"}, 0, 33),
    ("hscore", "temperature", "max_temperature_c", ">", {"°C": "39.4"}, 33, 49),
    ("hscore", "ferritin", "ferritin_ng_ml", ">=", {"ng/mL": "2000"}, 0, 35),
    ("hscore", "ferritin", "ferritin_ng_ml", ">", {"ng/mL": "6000"}, 35, 50),
    ("hscore", "triglycerides", "triglycerides_mmol_l", ">=", {"mmol/L": "1.5", "mg/dL": "132.7"}, 0, 44),
    ("hscore", "triglycerides", "triglycerides_mmol_l", ">", {"mmol/L": "4", "mg/dL": "354"}, 44, 64),
    ("hscore", "fibrinogen", "fibrinogen_g_l", "<=", {"g/L": "2.5", "mg/dL": "250"}, 30, 0),
    ("hscore", "ast", "ast_u_l", ">=", {"U/L": "30"}, 0, 19),
    # cytopenias with one other lineage low: the threshold decides between one lineage (0) and two (24)
    ("hscore", "cytopenias", "haemoglobin_g_dl", "<=", {"g/dL": "9.2"}, 24, 0),
    ("hscore", "cytopenias", "leukocytes_g_l", "<=", {"G/L": "5"}, 24, 0),
    ("hscore", "cytopenias", "platelets_g_l", "<=", {"G/L": "110"}, 24, 0),
    ("hlh2004", "fever", "max_temperature_c", ">=", {"°C": "38.5"}, False, True),
    ("hlh2004", "cytopenias", "haemoglobin_g_dl", "<", {"g/dL": "9"}, True, False),
    ("hlh2004", "cytopenias", "platelets_g_l", "<", {"G/L": "100"}, True, False),
    ("hlh2004", "cytopenias", "neutrophils_g_l", "<", {"G/L": "1.0"}, True, False),
    ("hlh2004", "triglycerides_fibrinogen", "triglycerides_mmol_l", ">=", {"mmol/L": "3.0", "mg/dL": "265"},
     False, True),
    ("hlh2004", "triglycerides_fibrinogen", "fibrinogen_g_l", "<=", {"g/L": "1.5"}, True, False),
    ("hlh2004", "ferritin", "ferritin_ng_ml", ">=", {"µg/L": "500"}, False, True),
    ("hlh2004", "scd25", "scd25_u_ml", ">=", {"U/mL": "2400"}, False, True),
    ("mas2016", "ferritin", "ferritin_ng_ml", ">", {"ng/mL": "684"}, False, True),
    ("mas2016", "platelets", "platelets_g_l", "<=", {"G/L": "181"}, True, False),
    ("mas2016", "ast", "ast_u_l", ">", {"U/L": "48"}, False, True),
    ("mas2016", "triglycerides", "triglycerides_mmol_l", ">", {"mmol/L": "1.76", "mg/dL": "156"}, False, True),
    ("mas2016", "fibrinogen", "fibrinogen_g_l", "<=", {"mg/dL": "360"}, True, False),
]

#: Cases where nothing is met, in the stored units; the threshold's key is then set to the value under test.
BASE = {
    "hscore": dict(known_immunosuppression=False, max_temperature_c=37.0, hepatomegaly=False, splenomegaly=False,
                   haemoglobin_g_dl=13.0, leukocytes_g_l=7.0, platelets_g_l=250.0, ferritin_ng_ml=300.0,
                   triglycerides_mmol_l=1.0, fibrinogen_g_l=3.0, ast_u_l=20.0, marrow_haemophagocytosis=False),
    "hlh2004": dict(max_temperature_c=37.0, fever=False, splenomegaly=False, haemoglobin_g_dl=13.0,
                    platelets_g_l=250.0, neutrophils_g_l=5.0, triglycerides_mmol_l=1.0, fibrinogen_g_l=3.0,
                    haemophagocytosis=False, marrow_haemophagocytosis=False, nk_activity_low=False,
                    ferritin_ng_ml=100.0, scd25_u_ml=100.0),
    "mas2016": dict(fever=True, ferritin_ng_ml=1000.0, platelets_g_l=300.0, ast_u_l=10.0, triglycerides_mmol_l=1.0,
                    fibrinogen_g_l=5.0),
}
#: For the cytopenia thresholds, another lineage clearly low so that the threshold decides the count.
OTHER_LINEAGE = {"haemoglobin_g_dl": {"platelets_g_l": 50.0}, "leukocytes_g_l": {"haemoglobin_g_dl": 8.0},
                 "platelets_g_l": {"haemoglobin_g_dl": 8.0}, "neutrophils_g_l": {"haemoglobin_g_dl": 8.0}}
SCORE = {"hscore": scores.hscore, "hlh2004": scores.hlh2004, "mas2016": scores.mas2016}


def _result(score, name, key, stored):
    case = dict(BASE[score])
    if name == "cytopenias":
        case.update(OTHER_LINEAGE[key])
    case[key] = stored
    lo, hi = SCORE[score](case).points[name]
    assert lo == hi, f"{score} {name} left unknown"
    return lo if score == "hscore" else bool(lo)


def _typed(figures: dict, field) -> list[tuple[str, str]]:
    """(unit, value as typed) for every unit the CRF field accepts: the published figure in that unit, or one
    derived from a published unit by an exact power of ten."""
    factors = field.unit_factors()
    published = {crf.normalise_unit(u): (u, text) for u, text in figures.items()}
    units = {crf.normalise_unit(field.unit): field.unit} | {crf.normalise_unit(u): u for u, _ in field.conversions}
    out = []
    for norm, unit in units.items():
        if norm in published:
            out.append((unit, published[norm][1]))
            continue
        for p_norm, (_, text) in published.items():
            ratio = Decimal(str(factors[norm])) / Decimal(str(factors[p_norm]))
            if ratio == Decimal(10) ** ratio.adjusted():  # an exact power of ten
                out.append((unit, format((Decimal(text) * ratio).normalize(), "f")))
                break
        else:
            raise AssertionError(f"{field.name}: no published figure convertible exactly to {unit}")
    return out


CASES = [pytest.param(score, name, key, op, unit, text, below, above, id=f"{score}-{key}{op}{text}{unit}")
         for score, name, key, op, figures, below, above in THRESHOLDS
         for unit, text in _typed(figures, crf.load().field(key))]


@pytest.mark.parametrize("score, name, key, op, unit, text, below, above", CASES)
def test_threshold_entered_in_each_accepted_unit(score, name, key, op, unit, text, below, above):
    field = crf.load().field(key)
    step = Decimal(1).scaleb(Decimal(text).as_tuple().exponent)   # one unit of the last typed digit
    at = above if op in (">=", "<") else below

    def stored(t):
        return field.to_stored_unit(float(t), unit)

    assert _result(score, name, key, stored(Decimal(text))) == at, f"{text} {unit} exactly at the threshold"
    assert _result(score, name, key, stored(Decimal(text) - step)) == below, f"{Decimal(text) - step} {unit}"
    assert _result(score, name, key, stored(Decimal(text) + step)) == above, f"{Decimal(text) + step} {unit}"


def test_every_unit_of_every_thresholded_field_is_covered():
    """Each key with a threshold gets one case per unit the CRF accepts for it (so a unit added to the CRF
    without a published or exactly derived figure fails ``_typed`` above)."""
    definition = crf.load()
    for key in {t[2] for t in THRESHOLDS}:
        field = definition.field(key)
        expected = {crf.normalise_unit(field.unit)} | {crf.normalise_unit(u) for u, _ in field.conversions}
        covered = {crf.normalise_unit(c.values[4]) for c in CASES if c.values[2] == key}
        assert covered == expected, key


def test_one_triglyceride_factor_in_the_crf_and_the_scores():
    """The eCRF's conversions and the scores' factor are the same number (88.57 mg/dL per mmol/L)."""
    factor = scores.tables().units["triglycerides_mg_dl_per_mmol_l"]
    assert factor == 88.57
    tg = crf.load().field("triglycerides_mmol_l").unit_factors()
    assert tg["mg/dl"] == factor
    assert tg["g/l"] == pytest.approx(factor / 100, rel=1e-12)


def test_the_reported_cases_of_the_issue():
    """132.7 mg/dL scored 0 HScore points (1.499 mmol/L with ÷ 88.5) and 265 mg/dL failed HLH-2004's ≥ 265 mg/dL."""
    tg = crf.load().field("triglycerides_mmol_l")
    assert _result("hscore", "triglycerides", tg.name, tg.to_stored_unit(132.7, "mg/dL")) == 44
    assert _result("hlh2004", "triglycerides_fibrinogen", tg.name, tg.to_stored_unit(265, "mg/dL")) is True
