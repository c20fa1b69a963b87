"""Render a :class:`~myositis.tables.table.Table` to styled HTML (great-tables), Word (python-docx), LaTeX
(booktabs) and CSV (through ``myositis.io.write_csv``), all from the same strings, so the four agree.

HTML is deterministic (the element id derives from the table's content), so notebook outputs compare under
nbval. The Word table is the three-rule table journals ask for (top rule, rule under the header, bottom rule),
with its caption above and its footnotes below in a smaller font.

References
----------
Iannone R, Cheng J, Chow M, et al. great_tables: Make awesome display tables using Python (posit-dev).
python-docx: Create and update Microsoft Word .docx files (python-openxml).
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import pandas as pd

from .. import io, paths
from .table import SUPERSCRIPTS, Table, centred_columns, escape

FONT = "Arial, Helvetica, sans-serif"


def _id(table: Table) -> str:
    digest = hashlib.sha1((table.title + "|".join(table.body.columns) + table.body.to_csv()).encode()).hexdigest()
    return "tbl-" + digest[:10]


def caption(table: Table, number: int | None = None) -> str:
    """'Table 2. Survival by group' (or the title alone without a number)."""
    return f"Table {number}. {table.title}" if number is not None else table.title


def footnote_lines(table: Table) -> list[str]:
    """Footnotes with their marks: '¹ n (%); Median (Q1, Q3)'."""
    from .table import mark

    return [f"{mark(i + 1)} {text}" for i, text in enumerate(table.footnotes)]


#: HTML already rendered, by everything it depends on (:func:`_html_key`): a table is rendered once for its
#: ``.html`` file and once more when the notebook displays it; great-tables takes ~0.03-0.05 s a table.
_HTML: dict = {}
_HTML_MAX = 64


def _html_key(table: Table, number: int | None) -> tuple:
    """Everything :func:`to_html` reads of a table (a Table is mutable: its content is the key, not its id)."""
    return (number, table.title, tuple(table.body.columns), tuple(map(str, table.body.dtypes)),
            table.body.to_csv(index=False), tuple(table.indent),
            tuple(table.footnotes), tuple(table.bold_rows), table.empty_text)


def to_html(table: Table, number: int | None = None) -> str:
    """Styled HTML of the table (great-tables): caption, bold variable rows, indented levels, footnotes.

    The same call on the same table returns the same string (fixed element id); a table with the same content
    as one rendered before gets that string again without rendering it twice.
    """
    key = _html_key(table, number)
    html = _HTML.get(key)
    if html is None:
        html = _render_html(table, number)
        if len(_HTML) >= _HTML_MAX:
            _HTML.pop(next(iter(_HTML)))
        _HTML[key] = html
    return html


@functools.cache
def _great_tables():
    """great_tables, with the cell getter and setter of its pandas backend going through ``DataFrame.iat``.

    great-tables 1.1 reads and then writes every unformatted cell of a table one at a time with
    ``body.iloc[row, column]`` (a full pandas indexing operation, ~0.2 ms to set): about half of the time of
    rendering a table. ``iat`` reads the same value and sets the same cell (``DataFrame._set_value``, which falls
    back to ``iloc`` for any value the column cannot hold in place), ~20 times faster. Registered once, for
    ``pandas.DataFrame`` only (the tables here are pandas frames of strings, with unique column names).
    """
    import great_tables as gt
    from great_tables import _tbl_data

    def column(data, name: str) -> int:
        k = data.columns.get_loc(name)
        if not isinstance(k, int):  # as great-tables' own: a name given to two columns
            raise ValueError("Column named " + name + " matches multiple columns.")
        return k

    @_tbl_data._get_cell.register(pd.DataFrame)
    def _get_cell(data, row: int, name: str):
        return data.iat[row, column(data, name)]

    @_tbl_data._set_cell.register(pd.DataFrame)
    def _set_cell(data, row: int, name: str, value) -> None:
        data.iat[row, column(data, name)] = value

    return gt


def _render_html(table: Table, number: int | None = None) -> str:
    gt = _great_tables()

    if table.is_empty:
        head = escape(caption(table, number))
        return (f'<div id="{_id(table)}" class="myositis-empty-table" style="font-family: {FONT}; font-size: 14px">'
                + (f"<p><strong>{head}</strong></p>" if head else "")
                + f"<p><em>{escape(table.empty_text)}</em></p></div>")
    df = table.body.copy()
    first = df.columns[0]
    df[first] = ["\u00a0" * 4 * lvl + v for lvl, v in zip(table.indent, df[first])]
    safe = {c: f"c{i}" for i, c in enumerate(df.columns)}
    df.columns = list(safe.values())
    g = gt.GT(df, id=_id(table))
    g = g.cols_label(**{v: gt.html(escape(k).replace("\n", "<br>")) for k, v in safe.items()})
    centred = centred_columns(table)
    g = g.cols_align("left", columns=[c for c, mid in zip(safe.values(), centred) if not mid])
    if any(centred):
        g = g.cols_align("center", columns=[c for c, mid in zip(safe.values(), centred) if mid])
    # long text columns (a reason, a citation) get a width of their own and wrap inside it, so that a wide table
    # scrolls instead of squeezing them to a word per line
    wide_text = {c: "260px" for j, (c, mid) in enumerate(zip(safe.values(), centred))
                 if not mid and table.body.iloc[:, j].str.len().max() > 40}
    if wide_text:
        g = g.cols_width(cases=wide_text)
    if table.title:
        g = g.tab_header(title=caption(table, number))
    if table.bold_rows:
        g = g.tab_style(gt.style.text(weight="bold"), gt.loc.body(columns="c0", rows=list(table.bold_rows)))
    for line in footnote_lines(table):
        g = g.tab_source_note(line)
    g = g.opt_table_font(font=FONT).opt_align_table_header("left").tab_options(
        table_font_size="14px" if table.body.shape[1] < 9 else "12px", heading_title_font_size="15px",
        data_row_padding="3px", table_margin_left="0px",
        source_notes_font_size="12px", column_labels_font_weight="bold")
    return g.as_raw_html()


def _latex_escape(text: str) -> str:
    text = str(text)
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        text = text.replace(a, b)
    text = text.replace("—", "---").replace("×", r"$\times$").replace("≥", r"$\geq$").replace("≤", r"$\leq$")
    text = text.replace("<", r"\textless{}").replace(">", r"\textgreater{}")
    return re.sub(f"([{SUPERSCRIPTS}⁰]+)", lambda m: r"\textsuperscript{" + "".join(
        str("⁰¹²³⁴⁵⁶⁷⁸⁹".index(ch)) for ch in m.group(1)) + "}", text)


def to_latex(table: Table, number: int | None = None) -> str:
    """A ``table`` environment with a booktabs ``tabular``, caption above and footnotes below (needs
    ``\\usepackage{booktabs}``; UTF-8 input)."""
    if table.is_empty:
        return (r"\begin{table}[htbp]" + "\n" + (r"\caption{" + _latex_escape(table.title) + "}\n" if table.title
                else "") + r"\emph{" + _latex_escape(table.empty_text) + "}\n" + r"\end{table}" + "\n")
    cols = "l" + "c" * (table.body.shape[1] - 1)
    head = " & ".join(r"\textbf{" + _latex_escape(c).replace("\n", r" \newline ") + "}" if i == 0 else
                      r"\shortstack{" + _latex_escape(c).replace("\n", r" \\ ") + "}"
                      for i, c in enumerate(table.body.columns))
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if table.title:
        lines.append(r"\caption{" + _latex_escape(table.title) + "}")
    lines += [r"\begin{tabular}{" + cols + "}", r"\toprule", head + r" \\", r"\midrule"]
    for i, (lvl, row) in enumerate(zip(table.indent, table.body.itertuples(index=False))):
        cells = [_latex_escape(v) for v in row]
        if lvl:
            cells[0] = r"\hspace{1em}" * lvl + cells[0]
        if i in table.bold_rows:
            cells[0] = r"\textbf{" + cells[0] + "}"
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    for note in footnote_lines(table):
        lines.append(r"\par\smallskip{\footnotesize " + _latex_escape(note) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_csv(table: Table, path) -> Path:
    """The printed rows as CSV (UTF-8, no index; headers on one line, levels indented by spaces), written by
    ``myositis.io.write_csv`` (the project's one CSV writer)."""
    frame = table.to_frame()
    frame.columns = [c.replace("\n", " ") for c in frame.columns]
    return io.write_csv(frame, path)


def _set_borders(cell, **edges) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if size else "nil")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


