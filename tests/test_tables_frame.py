"""Listing tables through the table layer (tables.from_frame, count_table): no index, missing "—", numbers
formatted, citations whole in HTML and Word, empty tables as a sentence, wide tables fitted or landscape."""

from __future__ import annotations

import importlib
import re

import docx
import numpy as np
import pandas as pd
import pytest

from myositis import manuscript, tables
from myositis.sam import literature

export = importlib.import_module("myositis.tables.export")  # the module (tables.export is also a function)


def test_from_frame_formats_cells_and_drops_the_range_index():
    d = pd.DataFrame({"cohort": ["A", "B"], "n": pd.array([29, None], dtype="Int64"), "ck": [1681.0, np.nan],
                      "share": [0.629818, 1.7109e-05], "p": [0.0123, 0.178], "ok": [True, False]})
    t = tables.from_frame(d, labels={"ck": "CK (U/L)"}, pvalues=["p"])
    assert list(t.body.columns) == ["cohort", "n", "CK (U/L)", "share", "p", "ok"]
    assert t.body.to_dict("list") == {"cohort": ["A", "B"], "n": ["29", "—"], "CK (U/L)": ["1,681", "—"],
                                      "share": ["0.630", "0.0000171"], "p": ["0.012", "0.18"], "ok": ["yes", "no"]}
    html = export.to_html(t)
    assert "NaN" not in html and "&lt;NA&gt;" not in html and ">0<" not in html  # no index column


def test_from_frame_keeps_a_label_index_and_joins_ci():
    d = pd.DataFrame({"est": [22.0, 5.0], "lo": [12.0, np.nan], "hi": [37.5, np.nan]},
                     index=pd.Index(["series", "Chang 2023"], name="population"))
    t = tables.from_frame(d, ci={"Mortality % (95% CI)": ("est", "lo", "hi")}, digits=0)
    assert t.body.to_dict("list") == {"population": ["series", "Chang 2023"],
                                      "Mortality % (95% CI)": ["22 (12, 38)", "5"]}


def test_empty_table_prints_a_sentence_not_a_header(tmp_path):
    t = tables.from_frame(pd.DataFrame(columns=["cohort", "gap"]), title="Checks of the digitised cohorts",
                          empty="No digitised cohort in these parameters: nothing to check.")
    assert t.is_empty
    html = export.to_html(t)
    assert "nothing to check" in html and "<table" not in html and "gap" not in html
    path = export.to_docx(t, tmp_path / "t.docx")
    doc = docx.Document(path)
    assert not doc.tables and any("nothing to check" in p.text for p in doc.paragraphs)
    assert "nothing to check" in export.to_latex(t) and "tabular" not in export.to_latex(t)
    ms = manuscript.Manuscript("x")
    assert ms.add_table(t) is None and not ms.items  # a paper has no empty table


def test_count_table_sections():
    skin = pd.DataFrame({"choice": ["Gottron", "heliotrope"], "n": [3, 0], "answered": [4, 4], "percent": [75, 0]})
    t = tables.count_table({"Skin": skin, "Muscle": skin.assign(answered=0)}, title="Signs")
    assert t.body.iloc[:, 1].tolist() == ["", "3 / 4 (75%)", "0 / 4 (0%)", "", "—", "—"]
    assert t.bold_rows == [0, 3] and t.indent == [0, 1, 1, 0, 1, 1]


def test_citations_are_whole_in_html_and_word(tmp_path):
    """The literature table (sam.yaml comparison populations) shows every citation entire: no '…', no '...'."""
    rows = literature.published_rows()
    t = tables.from_frame(rows[["study", "citation", "source"]], title="Published populations")
    html = export.to_html(t)
    doc = docx.Document(export.to_docx(t, tmp_path / "lit.docx"))
    word = "\n".join(c.text for row in doc.tables[0].rows for c in row.cells)
    for citation in rows["citation"]:
        assert len(citation) > 60
        assert export.escape(citation) in html
        assert citation in word
    assert "…" not in html and "…" not in word and "..." not in re.sub(r"et al\.", "", word)


def _token_fits(table, widths, size):
    """Every unbreakable token fits its column at this font size (DejaVu Sans, wider than Arial)."""
    for j, col in enumerate(table.body.columns):
        longest = max(export.text_width_in(tok, size, bold=i == 0) for i, v in enumerate([col, *table.body.iloc[:, j]])
                      for tok in export._tokens(v))
        assert longest + 0.16 <= widths[j] + 1e-9, (col, longest, widths[j])


