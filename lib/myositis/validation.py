"""The issue table shared by every validator: one row per problem, never a silent drop.

Columns: ``file``, ``row`` (1-based data row as a spreadsheet user counts it, header excluded; None for a
file-level problem), ``field``, ``value``, ``rule``, ``severity`` (``"error"`` blocks analysis of the row,
``"warning"`` is reported and kept).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

ISSUE_COLUMNS = ["file", "row", "field", "value", "rule", "severity"]
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file."""

    file: str
    row: int | None
    field: str | None
    value: object
    rule: str
    severity: str = "error"

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        field = f"field {self.field}: " if self.field else ""
        return f"{self.file}: {where}{field}{self.value!r} {self.rule} [{self.severity}]"


def issues_frame(issues: Iterable[Issue] = ()) -> pd.DataFrame:
    """Collect issues into the standard table (empty table with the standard columns when clean)."""
    rows = [asdict(i) for i in issues]
    df = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    df["row"] = df["row"].astype("Int64")
    df["value"] = df["value"].map(lambda v: "" if v is None else str(v)).astype(object)
    return df


def summarise(issues: pd.DataFrame) -> pd.DataFrame:
    """Count issues per rule and severity, for the validation section of a notebook."""
    if issues.empty:
        return pd.DataFrame(columns=["severity", "rule", "n"])
    return (issues.groupby(["severity", "rule"], dropna=False).size().rename("n").reset_index()
            .sort_values(["severity", "n"], ascending=[True, False], ignore_index=True))