#: Left + right cell margins of a Word table cell (inches; Word's default 0.08 inch each side) and a margin for
#: rounding in the layout engine.
CELL_PAD_IN = 0.2
#: Usable width of a Letter/A4 page with 1 inch margins, portrait and landscape (inches).
PORTRAIT_IN, LANDSCAPE_IN = 6.5, 9.0
#: Font sizes tried, largest first, until every column holds its longest unbreakable token.
FONT_SIZES = (9.0, 8.0, 7.5, 7.0, 6.5)


@functools.lru_cache(maxsize=4)
def _font(bold: bool):
    """DejaVu Sans (shipped with matplotlib): wider than Arial, and what LibreOffice substitutes for Arial where
    Arial is not installed, so widths measured with it hold in Word and in LibreOffice."""
    from matplotlib import font_manager
    from PIL import ImageFont

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans",
                                                             weight="bold" if bold else "normal"))
    return ImageFont.truetype(path, size=100)


@functools.lru_cache(maxsize=1 << 16)
def _length(text: str, bold: bool) -> float:
    """Advance width of ``text`` in DejaVu Sans at 100 px. The same cells are measured at every font size tried,
    for each export (HTML/Word/manuscript) of a table: measured once each."""
    return _font(bold).getlength(text)


def text_width_in(text: str, size: float, bold: bool = False) -> float:
    """Printed width of one line of text (inches) at ``size`` points."""
    return _length(str(text), bool(bold)) / 100 * size / 72


