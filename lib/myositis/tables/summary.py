"""Table 1: patient characteristics by group, as R's ``tbl_summary(by = ) |> add_overall() |> add_p()``.

Categorical variables show n (%) per level, yes/no variables one row (the "yes" count), continuous variables
median (Q1, Q3) with quartiles as gtsummary computes them (R ``quantile(type = 2)``) and decimals guessed from
the spread as gtsummary does; missing values are not counted in percentages and get their own "Unknown" row.
p-values come from the tests gtsummary picks by default (``myositis.tables.tests``), each named in a footnote.

References
----------
Sjoberg DD, Whiting K, Curry M, Lavery JA, Larmarange J. Reproducible summary tables with the gtsummary package.
R J 2021;13:570-80.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from . import format as fmt
from . import tests
from .table import Table, mark

YES = {"yes", "oui", "true", "1", "y", "positive", "present"}
NO = {"no", "non", "false", "0", "n", "negative", "absent"}


def _as_yes_no(s: pd.Series) -> pd.Series | None:
    """The variable as booleans when it is a yes/no variable (bool, 0/1, yes/no words), else None."""
    v = s.dropna()
    if v.empty:
        return None
    if str(s.dtype) in ("bool", "boolean") or v.map(lambda x: isinstance(x, (bool, np.bool_))).all():
        return s.map(lambda x: None if pd.isna(x) else bool(x))
    words = v.astype(str).str.strip().str.lower()
    if set(words) <= YES | NO and len(set(words) & YES) <= 1 and len(set(words) & NO) <= 1:
        return s.map(lambda x: None if pd.isna(x) else str(x).strip().lower() in YES)
    return None


def variable_type(s: pd.Series) -> str:
    """gtsummary's guess: "dichotomous" (yes/no), "categorical" (text, or numbers with fewer than 10 values),
    or "continuous"."""
    if _as_yes_no(s) is not None:
        return "dichotomous"
    if pd.api.types.is_numeric_dtype(s) and s.dropna().nunique() >= 10:
        return "continuous"
    if pd.api.types.is_numeric_dtype(s) and s.dropna().empty:
        return "continuous"
    return "categorical"


def quartiles(values) -> tuple[float, float, float]:
    """Median, Q1, Q3 as gtsummary computes them: R ``quantile(x, c(.5, .25, .75), type = 2)``."""
    v = pd.Series(values, dtype=float).dropna().to_numpy()
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    q = np.quantile(v, [0.5, 0.25, 0.75], method="averaged_inverted_cdf")
    return float(q[0]), float(q[1]), float(q[2])


def summary_table(data: pd.DataFrame, by: str | None = None, variables=None, labels: dict | None = None,
                  types: dict | None = None, order: dict | None = None, overall: bool = False,
                  add_p: bool = True, missing_text: str = "Unknown", by_labels: dict | None = None,
                  digits: dict | None = None, title: str = "Patient characteristics",
                  p_digits: int = fmt.P_DIGITS) -> Table:
    """Table 1 like gtsummary's ``tbl_summary(by) |> add_overall() |> add_p()``.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    by : str, optional
        Grouping column (one column per group); None describes the whole cohort.
    variables : list of str, optional
        Rows, in order (default: every column but ``by``).
    labels : dict, optional
        ``{column: label in clinic words}`` ("CK, IU/L"); the column name otherwise.
    types : dict, optional
        ``{column: "continuous" | "categorical" | "dichotomous"}`` overriding :func:`variable_type`.
    order : dict, optional
        ``{column: [levels]}``, also for ``by`` (order of the group columns).
    overall : bool
        Add an "Overall" column before the groups.
    add_p : bool
        Test each variable across groups (needs ``by``).
    missing_text : str
        Label of the row counting missing values (shown only when some are missing, gtsummary ``"ifany"``).
    by_labels : dict, optional
        ``{group value: printed name}``.
    digits : dict, optional
        ``{column: decimals}`` of continuous summaries (default: guessed from the spread, as gtsummary).
    title : str
        Caption.
    p_digits : {1, 2, 3}
        Decimals of large p-values (gtsummary ``style_pvalue(digits = )``; 2 by default in this project,
        gtsummary's ``add_p`` uses 1: pass ``p_digits=1`` to print as it does).

    Returns
    -------
    Table
        ``stats`` has one row per variable: ``variable``, ``label``, ``type``, ``test``, ``statistic``,
        ``p_value``.

    Raises
    ------
    ValidationError
        A listed variable or the grouping column is not in ``data``.

    Notes
    -----
    R: ``tbl_summary(d, by = group, missing_text = "Unknown") |> add_overall() |> add_p()`` (gtsummary 2.1).
    """
    labels, types, order = dict(labels or {}), dict(types or {}), dict(order or {})
    variables = list(variables) if variables is not None else [c for c in data.columns if c != by]
    absent = [c for c in variables + ([by] if by else []) if c not in data.columns]
    if absent:
        raise ValidationError(f"Table 1: column(s) {', '.join(absent)} not in the data "
                              f"(columns: {', '.join(map(str, data.columns))})")
    if by is not None:
        data = data[data[by].notna()]
        present = list(pd.unique(data[by]))
        groups = [g for g in order.get(by, []) if g in present] + sorted(
            (g for g in present if g not in order.get(by, [])), key=str)
    else:
        groups = []
    by_labels = dict(by_labels or {})
    columns = (["Overall"] if overall or by is None else []) + [str(by_labels.get(g, g)) for g in groups]
    subsets = ([data] if overall or by is None else []) + [data[data[by] == g] for g in groups]
    header = [f"{name}\nN = {fmt.style_number(len(s))}" for name, s in zip(columns, subsets)]
    testing = add_p and by is not None and len(groups) >= 2

    rows, indent, bold, stat_rows = [], [], [], []
    used_tests: list[str] = []
    stat_kinds: list[str] = []

    no_test: list[str] = []  # footnotes saying why a variable has no p-value

    def p_cell(result):
        if result is None:
            return fmt.MISSING
        if not np.isfinite(result.p_value):
            reason = result.reason or "no test possible"
            if reason not in no_test:
                no_test.append(reason)
            return fmt.MISSING + "\x00" + "\x01" + reason  # mark filled in below
        if result.test not in used_tests:
            used_tests.append(result.test)
        return fmt.style_pvalue(result.p_value, digits=p_digits) + "\x00" + result.test  # mark filled in below

    for var in variables:
        s = data[var]
        kind = types.get(var) or variable_type(s)
        label = str(labels.get(var, var))
        label = label[:1].upper() + label[1:]  # a row label starts with a capital ("Maximum CK (IU/L)")
        result = None
        yes_no = _as_yes_no(s) if kind == "dichotomous" else None
        if kind == "dichotomous" and yes_no is None:
            kind = "categorical"
        if kind == "continuous":
            values = pd.to_numeric(s, errors="coerce")
            d = digits.get(var) if digits and var in digits else fmt.spread_digits(values)
            cells = []
            for sub in subsets:
                med, q1, q3 = quartiles(values.loc[sub.index])
                cells.append(fmt.MISSING if np.isnan(med) else
                             f"{fmt.style_number(med, d)} ({fmt.style_number(q1, d)}, {fmt.style_number(q3, d)})")
            if testing:
                result = tests.continuous(*[values.loc[data[by] == g] for g in groups])
            if "Median (Q1, Q3)" not in stat_kinds:
                stat_kinds.append("Median (Q1, Q3)")
            rows.append([label, *cells, p_cell(result) if testing else ""])
            indent.append(0)
            bold.append(len(rows) - 1)
            levels_missing = values.isna()
        else:
            if kind == "dichotomous":
                values = yes_no
                levels = [True]
                names = {True: label}
            else:
                values = s.map(lambda x: None if pd.isna(x) else x)
                present = list(pd.unique(values.dropna()))
                wanted = order.get(var)
                levels = ([lv for lv in wanted] + [lv for lv in present if lv not in wanted] if wanted
                          else sorted(present, key=lambda x: str(x)))
                names = {lv: str(lv) for lv in levels}
            if testing:
                cross = pd.crosstab(values, data[by]).reindex(columns=groups, fill_value=0)
                result = tests.categorical(cross.to_numpy())
            if "n (%)" not in stat_kinds:
                stat_kinds.append("n (%)")

            def count(sub, lv):
                v = values.loc[sub.index].dropna()
                n = int((v == lv).sum())
                return f"{n} ({fmt.style_percent(n / len(v))}%)" if len(v) else fmt.MISSING

            if kind == "dichotomous":
                rows.append([label, *[count(sub, True) for sub in subsets], p_cell(result) if testing else ""])
                indent.append(0)
                bold.append(len(rows) - 1)
            else:
                rows.append([label, *[""] * len(subsets), p_cell(result) if testing else ""])
                indent.append(0)
                bold.append(len(rows) - 1)
                for lv in levels:
                    rows.append([names[lv], *[count(sub, lv) for sub in subsets], ""])
                    indent.append(1)
            levels_missing = values.isna()
        if levels_missing.any():
            rows.append([missing_text, *[str(int(levels_missing.loc[sub.index].sum())) for sub in subsets], ""])
            indent.append(1)
        stat_rows.append({"variable": var, "label": label, "type": kind,
                          "test": tests.NAMES[result.test] if result and np.isfinite(result.p_value) else None,
                          "statistic": result.statistic if result else np.nan,
                          "p_value": result.p_value if result else np.nan,
                          "no_test": result.reason if result and not np.isfinite(result.p_value) else ""})

    footnotes = ["; ".join(stat_kinds)] if stat_kinds else []
    if len(data) == 0:  # every row excluded: the table says so instead of failing
        footnotes.append("No analysable case: no row to describe")
    test_marks = {}
    for t in used_tests:
        footnotes.append(tests.NAMES[t])
        test_marks[t] = mark(len(footnotes))
    for reason in no_test:
        footnotes.append("No p-value: " + reason)
        test_marks["\x01" + reason] = mark(len(footnotes))
    out_cols = ["Characteristic"] + header + (["p-value"] if testing else [])
    for r in rows:
        if testing and "\x00" in r[-1]:
            p, t = r[-1].split("\x00", 1)
            r[-1] = p + test_marks[t]
    body = pd.DataFrame([r if testing else r[:-1] for r in rows], columns=out_cols)
    # the statistics footnote marks every summary column header, as gtsummary does
    body.columns = [out_cols[0]] + [h + mark(1) if h in header else h for h in out_cols[1:]]
    return Table(body=body, indent=indent, title=title, footnotes=footnotes, stats=pd.DataFrame(stat_rows),
                 kind="summary", bold_rows=bold)
