"""The SAM (MAS) case series: reading CRF exports, validation, exclusions, pseudonymisation, the synthetic demo
series and the derived tables of the case-series notebook.

A case is recognised, as the call for cases asks, only by the first two letters of surname and first name
(``initials``), the birth date and the first three letters of the centre. ``load_crf`` reads any export of the
CRF defined in ``crf_fields.yaml`` (REDCap raw or label format, the Excel template, the CSV a French centre
sends) and keeps every row; ``pseudonymise`` turns the result into the only table allowed into
``data/processed/``: a keyed hash instead of the recognition code, ages instead of the birth date, days from
MAS onset instead of dates, no free text.

References
----------
Walls B, Gusdorf L, Viguier M. Appel à observations : dermatomyosite compliquée de syndrome d'activation
macrophagique. CHU de Reims (seed 001): inclusion window 2010-01-01 to 2020-10-01, recognition code.
Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. RFC 2104, 1997.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io as _io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import crf as crf_module
from . import io, paths, published
from .exceptions import InputFileError, MissingKeyError
from .validation import Issue, issues_frame

SYNTHETIC_FILE = "data/raw/sam_synthetic_series.csv"
SYNTHETIC_SEED = 20201001
KEY_ENV = "MYOSITIS_PSEUDONYM_KEY"
KEY_FILE_ENV = "MYOSITIS_PSEUDONYM_KEY_FILE"
#: Published demo key: accepted only for files whose name says "synthetic" (never for a real export).
DEMO_KEY = "myositis-synthetic-demo-key (public, synthetic data only)"
MIN_KEY_LENGTH = 16
PSEUDONYM_HEX = 16
MASKED = "(identifier masked)"
DAYS_PER_MONTH = 365.25 / 12
#: Exclusion rules, in the order they are tested; the first that applies is the case's reason. The first four
#: make a row invalid (cannot be a case of the series); the last keeps a valid case out of the analysis.
EXCLUSIONS = ("empty row", "MAS date missing", "impossible dates", "duplicate", "outside inclusion window")
INVALID = EXCLUSIONS[:4]
#: REDCap bookkeeping columns, read without comment.
REDCAP_COLUMNS = re.compile(r"^(redcap_\w+|\w+_complete|complete(_\d+)?)$")
RESPONSES = {"1": "complete", "2": "partial", "3": "none", "9": "not evaluable"}
DRUGS = {"gc": "GC", "mp_pulse": "MP pulses", "ivig": "IVIG", "etoposide": "etoposide", "anakinra": "anakinra",
         "csa": "ciclosporin", "tac": "tacrolimus", "jaki": "JAK inhibitor", "tcz": "tocilizumab",
         "rtx": "rituximab", "cyc": "cyclophosphamide", "pex": "plasma exchange", "other": "other"}
#: Antibody profile of a patient: the first positive myositis-specific antibody in this order.
ANTIBODY_ORDER = ("mda5", "sae", "tif1g", "nxp2", "mi2", "ars", "srp", "hmgcr")
ANTIBODY_LABELS = {"mda5": "anti-MDA5", "sae": "anti-SAE", "tif1g": "anti-TIF1γ", "nxp2": "anti-NXP2",
                   "mi2": "anti-Mi2", "ars": "antisynthetase", "srp": "anti-SRP", "hmgcr": "anti-HMGCR",
                   "ro52": "anti-Ro52", "pmscl": "anti-PM-Scl", "ku": "anti-Ku", "other": "other", "none": "none"}


# --- inclusion window ------------------------------------------------------------------------------------

def inclusion_window() -> tuple[dt.date, dt.date]:
    """MAS diagnosis window of the call for cases, read from ``data/raw/published/sam.yaml``."""
    facts = published.load_facts("sam")
    return (dt.date.fromisoformat(str(published.fact(facts, "inclusion_start"))),
            dt.date.fromisoformat(str(published.fact(facts, "inclusion_end"))))


# --- reading and validating an export ---------------------------------------------------------------------

def _read(path: Path) -> tuple[pd.DataFrame, io.FileInfo, str]:
    sheet = None
    if path.suffix.lower() in io.EXCEL_SUFFIXES and path.exists():
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        sheet = "Saisie" if "Saisie" in wb.sheetnames else None
        wb.close()
    raw, info = io.read_table(path, sheet=sheet)
    if info.encoding == "xlsx":
        filled = np.flatnonzero((raw != "").any(axis=1).to_numpy())
        raw = raw.iloc[: (filled[-1] + 1 if filled.size else 0)]  # Excel keeps formatted empty rows at the end
        fmt = "Excel template (sheet Saisie)" if sheet else "Excel workbook (first sheet)"
    else:
        fmt = f"CSV: separator {info.separator!r}, decimal {info.decimal!r}, encoding {info.encoding}"
    return raw, info, fmt


def _match_columns(raw: pd.DataFrame, crf, name: str, issues: list) -> tuple[dict, int]:
    """File column → CRF export column; unknown columns reported; how many headers were labels."""
    header_map = crf.header_map()
    names = set(crf.columns)
    colmap, labels = {}, 0
    for col in raw.columns:
        target = col if col in names else header_map.get(crf_module.normalise(col))
        if target and target not in colmap.values():
            colmap[col] = target
            labels += crf_module.normalise(col) != crf_module.normalise(target)
        elif target:
            first = next(c for c, t in colmap.items() if t == target)
            issues.append(Issue(name, None, str(col), "", f"second column for {target} (first: {first}): ignored",
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


def _parse_column(field, cells: list, name: str, decimal: str, issues: list) -> list:
    """Typed values of one field; every cell that cannot be used becomes an issue and a missing value."""
    shown = (lambda v: MASKED) if field.identifier else (lambda v: v)
    out = []
    lookup = _choice_lookup(field) if field.type in ("radio", "dropdown") else None
    factors = field.unit_factors()
    for row, cell in enumerate(cells, start=1):
        text = str(cell).strip()
        value = None

        def flag(rule, severity="warning"):
            issues.append(Issue(name, row, field.name, shown(text), rule, severity))

        if field.type in ("text", "notes"):
            if text.lower() not in io.MISSING:
                value = text
                if field.name == "initials":
                    value = re.sub(r"[^A-Z]", "", crf_module.normalise(text).upper())
                    if len(value) != 4:
                        flag("initials: 4 letters expected (2 of surname, 2 of first name)")
                elif field.name == "centre":
                    value = re.sub(r"[^A-Z]", "", crf_module.normalise(text).upper())[:3]
                    if len(re.sub(r"[^A-Z]", "", crf_module.normalise(text).upper())) != 3:
                        flag("centre: 3 letters expected")
        elif field.type == "date":
            try:
                value = io.parse_date(text)
            except ValueError:
                flag("not a date (dd/mm/yyyy)")
            if value is not None and field.name != "mas_date" and (
                    (field.min and value < field.min) or (field.max and value > field.max)):
                flag(f"date outside plausible range {field.min:%d/%m/%Y}-{field.max:%d/%m/%Y}: set missing")
                value = None
        elif field.type in ("number", "integer"):
            try:
                number = io.parse_number(text, decimal)
            except ValueError:
                number = None
                flag("not a number: set missing")
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
            if text.lower() not in io.MISSING:
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


def _parse_checkbox(field, data: pd.DataFrame, name: str, issues: list) -> dict:
    out = {}
    for column in field.columns:
        if column not in data:
            out[column] = [None] * len(data)
            continue
        values = []
        for row, cell in enumerate(data[column], start=1):
            text = str(cell).strip()
            try:
                values.append(io.parse_bool(text))
            except ValueError:
                issues.append(Issue(name, row, column, text, "not yes/no (Oui/Non, 1/0, Checked/Unchecked)",
                                    "warning"))
                values.append(None)
        out[column] = values
    return out


def _dates(series) -> pd.Series:
    return pd.to_datetime(pd.Series(series, dtype=object), errors="coerce")


def _row_checks(cases: pd.DataFrame, name: str, issues: list, window) -> pd.DataFrame:
    """Relations between fields (dates in order, duplicates, inclusion window) and the exclusion reason."""
    n = len(cases)
    reasons = [[] for _ in range(n)]
    start, end = window
    birth, mas = cases["birth_date"], cases["mas_date"]
    death, dm = cases["death_date"], cases["dm_diagnosis_date"]
    follow = cases["last_followup_date"]

    def flag(i, field, value, rule, severity, exclusion=None, reason=None):
        issues.append(Issue(name, i + 1, field, value, rule, severity))
        if exclusion:
            reasons[i].append((exclusion, reason or rule))

    fmt = (lambda d: "" if pd.isna(d) else f"{d:%d/%m/%Y}")
    for i in range(n):
        if cases.at[i, "_empty"]:
            flag(i, None, "", "empty row", "warning", "empty row")
            continue
        for f in cases.attrs["required"]:
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

    # duplicates: the same person (initials + birth date) sent twice, by one or two centres
    keyed = cases[cases["initials"].notna() & cases["birth_date"].notna() & ~cases["_empty"]]
    for _, group in keyed.groupby(["initials", "birth_date"], sort=False):
        if len(group) < 2:
            continue
        rows = list(group.index)
        keep = next((r for r in rows if not reasons[r]), rows[0])
        for r in rows:
            if r == keep:
                others = ", ".join(str(o + 1) for o in rows if o != keep)
                flag(r, "initials", MASKED, f"same recognition code as row {others}: this row is kept", "warning")
            else:
                centres = f"centre {cases.at[r, 'centre']} vs {cases.at[keep, 'centre']}"
                flag(r, "initials", MASKED, f"duplicate recognition code of row {keep + 1} ({centres})", "error",
                     "duplicate", f"duplicate of row {keep + 1} (same initials and birth date)")
    order = {rule: k for k, rule in enumerate(EXCLUSIONS)}
    first = [min(r, key=lambda x: order[x[0]]) if r else ("", "") for r in reasons]
    cases["exclusion_rule"] = [f[0] for f in first]
    cases["excluded"] = [f[1] for f in first]
    return cases


def load_crf(path, crf=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a CRF export and validate it, keeping every row.

    Parameters
    ----------
    path : str or Path
        A REDCap records export (raw or label format, checkbox columns ``field___code``), the Excel template
        (sheet *Saisie*), or the CSV a centre sends (``;``, decimal comma, cp1252 or UTF-8 with BOM,
        dd/mm/yyyy, units written in cells). Headers may be variable names or French/English labels.
        The file is only read, never modified.
    crf : myositis.crf.CRF, optional
        The CRF definition (default: ``crf_fields.yaml``).

    Returns
    -------
    cases : DataFrame
        One row per data row of the file, in file order (``source_row`` is the 1-based data row): values
        parsed (dates as ``datetime64``, numbers converted to the CRF unit, yes/no as booleans, choices as
        codes), ``recognition_code`` (initials + birth date ddmmyyyy + centre), ``exclusion_rule`` and
        ``excluded`` (the reason in words, ``""`` when the case is analysed). Contains identifiers: keep it in
        memory or under ``data/private/``; ``pseudonymise`` gives what may be written elsewhere.
        ``cases.attrs["format"]`` says how the file was read.
    issues : DataFrame
        One row per problem: ``file``, ``row``, ``field``, ``value`` (identifiers masked), ``rule``,
        ``severity``. ``error``: the case is excluded (MAS date missing, impossible dates, duplicate, outside
        the inclusion window) or a column the analysis needs is absent. ``warning``: the cell is set missing
        (not a number or date, unknown unit, out of range, value not allowed) or is reported for checking;
        the case is kept.

    Raises
    ------
    InputFileError
        The file is missing, empty or not a table.
    """
    crf = crf or crf_module.load()
    path = paths.resolve(path)
    raw, info, fmt = _read(path)
    name = info.file
    issues: list[Issue] = []
    colmap, labels = _match_columns(raw, crf, name, issues)
    data = raw.rename(columns=colmap)[list(colmap.values())]
    if labels > len(colmap) / 2:
        fmt = "REDCap export (labels) " + fmt
    elif any(c.endswith("_complete") for c in raw.columns):
        fmt = "REDCap export (raw) " + fmt
    n = len(data)
    columns: dict[str, list] = {"source_file": [name] * n, "source_row": list(range(1, n + 1))}
    for f in crf.fields:
        if f.type == "checkbox":
            columns.update(_parse_checkbox(f, data, name, issues))
        else:
            cells = data[f.name].tolist() if f.name in data else [""] * n
            columns[f.name] = _parse_column(f, cells, name, info.decimal, issues)
    cases = pd.DataFrame(columns)
    for f in crf.fields:
        if f.type == "date":
            cases[f.name] = _dates(cases[f.name])
        elif f.is_yes_no:
            cases[f.name] = pd.array(cases[f.name].tolist(), dtype="boolean")
        elif f.type in ("number", "integer"):
            cases[f.name] = pd.to_numeric(cases[f.name], errors="coerce").astype(float)
    for c in (c for f in crf.fields if f.type == "checkbox" for c in f.columns):
        cases[c] = pd.array(cases[c].tolist(), dtype="boolean")
    cases["_empty"] = (data == "").all(axis=1).to_numpy() if len(data.columns) else np.ones(n, bool)
    cases["recognition_code"] = [
        f"{i}{b:%d%m%Y}{c}" if isinstance(i, str) and pd.notna(b) and isinstance(c, str) else None
        for i, b, c in zip(cases["initials"], cases["birth_date"], cases["centre"])]
    cases.attrs["required"] = crf.names(required=True)
    cases = _row_checks(cases, name, issues, inclusion_window())
    cases = cases.drop(columns="_empty")
    cases.attrs = {"format": fmt, "file": name}
    table = issues_frame(issues).sort_values("row", na_position="first", kind="stable", ignore_index=True)
    return cases, table