_NUMBER = r"[<>≥≤]?[-−]?[\d.,]+%?"
#: A cell that is one estimate, with or without its interval ("63%", "0.15 (0.05, 0.49)", "1,681 (566, 4,492)"):
#: kept on one line in Word (non-breaking spaces), as a reader reads it as one number.
ESTIMATE = re.compile(rf"^{_NUMBER}( \({_NUMBER}, {_NUMBER}\))?$")


def _tokens(text: str) -> list[str]:
    text = str(text)
    if ESTIMATE.match(text.strip()):
        return [text.strip()]
    return [t for t in re.split(r"[ \n]+", text) if t] or [""]


def _unbroken(text: str) -> str:
    """A cell as Word should break it: an estimate with non-breaking spaces (never broken), and a range's
    hyphen of an interval in brackets ("(40.6-78.5)") non-breaking (citations and DOIs keep plain hyphens, so
    that they copy as they are), as Word otherwise breaks lines after a hyphen."""
    text = re.sub(r"\((\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\)", "(\\1\u2011\\2)", text)  # an interval, not a DOI
    return text.replace(" ", "\u00a0") if ESTIMATE.match(text.strip()) else text


def column_widths(table: Table, available_in: float = PORTRAIT_IN) -> tuple[list[float], float, bool]:
    """Column widths (inches) and font size (pt) so that no number or word is broken across lines.

    Each column is at least as wide as its longest unbreakable token (a whole estimate with its interval,
    "0.15 (0.05, 0.49)", which Word keeps on one line; else a word: "undetermined"; headers in bold) and at most
    as wide as its longest line (the label column at most 2.2 inches); the largest
    font of :data:`FONT_SIZES` for which the minima fit the available width is used, the spare width shared in
    proportion to what each column would take on one line. Widths are measured with DejaVu Sans metrics.

    Returns
    -------
    widths : list of float
    font_size : float
    fits : bool
        False when even the smallest font cannot hold every token (the table should go to a landscape page).
    """
    for size in FONT_SIZES:
        low, high = [], []
        for j, column in enumerate(table.body.columns):
            cells = [(str(column), True, 0)] + [
                (str(v), j == 0 and i in table.bold_rows, table.indent[i] if j == 0 else 0)
                for i, v in enumerate(table.body.iloc[:, j])]
            tok = max(max(text_width_in(t, size, bold) for t in _tokens(v)) + lvl * 10 / 72
                      for v, bold, lvl in cells)
            whole = max(max(text_width_in(line, size, bold) for line in v.split("\n")) + lvl * 10 / 72
                        for v, bold, lvl in cells)
            low.append(tok + CELL_PAD_IN)
            cap = 2.2 if j == 0 else available_in
            high.append(min(max(whole + CELL_PAD_IN, low[-1]), max(cap, low[-1])))
        if sum(low) <= available_in:
            if sum(high) <= available_in:
                spare = available_in - sum(high)
                widths = [h + spare * h / sum(high) for h in high]
            else:  # text columns (a reason, a citation) first: numbers already fit on one line
                spare = available_in - sum(low)
                text = [not c for c in centred_columns(table)]
                gaps = [(h - lo) * (4 if t else 1) for h, lo, t in zip(high, low, text)]
                widths = [lo + (spare * g / sum(gaps) if sum(gaps) else 0) for lo, g in zip(low, gaps)]
            return widths, size, True
    return [lo * available_in / sum(low) for lo in low], FONT_SIZES[-1], False


def needs_landscape(table: Table) -> bool:
    """A table of seven or more columns, or one whose numbers do not fit a portrait page, goes landscape."""
    return table.body.shape[1] >= 7 or not column_widths(table, PORTRAIT_IN)[2]


