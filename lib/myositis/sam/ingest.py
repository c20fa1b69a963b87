"""Reading a CRF export of the SAM (MAS) case series and validating it, keeping every row: columns matched to the
CRF, each cell parsed (French numbers and dates, units written in cells), relations between dates checked, and
the reason each excluded case is excluded (inclusion flow).

A case is recognised, as the call for cases asks, only by the first two letters of surname and first name
(``initials``), the birth date and the centre's code, chosen from the list of participating centres in
``crf_fields.yaml`` (the call's "first three letters of the city" collide: Nantes and Nancy).

References
----------
Walls B, Gusdorf L, Viguier M. Appel à observations : dermatomyosite compliquée de syndrome d'activation
macrophagique. CHU de Reims (seed 001): inclusion window 2010-01-01 to 2020-10-01, recognition code.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from anyascii import anyascii

from .. import crf as crf_module
from .. import io, parsing, paths, published
from ..exceptions import CellError
from ..validation import Issue, issues_frame, with_records

MASKED = "(identifier masked)"
#: Exclusion rules, in the order they are tested; the first that applies is the case's reason. The first four
#: make a row invalid (cannot be a case of the series); the last keeps a valid case out of the analysis.
EXCLUSIONS = ("unreadable line", "empty row", "MAS date missing", "impossible dates", "duplicate",
              "outside inclusion window")
INVALID = EXCLUSIONS[:5]
#: REDCap bookkeeping columns, read without comment.
REDCAP_COLUMNS = re.compile(r"^(redcap_\w+|\w+_complete|complete(_\d+)?)$")


def inclusion_window() -> tuple[dt.date, dt.date]:
    """MAS diagnosis window of the call for cases, read from ``data/raw/published/sam.yaml``."""
    facts_file = paths.resolve("data/raw/published/sam.yaml")
    return _inclusion_window(facts_file.stat().st_mtime_ns if facts_file.exists() else 0)


@functools.lru_cache(maxsize=4)
def _inclusion_window(stamp: int) -> tuple[dt.date, dt.date]:  # read again when the facts file changes
    facts = published.load_facts("sam")
    return (dt.date.fromisoformat(str(published.fact(facts, "inclusion_start"))),
            dt.date.fromisoformat(str(published.fact(facts, "inclusion_end"))))


def _read(path: Path, crf) -> tuple[pd.DataFrame, io.FileInfo, str]:
    """The export as text cells; a workbook's data sheet and header row found by the CRF's headers."""
    known = list(crf.columns) + list(crf.header_map())
    raw, info = io.read_table(path, known_columns=known)
    if info.excel:
        kind = "Excel template" if str(info.sheet).startswith("Saisie") else "Excel workbook"
        fmt = f"{kind} (sheet {info.sheet}, header on row {info.header_line})"
    else:
        decimal = {None: "not shown by the file"}.get(info.decimal, repr(info.decimal))
        fmt = f"CSV: separator {info.separator!r}, decimal {decimal}, encoding {info.encoding}"
    return raw, info, fmt


def _unread_lines(info: io.FileInfo) -> dict[int, str]:
    """File lines holding a row that could not be read (wrong number of fields, truncated) and why."""
    return {i.row: i.rule for i in info.issues if i.row is not None and i.severity == "error"
            and not i.rule.startswith("continues line")}


def _match_columns(raw: pd.DataFrame, crf, name: str, issues: list) -> tuple[dict, int]:
    """File column → CRF export column; unknown columns reported; how many headers were labels."""
    header_map = crf.header_map()
    names = set(crf.columns)
    colmap, labels = {}, 0
    for col in raw.columns:
        exact = str(col).strip().lower()  # a variable name in capitals (REDCAP exports as RECORD_ID)
        target = exact if exact in names else header_map.get(crf_module.normalise(col))
        base = io.repeated_of(col, raw.columns) if target is None else None
        if base:  # the same header twice in the file (read as 'name.1'): reported under the field's name
            target = base if base in names else header_map.get(crf_module.normalise(base))
        if target and target not in colmap.values():
            colmap[col] = target
            labels += crf_module.normalise(col) != crf_module.normalise(target)
        elif target:
            first = next(c for c, t in colmap.items() if t == target)
            issues.append(Issue(name, None, base or str(col), "", f"second column for {target} (first: {first}): "
                                "ignored",
                                "warning"))
        elif REDCAP_COLUMNS.match(crf_module.normalise(col).replace(" ", "_")):
            continue
        else:
            issues.append(Issue(name, None, str(col), "", "unknown column: ignored", "warning"))
    present = set(colmap.values())
    for f in crf.fields:
        missing = [c for c in f.columns if c not in present]
        if missing:
            value = f"{len(missing)} of {len(f.columns)} columns" if f.type == "checkbox" else ""
            issues.append(Issue(name, None, f.name, value, "column absent from the file",
                                "error" if f.name == "mas_date" else "warning"))
    return colmap, labels


def _choice_lookup(field) -> dict:
    lookup = {}
    for code, fr, en in field.choices:
        for key in (code, fr, en):
            lookup.setdefault(crf_module.normalise(key), code)
    return lookup


def _parse_column(field, cells: list, name: str, decimal: str | None, issues: list, lines=None,
                  excel: bool = False, order: str | None = "dmy") -> list:
    """Typed values of one field; every cell that cannot be used becomes an issue and a missing value.
    ``lines``: the file line of each cell (issues carry it)."""
    shown = (lambda v: MASKED) if field.identifier else (lambda v: v)
    out = []
    lookup = _choice_lookup(field) if field.type in ("radio", "dropdown") else None
    factors = field.unit_factors()
    lines = lines if lines is not None else range(1, len(cells) + 1)
    for row, cell in zip(lines, cells):
        text = str(cell).strip()
        value = None

        def flag(rule, severity="warning"):
            issues.append(Issue(name, row, field.name, shown(text), rule, severity))

        if field.name == "centre":
            # a code, never a missing-value token ("NAN" is a centre); resolved against the listed centres
            if text:
                value, problem = crf_module.resolve_centre(field, text)
                if problem:
                    flag(f"{problem}: set missing")
        elif field.type in ("text", "notes"):
            # codes and identifiers keep missing-value tokens as text ("NA" can be initials)
            if not parsing.is_missing(text, code=field.identifier or field.name == "record_id"):
                value = text
                if field.name == "initials":
                    # transliterated first (Ø → O, ß → ss, Œ → OE), then the letters kept
                    value = re.sub(r"[^A-Z]", "", anyascii(text).upper())
                    if len(value) != 4:
                        flag("initials: 4 letters expected (2 of surname, 2 of first name)")
        elif field.type == "date":
            try:
                value = parsing.parse_date(text, excel_serials=excel, order=order)
            except CellError as exc:
                flag(exc.rule)
            if value is not None and field.name != "mas_date" and (
                    (field.min and value < field.min) or (field.max and value > field.max)):
                flag(f"date outside plausible range {field.min:%d/%m/%Y}-{field.max:%d/%m/%Y}: set missing")
                value = None
        elif field.type in ("number", "integer"):
            try:
                number = parsing.parse_number(text, decimal)
            except CellError as exc:
                number = None
                flag(exc.rule)
            if number is not None:
                value = number.value
                if number.unit:
                    divisor = factors.get(crf_module.normalise_unit(number.unit))
                    if divisor is None:
                        known = ", ".join([field.unit] + [u for u, _ in field.conversions]) or "no unit"
                        flag(f"unknown unit '{number.unit}' (expected {known}): set missing")
                        value = None
                    else:
                        value = value / divisor
                if value is not None and number.comparator:
                    flag(f"value written '{number.comparator}{number.value:g}': the limit is kept")
                if value is not None and field.type == "integer" and value != round(value):
                    flag("not a whole number: set missing")
                    value = None
                if value is not None and ((field.min is not None and value < field.min)
                                          or (field.max is not None and value > field.max)):
                    flag(f"out of range [{field.min:g}, {field.max:g}] {field.unit}: set missing".rstrip())
                    value = None
        elif field.type in ("radio", "dropdown"):
            try:
                parsing.check_answer(text)
            except CellError as exc:
                flag(exc.rule)
                text = ""
            if text.lower() not in parsing.MISSING:
                value = lookup.get(crf_module.normalise(text))
                if value is None and field.is_yes_no:
                    try:
                        value = {True: "1", False: "0"}[io.parse_bool(text)]
                    except (ValueError, KeyError):
                        value = None
                if value is None:
                    flag(f"not an allowed value ({field.choice_text('fr')}): set missing")
            if field.is_yes_no:
                value = None if value is None else value == "1"
        out.append(value)
    return out


def _parse_checkbox(field, data: pd.DataFrame, name: str, issues: list, lines=None) -> dict:
    out = {}
    lines = lines if lines is not None else range(1, len(data) + 1)
    for column in field.columns:
        if column not in data:
            out[column] = [None] * len(data)
            continue
        values = []
        for row, cell in zip(lines, data[column]):
            text = str(cell).strip()
            try:
                values.append(parsing.parse_bool(text))
            except CellError as exc:
                rule = exc.rule if "uncertain" in exc.rule else "not yes/no (Oui/Non, 1/0, Checked/Unchecked)"
                issues.append(Issue(name, row, column, text, rule, "warning"))
                values.append(None)
        out[column] = values
    return out


def _yes(value) -> bool:
    """True only for a ticked / 'yes' answer (missing is not yes)."""
    return value is not None and not pd.isna(value) and bool(value)


def _no(value) -> bool:
    return value is not None and not pd.isna(value) and not bool(value)


def _dates(series) -> pd.Series:
    return pd.to_datetime(pd.Series(series, dtype=object), errors="coerce")


def _typed(cases: pd.DataFrame, crf) -> pd.DataFrame:
    """The parsed cells with the CRF's types: dates, yes/no and checkboxes as nullable booleans, numbers as
    floats; other columns as they are. The table is built once from its typed columns (replacing ~200 columns
    one at a time copied its blocks at each)."""
    typed = {}
    for f in crf.fields:
        if f.type == "date":
            typed[f.name] = _dates(cases[f.name])
        elif f.is_yes_no:
            typed[f.name] = pd.array(cases[f.name].tolist(), dtype="boolean")
        elif f.type in ("number", "integer"):
            typed[f.name] = pd.to_numeric(cases[f.name], errors="coerce").astype(float)
    for c in (c for f in crf.fields if f.type == "checkbox" for c in f.columns):
        typed[c] = pd.array(cases[c].tolist(), dtype="boolean")
    return pd.DataFrame({c: typed[c] if c in typed else cases[c] for c in cases.columns}, index=cases.index)


def _row_checks(cases: pd.DataFrame, name: str, issues: list, window, required: list) -> pd.DataFrame:
    """Relations between fields (dates in order, duplicates, inclusion window) and the exclusion reason;
    ``required``: the CRF's required fields (an argument, not in ``cases.attrs``: pandas deep-copies a frame's
    attrs into every column taken from it, and this reads the table cell by cell)."""
    n = len(cases)
    reasons = [[] for _ in range(n)]
    start, end = window
    birth, mas = cases["birth_date"], cases["mas_date"]
    death, dm = cases["death_date"], cases["dm_diagnosis_date"]
    follow = cases["last_followup_date"]

    line = cases["source_row"].tolist()

    def flag(i, field, value, rule, severity, exclusion=None, reason=None):
        issues.append(Issue(name, line[i], field, value, rule, severity))
        if exclusion:
            reasons[i].append((exclusion, reason or rule))

    fmt = (lambda d: "" if pd.isna(d) else f"{d:%d/%m/%Y}")
    for i in range(n):
        if cases.at[i, "_unread"]:
            reasons[i].append(("unreadable line", "line not read (" + cases.at[i, "_unread"].split(":")[0] + ")"))
            continue
        if cases.at[i, "_empty"]:
            flag(i, None, "", "empty row", "warning", "empty row")
            continue
        for f in required:
            if f != "mas_date" and (cases.at[i, f] is None or (not isinstance(cases.at[i, f], str) and pd.isna(cases.at[i, f]))):
                flag(i, f, "", "required field is empty", "warning")
        if pd.isna(mas[i]):
            flag(i, "mas_date", "", "MAS date missing: the case cannot be analysed", "error", "MAS date missing",
                 "MAS date missing or unreadable")
            continue
        if pd.notna(birth[i]) and mas[i] < birth[i]:
            flag(i, "mas_date", fmt(mas[i]), "impossible dates: MAS before birth", "error", "impossible dates")
        if pd.notna(death[i]) and death[i] < mas[i]:
            flag(i, "death_date", fmt(death[i]), "impossible dates: death before MAS", "error", "impossible dates")
        if pd.notna(birth[i]) and pd.notna(dm[i]) and dm[i] < birth[i]:
            flag(i, "dm_diagnosis_date", fmt(dm[i]), "DM diagnosis before birth: set missing", "warning")
            cases.at[i, "dm_diagnosis_date"] = pd.NaT
        if pd.notna(dm[i]) and dm[i] > mas[i] + pd.Timedelta(days=30):
            flag(i, "dm_diagnosis_date", fmt(dm[i]), "DM diagnosed more than 30 days after MAS: check (MAS may "
                 "reveal the DM)", "warning")
        if pd.notna(follow[i]) and follow[i] < mas[i]:
            flag(i, "last_followup_date", fmt(follow[i]), "last follow-up before MAS: follow-up unknown", "warning")
            cases.at[i, "last_followup_date"] = pd.NaT
        if pd.notna(death[i]) and _no(cases.at[i, "death"]):
            flag(i, "death", "Non", "death date given but death answered no: check", "warning")
        if _yes(cases.at[i, "death"]) and pd.isna(death[i]):
            flag(i, "death_date", "", "death without a date: survival time unknown", "warning")
        for k in range(1, 5):
            s = cases.at[i, f"line{k}_start"]
            if pd.notna(s) and s < mas[i] - pd.Timedelta(days=7):
                flag(i, f"line{k}_start", fmt(s), "treatment line starts more than 7 days before MAS: check", "warning")
        if not (pd.Timestamp(start) <= mas[i] <= pd.Timestamp(end)):
            flag(i, "mas_date", fmt(mas[i]), f"outside inclusion window {start:%d/%m/%Y}-{end:%d/%m/%Y}", "error",
                 "outside inclusion window",
                 f"MAS diagnosed outside the inclusion window ({start:%d/%m/%Y} to {end:%d/%m/%Y})")

    # one record number on two rows of different cases: queries and corrections, matched by record number,
    # would hit both rows
    ids = cases["record_id"].where(cases["record_id"].notna() & ~cases["_empty"] & (cases["_unread"] == ""))
    for _, group in cases[ids.notna()].groupby(ids[ids.notna()], sort=False):
        if len(group) < 2 or group["recognition_code"].notna().all() and group["recognition_code"].nunique() == 1:
            continue
        rows = list(group.index)
        for r in rows[1:]:
            flag(r, "record_id", cases.at[r, "record_id"], f"record number also used on line {line[rows[0]]} for "
                 "another case: give each case its own number (queries and corrections go by record number)",
                 "warning")
    # duplicates: the same person (initials + birth date) sent twice, by one or two centres
    keyed = cases[cases["initials"].notna() & cases["birth_date"].notna() & ~cases["_empty"]]
    for _, group in keyed.groupby(["initials", "birth_date"], sort=False):
        if len(group) < 2:
            continue
        rows = list(group.index)
        sexes = {s for s in group["sex"] if isinstance(s, str)}
        if len(sexes) > 1:  # one code, two people? never merged without the centre's answer
            for r in rows:
                others = ", ".join(str(line[o]) for o in rows if o != r)
                flag(r, "sex", MASKED, f"possible collision — check with the centre: same initials and birth date "
                     f"as line {others} but another sex; not treated as a duplicate", "warning")
            continue
        keep = next((r for r in rows if not reasons[r]), rows[0])
        for r in rows:
            if r == keep:
                others = ", ".join(str(line[o]) for o in rows if o != keep)
                flag(r, "initials", MASKED, f"same recognition code as line {others}: this row is kept", "warning")
            else:
                centres = f"centre {cases.at[r, 'centre']} vs {cases.at[keep, 'centre']}"
                flag(r, "initials", MASKED, f"duplicate recognition code of line {line[keep]} ({centres})", "error",
                     "duplicate", f"duplicate of line {line[keep]} (same initials and birth date)")
    order = {rule: k for k, rule in enumerate(EXCLUSIONS)}
    first = [min(r, key=lambda x: order[x[0]]) if r else ("", "") for r in reasons]
    cases["exclusion_rule"] = [f[0] for f in first]
    cases["excluded"] = [f[1] for f in first]
    return cases


def load_crf(path, crf=None, corrections=None, require: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a CRF export and validate it, keeping every row.

    Parameters
    ----------
    path : str or Path
        A REDCap records export (raw or label format, checkbox columns ``field___code``), the Excel template
        (sheet *Saisie*), or the CSV a centre sends (``;``, decimal comma, cp1252 or UTF-8 with BOM,
        dd/mm/yyyy, units written in cells). Headers may be variable names or French/English labels.
        The file is only read, never modified.
        A folder of exports or a list of files: read by :func:`myositis.sam.centres.load_exports` (one series,
        duplicates across files found).
    crf : myositis.crf.CRF, optional
        The CRF definition (default: ``crf_fields.yaml``).
    corrections : DataFrame, optional
        Answered queries (:func:`myositis.sam.corrections.read_answers`), applied on top of the cells read
        (the file is never modified); the audit is in ``cases.attrs["corrections"]``.
    require : bool
        Stop when a field the CRF marks ``required`` has no column (what the notebook's analysis needs):
        one ``MissingColumnsError`` naming every such field and the headers found. Off, such a column is an
        issue row (``column absent from the file``).

    Returns
    -------
    cases : DataFrame
        One row per data row of the file, in file order (``source_row`` is its line in the file as a text
        editor or Excel numbers it, header = line 1 unless a title sits above it; rows whose line could not be
        read are kept, excluded as "unreadable line"): values
        parsed (dates as ``datetime64``, numbers converted to the CRF unit, yes/no as booleans, choices as
        codes), ``recognition_code`` (initials + birth date ddmmyyyy + centre), ``exclusion_rule`` and
        ``excluded`` (the reason in words, ``""`` when the case is analysed). Contains identifiers: keep it in
        memory or under ``data/private/``; ``pseudonymise`` gives what may be written elsewhere.
        ``cases.attrs["format"]`` says how the file was read.
    issues : DataFrame
        One row per problem: ``file``, ``row`` (file line), ``field``, ``value`` (identifiers masked), ``rule``,
        ``severity``. ``error``: the case is excluded (MAS date missing, impossible dates, duplicate, outside
        the inclusion window) or a column the analysis needs is absent. ``warning``: the cell is set missing
        (not a number or date, unknown unit, out of range, value not allowed) or is reported for checking;
        the case is kept.

    Raises
    ------
    InputFileError
        The file is missing, empty, binary or a workbook that cannot be read (subclasses
        ``EmptyFileError``, ``NotATableError``, ``ExcelFormatError``); the message says what to do.
    MissingColumnsError
        ``require`` and a required field has no column.
    """
    crf = crf or crf_module.load()
    if isinstance(path, (list, tuple)) or paths.resolve(path).is_dir():
        from .centres import load_exports
        return load_exports(path, crf, corrections=corrections, require=require)
    path = paths.resolve(path)
    raw, info, fmt = _read(path, crf)
    name = info.file
    issues: list[Issue] = list(info.issues)
    # rows that could not be read stay in the table, at their line, excluded as "unreadable line"
    unread = _unread_lines(info)
    lines = list(info.lines) + sorted(unread)
    if unread:
        raw = pd.concat([raw, pd.DataFrame("", index=range(len(unread)), columns=raw.columns)], ignore_index=True)
    order = np.argsort(lines, kind="stable")
    raw = raw.iloc[order].reset_index(drop=True)
    lines = [lines[k] for k in order]
    audit = None
    if corrections is not None:
        from .corrections import apply_to_cells
        raw, audit = apply_to_cells(raw, name, crf, corrections)
    colmap, labels = _match_columns(raw, crf, name, issues)
    if require:
        _require_columns(crf, set(colmap.values()), name, list(raw.columns), issues)
    data = raw.rename(columns=colmap)[list(colmap.values())]
    if labels > len(colmap) / 2:
        fmt = "REDCap export (labels) " + fmt
    elif any(c.endswith("_complete") for c in raw.columns):
        fmt = "REDCap export (raw) " + fmt
    n = len(data)
    order = parsing.sniff_date_order(c for f in crf.fields if f.type == "date" and f.name in data
                                     for c in data[f.name])
    if order in parsing.DATE_ORDER_RULES:
        issues.append(Issue(name, None, None, "", parsing.DATE_ORDER_RULES[order], "warning"))
        fmt += ", dates month first" if order == "mdy" else ""
    columns: dict[str, list] = {"source_file": [name] * n, "source_row": lines}
    for f in crf.fields:
        if f.type == "checkbox":
            columns.update(_parse_checkbox(f, data, name, issues, lines))
        else:
            cells = data[f.name].tolist() if f.name in data else [""] * n
            columns[f.name] = _parse_column(f, cells, name, info.decimal, issues, lines, info.excel, order)
    cases = _typed(pd.DataFrame(columns), crf)
    cases["_unread"] = [unread.get(line, "") for line in lines]
    cases["_empty"] = io.blank_rows(data) & (cases["_unread"] == "").to_numpy()
    cases["recognition_code"] = [
        f"{i}{b:%d%m%Y}{c}" if isinstance(i, str) and pd.notna(b) and isinstance(c, str) else None
        for i, b, c in zip(cases["initials"], cases["birth_date"], cases["centre"])]
    cases = _row_checks(cases, name, issues, inclusion_window(), crf.names(required=True))
    cases = cases.drop(columns=["_empty", "_unread"])
    cases.attrs = {"format": fmt, "file": name}
    if audit is not None:
        cases.attrs["corrections"] = audit
    table = issues_frame(issues).sort_values("row", na_position="first", kind="stable", ignore_index=True)
    table = with_records(table, pd.DataFrame({"file": name, "row": cases["source_row"],
                                              "record": cases["record_id"]}))  # each issue names its record_id
    return cases, table