def inclusion_flow(cases: pd.DataFrame) -> pd.DataFrame:
    """Received → valid → analysed, with the number excluded at each step and why.

    Returns
    -------
    DataFrame
        ``step``, ``n`` (rows still in at that step, or excluded at it), ``detail`` (the rule).
    """
    rule = cases["exclusion_rule"]
    rows = [("received", len(cases), "rows in the export")]
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


# --- pseudonymisation -------------------------------------------------------------------------------------

def is_bundled_synthetic(path) -> bool:
    """True when ``path`` holds exactly the bundled synthetic series (same SHA-256), wherever it is."""
    p = paths.resolve(path)
    if not p.is_file():
        return False
    return hashlib.sha256(p.read_bytes()).digest() == \
        hashlib.sha256(paths.resolve(SYNTHETIC_FILE).read_bytes()).digest()


def pseudonym_key(source_file, key: str = "", key_file: str = "") -> bytes:
    """The pseudonymisation key, from (first found) ``key``, ``key_file``, the file named by
    ``$MYOSITIS_PSEUDONYM_KEY_FILE``, then ``$MYOSITIS_PSEUDONYM_KEY``.

    Only for the bundled synthetic demo series (recognised by its content, a byte-identical copy included, not by
    its file name) does a missing key fall back to the public ``DEMO_KEY``; the demo key given for any other
    file is refused. Pass the key through the environment or a key file, never as a notebook parameter: papermill
    records parameters in the executed notebook and its report.

    Raises
    ------
    MissingKeyError
        No key, a key shorter than 16 characters, a key file inside the repository (it would end up in git),
        or the demo key for real data. The message says how to provide one.
    """
    synthetic = is_bundled_synthetic(source_file)
    how = (f"set the environment variable {KEY_ENV}, or write the key in a file outside the repository and set "
           f"{KEY_FILE_ENV} to its path (or pass pseudonym_key_file to the notebook); keep the same key for the "
           "whole study so pseudonyms stay stable")
    key_file = key_file or os.environ.get(KEY_FILE_ENV, "") if not key else ""
    if not key and key_file:
        kf = Path(os.path.expanduser(key_file)).resolve()
        if kf == paths.ROOT or paths.ROOT in kf.parents:
            raise MissingKeyError(f"the key file {paths.relative(kf)} is inside the repository; move it outside "
                                  "(e.g. ~/.config/myositis/pseudonym.key) so it can never be committed")
        try:
            key = kf.read_text(encoding="utf-8").strip()
        except OSError:
            raise MissingKeyError(f"cannot read the pseudonymisation key file {kf.name}: {how}") from None
    key = key or os.environ.get(KEY_ENV, "")
    if not key:
        if synthetic:
            return DEMO_KEY.encode()
        raise MissingKeyError(f"no pseudonymisation key for {Path(str(source_file)).name}: {how}")
    if key == DEMO_KEY and not synthetic:
        raise MissingKeyError("the public demo key is for the synthetic series only; use your own key: " + how)
    if len(key) < MIN_KEY_LENGTH:
        raise MissingKeyError(f"the pseudonymisation key has {len(key)} characters; use at least {MIN_KEY_LENGTH}")
    return key.encode()


