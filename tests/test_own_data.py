"""A researcher's own data, end to end (issue 10, "Done means").

Through the runner (``python -m myositis run <params>.yaml``), with params files written in a temporary
``data/private``-like folder (``MYOSITIS_PRIVATE_DIR``):

- an anti-Mi2 cohort of 40 patients in French Excel with French headers (``tests/own_data.py``, built in code,
  not by the project's generator);
- a REDCap raw export with a centre written "NAN" (Nantes or Nancy: ambiguous) and the pseudonym key in the
  environment.

Each run succeeds; its outputs name the data kind ("own data") and the first 12 hex digits of each input's
SHA-256 (computed here by coreutils' ``sha256sum`` when present), and no output says "synthetic". The fast tests
check each notebook's loader: a file missing a needed column stops at ingestion with one named error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from myositis import paths, sam
from myositis.exceptions import MissingColumnsError
from own_data import mi2_french_xlsx

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


def _texts(nb) -> str:
    """What a reader of the report sees besides code: Markdown cells and every output (text, HTML, Markdown)."""
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for c in nb.cells:
        for o in c.get("outputs", []):
            parts.append(str(o.get("text", "")))
            parts += [str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
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


# --- end to end through the runner -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("own")
    private = base / "private"
    patients, visits = mi2_french_xlsx(private / "mi2")
    export = _redcap_with_nan_centre(private)
    runs = {
        "mi2": {"notebook": "notebooks/mi2_phenotype.ipynb", "output": "mi2_own_cohort",
                "description": "own anti-Mi2 cohort (French Excel)",
                "parameters": {"patients_file": str(patients), "visits_file": str(visits)}},
        "sam": {"notebook": "notebooks/sam_case_series.ipynb", "output": "sam_own_export",
                "description": "own REDCap export",
                "parameters": {"crf_file": str(export)}},
    }
    files = []
    for name, doc in runs.items():
        p = private / f"{name}.yaml"
        p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        files.append(str(p))
    env = dict(os.environ, MYOSITIS_PRIVATE_DIR=str(private), MYOSITIS_PROCESSED_DIR=str(base / "processed"),
               MYOSITIS_PSEUDONYM_KEY=KEY)
    env.pop("MYOSITIS_PSEUDONYM_KEY_FILE", None)
    proc = subprocess.run([sys.executable, "-m", "myositis", "run", "--jobs", "2", *files], cwd=paths.ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"own-data runs failed:\n{proc.stdout}\n{proc.stderr}"
    return {"reports": private / "reports", "inputs": {"mi2": [patients, visits], "sam": [export]},
            "outputs": {k: v["output"] for k, v in runs.items()}, "stdout": proc.stdout}


@pytest.mark.batch
@pytest.mark.parametrize("name", ["mi2", "sam"])
def test_own_data_run_names_kind_and_inputs_and_never_says_synthetic(own_runs, name):
    reports, output = own_runs["reports"], own_runs["outputs"][name]
    assert (reports / f"{output}.html").exists(), f"no report in the private reports folder for {output}"
    assert not (paths.REPORTS / f"{output}.html").exists()
    nb = nbformat.read(reports / f"{output}.ipynb", as_version=4)
    seen = _texts(nb)
    assert "Data: own data" in seen
    for path in own_runs["inputs"][name]:
        assert f"{path.name} sha256 {_sha256(path)[:12]}" in seen
    assert "synthetic" not in seen.lower(), [line for line in seen.splitlines() if "synthetic" in line.lower()][:5]
    record = json.loads((reports / output / "provenance.json").read_text(encoding="utf-8"))
    assert record["kind"] == "own" and record["synthetic"] is False
    assert [i["sha256"] for i in record["inputs"]] == [_sha256(p) for p in own_runs["inputs"][name]]
    assert record["created_utc"].endswith("Z")


@pytest.mark.batch
def test_own_sam_report_counts_the_unrecognised_centre(own_runs):
    nb = nbformat.read(own_runs["reports"] / f"{own_runs['outputs']['sam']}.ipynb", as_version=4)
    assert "3 rows received from 2 centres (1 row without a recognised centre)" in _texts(nb)


@pytest.mark.batch
def test_own_mi2_report_describes_the_40_patients(own_runs):
    nb = nbformat.read(own_runs["reports"] / f"{own_runs['outputs']['mi2']}.ipynb", as_version=4)
    seen = _texts(nb)
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
