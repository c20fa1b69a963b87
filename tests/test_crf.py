"""The eCRF from one definition: REDCap data dictionary rules, Excel template, and a template filled by a centre
read back by load_crf."""

import datetime as dt
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

import redcap_rules
from myositis import crf, sam
from myositis.exceptions import InputFileError


@pytest.fixture(scope="module")
def definition():
    return crf.load()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("crf")
    return crf.write_crf_outputs(out)


def test_definition_covers_the_call_for_cases(definition):
    names = {f.name for f in definition.fields}
    for needed in ("initials", "birth_date", "centre", "department", "sex", "dm_diagnosis_date", "dm_subtype",
                   "dm_skin", "dm_muscle", "dm_ck_u_l", "dm_ild", "dm_cancer", "dm_antibodies", "dm_treatments",
                   "mas_date", "mas_trigger", "mas_infection_agent", "fever", "hepatomegaly", "splenomegaly",
                   "ferritin_ng_ml", "triglycerides_mmol_l", "fibrinogen_g_l", "ast_u_l", "alt_u_l", "ldh_u_l",
                   "scd25_u_ml", "marrow_haemophagocytosis", "known_immunosuppression", "line1_drugs", "line1_start",
                   "line1_response", "line4_response", "icu", "relapse", "death", "death_date", "death_cause",
                   "last_followup_date"):
        assert needed in names, needed
    antibodies = {c for c, _, _ in definition.field("dm_antibodies").choices}
    assert {"mda5", "mi2", "tif1g", "nxp2", "sae", "ars", "other"} <= antibodies
    drugs = {c for c, _, _ in definition.field("line1_drugs").choices}
    assert {"gc", "mp_pulse", "ivig", "etoposide", "anakinra", "csa", "tac", "jaki", "tcz", "rtx", "cyc", "pex",
            "other"} <= drugs


def test_score_keys_are_crf_fields(definition):
    """A case row maps onto myositis.scores keys directly (same names, same units)."""
    keys = ["known_immunosuppression", "max_temperature_c", "hepatomegaly", "splenomegaly", "haemoglobin_g_dl",
            "leukocytes_g_l", "platelets_g_l", "ferritin_ng_ml", "triglycerides_mmol_l", "fibrinogen_g_l", "ast_u_l",
            "marrow_haemophagocytosis", "scd25_u_ml", "nk_activity_low", "neutrophils_g_l", "fever",
            "haemophagocytosis"]
    names = {f.name for f in definition.fields}
    assert set(keys) <= names
    assert definition.field("triglycerides_mmol_l").unit_factors()["mg/dl"] == 88.57
    assert definition.field("fibrinogen_g_l").unit_factors()["mg/dl"] == 100
    assert definition.field("ferritin_ng_ml").unit_factors()["ug/l"] == 1


def test_mas_date_range_is_the_inclusion_window(definition):
    """The REDCap/Excel range of the MAS date and the CRF's inclusion note are the window load_crf applies."""
    start, end = sam.inclusion_window()
    mas = definition.field("mas_date")
    assert (mas.min, mas.max) == (start, end)
    assert (definition.inclusion["from"], definition.inclusion["until"]) == (start.isoformat(), end.isoformat())


def test_redcap_dictionary_follows_redcap_rules(outputs):
    d = pd.read_csv(outputs[0], dtype=str, keep_default_na=False)
    with open(outputs[0], encoding="utf-8-sig") as fh:
        header = fh.readline().rstrip("\n")
    assert header == ",".join(f'"{c}"' if "," in c else c for c in crf.REDCAP_COLUMNS)
    assert list(d.columns) == crf.REDCAP_COLUMNS
    names = d["Variable / Field Name"]
    assert names.iloc[0] == "record_id"
    assert names.is_unique
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) and len(n) <= 26 for n in names)
    assert set(d["Field Type"]) <= {"text", "notes", "radio", "dropdown", "checkbox"}
    for _, row in d.iterrows():
        if row["Field Type"] in ("radio", "dropdown", "checkbox"):
            choices = crf.parse_choices(row["Choices, Calculations, OR Slider Labels"])
            assert choices and len({c for c, _ in choices}) == len(choices)
        else:
            assert row["Choices, Calculations, OR Slider Labels"] == ""
        if row["Text Validation Type OR Show Slider Number"] in ("number", "integer"):
            lo, hi = float(row["Text Validation Min"]), float(row["Text Validation Max"])
            assert lo < hi
        if row["Text Validation Type OR Show Slider Number"] == "date_dmy":
            for v in (row["Text Validation Min"], row["Text Validation Max"]):
                assert v == "" or dt.date.fromisoformat(v)
        assert row["Field Annotation"].startswith("EN: ")
    dates = d[names.str.endswith("_date") | names.str.endswith("_start")]
    assert (dates["Text Validation Type OR Show Slider Number"] == "date_dmy").all()
    identifiers = set(d.loc[d["Identifier?"] == "y", "Variable / Field Name"])
    assert identifiers == {"initials", "birth_date"}
    assert d.loc[names == "dm_ild", "Choices, Calculations, OR Slider Labels"].item() == "1, Oui | 0, Non"