def _hmac(key: bytes, text: str, length: int = PSEUDONYM_HEX) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def pseudonymise(cases: pd.DataFrame, key: bytes, crf=None) -> pd.DataFrame:
    """The table allowed into ``data/processed/``: no recognition code, no birth date, no absolute date, no
    free text.

    Parameters
    ----------
    cases : DataFrame
        From ``load_crf``.
    key : bytes
        From ``pseudonym_key``.

    Returns
    -------
    DataFrame
        ``pseudonym`` (HMAC-SHA256 of the recognition code without its centre part, i.e. initials and birth
        date, 16 hex digits, so a patient sent by two centres keeps one pseudonym; of file and row when the
        code is incomplete), ``centre_code`` (HMAC of the centre, 8 hex), ``excluded``/``exclusion_rule``,
        ``age_at_dm_years`` and ``age_at_mas_years``, every other date as days from MAS onset
        (``dm_diagnosis_day``, ``line1_start_day``, ``death_day``, ``last_followup_day``...), and the other
        CRF fields unchanged. Dropped: ``record_id``, initials, birth date, centre, MAS date, free text.

    References
    ----------
    Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. RFC 2104, 1997.
    """
    crf = crf or crf_module.load()
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise MissingKeyError("pseudonymise needs the key from myositis.sam.pseudonym_key()")
    out = pd.DataFrame(index=cases.index)
    # the centre is left out of the hash: a patient reported by two centres keeps one pseudonym
    person = [f"{i}{b:%d%m%Y}" if isinstance(i, str) and pd.notna(b) else None
              for i, b in zip(cases["initials"], cases["birth_date"])]
    out["pseudonym"] = [_hmac(key, code) if code else _hmac(key, f"row:{f}#{r}")
                        for code, f, r in zip(person, cases["source_file"], cases["source_row"])]
    out["centre_code"] = [_hmac(key, f"centre:{c}", 8) if isinstance(c, str) else None for c in cases["centre"]]
    out["exclusion_rule"] = cases["exclusion_rule"]
    out["excluded"] = cases["excluded"]
    mas, birth = cases["mas_date"], cases["birth_date"]
    out["age_at_dm_years"] = ((cases["dm_diagnosis_date"] - birth).dt.days / 365.25).round(1)
    out["age_at_mas_years"] = ((mas - birth).dt.days / 365.25).round(1)
    dropped = {"record_id", "centre", "mas_date"} | set(crf.names(identifier=True)) | set(crf.names(free_text=True))
    for f in crf.fields:
        if f.name in dropped:
            continue
        if f.type == "date":
            out[f.name.removesuffix("_date") + "_day"] = (cases[f.name] - mas).dt.days.astype("Int64")
        else:
            for c in f.columns:
                out[c] = cases[c]
    return out.reset_index(drop=True)


