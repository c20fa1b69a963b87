"""The HTML report a clinician reads: code hidden behind a "Show code" button, warnings gathered in a "Notes"
section at the end instead of pink boxes between results, and pandas tables cleaned for reading (no 0..n-1
index column, missing values shown as "—", numbers in plain notation with sensible digits).

The executed notebook (``reports/<output>.ipynb``) keeps everything as it was; only its HTML rendering changes.
Tables built with ``myositis.tables`` are already formatted and are left alone.

References
----------
Jupyter nbconvert (HTMLExporter, "lab" template). Richardson L. Beautiful Soup 4.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

MISSING_TOKENS = {"NaN", "nan", "<NA>", "None", "NaT", "NA"}
_SCI = re.compile(r"^[-+]?\d+(?:\.\d+)?e[-+]\d+$", re.IGNORECASE)
_LONG = re.compile(r"^[-+]?\d+\.\d{5,}$")
_SUPER = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

TOGGLE = """
<style>
body:not(.myositis-show-code) .jp-CodeCell .jp-Cell-inputWrapper,
body:not(.myositis-show-code) .jp-InputPrompt,
body:not(.myositis-show-code) .jp-OutputPrompt { display: none !important; }
body:not(.myositis-show-code) .jp-CodeCell:not(:has(.jp-OutputArea-output)) { display: none !important; }
#myositis-code-toggle { position: fixed; top: 10px; right: 12px; z-index: 1000; padding: 4px 10px;
  font: 13px Arial, sans-serif; background: #f4f4f4; border: 1px solid #bbb; border-radius: 4px; cursor: pointer; }
.myositis-notes { font: 13px Arial, sans-serif; color: #444; border-top: 1px solid #ccc; margin-top: 2em; }
table.dataframe { font-family: Arial, sans-serif; font-size: 13px; }
</style>
<button id="myositis-code-toggle" type="button"
  onclick="document.body.classList.toggle('myositis-show-code');
           this.textContent = document.body.classList.contains('myositis-show-code') ? 'Hide code' : 'Show code';"
>Show code</button>
"""


def format_cell(text: str) -> str:
    """A pandas cell as a reader wants it: "—" for missing, plain notation for 1.7109e-05, 3 significant
    figures for 0.629818 (the exported CSV keeps every digit).

    Examples
    --------
    >>> [format_cell(x) for x in ("NaN", "<NA>", "1.7109e-05", "0.629818", "1681.5", "1.0000e+00", "abc")]
    ['—', '—', '1.7 × 10⁻⁵', '0.63', '1681.5', '1', 'abc']
    """
    s = text.strip()
    if s in MISSING_TOKENS:
        return "—"
    if _SCI.match(s) or _LONG.match(s):
        x = float(s)
        if x == 0:
            return "0"
        if abs(x) < 1e-3 or abs(x) >= 1e5:
            mantissa, exponent = f"{x:.1e}".split("e")
            return f"{mantissa} × 10{str(int(exponent)).translate(_SUPER)}"
        if abs(x) < 1:
            return f"{x:.3g}"
        return f"{x:.2f}".rstrip("0").rstrip(".") if _SCI.match(s) else f"{x:.2f}"
    return text


def clean_dataframe_html(markup: str) -> str:
    """Rewrite pandas' ``DataFrame._repr_html_`` output: drop a 0..n-1 index, format every cell."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for table in soup.find_all("table", class_="dataframe"):
        body_rows = table.find("tbody").find_all("tr") if table.find("tbody") else []
        index_cells = [r.find("th") for r in body_rows]
        if body_rows and all(c is not None for c in index_cells) and \
                [c.get_text(strip=True) for c in index_cells] == [str(i) for i in range(len(body_rows))]:
            for c in index_cells:
                c.decompose()
            for r in table.find("thead").find_all("tr") if table.find("thead") else []:
                first = r.find("th")
                if first is not None:
                    first.decompose()
        for cell in table.find_all("td"):
            text = cell.get_text()
            new = format_cell(text)
            if new != text:
                cell.string = new
    return str(soup)


def prepare(nb) -> list[str]:
    """Clean an executed notebook for reading, in place: stderr outputs moved to a final "Notes" cell (with the
    section they came from; the cell says so when there was none), pandas tables cleaned. Returns the notes."""
    import nbformat

    notes, section = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heads = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
            section = heads[-1] if heads else section
            continue
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                for line in out.get("text", "").splitlines():
                    line = line.strip()
                    if line and not line.startswith(("warnings.warn(", "  ")):
                        entry = f"{section}: {line}" if section else line
                        if entry not in notes:
                            notes.append(entry)
                continue
            data = out.get("data", {})
            if "text/html" in data and 'class="dataframe' in data["text/html"]:
                data["text/html"] = clean_dataframe_html(data["text/html"])
            kept.append(out)
        cell["outputs"] = kept
    if notes:
        items = "\n".join(f"<li>{html.escape(n)}</li>" for n in notes)
        body = (f"Messages the analysis printed while it ran (warnings), with the section they came from:\n"
                f"<ul>\n{items}\n</ul>")
    else:
        body = "The analysis printed no warning while it ran."
    # always there, so that a reader (and a test) knows where warnings would be
    # a fixed cell id (nbformat would draw a random one): the same notebook gives the same HTML, byte for byte
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f'<div class="myositis-notes" id="myositis-notes">\n\n## Notes\n\n{body}\n</div>', id="myositis-notes-cell"))
    return notes