def test_parse_choices_rejects_malformed():
    assert crf.parse_choices("1, Oui | 0, Non") == [("1", "Oui"), ("0", "Non")]
    with pytest.raises(ValueError):
        crf.parse_choices("1 Oui | 0, Non")


def test_bad_definition_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title_fr: x\ntitle_en: x\nforms:\n  - name: f\n    label_fr: f\n    label_en: f\n    fields:\n"
                   "      - {name: record_id, type: text, label_fr: a, label_en: a}\n"
                   "      - {name: Bad-Name, type: text, label_fr: a, label_en: a}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="Bad-Name"):
        crf.load(bad)


def test_excel_template_has_dropdowns_and_range_checks(outputs, definition):
    wb = load_workbook(outputs[1])
    assert wb.sheetnames == ["Saisie", "Dictionnaire", "Listes"]
    assert wb["Listes"].sheet_state == "hidden"
    entry = wb["Saisie"]
    header = [c.value for c in entry[1]]
    assert header == definition.columns
    by_column = {}
    for dv in entry.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            by_column[re.match(r"[A-Z]+", rng).group()] = dv
    letter = {name: entry.cell(row=1, column=i + 1).column_letter for i, name in enumerate(header)}
    assert by_column[letter["sex"]].type == "list"
    assert by_column[letter["line1_drugs___etoposide"]].formula1 == '"Oui,Non"'
    ferritin = by_column[letter["ferritin_ng_ml"]]
    assert (ferritin.type, ferritin.operator, ferritin.formula1, ferritin.formula2) == ("decimal", "between", "0",
                                                                                       "500000")
    assert by_column[letter["mas_date"]].type == "date"
    assert entry[f"{letter['mas_date']}1"].comment.text.startswith("Date du diagnostic du SAM")
    assert wb["Dictionnaire"].max_row == len(header) + 1


def test_filled_excel_template_is_read_by_load_crf(outputs, tmp_path):
    wb = load_workbook(outputs[1])
    entry = wb["Saisie"]
    header = [c.value for c in entry[1]]
    values = {"record_id": 1, "initials": "QAZO", "birth_date": dt.datetime(1970, 5, 4), "centre": "SXZ",
              "department": "Dermatologie", "sex": "Femme", "dm_diagnosis_date": dt.datetime(2015, 1, 10),
              "dm_antibodies_tested": "Oui", "dm_antibodies___mda5": "Oui", "dm_antibodies___sae": "Non",
              "mas_date": dt.datetime(2015, 3, 1), "ferritin_ng_ml": 15400, "fibrinogen_g_l": 1.2, "fever": "Oui",
              "line1_drugs___gc": "Oui", "line1_start": dt.datetime(2015, 3, 2), "line1_response": "Réponse partielle",
              "death": "Non", "last_followup_date": dt.datetime(2016, 3, 1)}
    second = dict(values, record_id=2, initials="XEVU", ferritin_ng_ml=900000, mas_date=dt.datetime(2021, 1, 5))
    for r, case in enumerate((values, second), start=2):
        for name, v in case.items():
            entry.cell(row=r, column=header.index(name) + 1, value=v)
    filled = tmp_path / "centre_SXZ.xlsx"
    wb.save(filled)
    cases, issues = sam.load_crf(filled)
    assert len(cases) == 2
    assert "Saisie" in cases.attrs["format"]
    first = cases.iloc[0]
    assert first["mas_date"] == pd.Timestamp("2015-03-01") and first["department"] == "4"
    assert first["ferritin_ng_ml"] == 15400 and bool(first["fever"]) and first["line1_response"] == "2"
    assert bool(first["dm_antibodies___mda5"]) and first["excluded"] == ""
    hit = issues[(issues["row"] == 3) & (issues["field"] == "ferritin_ng_ml")]   # second case: sheet row 3
    assert hit["rule"].str.startswith("out of range").all() and len(hit) == 1
    assert cases.iloc[1]["exclusion_rule"] == "outside inclusion window"


