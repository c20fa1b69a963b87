"""The issue table shared by every validator: one row per problem, never a silent drop.

Columns: ``file``, ``row`` (the row as the user's spreadsheet or editor shows it; None for a file-level
problem), ``record`` (the record's identifier — patient id, REDCap record_id — when the row has one, so that a
data manager finds it even after sorting the sheet), ``field``, ``value``, ``rule``, ``severity`` (``"error"``
blocks analysis of the row, ``"warning"`` is reported and kept).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

ISSUE_COLUMNS = ["file", "row", "record", "field", "value", "rule", "severity"]
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
    record: str | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        where += f"record {self.record}, " if self.record else ""
        field = f"field {self.field}: " if self.field else ""
        return f"{self.file}: {where}{field}{self.value!r} {self.rule} [{self.severity}]"


def issues_frame(issues: Iterable[Issue] = ()) -> pd.DataFrame:
    """Collect issues into the standard table (empty table with the standard columns when clean)."""
    rows = [asdict(i) for i in issues]
    df = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    df["row"] = df["row"].astype("Int64")
    df["value"] = df["value"].map(lambda v: "" if v is None else str(v)).astype(object)
    return df


def with_records(issues: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Fill the ``record`` column of an issue table from the rows' identifiers.

    Parameters
    ----------
    issues : DataFrame
        An issue table (:func:`issues_frame`).
    records : DataFrame
        Columns ``file``, ``row`` (numbered as in ``issues``) and ``record`` (the identifier as written; missing
        when the row has none).

    Returns
    -------
    DataFrame
        ``issues`` with ``record`` set where it was empty and the file and row are known; order and rows kept.
    """
    if issues.empty or records.empty:
        return issues
    keys = records.dropna(subset=["row"]).assign(row=lambda d: d["row"].astype("Int64"))
    keys = keys.drop_duplicates(["file", "row"]).set_index(["file", "row"])["record"]
    found = pd.Series([keys.get((f, r)) if pd.notna(r) else None for f, r in zip(issues["file"], issues["row"])],
                      index=issues.index, dtype=object)
    out = issues.copy()
    empty = out["record"].isna() | (out["record"].astype(str) == "")
    out.loc[empty, "record"] = found[empty].map(lambda v: None if v is None or pd.isna(v) or str(v).strip() == ""
                                                else str(v))
    return out


def summarise(issues: pd.DataFrame) -> pd.DataFrame:
    """Count issues per rule and severity, for the validation section of a notebook."""
    if issues.empty:
        return pd.DataFrame(columns=["severity", "rule", "n"])
    return (issues.groupby(["severity", "rule"], dropna=False).size().rename("n").reset_index()
            .sort_values(["severity", "n"], ascending=[True, False], ignore_index=True))
