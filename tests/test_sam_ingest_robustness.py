"""SAM ingestion as centres send it (issue 9): keys stripped the same way, transliterated initials, possible
code collisions, uncertain answers, file line numbers, workbooks filled by hand."""

from __future__ import annotations

import pytest

from myositis import sam
from myositis.exceptions import MissingKeyError

HEADER = "record_id;initials;birth_date;centre;sex;mas_date;fever;ferritin_ng_ml"


def _load(tmp_path, *lines, name="centre.csv", encoding="utf-8"):
    f = tmp_path / name
    f.write_bytes(("\r\n".join((HEADER,) + lines) + "\r\n").encode(encoding))
    return sam.load_crf(f)


def test_key_from_environment_and_file_give_the_same_pseudonyms(tmp_path, monkeypatch):
    key = "a-study-key-of-more-than-16-characters"
    monkeypatch.delenv(sam.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(sam.KEY_ENV, key + "\n")
    from_env = sam.pseudonym_key("export.csv")
    monkeypatch.delenv(sam.KEY_ENV)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_bytes(b"\xef\xbb\xbf" + key.encode() + b"\r\n")  # saved by Notepad
    assert sam.pseudonym_key("export.csv", key_file=str(key_file)) == from_env == key.encode()


@pytest.mark.parametrize("blank", [" " * 16, "\ufeff" + " " * 20, "\n\n"])
def test_blank_keys_are_refused(monkeypatch, blank):
    monkeypatch.delenv(sam.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(sam.KEY_ENV, blank)
    with pytest.raises(MissingKeyError):
        sam.pseudonym_key("export.csv")
    with pytest.raises(MissingKeyError):
        sam.pseudonym_key("export.csv", key=blank)


def test_initials_transliterated_so_duplicates_are_found(tmp_path):
    cases, issues = _load(tmp_path, "1;ØSTE;03/02/1960;REI;F;24/04/2016;oui;8000",
                          "2;OSTE;03/02/1960;NAN;F;24/04/2016;oui;8000")
    assert cases["initials"].tolist() == ["OSTE", "OSTE"]
    assert cases["exclusion_rule"].tolist() == ["", "duplicate"]


def test_same_code_other_sex_is_a_possible_collision_not_a_duplicate(tmp_path):
    cases, issues = _load(tmp_path, "1;DUJE;03/02/1960;REI;F;24/04/2016;oui;8000",
                          "2;DUJE;03/02/1960;REI;M;24/05/2017;non;900")
    assert (cases["exclusion_rule"] == "").all()
    hit = issues[issues["rule"].str.startswith("possible collision")]
    assert sorted(hit["row"]) == [2, 3] and (hit["severity"] == "warning").all()


def test_uncertain_answers_reported_and_missing(tmp_path):
    cases, issues = _load(tmp_path, "1;DUJE;03/02/1960;REI;F?;24/04/2016;oui ?;?")
    assert cases["sex"].isna().all() and cases["fever"].isna().all() and cases["ferritin_ng_ml"].isna().all()
    uncertain = issues[issues["rule"].str.startswith("uncertain answer")]
    assert set(uncertain["field"]) == {"sex", "fever", "ferritin_ng_ml"} and set(uncertain["row"]) == {2}


def test_centre_code_nan_is_read_as_a_code_not_a_missing_value(tmp_path):
    _, issues = _load(tmp_path, "1;DUJE;03/02/1960;NAN;F;24/04/2016;oui;8000")
    centre = issues[(issues["field"] == "centre") & (issues["row"] == 2)]
    assert "NAN" in set(centre["value"])  # checked against the centre list as a code, never taken as "missing"


def test_reproducers_of_issue_9(tmp_path):
    """Silent column shift, merged rows, thousands separator, truncated last line: each at its file line."""
    cases, issues = _load(tmp_path, "1;DUJE;05/03/1960;REI;F;24/04/2016;oui;8.000;",
                          '2;MAPA;05/03/1961;REI;F;25/04/2016;"oui;900', "", "3;LOBE;05/03/1962;REI;M;26/04/2016;non;700,5")
    assert cases["source_row"].tolist() == [2, 3, 5]
    assert cases["ferritin_ng_ml"].tolist() == [8000, 900, 700.5]  # 8.000 in a decimal-comma file: 8000
    assert cases["mas_date"].notna().all()
    assert set(issues.loc[issues["field"].isna(), "row"].dropna()) >= {3, 4}  # unbalanced quote, blank line
    _, issues = _load(tmp_path, "1;DUJE;05/03/1960;REI;F;24/04/2016;oui;8.000")  # nothing tells the convention
    assert issues[(issues["row"] == 2) & (issues["field"] == "ferritin_ng_ml")]["rule"].str.startswith(
        "ambiguous number").any()
    f = tmp_path / "cut.csv"
    f.write_bytes((HEADER + "\r\n1;DUJE;05/03/1960;REI;F;24/04/2016;oui;8000\r\n2;03/02/20").encode())
    cases, issues = sam.load_crf(f)
    assert cases.set_index("source_row").at[3, "exclusion_rule"] == "unreadable line"
    assert issues[(issues["row"] == 3)]["rule"].str.startswith("truncated last line").any()
    assert sam.inclusion_flow(cases).set_index("detail").at["unreadable line", "n"] == 1


def test_data_typed_in_a_copy_of_the_saisie_sheet(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Saisie"
    wb["Saisie"].append(HEADER.split(";"))
    copy = wb.create_sheet("Saisie (2)")
    copy.append(["Appel à observations"])
    copy.append(HEADER.split(";"))
    copy.append([1, "DUJE", "05/03/1960", "REI", "F", 42484, "oui", 8000])
    wb.save(tmp_path / "centre.xlsx")
    cases, issues = sam.load_crf(tmp_path / "centre.xlsx")
    assert cases["source_row"].tolist() == [3] and str(cases["mas_date"].iloc[0].date()) == "2016-04-24"
    assert "Saisie (2)" in cases.attrs["format"]


@pytest.mark.batch
def test_notebook_without_analysable_case_says_so_instead_of_a_traceback(tmp_path, monkeypatch):
    """Every MAS outside the inclusion window: the notebook runs to its end and Table 1 is a note (issue 9)."""
    import nbformat
    import papermill

    from myositis import paths

    lines = (paths.ROOT / sam.SYNTHETIC_FILE).read_bytes().decode("utf-8-sig").split("\r\n")
    k = lines[0].split(";").index("mas_date")
    rows = [";".join(f[:k] + ["14/11/2009"] + f[k + 1:]) for f in (x.split(";") for x in lines[1:] if x)]
    export = tmp_path / "export_all_excluded.csv"
    export.write_bytes(("\r\n".join([lines[0]] + rows) + "\r\n").encode("utf-8"))
    monkeypatch.setenv(sam.KEY_ENV, "a-test-key-of-more-than-16-characters")
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "sam_case_series.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
        cwd=str(paths.NOTEBOOKS), progress_bar=False,
        parameters={"crf_file": str(export), "output_dir": str(tmp_path / "report"),
                    "processed_dir": str(tmp_path / "processed")})
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = "".join(str(o.get("text", "")) + str(o.get("data", {})) for c in nb.cells for o in c.get("outputs", []))
    assert "No analysable case" in text and "0 cases analysed" in text
