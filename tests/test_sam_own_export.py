"""The SAM notebook on a real-style export folder (issue 12, "Done means": "runs on the synthetic multicentre demo
and on a real export folder").

Three centres' exports in three real formats (NCY: REDCap labels, NTE: a French CSV, REI: REDCap raw), written
here in a temporary ``data/private``-like folder. Their cases start from the generator with another seed than the
bundled demo, then every identifier is replaced (recognition codes and birth dates a clinician would type, so the
pseudonymisation key is needed), ferritin values are edited, and problems are planted whose effect is counted by
hand below:

=======  ========  =====  ========  ==========================================================
centre   received  valid  analysed  planted
=======  ========  =====  ========  ==========================================================
NCY      5         4      4         record 3: MAS date missing (invalid)
NTE      4         3      3         record 2: death the day before the MAS (impossible dates)
REI      5         4      3         record 5: NCY's record 1 sent again (duplicate; NCY's file
                                    comes first and is kept); record 4: MAS in 2009 (outside the
                                    window, valid but not analysed); record 2: haemoglobin 45 g/dL
=======  ========  =====  ========  ==========================================================

The notebook runs through the runner with the key in the environment; every output must name the data as own
data with each input's SHA-256 prefix (computed by coreutils' ``sha256sum`` when installed), never say
"synthetic", write one query workbook per centre, and show the dashboard counts above.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io as _io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from report_text import reader_text
from myositis import crf as crf_module
from myositis import paths
from myositis.sam import demo
from myositis.sam.synthetic import SYNTHETIC_SEED, synthetic_series

KEY = "another test key, long enough to be accepted"
FILES = {"NCY": "NCY_export_2021-05-03_redcap_labels.csv", "NTE": "NTE_saisie_2021-05-04.csv",
         "REI": "REI_export_2021-05-05_redcap_raw.csv"}
#: (received, valid, analysed) per centre, from the planted problems (module docstring).
EXPECTED = {"NCY": (5, 4, 4), "NTE": (4, 3, 3), "REI": (5, 4, 3)}
CITY = {"NCY": "Nancy", "NTE": "Nantes", "REI": "Reims"}
CODES = ["DUJE", "MAPI", "LEFR", "BEAN", "ROCL", "GAMA", "FOLU", "PEHE", "CHSO", "BLEM", "GIRA", "MOCA", "LAVI"]


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def _clean_cases(n: int) -> list[dict]:
    """n generator rows (seed other than the demo's) whose MAS is dated inside the window, death not before MAS,
    birth before MAS, each recognition code once: checked here on the text, not by the loader under test."""
    rows, seen = [], set()
    for r in synthetic_series(40, SYNTHETIC_SEED + 97).to_dict("records"):
        mas, birth, death = _date(r["mas_date"]), _date(r["birth_date"]), _date(r["death_date"])
        key = (r["initials"], r["birth_date"])
        if (mas and birth and dt.date(2010, 1, 1) <= mas <= dt.date(2020, 10, 1) and birth < mas
                and (death is None or death >= mas) and key not in seen):
            seen.add(key)
            rows.append(r)
    assert len(rows) >= n, "the generator gave too few clean rows for this test"
    return rows[:n]


def _own_cases() -> dict[str, list[dict]]:
    rows = _clean_cases(13)
    for k, r in enumerate(rows):   # identifiers a clinician types; values edited (not the generator's)
        r["initials"] = CODES[k]
        r["birth_date"] = f"{1 + k % 27:02d}/{1 + k % 12:02d}/{1948 + k}"
        ferritin = re.sub(r"[^0-9]", "", r["ferritin_ng_ml"].split(",")[0])
        r["ferritin_ng_ml"] = str(int(ferritin) + 137) if ferritin else "2400"
    parts = {"NCY": rows[0:5], "NTE": rows[5:9], "REI": rows[9:13] + [dict(rows[0])]}
    for centre, part in parts.items():
        for k, r in enumerate(part, start=1):
            r["record_id"], r["centre"] = str(k), centre
    parts["NCY"][2]["mas_date"] = ""                                           # MAS date missing
    mas = _date(parts["NTE"][1]["mas_date"])
    parts["NTE"][1].update(death="Oui", death_date=f"{mas - dt.timedelta(days=1):%d/%m/%Y}")  # died the day before
    parts["REI"][3].update(mas_date="15/06/2009", dm_diagnosis_date="01/03/2009")             # before the window
    parts["REI"][1]["haemoglobin_g_dl"] = "45"                                  # out of range: a query
    return parts


def _write_exports(folder: Path) -> dict[str, Path]:
    crf = crf_module.load()
    parts = _own_cases()
    out = {}
    folder.mkdir(parents=True)
    # NTE: the French CSV of a centre without REDCap (';', decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF)
    buffer = _io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(crf.columns)
    writer.writerows([r.get(c, "") for c in crf.columns] for r in parts["NTE"])
    out["NTE"] = folder / FILES["NTE"]
    out["NTE"].write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    for centre, labels in (("REI", False), ("NCY", True)):
        cells = [demo._redcap_cells(r, crf, labels) for r in parts[centre]]
        if labels:   # a label export writes the drop-down's label: the city
            for c in cells:
                c["centre"] = CITY[centre]
        df = demo._with_complete_columns(pd.DataFrame(cells), crf, labels)
        out[centre] = folder / FILES[centre]
        out[centre].write_bytes(demo._csv_bytes(df, demo.redcap_header(df.columns, crf, labels), ",", False, "\n"))
    return out


def _sha256(path: Path) -> str:
    """Reference digest: coreutils sha256sum when installed (not our code), else hashlib."""
    if shutil.which("sha256sum"):
        return subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]
    return hashlib.sha256(path.read_bytes()).hexdigest()




@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("own_sam")
    private = base / "private"
    exports = _write_exports(private / "exports_2021-05")
    demo_digests = {hashlib.sha256(b).hexdigest() for b in demo.demo_exports().values()}
    assert not demo_digests & {_sha256(p) for p in exports.values()}          # not the bundled demo
    params = {"notebook": "notebooks/sam_case_series.ipynb", "output": "sam_own_folder",
              "description": "three centres' exports", "parameters": {"crf_file": str(private / "exports_2021-05")}}
    pfile = private / "sam_own_folder.yaml"
    pfile.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, MYOSITIS_PRIVATE_DIR=str(private), MYOSITIS_PROCESSED_DIR=str(base / "processed"),
               MYOSITIS_PSEUDONYM_KEY=KEY)
    env.pop("MYOSITIS_PSEUDONYM_KEY_FILE", None)
    before = {p: _sha256(p) for p in exports.values()}
    proc = subprocess.run([sys.executable, "-m", "myositis", "run", "--jobs", "1", str(pfile)], cwd=paths.ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    return {"proc": proc, "reports": private / "reports", "exports": exports, "before": before,
            "processed": base / "processed"}


@pytest.mark.batch
def test_own_export_folder_runs_and_names_own_data_never_synthetic(own_run):
    proc = own_run["proc"]
    assert proc.returncode == 0, f"run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    reports = own_run["reports"]
    assert not (paths.REPORTS / "sam_own_folder.html").exists()           # a private run reports privately
    nb = nbformat.read(reports / "sam_own_folder.ipynb", as_version=4)
    seen = reader_text(nb)
    assert "Data: own data" in seen
    for path in own_run["exports"].values():
        assert f"{path.name} sha256 {_sha256(path)[:12]}" in seen
    assert "synthetic" not in seen.lower(), [x for x in seen.splitlines() if "synthetic" in x.lower()][:5]
    assert "pseudonymisation key: provided" in seen
    record = json.loads((reports / "sam_own_folder" / "provenance.json").read_text(encoding="utf-8"))
    assert record["kind"] == "own" and record["synthetic"] is False
    assert sorted(i["sha256"] for i in record["inputs"]) == sorted(own_run["before"].values())
    # every written output: no "synthetic"; text outputs carrying a provenance line name own data and the inputs
    out = reports / "sam_own_folder"
    for f in sorted(out.rglob("*")):
        if f.name == "provenance.json":   # machine-readable: "synthetic": false, checked above
            continue
        if f.suffix in (".csv", ".html", ".json", ".svg", ".tex", ".md", ".txt"):
            text = f.read_text(encoding="utf-8", errors="replace")
        elif f.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(f) as z:
                text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        else:
            continue
        assert "synthetic" not in text.lower(), f.name
        carries = (f.suffix == ".svg" or f.name.endswith(".provenance.txt") or f.name == "manuscript.docx"
                   or f.name in ("table1.html", "survival_table.html"))
        if carries:   # figures (SVG description), table sidecars and comments, the manuscript's data note
            assert "own data" in text.lower(), f.name
            assert all(_sha256(p)[:12] in text for p in own_run["exports"].values()), f.name
    for p, digest in own_run["before"].items():   # raw exports never modified
        assert _sha256(p) == digest


@pytest.mark.batch
def test_own_export_folder_query_workbooks_per_centre(own_run):
    from openpyxl import load_workbook

    books = sorted((own_run["reports"] / "sam_own_folder" / "queries").glob("*.xlsx"))
    assert [b.name for b in books] == ["requetes_NCY.xlsx", "requetes_NTE.xlsx", "requetes_REI.xlsx"]
    for book in books:
        centre = book.stem.split("_")[1]
        rows = list(load_workbook(book)["Requêtes"].iter_rows(values_only=True))
        assert {r[1] for r in rows[1:]} == {centre} and {r[2] for r in rows[1:]} == {FILES[centre]}
        text = " ".join(str(v) for r in rows for v in r)
        assert not any(code in text for code in CODES)                      # identifiers masked
    rei = list(load_workbook(books[2])["Requêtes"].iter_rows(values_only=True))
    assert any(r[5] == "haemoglobin_g_dl" and r[7] == "45" for r in rei)


@pytest.mark.batch
def test_own_export_folder_dashboard_counts(own_run):
    nb = nbformat.read(own_run["reports"] / "sam_own_folder.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "sam.dashboard.dashboard(" in c.source)
    html = next(o for o in cell.outputs if "data" in o)["data"]["text/html"]
    table = pd.read_html(_io.StringIO(html))[0]
    if isinstance(table.columns, pd.MultiIndex):   # the table's title is a header row above the column labels
        table.columns = table.columns.get_level_values(-1)
    table = table.set_index("Centre")
    assert sorted(table.index) == sorted(EXPECTED)
    for centre, (received, valid, analysed) in EXPECTED.items():
        assert tuple(table.loc[centre, ["Received", "Valid", "Analysed"]]) == (received, valid, analysed), centre
    assert table.loc["REI", "Queries open"] >= 1 and table["Queries answered"].eq(0).all()
    assert "2021-05-03" in str(table.loc["NCY", "Last export"]) or "03/05/2021" in str(table.loc["NCY", "Last export"])
    seen = reader_text(nb)
    assert "14 rows received from 3 centres, 11 valid cases, 10 analysed" in seen