def processed_path(processed_dir, synthetic: bool = False) -> Path:
    """Where the pseudonymised table goes: ``<processed_dir>/cases_pseudonymised.csv``, prefixed ``synthetic_``
    when it comes from synthetic data (data-honesty rule: synthetic files say so in their names)."""
    return paths.resolve(processed_dir) / f"{'synthetic_' if synthetic else ''}cases_pseudonymised.csv"


def write_processed(pseudonymised: pd.DataFrame, processed_dir, synthetic: bool = False) -> Path:
    """Write the pseudonymised table (refuses a table still holding an identifying or free-text column)."""
    crf = crf_module.load()
    forbidden = set(crf.names(identifier=True)) | set(crf.names(free_text=True)) | {
        "recognition_code", "mas_date", "centre", "record_id", "source_file", "source_row"}
    forbidden |= {c for c in pseudonymised.columns if c.endswith("_date")}
    leaked = sorted(forbidden & set(pseudonymised.columns))
    if leaked:
        raise InputFileError(f"refusing to write identifying columns to processed data: {', '.join(leaked)}")
    return io.write_csv(pseudonymised, processed_path(processed_dir, synthetic))


def privacy_strings(cases: pd.DataFrame) -> list[str]:
    """Strings that must never appear outside the raw/private data: recognition codes, and birth dates as
    dd/mm/yyyy, yyyy-mm-dd and ddmmyyyy (for the privacy scan)."""
    out = set(c for c in cases["recognition_code"].dropna())
    for b in cases["birth_date"].dropna():
        out |= {f"{b:%d/%m/%Y}", f"{b:%Y-%m-%d}", f"{b:%d%m%Y}"}
    return sorted(out)


# --- derived tables (on the pseudonymised table) ----------------------------------------------------------

def analysed(pseudonymised: pd.DataFrame) -> pd.DataFrame:
    """The cases kept for analysis (``excluded == ""``)."""
    return pseudonymised[pseudonymised["excluded"] == ""].reset_index(drop=True)


def _yes(value) -> bool:
    """True only for a ticked / 'yes' answer (missing is not yes)."""
    return value is not None and not pd.isna(value) and bool(value)


def _no(value) -> bool:
    return value is not None and not pd.isna(value) and not bool(value)