def _require_columns(crf, present: set, name: str, headers: list, issues: list) -> None:
    """Stop at ingestion when a field the CRF marks required (the analysis needs it) has no column: one
    MissingColumnsError naming every such field, how it may be written, and the headers found."""
    from ..headers import HeaderTable, missing_columns_error

    missing = [f for f in crf.fields if f.required and f.type != "checkbox" and f.name not in present]
    if missing:
        table = HeaderTable({f.name: (f.label_fr, f.label_en) for f in missing})
        raise missing_columns_error({name: [f.name for f in missing]}, {name: [str(h) for h in headers]}, table,
                                    issues=issues_frame(issues))


def inclusion_flow(cases: pd.DataFrame) -> pd.DataFrame:
    """Received → valid → analysed, with the number excluded at each step and why.

    Returns
    -------
    DataFrame
        ``step``, ``n`` (rows still in at that step, or excluded at it), ``detail`` (the rule). When exports of
        a multicentre folder could not be read (``cases.attrs["unreadable"]``), a first step ``not read``
        counts those files (n = files, not rows).
    """
    rule = cases["exclusion_rule"]
    unread = cases.attrs.get("unreadable") or []
    rows = [("not read", len(unread), "unreadable export file(s): " + ", ".join(u["file"] for u in unread))
            ] if unread else []
    rows.append(("received", len(cases), "rows in the export"))
    for r in INVALID:
        rows.append(("excluded", int((rule == r).sum()), r))
    rows.append(("valid", int((~rule.isin(INVALID)).sum()), "cases of DM with MAS"))
    rows.append(("excluded", int((rule == EXCLUSIONS[-1]).sum()), EXCLUSIONS[-1]))
    rows.append(("analysed", int((rule == "").sum()), "cases analysed"))
    return pd.DataFrame(rows, columns=["step", "n", "detail"])


def exclusions(cases: pd.DataFrame) -> pd.DataFrame:
    """The excluded rows and why (file row number, rule, reason); no identifier."""
    out = cases.loc[cases["excluded"] != "", ["source_row", "exclusion_rule", "excluded"]]
    return out.rename(columns={"source_row": "row", "exclusion_rule": "rule", "excluded": "reason"}).reset_index(
        drop=True)
