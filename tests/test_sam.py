"""Ingestion of CRF exports (messy French CSV, REDCap raw and label), exclusions, pseudonymisation, the synthetic
demo series and the derived tables."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myositis import crf, paths, sam
from myositis.exceptions import InputFileError, MissingKeyError
from myositis.validation import ISSUE_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
MESSY = FIXTURES / "sam_messy_french_export.csv"
KEY = b"a test key of sufficient length"


@pytest.fixture(scope="module")
def messy():
    return sam.load_crf(MESSY)


@pytest.fixture(scope="module")
def series():
    cases, issues = sam.load_crf(sam.SYNTHETIC_FILE)
    return cases, issues, sam.pseudonymise(cases, sam.pseudonym_key(sam.SYNTHETIC_FILE))


def _issue(issues, row, field, rule_start):
    hit = issues[(issues["row"] == row) & (issues["field"] == field) & issues["rule"].str.startswith(rule_start)]
    assert len(hit) == 1, f"row {row}, {field}: no issue starting {rule_start!r}\n{issues.to_string()}"
    return hit.iloc[0]


def test_messy_french_export_keeps_every_row_and_reports_each_problem(messy):
    cases, issues = messy
    text = MESSY.read_bytes().decode("cp1252")
    data_rows = [line for line in text.split("\r\n")[1:] if line.strip()]
    assert len(cases) == len(data_rows) == 11
    assert list(cases["source_row"]) == list(range(2, 13))  # file lines: header = line 1
    assert list(issues.columns) == ISSUE_COLUMNS
    assert "cp1252" in cases.attrs["format"] and "';'" in cases.attrs["format"]
    assert _issue(issues, 4, "mas_date", "outside inclusion window")["severity"] == "error"
    assert _issue(issues, 5, "death_date", "impossible dates: death before MAS")["severity"] == "error"
    assert _issue(issues, 6, "ferritin_ng_ml", "not a number")["value"] == "abc"
    assert ((issues["row"] == 7) & (issues["rule"] == "empty row")).sum() == 1
    dup = _issue(issues, 8, "initials", "duplicate recognition code of line 2")
    assert dup["severity"] == "error" and dup["value"] == sam.MASKED
    assert _issue(issues, 9, "ferritin_ng_ml", "unknown unit 'mg/L'")["severity"] == "warning"
    assert _issue(issues, 10, "haemoglobin_g_dl", "out of range")["value"] == "12,5 g/L"
    assert _issue(issues, 10, "max_temperature_c", "out of range")["value"] == "49"
    assert _issue(issues, 2, "fibrinogen_g_l", "out of range")["value"] == "12,5 g/L"
    assert _issue(issues, 11, "mas_date", "MAS date missing")["severity"] == "error"
    assert _issue(issues, 12, "dm_diagnosis_date", "not a date")["value"] == "31/02/2016"
    assert _issue(issues, 12, "line1_response", "not an allowed value")["value"] == "améliorée"
    assert ((issues["field"] == "commentaires du centre") & (issues["rule"] == "unknown column: ignored")).sum() == 1


def test_messy_export_values_parsed_and_units_converted(messy):
    cases, _ = messy
    by_row = cases.set_index("source_row")
    assert by_row.at[2, "ferritin_ng_ml"] == 12500  # "12 500"
    assert by_row.at[2, "max_temperature_c"] == 39.5  # "39,5"
    assert by_row.at[3, "triglycerides_mmol_l"] == pytest.approx(280 / 88.57)  # "280 mg/dL"
    assert by_row.at[3, "fibrinogen_g_l"] == pytest.approx(1.5)  # "150 mg/dL"
    assert by_row.at[3, "ferritin_ng_ml"] == 8000  # "8000 µg/L"
    assert by_row.at[3, "haemoglobin_g_dl"] == pytest.approx(9.5)  # "95 g/L"
    assert np.isnan(by_row.at[9, "triglycerides_mmol_l"])  # "ND": missing, no issue
    assert by_row.at[3, "department"] == "4" and by_row.at[3, "sex"] == "M"  # French labels → codes
    assert by_row.at[12, "sex"] == "F"
    assert by_row.at[2, "mas_date"] == pd.Timestamp("2015-02-15")  # header given as the French label


def test_exclusions_flow_and_reasons(messy):
    cases, _ = messy
    assert dict(zip(cases["source_row"], cases["exclusion_rule"])) == {
        2: "", 3: "", 4: "outside inclusion window", 5: "impossible dates", 6: "", 7: "empty row", 8: "duplicate",
        9: "", 10: "", 11: "MAS date missing", 12: ""}
    flow = sam.inclusion_flow(cases).set_index(["step", "detail"])["n"]
    assert flow[("received", "rows in the export")] == 11
    assert flow[("valid", "cases of DM with MAS")] == 7
    assert flow[("analysed", "cases analysed")] == 6
    listed = sam.exclusions(cases)
    assert list(listed["row"]) == [4, 5, 7, 8, 11] and (listed["reason"] != "").all()


def test_raw_file_is_not_modified():
    before = hashlib.sha256(MESSY.read_bytes()).hexdigest()
    sam.load_crf(MESSY)
    assert hashlib.sha256(MESSY.read_bytes()).hexdigest() == before


def test_redcap_raw_and_label_exports_give_the_same_cases():
    raw, raw_issues = sam.load_crf(FIXTURES / "sam_redcap_raw_export.csv")
    label, label_issues = sam.load_crf(FIXTURES / "sam_redcap_label_export.csv")
    assert raw.attrs["format"].startswith("REDCap export (raw)")
    assert label.attrs["format"].startswith("REDCap export (labels)")
    assert raw_issues.empty and label_issues.empty
    assert any(c.endswith("___mda5") for c in raw.columns)
    drop = ["source_file"]
    pd.testing.assert_frame_equal(raw.drop(columns=drop), label.drop(columns=drop))
    series, _ = sam.load_crf(sam.SYNTHETIC_FILE)
    cols = ["ferritin_ng_ml", "mas_date", "dm_antibodies___mda5", "line1_response", "death"]
    pd.testing.assert_frame_equal(raw[cols], series[cols].iloc[:3])


def test_missing_file_is_a_clear_error():
    with pytest.raises(InputFileError, match="not found"):
        sam.load_crf("data/private/no_such_export.csv")


def test_key_rules(tmp_path, monkeypatch):
    monkeypatch.delenv(sam.KEY_ENV, raising=False)
    monkeypatch.delenv(sam.KEY_FILE_ENV, raising=False)
    with pytest.raises(MissingKeyError, match=sam.KEY_ENV):
        sam.pseudonym_key("data/private/centre_export.csv")
    assert sam.pseudonym_key(sam.SYNTHETIC_FILE) == sam.DEMO_KEY.encode()
    with pytest.raises(MissingKeyError, match="synthetic series only"):
        sam.pseudonym_key("data/private/centre_export.csv", key=sam.DEMO_KEY)
    with pytest.raises(MissingKeyError, match="at least"):
        sam.pseudonym_key("export.csv", key="short")
    inside = paths.ROOT / "data" / "private" / "pseudonym.key"
    with pytest.raises(MissingKeyError, match="inside the repository"):
        sam.pseudonym_key("export.csv", key_file=str(inside))
    outside = tmp_path / "pseudonym.key"
    outside.write_text("a key kept outside the repository\n", encoding="utf-8")
    monkeypatch.setenv(sam.KEY_FILE_ENV, str(outside))
    assert sam.pseudonym_key("export.csv") == b"a key kept outside the repository"
    monkeypatch.setenv(sam.KEY_ENV, "another key from the environment")
    assert sam.pseudonym_key("export.csv") == b"a key kept outside the repository"  # the key file comes first
    monkeypatch.delenv(sam.KEY_FILE_ENV)
    assert sam.pseudonym_key("export.csv") == b"another key from the environment"


def test_pseudonymised_table_has_no_identifier_date_or_free_text(series, tmp_path):
    cases, _, _ = series
    p = sam.pseudonymise(cases, KEY)
    assert len(p) == len(cases)
    assert p["pseudonym"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert p["pseudonym"].nunique() == len(p) - 1  # the planted duplicate: one person, one pseudonym
    forbidden = {"initials", "birth_date", "recognition_code", "centre", "record_id", "mas_date", "comments",
                 "mas_infection_agent", "mas_treatment_other", "dm_antibodies_other"}
    assert not forbidden & set(p.columns)
    assert not [c for c in p.columns if c.endswith("_date")]
    assert not [c for c in p.columns if pd.api.types.is_datetime64_any_dtype(p[c])]
    first = cases.iloc[0]
    assert p.at[0, "age_at_mas_years"] == round((first["mas_date"] - first["birth_date"]).days / 365.25, 1)
    assert p.at[0, "last_followup_day"] == (first["last_followup_date"] - first["mas_date"]).days
    assert sam.pseudonymise(cases, KEY)["pseudonym"].equals(p["pseudonym"])  # stable with the same key
    assert not sam.pseudonymise(cases, b"a different key, same length!")["pseudonym"].equals(p["pseudonym"])
    written = sam.write_processed(p, tmp_path)
    text = written.read_text(encoding="utf-8")
    for s in sam.privacy_strings(cases):
        assert s not in text
    with pytest.raises(InputFileError, match="birth_date"):
        sam.write_processed(p.assign(birth_date="x"), tmp_path)
    with pytest.raises(MissingKeyError):
        sam.pseudonymise(cases, b"")


def test_duplicate_pseudonym_shared_only_by_the_planted_duplicate(series):
    _, _, p = series
    shared = p[p["pseudonym"].duplicated(keep=False)]
    assert len(shared) == 2 and set(shared["exclusion_rule"]) == {"", "duplicate"}


def test_committed_synthetic_series_equals_a_regeneration():
    assert paths.resolve(sam.SYNTHETIC_FILE).read_bytes() == sam.synthetic_series_bytes()


def test_synthetic_series_looks_like_a_call_for_cases(series):
    cases, issues, p = series
    assert len(cases) == 30
    assert cases["centre"].isin([c for c, _, _ in crf.load().field("centre").choices]).all()
    assert set(issues.loc[issues["severity"] == "error", "rule"].str.split(" ").str[0]) == {"outside", "duplicate"}
    a = sam.analysed(p)
    profile = sam.antibody_profile(a).value_counts()
    assert profile.idxmax() == "anti-MDA5" and 0.55 <= profile["anti-MDA5"] / len(a) <= 0.8
    assert 2 <= profile["anti-SAE"] <= 3
    assert (a["sex"] == "F").mean() > 0.6
    assert 0.3 <= a["death"].mean() <= 0.7
    missing = a[["ferritin_ng_ml", "triglycerides_mmol_l", "fibrinogen_g_l", "ldh_u_l"]].isna().mean()
    assert (missing > 0).all() and (missing < 0.4).all()


def test_derived_tables(series):
    _, _, p = series
    a = sam.analysed(p)
    lines = sam.treatment_lines(a)
    assert set(lines["line"]) <= {1, 2, 3, 4} and (lines.groupby("pseudonym")["line"].min() == 1).all()
    assert (lines["end_day"].dropna() >= lines.loc[lines["end_day"].notna(), "start_day"]).all()
    first = sam.first_line_response(a)
    assert first["n"].sum() == lines["pseudonym"].nunique()
    assert (first[["complete", "partial", "none", "not evaluable", "unknown"]].sum(axis=1) == first["n"]).all()
    surv = sam.survival_data(a)
    assert len(surv) + surv.attrs["unknown"] == len(a)
    assert (surv["time_months"] >= 0).all() and set(surv["event"]) <= {0, 1}
    counts = sam.checkbox_counts(a, "dm_antibodies", sam.ANTIBODY_LABELS).set_index("choice")
    assert counts.at["anti-MDA5", "n"] == (sam.antibody_profile(a) == "anti-MDA5").sum()
    labs = sam.lab_summary(a, {"ferritin_ng_ml": "ferritin"})
    assert labs.at[0, "known"] + labs.at[0, "missing"] == len(a)
    outcome = sam.outcomes(a).set_index("feature")
    assert outcome.at["death", "n"] == int(a["death"].sum())


def test_antibody_profile_unticked_boxes_are_not_a_negative_test():
    """REDCap exports an unticked box as 0: only an answered test turns unticked boxes into "none found"."""
    boxes = {f"dm_antibodies___{a}": False for a in sam.ANTIBODY_ORDER}
    p = pd.DataFrame([{**boxes, "dm_antibodies_tested": False}, {**boxes, "dm_antibodies_tested": True},
                      {**boxes, "dm_antibodies_tested": None}, {**boxes, "dm_antibodies___sae": True,
                                                                "dm_antibodies_tested": None}])
    assert list(sam.antibody_profile(p)) == ["not tested / unknown", "none found", "none found", "anti-SAE"]


def test_a_column_given_twice_is_reported_as_such(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("record_id;mas_date;Date du diagnostic du SAM\n1;15/02/2015;16/02/2015\n", encoding="utf-8")
    cases, issues = sam.load_crf(export)
    assert cases.at[0, "mas_date"] == pd.Timestamp("2015-02-15")
    hit = issues[issues["field"] == "Date du diagnostic du SAM"]
    assert list(hit["rule"]) == ["second column for mas_date (first: mas_date): ignored"]
    assert list(hit["severity"]) == ["warning"] and hit["row"].isna().all()


def _run_notebook(tmp_path, crf_file):
    import papermill

    return papermill.execute_notebook(
        str(paths.NOTEBOOKS / "sam_case_series.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
        cwd=str(paths.NOTEBOOKS), progress_bar=False,
        parameters={"crf_file": str(crf_file), "output_dir": str(tmp_path / "report"),
                    "processed_dir": str(tmp_path / "processed")})


@pytest.mark.batch
def test_notebook_runs_unchanged_on_a_real_style_export(tmp_path, monkeypatch):
    """A REDCap export that is not the synthetic series: the key comes from the environment, the text says
    nothing of synthetic data, and only the pseudonymised table is written."""
    import nbformat

    export = tmp_path / "export_redcap_centre.csv"
    export.write_bytes((FIXTURES / "sam_redcap_raw_export.csv").read_bytes())
    monkeypatch.setenv("MYOSITIS_PSEUDONYM_KEY", "a-test-key-of-more-than-16-characters")
    _run_notebook(tmp_path, export)
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Synthetic data" not in text
    written = sorted(p.name for p in (tmp_path / "processed").iterdir())
    assert written == ["cases_pseudonymised.csv"]
    assert (tmp_path / "report" / "validation_report.csv").exists()


@pytest.mark.batch
def test_notebook_stops_on_a_real_export_without_key(tmp_path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    export = tmp_path / "export_redcap_centre.csv"
    export.write_bytes((FIXTURES / "sam_redcap_raw_export.csv").read_bytes())
    monkeypatch.delenv("MYOSITIS_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("MYOSITIS_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(PapermillExecutionError, match="MissingKeyError"):
        _run_notebook(tmp_path, export)
    assert not (tmp_path / "processed").exists() or not any((tmp_path / "processed").iterdir())


def test_demo_key_only_for_the_bundled_synthetic_series_by_content(tmp_path, monkeypatch):
    monkeypatch.delenv("MYOSITIS_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("MYOSITIS_PSEUDONYM_KEY_FILE", raising=False)
    copy = tmp_path / "any_name.csv"
    copy.write_bytes(paths.resolve(sam.SYNTHETIC_FILE).read_bytes())
    assert sam.pseudonym_key(copy) == sam.DEMO_KEY.encode()
    named = tmp_path / "synthetic_but_real.csv"
    named.write_bytes((FIXTURES / "sam_redcap_raw_export.csv").read_bytes())
    with pytest.raises(MissingKeyError):
        sam.pseudonym_key(named)


def test_processed_file_of_synthetic_data_says_synthetic(series, tmp_path):
    _, _, pseudo = series
    assert sam.write_processed(pseudo, tmp_path, synthetic=True).name == "synthetic_cases_pseudonymised.csv"
    assert sam.write_processed(pseudo, tmp_path).name == "cases_pseudonymised.csv"


def test_typed_columns_equal_the_column_by_column_conversion(monkeypatch):
    """load_crf types the parsed cells of every CRF column in one table (ingest._typed); the result equals the
    previous conversion, which replaced one column at a time (kept here as the reference), on the messy French
    export, the REDCap label export and the bundled series."""
    from myositis import crf as crf_module
    from myositis.sam import ingest

    def column_by_column(cases, crf):
        cases = cases.copy()
        for f in crf.fields:
            if f.type == "date":
                cases[f.name] = ingest._dates(cases[f.name])
            elif f.is_yes_no:
                cases[f.name] = pd.array(cases[f.name].tolist(), dtype="boolean")
            elif f.type in ("number", "integer"):
                cases[f.name] = pd.to_numeric(cases[f.name], errors="coerce").astype(float)
        for c in (c for f in crf.fields if f.type == "checkbox" for c in f.columns):
            cases[c] = pd.array(cases[c].tolist(), dtype="boolean")
        return cases

    seen = []
    typed = ingest._typed
    monkeypatch.setattr(ingest, "_typed", lambda cases, crf: seen.append(cases.copy()) or typed(cases, crf))
    for f in ("tests/fixtures/sam_messy_french_export.csv", "tests/fixtures/sam_redcap_label_export.csv",
              "data/raw/sam_synthetic_series.csv"):
        sam.load_crf(f)
    assert len(seen) == 3
    crf = crf_module.load()
    for untyped in seen:
        pd.testing.assert_frame_equal(typed(untyped, crf), column_by_column(untyped, crf), check_exact=True)


def test_required_fields_left_empty_are_reported_per_row():
    """Every required CRF field left empty is a warning at its file line (load_crf passes the CRF's required
    fields to the row checks): the messy French export leaves the centre or the DM diagnosis date empty on 11
    rows."""
    from myositis import crf as crf_module

    _, issues = sam.load_crf("tests/fixtures/sam_messy_french_export.csv")
    empty = issues[issues["rule"] == "required field is empty"]
    assert len(empty) == 11 and set(empty["field"]) == {"centre", "dm_diagnosis_date"}
    assert "centre" in crf_module.load().names(required=True)