def add_to_document(table: Table, document, number: int | None = None, font_size: float | None = None,
                    available_in: float | None = None) -> None:
    """Append the table to a python-docx ``Document``: caption paragraph, three-rule table, footnotes.

    Column widths and the font size come from :func:`column_widths` (no number broken across lines);
    ``available_in`` is the text width of the page (6.5 inches portrait, 9 landscape). A table without rows
    prints its sentence (``Table.empty_text``) instead of a header alone.
    """
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    cap = document.add_paragraph(style="Caption") if "Caption" in [s.name for s in document.styles] else \
        document.add_paragraph()
    if number is not None:
        run = cap.add_run(f"Table {number}. ")
        run.bold = True
    cap.add_run(table.title)
    if table.is_empty:
        para = document.add_paragraph()
        para.add_run(table.empty_text).italic = True
        document.add_paragraph()
        return
    available_in = available_in or PORTRAIT_IN
    widths, fitted_size, _ = column_widths(table, available_in)
    font_size = font_size or fitted_size
    n_rows, n_cols = len(table.body) + 1, table.body.shape[1]
    centred = centred_columns(table)
    t = document.add_table(rows=n_rows, cols=n_cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    # python-docx's t.cell(i, j) and row.cells rebuild the list of every cell of the table at each call (quadratic:
    # 17 s for 60 x 9 cells under load): the cells are listed once (row-major; no merged cells here)
    grid = t._cells
    rows = [grid[i * n_cols:(i + 1) * n_cols] for i in range(n_rows)]
    for j, name in enumerate(table.body.columns):
        cell = rows[0][j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
        _set_borders(cell, top=12, bottom=6)
    for i, row in enumerate(table.body.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            cell = rows[i][j]
            para = cell.paragraphs[0]
            run = para.add_run(_unbroken(str(value)))
            if j == 0 and (i - 1) in table.bold_rows:
                run.bold = True
            if j == 0 and table.indent[i - 1]:
                para.paragraph_format.left_indent = Pt(10 * table.indent[i - 1])
            if centred[j]:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if i == n_rows - 1:
                _set_borders(cell, bottom=12)
    for j in range(n_cols):
        if centred[j]:
            rows[0][j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    t.autofit = False
    for column, w in zip(t.columns, widths):  # the grid LibreOffice reads
        column.width = Inches(w)
    for row in rows:
        for cell, w in zip(row, widths):
            cell.width = Inches(w)
    for row in rows:
        for cell in row:
            for para in cell.paragraphs:
                para.paragraph_format.space_after = Pt(0)
                for run in para.runs:
                    run.font.size = Pt(font_size)
    for line in footnote_lines(table):
        para = document.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        run = para.add_run(line)
        run.font.size = Pt(max(font_size - 1, 6.5))
    document.add_paragraph()


def to_docx(table: Table, path, number: int | None = None) -> Path:
    """The table alone in a Word document (caption, table, footnotes)."""
    import docx

    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    landscape = needs_landscape(table)
    if landscape:
        set_orientation(document.sections[-1], landscape=True)
    add_to_document(table, document, number, available_in=LANDSCAPE_IN if landscape else PORTRAIT_IN)
    _deterministic(document)
    document.save(path)
    return path


def set_orientation(section, landscape: bool) -> None:
    """Turn a Word section to landscape (or back to portrait), swapping the page's width and height."""
    from docx.enum.section import WD_ORIENT

    wide = section.page_width > section.page_height
    if landscape != wide:
        section.page_width, section.page_height = section.page_height, section.page_width
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT


def _deterministic(document) -> None:
    """No dates or author in the document properties (so reruns give the same content)."""
    import datetime as dt

    props = document.core_properties
    props.author = "myositis"
    props.last_modified_by = "myositis"
    fixed = dt.datetime(2000, 1, 1)
    props.created = fixed
    props.modified = fixed
    props.revision = 1


def export(table, out_dir, name: str, formats=("csv", "html", "docx", "tex")) -> list[Path]:
    """Write a table in every format asked: ``<name>.csv``, ``.html`` (a full page), ``.docx``, ``.tex``.

    A ``TableOne`` (the previous layer) or a DataFrame is accepted too and written as before (CSV, HTML, LaTeX).
    """
    if not isinstance(table, Table):
        from .tableone import export as legacy

        return legacy(table, out_dir, name)
    folder = paths.output_dir(out_dir)
    written = []
    for ext in formats:
        path = folder / f"{name}.{ext}"
        if ext == "csv":
            to_csv(table, path)
        elif ext == "html":
            path.write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(table.title)
                            + "</title></head><body>\n" + to_html(table) + "\n</body></html>\n", encoding="utf-8")
        elif ext == "docx":
            to_docx(table, path)
        elif ext == "tex":
            path.write_text(to_latex(table), encoding="utf-8")
        else:
            raise ValueError(f"unknown table format {ext!r} (csv, html, docx, tex)")
        written.append(path)
    return written
