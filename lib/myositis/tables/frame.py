"""Any result DataFrame as a printed :class:`~myositis.tables.table.Table`: the listing tables of the notebooks
(counts, laboratory summaries, published figures, checks) go through the same layer as Table 1, so they read the
same in the HTML report and in ``manuscript.docx``: no pandas index, missing values "—", numbers rounded (half
away from zero) with a thousands mark, p-values as gtsummary's ``style_pvalue``, headers in clinic words, every
text cell whole (no truncation: a citation is printed entire).

References
----------
Sjoberg DD, Whiting K, Curry M, Lavery JA, Larmarange J. Reproducible summary tables with the gtsummary package.
R J 2021;13:570-80 (``style_number``, ``style_sigfig``, ``style_pvalue``, ``style_percent``).
"""

from __future__ import annotations

import datetime as dt
import numbers

import numpy as np
import pandas as pd

from . import format as fmt
from .table import Table, mark

#: What a table says when a check found nothing to list (instead of an empty table with only its header).
NOTHING = "Nothing to list."


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value, digits: int | None = None, pvalue: bool = False, p_digits: int = fmt.P_DIGITS) -> str:
    """One cell as printed: "—" if missing, "yes"/"no" for booleans, integers with a thousands mark, decimals
    with ``digits`` decimals (default: three significant figures, integers kept whole), dates as ISO dates.

    Examples
    --------
    >>> [format_value(v) for v in (None, float("nan"), True, 1681.0, 0.629818, 36.74, 12, "abc")]
    ['—', '—', 'yes', '1,681', '0.630', '36.7', '12', 'abc']
    >>> format_value(0.0012, pvalue=True), format_value(38.456, digits=1)
    ('0.001', '38.5')
    """
    if _missing(value):
        return fmt.MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d") if (value.hour, value.minute, value.second) == (0, 0, 0) else \
            value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return fmt.style_number(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if not np.isfinite(x):
            return fmt.MISSING
        if pvalue:
            return fmt.style_pvalue(x, digits=p_digits)
        if digits is not None:
            return fmt.style_number(x, digits)
        if x == round(x) and abs(x) < 1e15:
            return fmt.style_number(x)
        if abs(x) < 0.1:  # small values keep three significant figures: 0.0000171, not 0.000
            return fmt.style_number(x, min(2 - int(np.floor(np.log10(abs(x)))), 10))
        return fmt.style_sigfig(x, 3)
    return str(value)


def _sig_decimals(x, significant: int = 3, most: int = 4) -> int | None:
    """Decimals that give ``x`` three significant figures (0 from 100 up; None if missing)."""
    if _missing(x) or not np.isfinite(float(x)) or float(x) == 0:
        return None
    return int(min(max(significant - 1 - np.floor(np.log10(abs(float(x)))), 0), most))


def _label(column) -> str:
    if isinstance(column, tuple):
        return " ".join(_label(c) for c in column if str(c))
    if isinstance(column, (float, np.floating)) and np.isfinite(column):
        return f"{column:g}"
    return str(column)


