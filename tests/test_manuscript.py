"""manuscript.docx: read back with python-docx (numbered captions, tables, images, footnotes), converted to PDF by
LibreOffice headless and to PNG by pdftoppm (tools installed by tools/system-deps.sh; skipped elsewhere unless
MYOSITIS_REQUIRE_OFFICE=1)."""

from __future__ import annotations

import subprocess

import docx
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import require_tool  # noqa: E402

from myositis import manuscript, tables  # noqa: E402
from myositis.figures import style  # noqa: E402


@pytest.fixture
def document(tmp_path):
    rng = np.random.default_rng(11)
    d = pd.DataFrame({"group": rng.choice(["Mi2+ DM", "Mi2- DM"], 30), "ck": np.exp(rng.normal(7, 1, 30)),
                      "ild": rng.choice([True, False], 30), "time": rng.exponential(20, 30).round(1),
                      "event": rng.integers(0, 2, 30)})
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [1, 0])
    png = style.save(fig, tmp_path / "fig", formats=("png",))[0]
    plt.close(fig)
    ms = manuscript.Manuscript("Test run", data_note="Data: synthetic cohort (bundled generator) · 30 patients",
                               abbreviations={"CK": "creatine kinase", "ILD": "interstitial lung disease",
                                              "CI": "confidence interval"})
    assert ms.add_table(tables.summary_table(d, by="group", variables=["ck", "ild"],
                                             labels={"ck": "CK, IU/L", "ild": "ILD"}, title="Characteristics")) == 1
    assert ms.add_table(tables.survival_table(d, [12], group="group", title="Survival")) == 2
    assert ms.add_figure(png, "A line", notes=["Shaded: 95% CI."], width="single") == 1
    path = ms.write(tmp_path / "out" / "manuscript.docx")
    return path, ms


def test_docx_reads_back(document):
    path, ms = document
    doc = docx.Document(path)
    assert len(doc.tables) == 2
    texts = [p.text for p in doc.paragraphs]
    assert "Table 1. Characteristics" in texts and "Table 2. Survival" in texts and "Figure 1. A line" in texts
    assert len(doc.inline_shapes) == 1
    assert any("Wilcoxon rank sum test" in t for t in texts)
    assert any(t.startswith("Abbreviations: CK, creatine kinase; ILD, interstitial lung disease") for t in texts)
    assert sum("Data: synthetic cohort" in t for t in texts) == 1 + 3  # under the title and every item
    assert doc.tables[0].cell(1, 0).text == "CK, IU/L"
    assert list(ms.contents().body["Item"]) == ["Table 1", "Table 2", "Figure 1"]


def test_docx_converts_with_libreoffice(document, tmp_path):
    soffice = require_tool("soffice", "MYOSITIS_REQUIRE_OFFICE")
    pdftoppm = require_tool("pdftoppm", "MYOSITIS_REQUIRE_OFFICE")
    path, _ = document
    out = tmp_path / "pdf"
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                           "pdf", "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180)
    pdf = out / "manuscript.pdf"
    assert pdf.exists(), proc.stderr
    subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(out / "page")], check=True,
                   timeout=60)
    pages = list(out.glob("page*.png"))
    assert pages and pages[0].stat().st_size > 5000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Table 1. Characteristics" in text and "Figure 1. A line" in text


def test_figure_must_exist(tmp_path):
    ms = manuscript.Manuscript("x")
    with pytest.raises(FileNotFoundError, match="save the figure first"):
        ms.add_figure(tmp_path / "missing.png", "nothing")
