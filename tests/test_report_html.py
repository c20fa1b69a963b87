"""Reports a clinician reads, checked in headless Chromium: code hidden until asked for, no raw pandas artefacts
(index column, NaN, <NA>, 1.7109e-05), warnings in a Notes section, tables of the layer kept as they are."""

from __future__ import annotations

import re
import warnings

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import require_tool

from myositis import paths, report_html, tables


def _notebook():
    """A small executed notebook built in code: a markdown section, a DataFrame with a 0..n-1 index, missing
    values and a tiny p-value, a warning on stderr, and a table of the layer."""
    df = pd.DataFrame({"feature": ["ILD", "Fever"], "odds_ratio": [0.629818, np.nan],
                       "p": [1.7109e-05, 1.0], "n": pd.array([3, None], dtype="Int64")})
    t = tables.summary_table(pd.DataFrame({"g": ["a", "b"] * 5, "x": range(10)}), by="g", title="Layer table")
    code = nbformat.v4.new_code_cell("import pandas as pd\nors = compute_odds_ratios()\nors")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="/x/y.py:3: UserWarning: small expected counts\n"
                                                              "  warnings.warn(\n"),
        nbformat.v4.new_output("execute_result", data={"text/html": df._repr_html_(), "text/plain": str(df)},
                               execution_count=1)]
    layer = nbformat.v4.new_code_cell("table1")
    layer.outputs = [nbformat.v4.new_output("execute_result", data={"text/html": t._repr_html_()},
                                            execution_count=2)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Report\n## Odds ratios"), code, layer]
    return nb


def test_prepare_moves_warnings_and_cleans_tables():
    nb = _notebook()
    notes = report_html.prepare(nb)
    assert notes == ["Odds ratios: /x/y.py:3: UserWarning: small expected counts"]
    out = nb.cells[1].outputs
    assert len(out) == 1  # the stderr box is gone
    markup = out[0]["data"]["text/html"]
    for artefact in ("NaN", "&lt;NA&gt;", "1.7109e-05", "0.629818", "<th>0</th>"):
        assert artefact not in markup
    assert "1.7 × 10⁻⁵" in markup and "—" in markup
    assert "## Notes" in nb.cells[-1].source


def test_notes_section_says_when_nothing_was_printed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Report")]
    assert report_html.prepare(nb) == []
    assert "## Notes" in nb.cells[-1].source and "no warning" in nb.cells[-1].source


@pytest.mark.parametrize("name", ["00_published_facts", "mi2_phenotype", "sam_case_series", "tacrolimus_survival"])
def test_committed_reports_show_every_table_through_the_layer(tmp_path, name):
    """Each notebook's HTML report: tables rendered by myositis.tables (no pandas DataFrame but the package
    versions), no missing-value token or truncated text in any table, no stderr box, a Notes section."""
    from bs4 import BeautifulSoup

    page = report_html.export_html(paths.ROOT / "notebooks" / f"{name}.ipynb", tmp_path / f"{name}.html")
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    frames = [t for t in soup.find_all("table") if "dataframe" in (t.get("class") or [])]
    assert all("version" in t.get_text() and "python" in t.get_text() for t in frames), name
    for t in soup.find_all("table"):
        text = t.get_text(" ")
        values = {c.get_text(strip=True) for row in t.find_all("tr") for c in row.find_all("td")[1:]}
        assert not values & {"NaN", "nan", "<NA>", "None", "NaT"}, (name, values & {"NaN", "<NA>", "None", "NaT"})
        cells = [c.get_text(strip=True) for c in t.find_all(["td", "th"])]
        assert not [c for c in cells if c.endswith(("…", "..."))], name  # no truncated cell: citations whole
        assert not re.search(r"\de[-+]\d", text), (name, text[:300])
        assert "0" not in [c.get_text(strip=True) for c in t.select("tbody th")]  # no 0..n-1 index column
    assert not soup.select('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert soup.find(id="myositis-notes") is not None


@pytest.mark.browser
def test_report_in_headless_chromium(tmp_path):
    from test_batch import _browser

    require_tool("chromium", "MYOSITIS_REQUIRE_BROWSER")
    executed = tmp_path / "report.ipynb"
    nbformat.write(_notebook(), executed)
    pages = [report_html.export_html(executed, tmp_path / "report.html")]
    # and a real executed notebook of the project, as committed
    pages.append(report_html.export_html(paths.ROOT / "notebooks" / "mi2_phenotype.ipynb", tmp_path / "mi2.html"))
    driver = _browser()
    try:
        for page in pages:
            driver.get(page.as_uri())
            text = driver.find_element("tag name", "body").text
            assert "import " not in text and "ors = compute" not in text and "tables.table_one(" not in text, page
            assert "[1]:" not in text
            tables_text = driver.execute_script(
                "return Array.from(document.querySelectorAll('table.dataframe')).map(t => t.innerText).join('\\n');")
            for artefact in ("NaN", "<NA>", "e-05", "e+00"):
                assert artefact not in tables_text, (page.name, artefact)
            driver.find_element("id", "myositis-code-toggle").click()
            shown = driver.find_element("tag name", "body").text
            assert "import " in shown, page
        driver.get(pages[0].as_uri())
        text = driver.find_element("tag name", "body").text
        assert "Notes" in text and "small expected counts" in text and "Layer table" in text
        stderr_boxes = driver.execute_script(
            "return document.querySelectorAll('[data-mime-type=\"application/vnd.jupyter.stderr\"]').length;")
        assert stderr_boxes == 0
        driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()


def test_export_is_byte_identical_run_to_run(tmp_path):
    nb = paths.NOTEBOOKS / "tacrolimus_survival.ipynb"
    a = report_html.export_html(nb, tmp_path / "a.html").read_bytes()
    b = report_html.export_html(nb, tmp_path / "b.html").read_bytes()
    assert a == b


def test_skipping_bleach_on_highlighted_code_changes_nothing():
    """export_html gives the highlighted code straight to the page: bleach returns it unchanged (every code cell
    of the committed notebooks), so the page is nbconvert's own."""
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.strings import clean_html

    highlight = Highlight2HTML(pygments_lexer="ipython3")
    sources = [c.source for p in sorted(paths.NOTEBOOKS.glob("*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
    assert len(sources) > 50
    for source in sources + ["x = '<script>alert(1)</script>'  # <b>&amp;"]:
        html = highlight(source)
        assert clean_html(html) == html


def test_other_html_is_still_sanitised(tmp_path):
    """Only highlighted code skips bleach: a raw HTML cell carrying a script is cleaned as nbconvert cleans it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell('<b>bold</b><script>alert("x")</script>',
                                         metadata={"raw_mimetype": "text/html"})]
    path = tmp_path / "raw.ipynb"
    nbformat.write(nb, path)
    page = report_html.export_html(path, tmp_path / "raw.html").read_text(encoding="utf-8")
    assert "<b>bold</b>" in page and '<script>alert("x")' not in page


def test_the_kept_exporter_gives_what_a_new_one_gives(tmp_path, monkeypatch):
    """One exporter serves every export of a process (compiled templates kept): each page equals the page of an
    exporter made for it alone, whatever was exported before, the notebook's own lexer included."""
    python = paths.NOTEBOOKS / "tacrolimus_survival.ipynb"
    nb = nbformat.read(python, as_version=4)
    nb.metadata["language_info"] = {"name": "r", "pygments_lexer": "r"}  # other lexer, other highlighting
    other = tmp_path / "other.ipynb"
    nbformat.write(nb, other)

    def alone(path):
        monkeypatch.setattr(report_html, "_EXPORTER", None)
        return report_html.export_html(path, tmp_path / "alone.html").read_bytes()

    expected = {python: alone(python), other: alone(other)}
    assert expected[python] != expected[other]
    monkeypatch.setattr(report_html, "_EXPORTER", None)
    report_html.warm()
    for path in (other, python, other):
        assert report_html.export_html(path, tmp_path / "kept.html").read_bytes() == expected[path], path.name