def antibody_profile(p: pd.DataFrame) -> pd.Series:
    """One antibody label per patient: the first positive myositis-specific antibody (``ANTIBODY_ORDER``),
    ``"none found"`` when tested without a positive one, ``"not tested / unknown"`` when the test is answered no
    or no result is given (unticked REDCap boxes export as 0, so they alone do not mean "tested negative")."""
    out = []
    for _, row in p.iterrows():
        hits = [a for a in ANTIBODY_ORDER if _yes(row.get(f"dm_antibodies___{a}"))]
        tested = row.get("dm_antibodies_tested")
        if hits:
            out.append(ANTIBODY_LABELS[hits[0]])
        elif _no(tested):
            out.append("not tested / unknown")
        elif _yes(tested) or any(_no(row.get(f"dm_antibodies___{a}")) for a in ANTIBODY_ORDER):
            out.append("none found")
        else:
            out.append("not tested / unknown")
    return pd.Series(out, index=p.index, name="antibody")


def checkbox_counts(p: pd.DataFrame, field: str, labels: dict | None = None) -> pd.DataFrame:
    """How many patients have each choice of a checkbox question, over patients who answered it.

    Parameters
    ----------
    labels : dict, optional
        Choice code → label (default: the CRF's English labels).

    Returns
    -------
    DataFrame
        ``choice``, ``n``, ``answered`` (patients with at least one box ticked), ``percent`` of answered; a
        patient with no box ticked counts as not answered (an unticked CRF question is not a "no").
    """
    cols = [c for c in p.columns if c.startswith(f"{field}___")]
    block = p[cols]
    answered = block.notna().any(axis=1) & block.fillna(False).astype(bool).any(axis=1)
    n_answered = int(answered.sum())
    rows = []
    for c in cols:
        code = c.split("___", 1)[1]
        n = int(block.loc[answered, c].fillna(False).astype(bool).sum())
        if labels is None:
            labels = {c: en for c, _, en in crf_module.load().field(field).choices}
        rows.append({"choice": labels.get(code, code), "n": n, "answered": n_answered,
                     "percent": round(100 * n / n_answered, 1) if n_answered else np.nan})
    return pd.DataFrame(rows)


def yes_no_counts(p: pd.DataFrame, fields: dict) -> pd.DataFrame:
    """For yes/no fields ``{column: label}``: ``n`` yes, ``known`` (answered), ``percent`` of known, ``missing``."""
    rows = []
    for col, label in fields.items():
        s = p[col]
        known = int(s.notna().sum())
        yes = int((s == True).sum())  # noqa: E712 (nullable booleans)
        rows.append({"feature": label, "n": yes, "known": known,
                     "percent": round(100 * yes / known, 1) if known else np.nan, "missing": len(s) - known})
    return pd.DataFrame(rows)


def lab_summary(p: pd.DataFrame, fields: dict) -> pd.DataFrame:
    """Median [IQR] and range of numeric fields ``{column: label}``, with the number known and missing."""
    rows = []
    for col, label in fields.items():
        s = pd.to_numeric(p[col], errors="coerce").dropna()
        q = s.quantile([0.25, 0.5, 0.75]) if len(s) else pd.Series([np.nan] * 3, index=[0.25, 0.5, 0.75])
        rows.append({"variable": label, "known": len(s), "missing": len(p) - len(s), "median": q[0.5],
                     "q1": q[0.25], "q3": q[0.75], "min": s.min() if len(s) else np.nan,
                     "max": s.max() if len(s) else np.nan})
    return pd.DataFrame(rows)


def regimen(row, line: int) -> str:
    """The drugs of one treatment line in words, glucocorticoids first: ``"MP pulses + IVIG"``; ``""`` if none."""
    drugs = [code for code in DRUGS if _yes(row.get(f"line{line}_drugs___{code}"))]
    if "mp_pulse" in drugs and "gc" in drugs:
        drugs.remove("gc")  # pulses are followed by oral glucocorticoids: one word for both
    return " + ".join(DRUGS[d] for d in drugs)