def from_frame(data: pd.DataFrame, title: str = "", labels: dict | None = None, digits: dict | int | None = None,
               pvalues=(), ci: dict | None = None, index: str | bool | None = None, footnotes=(),
               empty: str = NOTHING, kind: str = "listing", bold_rows=(), p_digits: int = fmt.P_DIGITS) -> Table:
    """A result DataFrame as a :class:`Table`: index dropped (or made the first column when it carries labels),
    cells formatted by :func:`format_value`, headers renamed, estimates and their CI joined into one cell.

    Parameters
    ----------
    data : DataFrame or None
        None (a result that does not exist for these parameters) gives an empty table: its ``empty`` sentence.
    title : str
        Caption without its number.
    labels : dict, optional
        ``{column: header in clinic words}``; other columns keep their name (a ``MultiIndex`` header is joined
        by spaces).
    digits : int, dict or "row", optional
        Decimals of every numeric column (int) or ``{column: decimals}``; ``"row"``: per row, three significant
        figures of the row's estimate (first decimal column, or the ``ci`` estimate) for all its decimals, as a
        laboratory table needs ("39.6 (38.9, 39.9)", "5,977 (3,193, 10,382)"); default three significant
        figures per cell, integer values printed whole.
    pvalues : sequence of str
        Columns printed as p-values (gtsummary ``style_pvalue(digits = p_digits)``).
    ci : dict, optional
        ``{new header: (estimate, lower, upper)}``: the three columns become one "22 (12, 37)" cell, placed where
        the estimate was.
    index : str or bool, optional
        Header of the index when it is kept as the first column. By default the index is kept unless it is an
        unnamed integer index (0..n-1, or what is left of it after filtering), under its name (or no header).
    footnotes : sequence of str
    empty : str
        What a table without rows shows in its single cell (a sentence, never a header alone).
    kind : str
        Passed to :class:`Table` ("listing" by default).
    bold_rows : sequence of int
        Rows whose label is printed in bold (section rows).
    p_digits : {1, 2, 3}

    Returns
    -------
    Table
        ``stats`` holds the unformatted data (index reset).

    Examples
    --------
    >>> t = from_frame(pd.DataFrame({"n": [3, None], "p": [0.0123, 0.5]}, index=["a", "b"]), pvalues=["p"])
    >>> t.body.to_dict("list")
    {'': ['a', 'b'], 'n': ['3', '—'], 'p': ['0.012', '0.50']}
    """
    labels = dict(labels or {})
    frame = pd.DataFrame() if data is None else data.copy()
    unnamed_numbers = (frame.index.nlevels == 1 and frame.index.name is None and
                       pd.api.types.is_integer_dtype(frame.index.dtype))
    keep_index = index if isinstance(index, bool) else (index is not None or not unnamed_numbers)
    if keep_index:
        names = [n for n in frame.index.names]
        header = index if isinstance(index, str) else " / ".join(str(n) for n in names if n is not None)
        frame = frame.reset_index()
        index_cols = list(frame.columns[:len(names)])
        if len(index_cols) == 1:
            frame = frame.rename(columns={index_cols[0]: header})
            labels.setdefault(header, header)
    frame = frame.reset_index(drop=True)
    stats = frame.copy()
    formatted = {}
    joined = {}
    for new, (est, low, high) in (ci or {}).items():
        joined[est] = new
    p_cols = set(pvalues)
    row_digits = None
    if isinstance(digits, str):
        if digits != "row":
            raise ValueError('digits must be an int, a dict or "row"')
        estimates = [est for est, _, _ in (ci or {}).values()] or [
            c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])][:1]
        row_digits = [_sig_decimals(x) for x in (frame[estimates[0]] if estimates else [np.nan] * len(frame))]
    for column in frame.columns:
        if column in {lo for _, lo, _ in (ci or {}).values()} | {hi for *_, hi in (ci or {}).values()}:
            continue
        d = digits.get(column) if isinstance(digits, dict) else (None if row_digits else digits)
        if column in joined:
            est, low, high = (ci or {})[joined[column]]
            cells = []
            for i, (e, lo, hi) in enumerate(zip(frame[est], frame[low], frame[high])):
                d = row_digits[i] if row_digits else d
                text = format_value(e, d)
                if not (_missing(lo) and _missing(hi)):
                    text += f" ({format_value(lo, d)}, {format_value(hi, d)})"
                cells.append(text)
            formatted[joined[column]] = cells
            continue
        formatted[labels.get(column, _label(column))] = [
            format_value(v, row_digits[i] if row_digits and isinstance(v, float) else d, pvalue=column in p_cols,
                         p_digits=p_digits) for i, v in enumerate(frame[column])]
    body = pd.DataFrame(formatted)
    if body.empty:
        return Table(body=pd.DataFrame(columns=list(body.columns) or ["Result"]), title=title, stats=stats,
                     kind=kind, empty_text=empty)
    return Table(body=body, title=title, footnotes=list(footnotes), stats=stats, kind=kind,
                 bold_rows=list(bold_rows))


def count_table(counts, title: str = "", label: str = "Characteristic", n: str = "n", denominator: str = "known",
                footnotes=(), empty: str = NOTHING) -> Table:
    """Counts over a denominator ("3 / 10 (30%)") for one block, or for several blocks with a bold heading each.

    Parameters
    ----------
    counts : DataFrame or dict of DataFrames
        One row per item, first column its label, with columns ``n`` and the denominator (``known`` or
        ``answered``; the first present is used). A dict ``{heading: DataFrame}`` gives one section each.
    title, label : str
        Caption and header of the label column.
    n, denominator : str
        Column names of the count and of its denominator (``answered`` is used when ``known`` is absent).
    footnotes : sequence of str

    Returns
    -------
    Table
        Columns: label, "n / N (%)"; percentages as gtsummary's ``style_percent``.
    """
    blocks = counts if isinstance(counts, dict) else {None: counts}
    rows, indent, bold = [], [], []
    head = "n / N (%)" + mark(1)
    for heading, frame in blocks.items():
        den = denominator if denominator in frame.columns else next(
            (c for c in ("known", "answered") if c in frame.columns), None)
        if den is None:
            raise ValueError(f"count_table: no denominator column ({denominator!r}, 'known' or 'answered') in "
                             f"{list(frame.columns)}")
        if heading is not None:
            bold.append(len(rows))
            rows.append({label: str(heading), head: ""})
            indent.append(0)
        for item, k, total in zip(frame.iloc[:, 0], frame[n], frame[den]):
            if _missing(k) or _missing(total) or not total:
                cell = fmt.MISSING
            else:
                cell = f"{fmt.style_number(k)} / {fmt.style_number(total)} ({fmt.style_percent(k / total)}%)"
            rows.append({label: str(item), head: cell})
            indent.append(1 if heading is not None else 0)
    if not rows:
        return Table(body=pd.DataFrame(columns=[label, head]), title=title, kind="listing", empty_text=empty)
    notes = ["n / N (%): patients with the feature / patients with an answer (%)."] + list(footnotes)
    return Table(body=pd.DataFrame(rows, columns=[label, head]), indent=indent, bold_rows=bold, title=title,
                 footnotes=notes, kind="listing")
