"""What a notebook prints about itself: package versions at the end (Rule et al. 2019, rule 'record
dependencies'; kept out of nbval comparison with ``# NBVAL_IGNORE_OUTPUT``: versions change by design), and a
clear note instead of a table when nothing is left to analyse."""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

PACKAGES = ("myositis", "numpy", "pandas", "scipy", "statsmodels", "lifelines", "scikit-survival", "tableone",
            "pingouin", "pandera", "matplotlib", "seaborn", "papermill", "nbval", "jupytext")


def versions(packages=PACKAGES) -> pd.DataFrame:
    """Python and package versions as a table (one row per package; 'not installed' when absent)."""
    rows = [("python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"]).set_index("package")


NO_CASE = "No analysable case: every row of the file was excluded (see the inclusion flow and the issue table)."


class NoCases:
    """What a table step returns when no row is left to analyse: ``tableone`` is a one-cell table saying so (it
    can be written and shown like a Table 1), and the notebook shows the sentence instead of a traceback."""

    def __init__(self, what: str = "Table 1"):
        self.what = what
        self.tableone = pd.DataFrame({what: [NO_CASE]}, index=pd.Index(["note"], name=""))

    def _repr_markdown_(self) -> str:
        return f"**{self.what} not computed.** {NO_CASE}"

    def __repr__(self) -> str:
        return f"{self.what} not computed. {NO_CASE}"


def table_one(data: pd.DataFrame, **kwargs):
    """``tableone.TableOne(data, **kwargs)``, or :class:`NoCases` when ``data`` has no row (TableOne would stop
    the notebook with "Input data is empty").

    References
    ----------
    Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: an open source Python package for producing summary
    statistics for research papers. JAMIA Open 2018;1(1):26-31.
    """
    if data.empty:
        return NoCases("Table 1")
    from tableone import TableOne

    return TableOne(data, **kwargs)