def treatment_lines(p: pd.DataFrame, lines: int = 4) -> pd.DataFrame:
    """Treatment lines in long format: one row per patient and line given.

    Returns
    -------
    DataFrame
        ``pseudonym``, ``line``, ``regimen``, ``start_day`` (from MAS onset), ``end_day`` (next line's start or
        the end of follow-up), ``response`` (complete, partial, none, not evaluable, unknown).
    """
    rows = []
    end = follow_up_days(p)
    for i, row in p.iterrows():
        given = [(k, regimen(row, k)) for k in range(1, lines + 1)]
        given = [(k, r) for k, r in given if r or pd.notna(row.get(f"line{k}_start_day"))]
        for j, (k, r) in enumerate(given):
            start = row.get(f"line{k}_start_day")
            nxt = row.get(f"line{given[j + 1][0]}_start_day") if j + 1 < len(given) else end[i]
            rows.append({"pseudonym": row["pseudonym"], "line": k, "regimen": r or "not stated",
                         "start_day": start, "end_day": nxt,
                         "response": RESPONSES.get(row.get(f"line{k}_response"), "unknown")})
    out = pd.DataFrame(rows, columns=["pseudonym", "line", "regimen", "start_day", "end_day", "response"])
    for c in ("start_day", "end_day"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def follow_up_days(p: pd.DataFrame) -> pd.Series:
    """Days from MAS onset to death (when dated) or last follow-up; NaN when unknown."""
    death = pd.to_numeric(p["death_day"], errors="coerce").astype(float)
    last = pd.to_numeric(p["last_followup_day"], errors="coerce").astype(float)
    died = p["death"].fillna(False).astype(bool)
    return pd.Series(np.where(died, death, np.fmax(last, death)), index=p.index, name="follow_up_days")


def survival_data(p: pd.DataFrame) -> pd.DataFrame:
    """Time from MAS onset to death in months (event 1) or to last follow-up (event 0).

    Returns
    -------
    DataFrame
        ``pseudonym``, ``antibody``, ``time_months``, ``event``; patients whose time is unknown (death without
        date, no follow-up date) are left out and counted in ``attrs["unknown"]``.
    """
    days = follow_up_days(p)
    out = pd.DataFrame({"pseudonym": p["pseudonym"], "antibody": antibody_profile(p),
                        "time_months": days / DAYS_PER_MONTH,
                        "event": p["death"].fillna(False).astype(bool).astype(int)})
    known = out["time_months"].notna()
    result = out[known].reset_index(drop=True)
    result.attrs["unknown"] = int((~known).sum())
    return result


def first_line_response(p: pd.DataFrame) -> pd.DataFrame:
    """Response to the first line of treatment of MAS, by regimen (patients in rows, counts by response).

    Returns
    -------
    DataFrame
        Index ``regimen``; columns ``n``, ``complete``, ``partial``, ``none``, ``not evaluable``, ``unknown``,
        ``complete or partial``; sorted by n then regimen.
    """
    lines = treatment_lines(p)
    first = lines.sort_values(["pseudonym", "line"]).groupby("pseudonym", sort=False).head(1)
    order = list(RESPONSES.values()) + ["unknown"]
    table = pd.crosstab(first["regimen"], first["response"]).reindex(columns=order, fill_value=0)
    table.insert(0, "n", table.sum(axis=1))
    table["complete or partial"] = table["complete"] + table["partial"]
    table.columns.name = None
    return table.reset_index().sort_values(["n", "regimen"], ascending=[False, True]).set_index("regimen")


def outcomes(p: pd.DataFrame) -> pd.DataFrame:
    """ICU admission, relapse and death: yes / known / missing."""
    return yes_no_counts(p, {"icu": "ICU admission", "relapse": "MAS relapse", "death": "death"})


# --- synthetic demo series ----------------------------------------------------------------------------------

def _fr_number(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _fr_date(d: dt.date) -> str:
    return f"{d:%d/%m/%Y}"


def synthetic_series(n: int = 30, seed: int = SYNTHETIC_SEED, crf=None) -> pd.DataFrame:
    """A SYNTHETIC export of the CRF as a French centre would write it (no patient's data).

    Built to exercise the real ingestion path and to look like a real call for cases: anti-MDA5 predominant,
    a few anti-SAE, TIF1γ, NXP2 and Mi2; mostly women; ILD frequent; high ferritin; 10-20 % of lab values
    missing ("ND" or empty); units sometimes written in cells; treatment lines with responses, ICU stays and
    a high mortality. Two planted problems show the exclusions: one MAS diagnosed before the inclusion window
    and one case sent twice by two centres. Recognition codes use made-up letters (centres "SY*").

    Parameters
    ----------
    n : int
        Rows (including the two planted problems).
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    DataFrame
        Cells as text, columns = the CRF export columns.
    """
    crf = crf or crf_module.load()
    rng = np.random.default_rng(seed)
    cols = crf.columns
    consonants, vowels = "QXZWKV", "AEIOUY"
    centres = ["SYA", "SYB", "SYC", "SYD", "SYE", "SYF", "SYG"]
    departments = ["Médecine interne", "Dermatologie", "Rhumatologie", "Hématologie"]
    antibodies = ["mda5", "sae", "tif1g", "nxp2", "mi2", "none"]
    ab_p = [0.72, 0.0, 0.06, 0.05, 0.05, 0.12]
    agents = ["CMV", "EBV", "Pneumocystis jirovecii", "E. coli", "grippe", "non identifié"]
    collection = dt.date(2021, 3, 31)
    yn = (lambda b: "Oui" if b else "Non")
    rows = []
    for i in range(n - 1):
        r = {c: "" for c in cols}
        r["record_id"] = str(i + 1)
        r["initials"] = "".join(rng.choice(list(consonants)) + rng.choice(list(vowels)) for _ in range(2))
        mas = dt.date(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3540)))
        juvenile = i == 7
        age = 14.5 if juvenile else float(np.clip(rng.normal(52, 13), 19, 82))
        birth = mas - dt.timedelta(days=int(age * 365.25) + int(rng.integers(0, 200)))
        ab = str(rng.choice(antibodies, p=ab_p))
        if i in (2, 15, 21):
            ab = "sae"  # the call for cases was prompted by an anti-SAE case
        dm_gap = int(rng.gamma(1.0, 150)) if rng.random() < 0.8 else int(rng.integers(400, 2500))
        dm = mas - dt.timedelta(days=dm_gap)
        r.update({"birth_date": _fr_date(birth), "centre": str(rng.choice(centres, p=[.3, .2, .15, .1, .1, .1, .05])),
                  "department": str(rng.choice(departments, p=[.45, .35, .1, .1])),
                  "sex": "Femme" if rng.random() < (0.8 if ab == "mda5" else 0.7) else "Homme",
                  "dm_diagnosis_date": _fr_date(dm),
                  "dm_subtype": "Juvénile" if juvenile else ("Amyopathique" if ab == "mda5" and rng.random() < .45
                                                             else "Classique")})
        skin = {"heliotrope": .6, "gottron": .75, "shawl_v": .4, "mechanic": .2, "ulcer": .45 if ab == "mda5" else .1,
                "calcinosis": .05, "other": .1}
        for code, pr in skin.items():
            r[f"dm_skin___{code}"] = yn(rng.random() < pr)
        weak = rng.random() < (0.45 if ab == "mda5" else 0.85)
        for code, pr in {"weakness": float(weak), "myalgia": .4, "dysphagia": .2 if weak else 0.0}.items():
            r[f"dm_muscle___{code}"] = yn(rng.random() < pr)
        r["dm_muscle___none"] = yn(not weak)
        ck = rng.lognormal(np.log(150 if ab == "mda5" else 1800), 1.0)
        r["dm_ck_u_l"] = "" if rng.random() < .12 else f"{ck:.0f}"
        ild = rng.random() < (0.85 if ab == "mda5" else 0.3)
        r["dm_ild"] = yn(ild)
        r["dm_ild_rapid"] = yn(rng.random() < 0.6) if ild else ""
        r["dm_cancer"] = yn(rng.random() < (0.5 if ab == "tif1g" else 0.05))
        tested = rng.random() < 0.93 or ab != "none"
        r["dm_antibodies_tested"] = yn(tested)
        if tested:
            for code in ("mda5", "mi2", "tif1g", "nxp2", "sae", "ars", "srp", "hmgcr", "ro52", "pmscl", "ku",
                         "other", "none"):
                pos = code == ab or (code == "ro52" and ab == "mda5" and rng.random() < .45)
                r[f"dm_antibodies___{code}"] = yn(pos)
        prior = dm_gap > 20
        for code, pr in {"gc": .8, "hcq": .25, "mtx": .15, "mmf": .1, "aza": .05, "ivig": .2, "csa": .05,
                         "tac": .2 if ab == "mda5" else 0, "rtx": .05, "cyc": .1 if ild else 0, "jaki": .03,
                         "other": .02}.items():
            r[f"dm_treatments___{code}"] = yn(prior and rng.random() < pr)
        r["dm_treatments___none"] = yn(not prior)
        r["mas_date"] = _fr_date(mas)
        infection = rng.random() < 0.35
        triggers = {"infection": infection, "dm_flare": rng.random() < .55, "drug": rng.random() < .05,
                    "cancer": ab == "tif1g" and rng.random() < .5}
        triggers["none"] = not any(triggers.values())
        triggers["other"] = False
        for code, v in triggers.items():
            r[f"mas_trigger___{code}"] = yn(v)
        r["mas_infection_agent"] = str(rng.choice(agents)) if infection else ""
        r["known_immunosuppression"] = yn(prior and rng.random() < .7)
        fever = rng.random() < .9
        r["fever"] = yn(fever)
        r["max_temperature_c"] = _fr_number(rng.uniform(38.3, 40.6) if fever else rng.uniform(36.6, 37.9))
        for code, pr in {"hepatomegaly": .35, "splenomegaly": .4, "lymphadenopathy": .3}.items():
            r[code] = yn(rng.random() < pr) if rng.random() > .08 else ""
        labs = {
            "haemoglobin_g_dl": (rng.normal(9.3, 1.5), 1), "leukocytes_g_l": (rng.lognormal(np.log(2.8), .5), 1),
            "neutrophils_g_l": (rng.lognormal(np.log(2.0), .6), 1), "platelets_g_l": (rng.lognormal(np.log(75), .6), 0),
            "ferritin_ng_ml": (rng.lognormal(np.log(6000), 1.0), 0),
            "triglycerides_mmol_l": (rng.lognormal(np.log(3.1), .4), 1),
            "fibrinogen_g_l": (max(0.3, rng.normal(1.9, 0.9)), 1), "ast_u_l": (rng.lognormal(np.log(180), .8), 0),
            "alt_u_l": (rng.lognormal(np.log(110), .8), 0), "ldh_u_l": (rng.lognormal(np.log(900), .5), 0),
            "scd25_u_ml": (rng.lognormal(np.log(4500), .6), 0)}
        missing = {"scd25_u_ml": .7, "triglycerides_mmol_l": .18, "fibrinogen_g_l": .15, "ldh_u_l": .15,
                   "neutrophils_g_l": .12, "ferritin_ng_ml": .04}
        for col, (value, digits) in labs.items():
            if rng.random() < missing.get(col, .1):
                r[col] = str(rng.choice(["ND", ""]))
                continue
            cell = _fr_number(value, digits)
            u = rng.random()
            if col == "ferritin_ng_ml" and u < .3:
                cell = f"{value:.0f} µg/L"
            elif col == "triglycerides_mmol_l" and u < .25:
                cell = f"{_fr_number(value * 0.885, 2)} g/L"
            elif col == "fibrinogen_g_l" and u < .2:
                cell = f"{value * 100:.0f} mg/dL"
            elif col == "haemoglobin_g_dl" and u < .2:
                cell = f"{value * 10:.0f} g/L"
            r[col] = cell
        r["nk_activity_low"] = yn(rng.random() < .7) if rng.random() < .1 else ""
        marrow = rng.random() < .7
        r["marrow_haemophagocytosis"] = yn(rng.random() < .75) if marrow else ""
        r["haemophagocytosis"] = r["marrow_haemophagocytosis"]
        # treatment lines: glucocorticoids first, escalation while the response is not complete
        severe = ab == "mda5" and ild
        death_risk = 0.65 if severe else 0.3
        first = str(rng.choice(["mp", "mp_ivig", "gc_ivig", "mp_csa", "mp_anakinra", "mp_etoposide", "gc"],
                               p=[.3, .2, .12, .12, .1, .08, .08]))
        drugs1 = {"mp": ["gc", "mp_pulse"], "mp_ivig": ["gc", "mp_pulse", "ivig"], "gc_ivig": ["gc", "ivig"],
                  "mp_csa": ["gc", "mp_pulse", "csa"], "mp_anakinra": ["gc", "mp_pulse", "anakinra"],
                  "mp_etoposide": ["gc", "mp_pulse", "etoposide"], "gc": ["gc"]}[first]
        later = ["etoposide", "anakinra", "csa", "tac", "cyc", "rtx", "pex", "jaki", "ivig", "tcz"]
        start = mas + dt.timedelta(days=int(rng.integers(0, 3)))
        dies = rng.random() < death_risk
        death_day = int(rng.lognormal(np.log(35), .8)) + 1 if dies else None
        line_drugs = drugs1
        for k in range(1, 5):
            response = str(rng.choice(["complete", "partial", "none"],
                                      p=[.15, .3, .55] if dies else [.45, .35, .2]))
            if rng.random() < .03:
                response = "not evaluable"
            for code in DRUGS:
                r[f"line{k}_drugs___{code}"] = yn(code in line_drugs)
            r[f"line{k}_start"] = _fr_date(start)
            r[f"line{k}_response"] = {"complete": "Réponse complète", "partial": "Réponse partielle",
                                      "none": "Pas de réponse", "not evaluable": "Non évaluable"}[response]
            if rng.random() < .03:
                r[f"line{k}_response"] = ""
            nxt = start + dt.timedelta(days=int(rng.integers(4, 21)))
            if response == "complete" or k == 4 or (death_day and (nxt - mas).days >= death_day) or rng.random() < .15:
                break
            start = nxt
            line_drugs = list(rng.choice(later, size=int(rng.integers(1, 3)), replace=False))
        if rng.random() < 0.03:
            r["mas_treatment_other"] = "Transfert en centre de référence (synthétique)"
        icu = rng.random() < (0.6 if severe else 0.3)
        r["icu"] = yn(icu)
        r["icu_date"] = _fr_date(mas + dt.timedelta(days=int(rng.integers(0, 10)))) if icu else ""
        if dies:
            death = mas + dt.timedelta(days=death_day)
            r.update({"death": "Oui", "death_date": _fr_date(min(death, collection)), "last_followup_date": _fr_date(
                min(death, collection)), "death_cause": str(rng.choice(
                    ["SAM", "Pneumopathie interstitielle / insuffisance respiratoire", "Infection", "Autre"],
                    p=[.35, .4, .2, .05]) if ab == "mda5" else rng.choice(["SAM", "Infection", "Cancer", "Autre"],
                                                                        p=[.45, .3, .15, .1]))})
            r["relapse"] = "Non"
        else:
            last = min(mas + dt.timedelta(days=int(rng.integers(60, 2400))), collection)
            r.update({"death": "Non", "last_followup_date": _fr_date(last)})
            relapse = rng.random() < .15
            r["relapse"] = yn(relapse)
            if relapse:
                r["relapse_date"] = _fr_date(mas + dt.timedelta(days=int(rng.integers(30, max(31, (last - mas).days)))))
        if rng.random() < .08:
            r["comments"] = "Données incomplètes, dossier papier (synthétique)"
        rows.append(r)
    # planted problems: a MAS before the inclusion window; the same patient sent again by another centre
    rows[11]["mas_date"] = "14/11/2009"
    rows[11]["line1_start"] = "15/11/2009"
    rows[11]["dm_diagnosis_date"] = "02/09/2009"
    for k in range(2, 5):
        rows[11][f"line{k}_start"] = ""
    dup = dict(rows[4])
    dup["record_id"] = str(n)
    dup["centre"] = next(c for c in centres if c != rows[4]["centre"])
    dup["department"] = "Hématologie"
    rows.append(dup)
    return pd.DataFrame(rows, columns=cols)