def test_wide_table_fits_without_breaking_numbers(tmp_path):
    rng = np.random.default_rng(3)
    body = pd.DataFrame({f"Cohort {i}\nN = 1,234": [f"{x:.0f}% ({x - 9:.0f}%, {x + 8:.0f}%)" for x in
                                                    rng.uniform(20, 80, 6)] for i in range(8)})
    body.insert(0, "Characteristic", [f"Survival at {m} months" for m in range(6)])
    t = tables.Table(body=body, title="Wide")
    assert export.needs_landscape(t)
    widths, size, fits = export.column_widths(t, export.LANDSCAPE_IN)
    assert fits and sum(widths) <= export.LANDSCAPE_IN + 1e-9
    _token_fits(t, widths, size)
    ms = manuscript.Manuscript("x")
    ms.add_table(tables.from_frame(pd.DataFrame({"a": [1]}), title="Narrow"))
    ms.add_table(t)
    path = ms.write(tmp_path / "m.docx")
    doc = docx.Document(path)
    orient = [s.page_width > s.page_height for s in doc.sections]
    assert orient == [False, True]  # the wide table on a landscape page of its own
    cells = [c.text for row in doc.tables[1].rows[1:] for c in row.cells[1:]]
    assert all("\u00a0(" in c and " " not in c for c in cells)  # each estimate kept on one line in Word
    assert export._unbroken("17/28, 60.7 % (40.6-78.5)") == "17/28, 60.7 % (40.6\u201178.5)"  # no break in a range
    wide_first = manuscript.Manuscript("x")
    wide_first.add_table(t)
    doc = docx.Document(wide_first.write(tmp_path / "w.docx"))
    assert [s.page_width > s.page_height for s in doc.sections] == [True]  # no title page alone in portrait


def test_text_widths_measured_once_equal_the_font_metrics():
    """text_width_in keeps each text's advance width (measured once, whatever the size) and gives exactly what
    measuring with the font at each call gave: the column widths and font sizes of Word tables are unchanged."""
    texts = ["", "63%", "0.15 (0.05, 0.49)", "undetermined", "Characteristic", "1,681 (566, 4,492)", "≥ 10 — x"]
    for size in export.FONT_SIZES:
        for bold in (False, True):
            for text in texts:
                assert export.text_width_in(text, size, bold) == export._font(bold).getlength(text) / 100 * size / 72
    assert export.text_width_in(12.5, 9.0) == export._font(False).getlength("12.5") / 100 * 9.0 / 72
    assert export.text_width_in("W", 9.0, True) > export.text_width_in("W", 9.0, False)  # bold measured as bold


def test_html_rendered_once_per_content_and_again_when_the_table_changes():
    """to_html returns the string great-tables renders for the table's current content: the same table shown
    again (the notebook's display after the export) gets the rendered string, and a table changed in anything
    the HTML shows (title, cell, indent, footnote, bold row, number) is rendered again, not served stale."""
    body = pd.DataFrame({"Characteristic": ["Age", "Sex", "female"], "N = 10": ["52 (40, 61)", "", "6 (60%)"]})
    t = tables.Table(body=body, indent=[0, 0, 1], title="Patients", footnotes=["Median (Q1, Q3)"], bold_rows=[0, 1])
    first = export.to_html(t)
    assert first == export._render_html(t) and export.to_html(t) == first
    changes = [lambda x: setattr(x, "title", "Patients, by group"),
               lambda x: x.body.iloc.__setitem__((0, 1), "53 (40, 61)"),
               lambda x: setattr(x, "indent", [0, 0, 0]),
               lambda x: x.footnotes.append("n (%)"),
               lambda x: setattr(x, "bold_rows", [0])]
    seen = {first}
    for change in changes:
        t = tables.Table(body=body.copy(), indent=[0, 0, 1], title="Patients", footnotes=["Median (Q1, Q3)"],
                         bold_rows=[0, 1])
        export.to_html(t)
        change(t)
        html = export.to_html(t)
        assert html == export._render_html(t) and html not in seen
        seen.add(html)
    assert export.to_html(t, number=2) == export._render_html(t, number=2) != export.to_html(t)


def test_html_with_the_fast_cell_setter_equals_great_tables_own():
    """export._great_tables registers a cell getter and setter for pandas frames going through .iat; the HTML of
    tables of every kind (summary with bold and indented rows, footnotes, long text, missing cells, a wide
    table) is the same string as with great-tables' own (.iloc)."""
    from great_tables import _tbl_data

    export._great_tables()
    library = {f: f.registry[_tbl_data.PdDataFrame] for f in (_tbl_data._get_cell, _tbl_data._set_cell)}
    body = pd.DataFrame({"Characteristic": ["Age", "Sex", "female", "<b>x</b> & y"],
                         "Mi2+ DM\nN = 10": ["52 (40, 61)", "", "6 (60%)", "—"],
                         "p-value²": ["0.012", "0.3", "", "<0.001"]})
    wide = pd.DataFrame({f"Cohort {i}": [f"{i}{j} (1, 2)" for j in range(3)] for i in range(10)})
    wide.insert(0, "Reason", ["a long reason " * 5, "short", "another long reason, with a comma " * 2])
    cases = [tables.Table(body=body, indent=[0, 0, 1, 0], title="Patients", footnotes=["n (%)", "Fisher"],
                          bold_rows=[0, 1]),
             tables.Table(body=wide, title="Wide"),
             tables.from_frame(pd.DataFrame({"a": [1.5, np.nan], "b": ["x", None]}), title="Missing")]
    ours = [export._render_html(t, number=k) for k, t in enumerate(cases)]
    fast = {f: f.registry[pd.DataFrame] for f in library}
    assert all(fast[f] is not library[f] for f in library)
    for f, own in library.items():
        f.register(pd.DataFrame, own)
    try:
        assert [export._render_html(t, number=k) for k, t in enumerate(cases)] == ours
    finally:
        for f, ours_f in fast.items():
            f.register(pd.DataFrame, ours_f)
    assert all(f.dispatch(pd.DataFrame) is fast[f] for f in fast)