def test_command_line_writes_both_files(tmp_path, capsys):
    assert crf.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redcap_data_dictionary.csv", "sam_crf_template.xlsx"]


# ------------------------------------------------------------------------------------ REDCap upload rules
def test_redcap_dictionary_passes_the_upload_rules(outputs):
    """The rules REDCap applies on upload (tests/redcap_rules.py, written from REDCap's documentation)."""
    assert redcap_rules.problems(outputs[0]) == []


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d.__setitem__("Branching Logic (Show field only if...)", d["Branching Logic (Show field only if...)"]
                             .str.replace("[icu]", "[icu_admission]", regex=False)), "unknown field [icu_admission]"),
    (lambda d: d.__setitem__("Branching Logic (Show field only if...)", d["Branching Logic (Show field only if...)"]
                             .str.replace("(etoposide)", "(vp16)", regex=False)), "[line1_drugs(vp16)]: no such choice"),
    (lambda d: d.__setitem__("Field Annotation", d["Field Annotation"].str.replace("@NONEOFTHEABOVE='none'",
                                                                                    "@NONEOFTHEABOVE='aucun'")),
     "@NONEOFTHEABOVE='aucun' is not one of its codes"),
    (lambda d: d.__setitem__("Branching Logic (Show field only if...)", d["Branching Logic (Show field only if...)"]
                             .str.replace("[death] = '1'", "[death] = 'Oui'", regex=False)),
     "compares [death] with 'Oui'"),
    (lambda d: d.__setitem__("Form Name", d["Form Name"].where(d.index != 3, "sam")), "is not contiguous"),
])
def test_upload_checker_catches_planted_faults(outputs, tmp_path, edit, expected):
    """The checker can fail: each planted fault (what a hand edit of the dictionary typically breaks) is named."""
    d = pd.read_csv(outputs[0], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    edit(d)
    bad = tmp_path / "dictionary.csv"
    d.to_csv(bad, index=False, encoding="utf-8")
    assert any(expected in p for p in redcap_rules.problems(bad)), redcap_rules.problems(bad)


def test_dictionary_opens_in_french_excel(outputs):
    """UTF-8 with a byte-order mark: Excel (French Windows) then decodes UTF-8 instead of Windows-1252, so the
    accents of the labels survive; without the mark 'Hématologie' shows as 'HÃ©matologie'."""
    raw = outputs[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Hématologie" in text and "Date du décès" in text
    assert "Ã©" not in text and "Hématologie" not in raw[3:].decode("cp1252")


def test_every_dependent_field_has_branching(definition):
    """A question that only makes sense after another answer is shown only then: a treatment line's start,
    response, doses and routes on its drugs; a date on its yes/no question; an 'other, specify' on 'other'."""
    names = {f.name for f in definition.fields}
    for f in definition.fields:
        m = re.match(r"line(\d)_(?!drugs$)", f.name)
        if m:
            assert f"[line{m.group(1)}_drugs(" in f.branching, f.name
        stem = f.name.removesuffix("_date").removesuffix("_cause")
        if stem != f.name and stem in names and definition.field(stem).is_yes_no:
            assert f.branching == f"[{stem}] = '1'", f.name
        if f.name.endswith("_other") and f.name.removesuffix("_other") in names:
            assert f"[{f.name.removesuffix('_other')}(other)] = '1'" == f.branching, f.name
    # the drug doses ask only for their own drug
    assert definition.field("line2_etoposide_mg_m2").branching == "[line2_drugs(etoposide)] = '1'"
    assert "[line2_drugs(none)]" not in definition.field("line2_start").branching


def test_none_of_the_above_on_every_aucun_choice(definition):
    d = crf.redcap_dictionary(definition)
    for f in definition.fields:
        tagged = "@NONEOFTHEABOVE='none'" in d.loc[d["Variable / Field Name"] == f.name, "Field Annotation"].item()
        has_aucun = any(fr.startswith("Aucun") for _, fr, _ in f.choices) and f.type == "checkbox"
        assert tagged == has_aucun, f.name
    assert {f.name for f in definition.fields if any(c == "none" for c, _, _ in f.choices)} == {
        "dm_muscle", "dm_antibodies", "dm_treatments", "mas_trigger"}


def test_crf_asks_what_comparisons_with_published_series_need(definition):
    names = {f.name for f in definition.fields}
    assert {"cns_involvement", "haemorrhage", "dic", "cardiac_involvement", "crp_mg_l", "lymphocytes_g_l",
            "bilirubin_umol_l", "ddimers_ng_ml", "mas_type", "dm_onset_age_group", "form_completed_by"} <= names
    for drug in ("gc_mg_kg_d", "gc_route", "ivig_g_kg", "etoposide_mg_m2", "anakinra_mg_d", "csa_mg_kg_d"):
        assert f"line4_{drug}" in names
    note = definition.field("line1_response").note_fr
    for word in ("apyrexie", "ferritine", "cytopénie", "fonctions d'organe"):
        assert word in note
    assert dict((c, fr) for c, fr, _ in definition.field("form_completed_by").choices) == {
        "1": "Le clinicien", "2": "Un attaché de recherche clinique avec le clinicien"}


def test_definition_header_says_what_it_is():
    head = crf.DEFINITION.read_text(encoding="utf-8").split("\nversion:")[0]
    assert "THE one definition" not in head
    assert "this project's design of the eCRF from the call's description" in " ".join(head.replace("#", " ").split())
    assert "annex" in head and "was not available" in head


# ------------------------------------------------------------------------------------ participating centres
def test_centre_codes_are_unique_and_never_an_other_citys_prefix(definition):
    """Nantes and Nancy (and Toulouse/Tours, Poitiers/Pointe-à-Pitre, Saint-Étienne/Saint-Denis) share their
    first 3 letters: neither keeps them, every code is unique."""
    centres = {code: city for code, city, _ in definition.field("centre").choices}
    assert len(centres) == len(set(centres)) >= 30
    assert centres["NTE"] == "Nantes" and centres["NCY"] == "Nancy"
    for shared in ("NAN", "TOU", "POI", "SAI"):
        assert shared not in centres


@pytest.mark.parametrize("typed, code, problem", [
    ("NTE", "NTE", None), ("Nantes", "NTE", None), ("nantes", "NTE", None), ("NCY", "NCY", None),
    ("Nancy", "NCY", None), ("REI", "REI", None), ("rei", "REI", None), ("Saint-Etienne", "STE", None),
    ("Tours", "TRS", None), ("NAN", None, "ambiguous centre: 'NAN' is Nancy (NCY) or Nantes (NTE)"),
    ("Nan", None, "ambiguous centre"), ("TOU", None, "ambiguous centre: 'TOU' is Toulouse (TLS) or Tours (TRS)"),
    ("XYZ", None, "centre not in the list"),
])
def test_resolve_centre(definition, typed, code, problem):
    got, why = crf.resolve_centre(definition.field("centre"), typed)
    assert got == code
    assert (why is None) if problem is None else why.startswith(problem)


def test_a_code_that_is_another_citys_prefix_is_refused(tmp_path):
    text = crf.DEFINITION.read_text(encoding="utf-8").replace("{code: NTE, city: Nantes}", "{code: NAN, city: Nantes}")
    bad = tmp_path / "crf.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match="'NAN' \\(Nantes\\) is the first 3 letters of Nancy"):
        crf.load(bad)


def test_nantes_and_nancy_cases_are_neither_merged_nor_lost(tmp_path):
    """'NAN' is not read as a missing value: it is reported as ambiguous (no recognition code, so no silent
    merge); the same patient from Nantes (NTE) and Nancy (NCY) keeps two centres in the recognition codes."""
    header = "record_id;initials;birth_date;centre;sex;mas_date;last_followup_date"
    rows = ["1;DUJE;01/02/1960;NTE;F;01/03/2015;01/03/2016", "2;MAPA;03/04/1970;NCY;F;01/05/2016;01/05/2017",
            "3;LEBO;05/06/1965;NAN;M;01/07/2017;01/07/2018", "4;LEBO;05/06/1965;Nancy;M;01/07/2017;01/07/2018"]
    f = tmp_path / "centres.csv"
    f.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    cases, issues = sam.load_crf(f)
    assert list(cases["centre"].fillna("")) == ["NTE", "NCY", "", "NCY"]
    assert cases["recognition_code"].iloc[0].endswith("NTE") and cases["recognition_code"].iloc[1].endswith("NCY")
    hit = issues[(issues["field"] == "centre") & issues["rule"].str.startswith("ambiguous centre")]
    assert len(hit) == 1 and hit["value"].item() == "NAN"
