"""A researcher's own data, end to end (issue 10, "Done means").

Through the runner (``python -m myositis run <params>.yaml``), with params files written in a temporary
``data/private``-like folder (``MYOSITIS_PRIVATE_DIR``):

- an anti-Mi2 cohort of 40 patients in French Excel with French headers (``tests/own_data.py``, built in code,
  not by the project's generator);
- a REDCap raw export with a centre written "NAN" (Nantes or Nancy: ambiguous) and the pseudonym key in the
  environment.

Each run succeeds; its outputs name the data kind ("own data") and the first 12 hex digits of each input's
SHA-256 (computed here by coreutils' ``sha256sum`` when present); no Markdown, output or visible text of the HTML
report says synthetic, generated, made up or targets, and no sentence repeats a clause (``p = 1.000 by Fisher's
exact test and p = 1.000 by Fisher's exact test``). Two more Mi2 runs, on a cohort whose every row is invalid
and on a single group, run to the end with a section saying why nothing (or what) cannot be analysed.

The fast tests check each notebook's loader (a file missing a needed column stops at ingestion with one named
error) and the recognition of the generators' output by content, whatever the seed (another seed's cohort is
synthetic; one value edited, it is the user's own).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import re

import nbformat
import pytest
import yaml

from report_text import reader_text
from myositis import mi2, paths, provenance, sam
from myositis.exceptions import MissingColumnsError, MissingKeyError
from own_data import mi2_french_xlsx, mi2_tables

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "a-test-key-of-more-than-16-characters"


def _sha256(path: Path) -> str:
    """Reference digest: coreutils sha256sum when installed (not our code), else hashlib."""
    if shutil.which("sha256sum"):
        return subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _redcap_with_nan_centre(folder: Path) -> Path:
    """The REDCap raw export fixture with record 2's centre typed 'NAN' (Nantes? Nancy?)."""
    lines = (FIXTURES / "sam_redcap_raw_export.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[2].split(",")[3] == "NTE"
    cells = lines[2].split(",")
    cells[3] = "NAN"
    lines[2] = ",".join(cells)
    out = folder / "export_redcap_centres.csv"
    out.write_text("".join(lines), encoding="utf-8")
    return out


#: Words no report on own data may contain (Markdown, outputs, visible HTML).
SYNTHETIC_WORDS = re.compile(r"\bsynthe|\bgenerat|made[ -]up|\btargets?\b", re.IGNORECASE)


def _synthetic_words(text: str) -> list[str]:
    return [line.strip()[:160] for line in text.splitlines() if SYNTHETIC_WORDS.search(line)]


def _repeated_clauses(text: str, words: int = 6) -> list[str]:
    """Sentences in which the same run of ``words`` words appears twice ("p = 1.000 by Fisher's exact test and
    p = 1.000 by Fisher's exact test")."""
    found = []
    for line in text.splitlines():
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            tokens = [t.strip(".,;:()*") for t in sentence.split()]
            runs = [tuple(tokens[i:i + words]) for i in range(len(tokens) - words + 1)]
            if len(runs) != len(set(runs)):
                found.append(sentence[:200])
    return found


def _visible_html(path: Path) -> str:
    """The text a reader of the HTML report sees with the code hidden (the report's default)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for el in soup.select(".jp-Cell-inputWrapper, .jp-InputPrompt, .jp-OutputPrompt, style, script"):
        el.decompose()
    return "\n".join(line.strip() for line in soup.get_text("\n").splitlines() if line.strip())


def _prose(nb) -> str:
    """The sentences of a report: Markdown cells, Markdown outputs (the generated text) and printed lines; not
    tables, whose cells legitimately repeat ("not in abstract" in three columns)."""
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for c in nb.cells:
        for o in c.get("outputs", []):
            parts.append(str(o.get("text", "")))
            parts.append(str(o.get("data", {}).get("text/markdown", "")))
    return "\n".join(parts)




# --- each notebook's loader: a missing needed column stops at ingestion -----------------------------------

def test_sam_loader_missing_needed_columns_is_one_named_error(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("record_id;initials;Date de naissance;mas_date\n1;DUJE;05/03/1960;24/04/2016\n",
                      encoding="utf-8")
    with pytest.raises(MissingColumnsError) as err:
        sam.load_crf(export, require=True)
    text = str(err.value)
    assert "export.csv: 5 needed columns not found: centre" in text
    for field in ("department", "sex", "dm_diagnosis_date", "last_followup_date"):
        assert field in text
    assert "Headers found: 'record_id', 'initials', 'Date de naissance', 'mas_date'" in text
    assert sam.load_crf(export)[0].shape[0] == 1  # without require: read, the absences reported as issues


def test_sam_issues_name_the_record_and_nan_is_a_centre(tmp_path):
    cases, issues = sam.load_crf(_redcap_with_nan_centre(tmp_path), require=True)
    centre = issues[(issues["field"] == "centre") & issues["rule"].str.startswith("ambiguous centre")]
    assert centre["record"].tolist() == ["2"] and centre["value"].tolist() == ["NAN"]  # read, not a missing token
    assert issues["record"].notna().all()  # every row-level issue names its record_id
    assert len(cases) == 3


# --- the generators' output recognised by content, whatever the seed ---------------------------------------

def test_mi2_cohort_of_another_seed_is_synthetic_and_an_edited_copy_is_own(tmp_path):
    p, v, _ = mi2.cohort_files("", "", seed=7, processed_dir=tmp_path / "gen")
    renamed = tmp_path / "cohorte_2023.csv"
    shutil.copy(p, renamed)
    prov = provenance.of_run("mi2_phenotype", [renamed, v], parameters={"seed": 20191001, "model_years": 2.0},
                             recognise=mi2.generator_of, generator_parameters=["seed"])
    assert prov.kind == "synthetic"
    assert "myositis.mi2.synthetic_cohort(seed=7)" in prov.label
    assert "20191001" not in prov.box()  # the seed parameter played no part: the label names the real one

    edited = tmp_path / "edited.csv"
    text = p.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = text[1].split(",")
    cells[4] = str(float(cells[4]) + 1)  # age at onset of the first patient, one year more
    text[1] = ",".join(cells)
    edited.write_text("".join(text), encoding="utf-8")
    assert mi2.generator_of(edited) is None
    prov = provenance.of_run("mi2_phenotype", [edited], parameters={"seed": 20191001, "model_years": 2.0},
                             recognise=mi2.generator_of, generator_parameters=["seed"])
    assert prov.kind == "own"
    assert "seed" not in prov.box() and "seed" not in prov.to_dict()["parameters"]
    assert not _synthetic_words(prov.box() + prov.summary() + prov.figure_line())
    mixed = provenance.of_run("mi2_phenotype", [edited, v], recognise=mi2.generator_of)
    assert mixed.kind == "own" and [i.kind for i in mixed.inputs] == ["own", "synthetic"]  # each file says what it is


def test_mi2_own_file_with_synthetic_looking_ids_is_own(tmp_path):
    patients, _ = mi2_tables(2, 3)
    patients["id"] = [f"SYN-20191001-{k:04d}" for k in range(1, len(patients) + 1)]  # ids copied, data not
    f = tmp_path / "p.csv"
    patients.to_csv(f, index=False)
    assert mi2.generator_of(f) is None


def test_sam_series_of_another_seed_is_synthetic_and_an_edited_copy_is_own(tmp_path, monkeypatch):
    monkeypatch.delenv(sam.KEY_ENV, raising=False)
    monkeypatch.delenv(sam.KEY_FILE_ENV, raising=False)
    series = tmp_path / "export_centre.csv"
    series.write_bytes(sam.synthetic_series_bytes(24, 7))
    assert sam.generator_of(series) == "myositis.sam.synthetic_series(n=24, seed=7)"
    assert provenance.of_run("sam_case_series", [series], recognise=sam.generator_of).kind == "synthetic"
    assert sam.pseudonym_key(series) == sam.DEMO_KEY.encode()  # the public demo key, as for the bundled series

    edited = tmp_path / "edited.csv"
    edited.write_bytes(series.read_bytes().replace(b"Femme", b"Homme", 1))
    assert sam.generator_of(edited) is None
    assert provenance.of_run("sam_case_series", [edited], recognise=sam.generator_of).kind == "own"
    with pytest.raises(MissingKeyError):
        sam.pseudonym_key(edited)


def test_sam_demo_centre_files_are_recognised_in_every_format():
    for f in sorted((paths.RAW / "sam_multicentre_synthetic").glob("*.csv")):
        assert sam.generator_of(f) == "myositis.sam.demo.demo_exports(seed=20201002, n=36)", f.name
    assert sam.generator_of(paths.resolve(sam.SYNTHETIC_FILE)) == "myositis.sam.synthetic_series(n=30, seed=20201001)"
    assert sam.generator_of(FIXTURES / "sam_redcap_raw_export.csv") is None


def test_repeated_clause_detector_can_fail():
    assert _repeated_clauses("this cohort p = 1.000 by Fisher's exact test and p = 1.000 by Fisher's exact test.")
    assert not _repeated_clauses("this cohort p = 0.628 by Fisher's exact test and p = 0.474 by chi-square.")
    assert _synthetic_words("Findings (on made-up data)") and _synthetic_words("| generated |")
    assert not _synthetic_words("published figures beside this cohort")


# --- end to end through the runner -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("own")
    private = base / "private"
    patients, visits = mi2_french_xlsx(private / "mi2")
    export = _redcap_with_nan_centre(private)
    p, v = mi2_tables(10, 7)
    invalid = private / "mi2_invalid"
    invalid.mkdir()
    p.assign(group="Groupe inconnu").to_csv(invalid / "patients.csv", index=False)  # every row invalid
    v.to_csv(invalid / "visits.csv", index=False)
    single = private / "mi2_single"
    single.mkdir()
    p[p["group"] == "Mi2+ DM"].to_csv(single / "patients.csv", index=False)  # one group only
    v.to_csv(single / "visits.csv", index=False)
    runs = {
        "mi2": {"notebook": "notebooks/mi2_phenotype.ipynb", "output": "mi2_own_cohort",
                "description": "own anti-Mi2 cohort (French Excel)",
                "parameters": {"patients_file": str(patients), "visits_file": str(visits)}},
        "mi2_invalid": {"notebook": "notebooks/mi2_phenotype.ipynb", "output": "mi2_every_row_invalid",
                        "description": "every patient row invalid",
                        "parameters": {"patients_file": str(invalid / "patients.csv"),
                                       "visits_file": str(invalid / "visits.csv")}},
        "mi2_single": {"notebook": "notebooks/mi2_phenotype.ipynb", "output": "mi2_single_group",
                       "description": "Mi2+ DM only",
                       "parameters": {"patients_file": str(single / "patients.csv"),
                                      "visits_file": str(single / "visits.csv")}},
        "sam": {"notebook": "notebooks/sam_case_series.ipynb", "output": "sam_own_export",
                "description": "own REDCap export",
                "parameters": {"crf_file": str(export)}},
    }
    files = []
    for name, doc in runs.items():
        doc["parameters"]["processed_dir"] = str(base / "processed" / doc["output"])  # one folder per run
        p = private / f"{name}.yaml"
        p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        files.append(str(p))
    env = dict(os.environ, MYOSITIS_PRIVATE_DIR=str(private), MYOSITIS_PROCESSED_DIR=str(base / "processed"),
               MYOSITIS_PSEUDONYM_KEY=KEY)
    env.pop("MYOSITIS_PSEUDONYM_KEY_FILE", None)
    proc = subprocess.run([sys.executable, "-m", "myositis", "run", "--jobs", "2", *files], cwd=paths.ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"own-data runs failed:\n{proc.stdout}\n{proc.stderr}"
    return {"reports": private / "reports",
            "inputs": {"mi2": [patients, visits], "sam": [export],
                       "mi2_invalid": [invalid / "patients.csv", invalid / "visits.csv"],
                       "mi2_single": [single / "patients.csv", single / "visits.csv"]},
            "outputs": {k: v["output"] for k, v in runs.items()}, "stdout": proc.stdout}


@pytest.mark.batch
@pytest.mark.parametrize("name", ["mi2", "sam", "mi2_invalid", "mi2_single"])
def test_own_data_run_names_kind_and_inputs_and_never_says_synthetic(own_runs, name):
    reports, output = own_runs["reports"], own_runs["outputs"][name]
    assert (reports / f"{output}.html").exists(), f"no report in the private reports folder for {output}"
    assert not (paths.REPORTS / f"{output}.html").exists()
    nb = nbformat.read(reports / f"{output}.ipynb", as_version=4)
    seen = reader_text(nb)
    assert "Data: own data" in seen
    for path in own_runs["inputs"][name]:
        assert f"{path.name} sha256 {_sha256(path)[:12]}" in seen
    html = _visible_html(reports / f"{output}.html")
    assert not _synthetic_words(seen), _synthetic_words(seen)[:8]
    assert not _synthetic_words(html), _synthetic_words(html)[:8]
    assert not _repeated_clauses(_prose(nb)), _repeated_clauses(_prose(nb))[:5]
    assert "seed" not in html.lower(), [line for line in html.splitlines() if "seed" in line.lower()][:5]
    record = json.loads((reports / output / "provenance.json").read_text(encoding="utf-8"))
    assert record["kind"] == "own" and record["synthetic"] is False
    assert [i["sha256"] for i in record["inputs"]] == [_sha256(p) for p in own_runs["inputs"][name]]
    assert record["created_utc"].endswith("Z")


@pytest.mark.batch
def test_mi2_notebook_says_why_nothing_is_analysed(own_runs):
    """Every row invalid, or a single group: the notebook runs to the end with a section saying why."""
    invalid = reader_text(nbformat.read(own_runs["reports"] / "mi2_every_row_invalid.ipynb", as_version=4))
    assert "### No analysable case" in invalid
    assert "No patient row can be analysed: 40 patient rows and" in invalid
    assert "**Conclusion.** None can be drawn" in invalid
    single = reader_text(nbformat.read(own_runs["reports"] / "mi2_single_group.ipynb", as_version=4))
    assert "### What cannot be analysed" in single
    assert "Only one group is present (Mi2+ DM, n = 10)" in single
    assert "Strength (mixed model): Not fitted: no Mi2- DM patient" in single
    for name in ("mi2_every_row_invalid", "mi2_single_group"):
        assert (own_runs["reports"] / f"{name}.html").exists()
        assert not (own_runs["reports"] / f"{name}.failed.html").exists()


@pytest.mark.batch
def test_own_sam_report_counts_the_unrecognised_centre(own_runs):
    nb = nbformat.read(own_runs["reports"] / f"{own_runs['outputs']['sam']}.ipynb", as_version=4)
    assert "3 rows received from 2 centres (1 row without a recognised centre)" in reader_text(nb)


@pytest.mark.batch
def test_own_mi2_report_describes_the_40_patients(own_runs):
    nb = nbformat.read(own_runs["reports"] / f"{own_runs['outputs']['mi2']}.ipynb", as_version=4)
    seen = reader_text(nb)
    assert "40 patients (10 Mi2+ DM, 10 Mi2− DM, 10 ASyS, 10 IMNM)" in seen
    assert "**Conclusion.** In this cohort" in seen


# --- the README's own-data section is true as written ---------------------------------------------------------

def test_readme_header_table_matches_the_schema():
    from myositis import mi2

    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    for f in mi2.PATIENT_FIELDS + mi2.VISIT_FIELDS:
        french = mi2.FRENCH_LABELS[f.name][0]
        assert f"| `{f.name}` | {f.label} | {french} | {'yes' if f.required else 'no'} |" in readme, f.name
        for header in (f.name, f.label, french):
            assert mi2.HEADERS.field_of(header) == f.name, header
    for header in ("CK max (UI/L)", "ck max", "CK_MAX_U_L", "Maximum CK (IU/L)"):  # the README's example
        assert mi2.HEADERS.field_of(header) == "ck_max_u_l"


def test_survival_fact_ids_without_a_facts_file_fail_clearly_on_own_cohorts():
    """A params file on own digitised cohorts (cohorts_file: "") that names published facts in published_p or
    single_arm (here Tsuji's and Takada's fact ids, written by hand: the defaults are now derived from the cohorts
    analysed) stops with a named error saying which parameter to replace."""
    from myositis.exceptions import ReconstructionError
    from myositis.survival import comparison, single_arm

    with pytest.raises(ReconstructionError, match=r"published_p 'Triple therapy vs step-up'.*set published_p: \{\}"):
        comparison.published_p_bounds(None, {"Triple therapy vs step-up": "tsuji_p6"})
    assert comparison.published_p_bounds(None, {"A vs B": "< 0.05", "C vs D": 0.01}) == {"A vs B": 0.05, "C vs D": 0.01}
    with pytest.raises(ReconstructionError, match=r"set single_arm: \{\}"):
        single_arm.analyse(None, {"label": "Takada 2020", "survival": "takada_surv52w"}, "")
