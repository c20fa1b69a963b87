"""One Word document per run, ready to paste into a paper: its tables and figures numbered, each with a caption
and footnotes (tests used, abbreviations, what the data are).

A notebook collects what it shows and writes the document in its last cell::

    ms = manuscript.Manuscript("Anti-Mi2 dermatomyositis", data_note=prov.summary())
    ms.add_table(table1)                                   # a myositis.tables.Table
    ms.add_figure(saved[0], "Kaplan-Meier survival by group", notes=["Shaded: 95% CI (log scale)."])
    ms.write(out / "manuscript.docx")

The document is built with python-docx; its properties carry no date, so a rerun gives the same text.

References
----------
python-docx: Create and update Microsoft Word .docx files (python-openxml).
ICMJE. Recommendations for the conduct, reporting, editing, and publication of scholarly work in medical
journals (tables and figures numbered in order of citation, each with a title and explanatory footnotes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import paths
from .tables import Table
from .tables.export import (LANDSCAPE_IN, PORTRAIT_IN, _deterministic, add_to_document, needs_landscape,
                             set_orientation)

#: Printed widths of journal figures (inches): single column ~85 mm, double column ~175 mm.
WIDTHS_IN = {"single": 3.35, "double": 6.89}


@dataclass
class Figure:
    """A figure file (PNG) with its caption and footnotes."""

    path: Path
    caption: str
    notes: list = field(default_factory=list)
    width: str = "double"


@dataclass
class Manuscript:
    """Tables and figures of one run, numbered in the order added, written to one ``.docx``.

    Parameters
    ----------
    title : str
        Heading of the document (the analysis, not the paper).
    data_note : str
        What the data are, printed under the heading and under every table and figure (e.g. the provenance
        summary "Data: own cohort · patients.xlsx sha256 3f9a1c0b2e7d · 40 patients").
    abbreviations : dict
        ``{abbreviation: meaning}``; each table or figure lists those its text uses.
    """

    title: str
    data_note: str = ""
    abbreviations: dict = field(default_factory=dict)
    items: list = field(default_factory=list)

    def add_table(self, table: Table, notes=()) -> int | None:
        """Add a table (from ``myositis.tables``); returns its number, or None for a table without rows (a paper
        has no empty table: the report says why it is empty)."""
        if not isinstance(table, Table):
            raise TypeError("add_table takes a myositis.tables.Table (build it with tables.summary_table, "
                            "survival_table, regression_table, from_frame or count_table)")
        if table.is_empty:
            return None
        self.items.append(("table", table, list(notes)))
        return sum(kind == "table" for kind, *_ in self.items)

    def add_figure(self, path, caption: str, notes=(), width: str = "double") -> int:
        """Add a figure file (PNG) with its caption; returns its number."""
        if width not in WIDTHS_IN:
            raise ValueError(f"width must be one of {sorted(WIDTHS_IN)}")
        path = paths.resolve(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        if not path.exists():
            raise FileNotFoundError(f"figure file {paths.relative(path)} not found (save the figure first)")
        self.items.append(("figure", Figure(path, caption, list(notes), width), []))
        return sum(kind == "figure" for kind, *_ in self.items)

    def contents(self) -> Table:
        """What the document holds: one row per table or figure, its number and whole caption (a Table, so a
        notebook shows it without index or truncation)."""
        rows, counts = [], {"table": 0, "figure": 0}
        for kind, obj, _ in self.items:
            counts[kind] += 1
            rows.append({"Item": f"{kind.capitalize()} {counts[kind]}",
                         "Caption": obj.title if kind == "table" else obj.caption})
        return Table(body=pd.DataFrame(rows, columns=["Item", "Caption"]), title="Contents of manuscript.docx",
                     kind="contents")

    def _abbreviations_in(self, text: str) -> str:
        used = [f"{k}, {v}" for k, v in sorted(self.abbreviations.items()) if k in text.split() or
                any(f"{k}{c}" in text for c in " ,;:.)(¹²³⁴⁵⁶⁷⁸⁹") or f"({k}" in text]
        return "Abbreviations: " + "; ".join(used) + "." if used else ""

    def write(self, path) -> Path:
        """Write the document (tables and figures in the order added, each numbered); returns its path.

        A table of seven or more columns (or too wide for a portrait page at 6.5 pt) is set on a landscape page
        of its own; the next item returns to portrait.
        """
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches, Pt

        path = paths.resolve(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = docx.Document()
        style = document.styles["Normal"]
        style.font.name = "Arial"
        style.font.size = Pt(10)
        document.add_heading(self.title, level=1)
        if self.data_note:
            document.add_paragraph(self.data_note)
        counts = {"table": 0, "figure": 0}
        landscape = False
        for kind, obj, notes in self.items:
            counts[kind] += 1
            n = counts[kind]
            wide = kind == "table" and needs_landscape(obj)
            if wide != landscape:  # a wide table gets a landscape section (shared with the wide tables after it)
                from docx.enum.section import WD_SECTION

                first = counts["table"] + counts["figure"] == 1
                section = document.sections[0] if first else document.add_section(WD_SECTION.NEW_PAGE)
                set_orientation(section, landscape=wide)
                landscape = wide
            if kind == "table":
                extra = list(notes)
                text = " ".join([obj.title, *obj.body.columns, *obj.body.to_numpy().ravel().tolist(),
                                 *obj.footnotes])
                abbreviations = self._abbreviations_in(text)
                add_to_document(obj, document, number=n, available_in=LANDSCAPE_IN if wide else PORTRAIT_IN)
                # drop the blank paragraph add_to_document ends with: the notes follow the table's footnotes
                document.paragraphs[-1]._element.getparent().remove(document.paragraphs[-1]._element)
                for line in [*extra, abbreviations, self.data_note]:
                    if line:
                        para = document.add_paragraph()
                        para.paragraph_format.space_after = Pt(0)
                        para.add_run(line).font.size = Pt(8)
                document.add_paragraph()
            else:
                document.add_picture(str(obj.path), width=Inches(WIDTHS_IN[obj.width]))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                cap = document.add_paragraph(style="Caption") if "Caption" in [
                    s.name for s in document.styles] else document.add_paragraph()
                cap.add_run(f"Figure {n}. ").bold = True
                cap.add_run(obj.caption)
                for line in [*obj.notes, self._abbreviations_in(" ".join([obj.caption, *obj.notes])),
                             self.data_note]:
                    if line:
                        para = document.add_paragraph()
                        para.paragraph_format.space_after = Pt(0)
                        para.add_run(line).font.size = Pt(8)
                document.add_paragraph()
        _deterministic(document)
        document.save(path)
        return path
