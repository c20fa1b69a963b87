"""Publication tables, one layer for every notebook: Table 1 (``summary_table``, as gtsummary's
``tbl_summary() |> add_p()``), survival (``survival_table``, as ``tbl_survfit``), models (``regression_table``,
as ``tbl_regression``), any result DataFrame (``from_frame``, ``count_table``), each a :class:`Table`
rendered to HTML, Word, LaTeX and CSV by ``export``.

``table_one`` (tableone) is kept for the existing notebooks until they move to ``summary_table``.

References
----------
Sjoberg DD, Whiting K, Curry M, Lavery JA, Larmarange J. Reproducible summary tables with the gtsummary package.
R J 2021;13:570-80.
"""

from . import format, tests
from .frame import NOTHING, count_table, format_value, from_frame
from .export import add_to_document, export, to_csv, to_docx, to_html, to_latex
from .regression import from_cox, from_odds_ratios, from_statsmodels, parse_term, regression_table
from .summary import summary_table, variable_type
from .survival import median_ci, survival_table
from .table import Table
from .tableone import YES_NO, mann_whitney, table_one

__all__ = ["NOTHING", "Table", "count_table", "format_value", "from_frame", "YES_NO", "add_to_document", "export",
           "format", "from_cox", "from_odds_ratios",
           "from_statsmodels", "mann_whitney", "median_ci", "parse_term", "regression_table", "summary_table",
           "survival_table", "table_one", "tests", "to_csv", "to_docx", "to_html", "to_latex", "variable_type"]