def synthetic_series_bytes(n: int = 30, seed: int = SYNTHETIC_SEED) -> bytes:
    """The synthetic series as a French centre's CSV: ';', decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    df = synthetic_series(n, seed)
    writer.writerow(df.columns)
    writer.writerows(df.itertuples(index=False, name=None))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_synthetic_series(path=SYNTHETIC_FILE, n: int = 30, seed: int = SYNTHETIC_SEED) -> Path:
    """Write the bundled synthetic demo export (done once; a test checks the committed file equals this)."""
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synthetic_series_bytes(n, seed))
    return path


def table_one_data(p: pd.DataFrame) -> pd.DataFrame:
    """The patient characteristics of Table 1 as labelled columns, missing answers written ``"not reported"``.

    tableone counts a missing categorical value as a level of its own; writing it as ``"not reported"`` makes
    that level explicit instead of an unnamed ``None`` row.
    """
    crf = crf_module.load()
    yes_no = {True: "yes", False: "no"}

    def choice(field):
        labels = {code: en.lower() for code, _, en in crf.field(field).choices}
        return p[field].map(labels).fillna("not reported")

    def flag(column):
        return p[column].map(yes_no).fillna("not reported")

    return pd.DataFrame({
        "age at MAS (years)": pd.to_numeric(p["age_at_mas_years"], errors="coerce"),
        "sex": choice("sex"), "department": choice("department"), "DM subtype": choice("dm_subtype"),
        "antibody": antibody_profile(p), "ILD": flag("dm_ild"), "rapidly progressive ILD": flag("dm_ild_rapid"),
        "cancer": flag("dm_cancer"),
        "DM diagnosis to MAS (days)": -pd.to_numeric(p["dm_diagnosis_day"], errors="coerce").astype(float),
        "CK (U/L)": pd.to_numeric(p["dm_ck_u_l"], errors="coerce")})
