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

import hashlib
import re
from pathlib import Path

from .. import io, paths
from .table import SUPERSCRIPTS, Table, escape

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


def to_html(table: Table, number: int | None = None) -> str:
    """Styled HTML of the table (great-tables): caption, bold variable rows, indented levels, footnotes.

    The same call on the same table returns the same string (fixed element id).
    """
    import great_tables as gt

    df = table.body.copy()
    first = df.columns[0]
    df[first] = ["\u00a0" * 4 * lvl + v for lvl, v in zip(table.indent, df[first])]
    safe = {c: f"c{i}" for i, c in enumerate(df.columns)}
    df.columns = list(safe.values())
    g = gt.GT(df, id=_id(table))
    g = g.cols_label(**{v: gt.html(escape(k).replace("\n", "<br>")) for k, v in safe.items()})
    g = g.cols_align("left", columns=["c0"]).cols_align("center", columns=list(safe.values())[1:])
    if table.title:
        g = g.tab_header(title=caption(table, number))
    if table.bold_rows:
        g = g.tab_style(gt.style.text(weight="bold"), gt.loc.body(columns="c0", rows=list(table.bold_rows)))
    for line in footnote_lines(table):
        g = g.tab_source_note(line)
    g = g.opt_table_font(font=FONT).opt_align_table_header("left").tab_options(
        table_font_size="14px", heading_title_font_size="15px", data_row_padding="3px", table_margin_left="0px",
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


def add_to_document(table: Table, document, number: int | None = None, font_size: float | None = None) -> None:
    """Append the table to a python-docx ``Document``: caption paragraph, three-rule table, footnotes
    (9 pt, 8 pt from six columns on)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cap = document.add_paragraph(style="Caption") if "Caption" in [s.name for s in document.styles] else \
        document.add_paragraph()
    if number is not None:
        run = cap.add_run(f"Table {number}. ")
        run.bold = True
    cap.add_run(table.title)
    n_rows, n_cols = len(table.body) + 1, table.body.shape[1]
    font_size = font_size or (9 if n_cols < 6 else 8)
    t = document.add_table(rows=n_rows, cols=n_cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, name in enumerate(table.body.columns):
        cell = t.cell(0, j)
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
        _set_borders(cell, top=12, bottom=6)
    for i, row in enumerate(table.body.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            cell = t.cell(i, j)
            para = cell.paragraphs[0]
            run = para.add_run(str(value))
            if j == 0 and (i - 1) in table.bold_rows:
                run.bold = True
            if j == 0 and table.indent[i - 1]:
                para.paragraph_format.left_indent = Pt(10 * table.indent[i - 1])
            if j > 0:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if i == n_rows - 1:
                _set_borders(cell, bottom=12)
    for j in range(n_cols):
        if j > 0:
            t.cell(0, j).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The label column as wide as its longest label needs (at most ~1.8 inches), a p-value column 0.8 inch,
    # the others share the rest of 6.5 inches.
    from docx.shared import Inches

    longest = max([len(str(v)) + 2 * lvl for v, lvl in zip(table.body.iloc[:, 0], table.indent)] + [14])
    widths = [0.062 * min(longest, 26)] + [0.0] * (n_cols - 1)
    fixed = {j: 0.8 for j in range(1, n_cols) if str(table.body.columns[j]).startswith("p-value")}
    rest = (6.5 - widths[0] - sum(fixed.values())) / max(n_cols - 1 - len(fixed), 1)
    widths = [widths[0]] + [fixed.get(j, rest) for j in range(1, n_cols)]
    t.autofit = False
    for column, w in zip(t.columns, widths):  # the grid LibreOffice reads
        column.width = Inches(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = Inches(w)
    for row in t.rows:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.space_after = Pt(0)
                for run in para.runs:
                    run.font.size = Pt(font_size)
    for line in footnote_lines(table):
        para = document.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        run = para.add_run(line)
        run.font.size = Pt(font_size - 1)
    document.add_paragraph()


def to_docx(table: Table, path, number: int | None = None) -> Path:
    """The table alone in a Word document (caption, table, footnotes)."""
    import docx

    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    add_to_document(table, document, number)
    _deterministic(document)
    document.save(path)
    return path


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