class _Highlighted(str):
    """Source code highlighted by pygments (HTML-escaped by construction)."""


def _clean(value):
    # the lab template sanitises every code cell's highlighted source with bleach, which gives back the same string
    # (pygments escapes the code; tests/test_report_html.py checks it on every committed code cell): a quarter of
    # the export's time, skipped for that source only
    from nbconvert.filters.strings import clean_html

    return value if type(value) is _Highlighted else clean_html(value)


class _HighlightCode:
    """The ``highlight_code`` filter: pygments with the lexer of the notebook being exported, its output marked
    as :class:`_Highlighted`."""

    def __init__(self):
        self.highlight = None

    def __call__(self, source, *args, **kwargs):
        return _Highlighted(self.highlight(source, *args, **kwargs))


_EXPORTER: tuple | None = None


def _exporter():
    """This process's HTML exporter (lab template) and its highlight filter. Kept between exports: its Jinja
    environment compiles the template files once (about half of a report's export time when done every time);
    the filters are set once, since setting them again would throw that environment away."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="lab")
        highlight = _HighlightCode()
        exporter.filters = {**exporter.filters, "highlight_code": highlight, "clean_html": _clean}
        _EXPORTER = exporter, highlight
    return _EXPORTER


def warm() -> None:
    """Export a small notebook in memory (markdown, code, a table, a warning), so that this process's exporter
    exists with its templates compiled and the libraries it loads on first use (pygments' lexer, the markdown
    renderer, the sanitiser, Beautiful Soup) imported: a batch worker does it when it starts."""
    import nbformat

    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Title\n\nText with *emphasis*."),
        v4.new_code_cell("x = 1", outputs=[
            v4.new_output("stream", name="stderr", text="UserWarning: a warning\n"),
            v4.new_output("display_data", data={"text/html": '<table class="dataframe"><tbody><tr><th>0</th>'
                                                             "<td>NaN</td></tr></tbody></table>",
                                                "text/plain": "table"})])],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    prepare(nb)
    _render(nb)


def _render(nb) -> str:
    """The HTML page of a prepared notebook (this process's exporter, the notebook's lexer)."""
    from nbconvert.filters.highlight import Highlight2HTML

    lang = nb.metadata.get("language_info", {})
    exporter, highlight = _exporter()
    # as nbconvert's HTMLExporter builds it from the notebook's language
    highlight.highlight = Highlight2HTML(pygments_lexer=lang.get("pygments_lexer", lang.get("name")),
                                         parent=exporter)
    return exporter.from_notebook_node(nb)[0]


def export_html(notebook, html_path) -> Path:
    """Render an executed notebook to the reader's HTML page: code hidden (a button shows it), notes at the
    end, tables cleaned, figures embedded. Replaces ``runner.to_html``'s plain export."""
    import nbformat

    nb = nbformat.read(Path(notebook), as_version=4)
    prepare(nb)
    body = _render(nb)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + TOGGLE, body, count=1)
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path
