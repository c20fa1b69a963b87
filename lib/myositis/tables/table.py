"""A formatted table kept apart from how it is rendered (gtsummary's ``table_body`` / ``table_styling``).

A :class:`Table` holds display strings (``body``: one row per line of the printed table, first column the
characteristic), the indentation of each row, a title, column headers, footnotes and the numbers behind the
strings (``stats``). Renderers (``myositis.tables.export``) turn it into HTML, Word, LaTeX or CSV; nothing here
draws.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def mark(i: int) -> str:
    """Footnote mark number ``i`` (1-based) as a superscript."""
    return "".join(SUPERSCRIPTS[int(d) - 1] if d != "0" else "⁰" for d in str(i))


@dataclass
class Table:
    """A table ready to print: strings, indentation, title, footnotes and the numbers behind them.

    Attributes
    ----------
    body : DataFrame
        Display strings; columns are the printed headers (the first is the row label column). No index.
    indent : list of int
        Indentation level of each row (0 variable, 1 level or "Unknown").
    title : str
        Caption without its number ("Patient characteristics by group").
    footnotes : list of str
        In order; a header or cell refers to footnote i with :func:`mark` (i).
    stats : DataFrame
        The numbers (p-values, estimates) for tests and for readers who want them unrounded.
    kind : str
        "summary", "survival", "regression" (used by the manuscript to pick abbreviations).
    spanner : dict
        ``{spanner label: [columns]}`` printed above the headers.
    bold_rows : list of int
        Rows whose label is bold.
    empty_text : str
        The sentence printed instead of the table when it has no row.
    """

    body: pd.DataFrame
    indent: list = field(default_factory=list)
    title: str = ""
    footnotes: list = field(default_factory=list)
    stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    kind: str = "summary"
    spanner: dict = field(default_factory=dict)
    bold_rows: list = field(default_factory=list)
    empty_text: str = "Nothing to list."

    @property
    def is_empty(self) -> bool:
        """No row to print: renderers show ``empty_text`` (a sentence) instead of a header alone."""
        return len(self.body) == 0

    def __post_init__(self):
        self.body = self.body.reset_index(drop=True).astype(str)
        if not self.indent:
            self.indent = [0] * len(self.body)

    def __len__(self) -> int:
        return len(self.body)

    def to_frame(self) -> pd.DataFrame:
        """The printed table as a plain DataFrame, indented labels prefixed by spaces (for CSV or a console)."""
        out = self.body.copy()
        first = out.columns[0]
        out[first] = [("    " * lvl) + v for lvl, v in zip(self.indent, out[first])]
        return out

    def _repr_html_(self) -> str:
        from .export import to_html

        return to_html(self)

    def __repr__(self) -> str:
        if self.is_empty:
            return "\n".join(x for x in (self.title, self.empty_text) if x)
        text = self.to_frame().to_string(index=False)
        notes = "\n".join(f"{mark(i + 1)} {n}" for i, n in enumerate(self.footnotes))
        return "\n".join(x for x in (self.title, text, notes) if x)


_NUMERIC_START = tuple("0123456789<>−-—.(")
ESTIMATE_LIKE = re.compile(r"^[\d\s.,%()<>−\-–—/]+$")


def centred_columns(table: Table) -> list[bool]:
    """Which columns are centred: the numbers and short statistics; the first (labels) and text columns (a
    citation, a reason) are left-aligned, as journals set them."""
    out = []
    for j, column in enumerate(table.body.columns):
        cells = [v.strip() for v in table.body.iloc[:, j] if v.strip() and v.strip() != "—"]
        numeric = sum(v.startswith(_NUMERIC_START) or len(v) <= 12 for v in cells)
        long_text = any(len(v) > 40 and not ESTIMATE_LIKE.match(v) for v in cells)
        out.append(j > 0 and (not cells or numeric >= len(cells) / 2) and not long_text)
    return out


def escape(text: str) -> str:
    return html.escape(str(text), quote=False)
