"""The data model of an anti-Mi2 cohort (groups, the columns of the patients and visits files) and the reading
and validation of a user's own files: headers and labels in English or French, each cell parsed, a pandera
schema of plausible ranges, an issue row for every problem, ``load_cohort`` for the analysis.

The columns are described in :mod:`myositis.mi2`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import io, parsing, paths
from ..exceptions import CellError, InputFileError, ValidationError
from ..headers import HeaderTable, missing_columns_error
from ..imports import light_pandera
from ..units import DAYS_PER_MONTH
from ..validation import Issue, issues_frame, with_records

light_pandera()  # pandera without hypothesis' strategies: ~1 s less per notebook run (myositis.imports)
import pandera.pandas as pa  # noqa: E402

GROUPS = ("Mi2+ DM", "Mi2- DM", "ASyS", "IMNM")
DM_GROUPS = ("Mi2+ DM", "Mi2- DM")
KENDALL_MAX = 10.0
#: Group labels accepted in a user's file (compared without case, spaces, hyphens or the word 'anti'), in
#: English and French: DM = dermatomyosite; SAS = syndrome des anti-synthétases; MNAI = myopathie nécrosante
#: auto-immune. The sign of Mi2 is kept: "Mi2+", "Mi2 pos", "Mi2-", "Mi2 neg".
GROUP_ALIASES = {
    "Mi2+ DM": ("mi2+dm", "dmmi2+", "mi2posdm", "dmmi2pos", "mi2positivedm", "dmmi2positive", "mi2+",
                "mi2positive", "dmmi2positif", "dmmi2positive", "mi2+dermatomyositis", "dermatomyositemi2+"),
    "Mi2- DM": ("mi2-dm", "dmmi2-", "mi2negdm", "dmmi2neg", "mi2negativedm", "dmmi2negative",
                "mi2-", "mi2negative", "dmmi2negatif", "mi2-dermatomyositis", "dermatomyositemi2-"),
    "ASyS": ("asys", "as", "antisynthetase", "antisynthetasesyndrome", "sas", "syndromedesantisynthetases",
             "antisynthetases"),
    "IMNM": ("imnm", "nam", "mnai", "necrotisingmyopathy", "necrotizingmyopathy", "myopathienecrosante",
             "myopathienecrosanteautoimmune"),
}
SEX_ALIASES = {"F": ("f", "female", "femme", "woman", "w"), "M": ("m", "male", "homme", "man", "h")}
#: Header aliases (normalised: lower case, no accents, spaces and hyphens as '_'), English and French.
HEADER_ALIASES = {
    "patient_id": "id", "patient": "id", "id_patient": "id", "identifiant": "id", "groupe": "group",
    "sexe": "sex", "gender": "sex", "age_onset": "age_onset_years", "age_au_debut": "age_onset_years",
    "age_debut": "age_onset_years", "date_debut": "onset_date", "ck_max": "ck_max_u_l", "ck_max_ui_l": "ck_max_u_l",
    "ck": "ck_u_l", "pid": "ild", "calcinose": "calcinosis", "fievre": "fever", "cancer_associe": "cancer",
    "necrose": "biopsy_necrosis", "necrosis": "biopsy_necrosis", "suivi_annees": "follow_up_years",
    "follow_up": "follow_up_years", "mois_depuis_debut": "months_since_onset", "months": "months_since_onset",
    "force_kendall": "strength_kendall", "strength": "strength_kendall", "titre": "anti_mi2_titre_au",
    "titre_anti_mi2": "anti_mi2_titre_au", "anti_mi2_titre": "anti_mi2_titre_au", "date_visite": "visit_date",
}


@dataclass(frozen=True)
class Field:
    """One column of the data model: parser kind, whether the file must have it, plausible range and unit."""

    name: str
    kind: str  # id, group, sex, bool, number, date
    label: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    unit: str = ""
    units: tuple = ()  # units accepted when written in a cell, besides `unit`


PATIENT_FIELDS = (
    Field("id", "id", "patient id"),
    Field("group", "group", "group"),
    Field("sex", "sex", "sex"),
    Field("onset_date", "date", "date of onset", required=False),
    Field("age_onset_years", "number", "age at onset (years)", min=0, max=110, unit="years", units=("ans", "y", "yr")),
    Field("weakness_onset", "bool", "weakness at onset"),
    Field("weakness_ever", "bool", "weakness during follow-up"),
    Field("ck_max_u_l", "number", "maximum CK (IU/L)", min=0, max=300000, unit="IU/L", units=("U/L", "UI/L", "UI/l")),
    Field("ild", "bool", "interstitial lung disease"),
    Field("calcinosis", "bool", "calcinosis"),
    Field("fever", "bool", "fever"),
    Field("cancer", "bool", "cancer"),
    Field("gottron_papules", "bool", "Gottron papules"),
    Field("heliotrope_rash", "bool", "heliotrope rash"),
    Field("periungual_erythema", "bool", "periungual erythema"),
    Field("biopsy_necrosis", "bool", "necrosis on muscle biopsy"),
    Field("follow_up_years", "number", "follow-up (years)", min=0, max=60, unit="years", units=("ans", "y", "yr")),
    Field("treatment_stopped", "bool", "immunosuppression stopped", required=False),
    Field("relapse_after_stop", "bool", "relapse after stopping", required=False),
)
VISIT_FIELDS = (
    Field("id", "id", "patient id"),
    Field("visit_date", "date", "visit date", required=False),
    Field("months_since_onset", "number", "months since onset", min=0, max=720, unit="months", units=("mois",)),
    Field("strength_kendall", "number", "strength (Kendall 0-10)", min=0, max=10),
    Field("ck_u_l", "number", "CK (IU/L)", min=0, max=300000, unit="IU/L", units=("U/L", "UI/L", "UI/l")),
    Field("anti_mi2_titre_au", "number", "anti-Mi2 titre (AU)", min=0, max=100000, unit="AU", units=("UA", "U")),
)
PATIENT_COLUMNS = [f.name for f in PATIENT_FIELDS]
VISIT_COLUMNS = [f.name for f in VISIT_FIELDS]
BOOL_FEATURES = ("weakness_onset", "weakness_ever", "ild", "calcinosis", "fever", "cancer", "gottron_papules",
                 "heliotrope_rash", "periungual_erythema", "biopsy_necrosis")
LABELS = {f.name: f.label for f in PATIENT_FIELDS + VISIT_FIELDS}
#: French label and other usual spellings of each field's header (README "Headers"). A header matches a field
#: by its name, its English label (``LABELS``), one of these or ``HEADER_ALIASES``; case, accents, units in
#: brackets and spacing are ignored (``myositis.headers.normalise``): "CK max (UI/L)" is ``ck_max_u_l``.
FRENCH_LABELS = {
    "id": ("N° patient", "numéro de patient", "identifiant patient", "code patient", "no patient"),
    "group": ("Groupe", "groupe diagnostique", "diagnostic"),
    "sex": ("Sexe", "genre"),
    "onset_date": ("Date de début", "date de début des symptômes"),
    "age_onset_years": ("Âge au début (ans)", "âge au début des symptômes", "âge au diagnostic"),
    "weakness_onset": ("Faiblesse musculaire au début", "faiblesse au début", "déficit musculaire initial"),
    "weakness_ever": ("Faiblesse au cours du suivi", "faiblesse musculaire au cours du suivi"),
    "ck_max_u_l": ("CK max (UI/L)", "CPK max", "CK maximale"),
    "ild": ("PID", "pneumopathie interstitielle diffuse", "atteinte pulmonaire interstitielle"),
    "calcinosis": ("Calcinose", "calcinoses"),
    "fever": ("Fièvre",),
    "cancer": ("Cancer", "néoplasie", "cancer associé"),
    "gottron_papules": ("Papules de Gottron", "Gottron"),
    "heliotrope_rash": ("Érythème héliotrope", "héliotrope"),
    "periungual_erythema": ("Érythème péri-unguéal", "érythème périunguéal"),
    "biopsy_necrosis": ("Nécrose à la biopsie musculaire", "nécrose musculaire", "nécrose à la biopsie"),
    "follow_up_years": ("Suivi (années)", "durée de suivi", "suivi (ans)"),
    "treatment_stopped": ("Arrêt des immunosuppresseurs", "arrêt du traitement"),
    "relapse_after_stop": ("Rechute après arrêt", "rechute après l'arrêt"),
    "visit_date": ("Date de visite", "date de la visite"),
    "months_since_onset": ("Mois depuis le début", "délai depuis le début", "mois"),
    "strength_kendall": ("Force (Kendall 0-10)", "force musculaire", "Kendall"),
    "ck_u_l": ("CK (UI/L)", "CPK"),
    "anti_mi2_titre_au": ("Titre anti-Mi2 (UA)", "anti-Mi2", "titre Mi2"),
}
HEADERS = HeaderTable({f.name: (f.label, *FRENCH_LABELS.get(f.name, ()),
                                *sorted(a for a, target in HEADER_ALIASES.items() if target == f.name))
                       for f in PATIENT_FIELDS + VISIT_FIELDS})


def _norm(text: str) -> str:
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().strip().lower()
    return re.sub(r"[\s\-]+", "_", s)


def _norm_label(text: str) -> str:
    s = unicodedata.normalize("NFKD", str(text).replace("\u2212", "-")).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"anti[\s\-_]*", "", s.replace("\u2013", "-"))
    return re.sub(r"[\s_]+", "", s)


_GROUP_LOOKUP = {_norm_label(alias): g for g, aliases in GROUP_ALIASES.items() for alias in aliases} | {
    _norm_label(g): g for g in GROUPS}
_SEX_LOOKUP = {alias: s for s, aliases in SEX_ALIASES.items() for alias in aliases}


def _kind_of(columns) -> str:
    names = set(HEADERS.rename(columns).values())
    return "visits" if names & {"months_since_onset", "visit_date", "strength_kendall"} else "patients"


def _schema(fields) -> pa.DataFrameSchema:
    """pandera schema of the parsed table: plausible ranges and allowed labels (missing cells allowed)."""
    cols = {}
    for f in fields:
        if f.kind == "number":
            checks = [pa.Check.in_range(f.min, f.max, error=f"out of range [{f.min:g}, {f.max:g}] {f.unit}".rstrip())]
            cols[f.name] = pa.Column(float, checks=checks, nullable=True, required=False)
        elif f.kind == "group":
            cols[f.name] = pa.Column(object, pa.Check.isin(GROUPS, error=f"not one of {', '.join(GROUPS)}"),
                                     nullable=True, required=False)
        elif f.kind == "sex":
            cols[f.name] = pa.Column(object, pa.Check.isin(["F", "M"], error="not F or M"), nullable=True,
                                     required=False)
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


def _parse(raw: pd.DataFrame, fields, name: str, decimal: str | None, issues: list, lines=None,
           excel: bool = False) -> pd.DataFrame:
    """Typed table from text cells; every cell that cannot be read is an issue (warning, set missing) at its
    file line (``lines``)."""
    out = pd.DataFrame(index=raw.index)
    lines = list(lines) if lines is not None else list(range(1, len(raw) + 1))
    order = parsing.sniff_date_order(c for f in fields if f.kind == "date" and f.name in raw.columns
                                     for c in raw[f.name])
    if order in parsing.DATE_ORDER_RULES:
        issues.append(Issue(name, None, None, "", parsing.DATE_ORDER_RULES[order], "warning"))
    for f in fields:
        if f.name not in raw.columns:
            out[f.name] = pd.Series(pd.NA, index=raw.index, dtype="boolean" if f.kind == "bool" else object)
            if f.kind == "number":
                out[f.name] = np.nan
            continue
        values = []
        read = {}  # text -> (value, problems): a column repeats its values (same text, same reading)
        for row, cell in zip(lines, raw[f.name].tolist()):
            text = str(cell).strip()
            if text not in read:
                read[text] = _read_cell(f, text, decimal, excel, order)
            value, problems = read[text]
            issues.extend(Issue(name, row, f.name, text, rule, severity) for rule, severity in problems)
            values.append(value)
        if f.kind == "bool":
            out[f.name] = pd.array(values, dtype="boolean")
        elif f.kind == "number":
            out[f.name] = pd.to_numeric(pd.Series(values, index=raw.index, dtype=object), errors="coerce")
        else:
            out[f.name] = pd.Series(values, index=raw.index, dtype=object)
    return out


def _read_cell(f, text: str, decimal: str | None, excel: bool, order) -> tuple[object, list]:
    """The value of one cell of field ``f`` and its problems, as (rule, severity) pairs (none: an empty list)."""
    problems = []
    value = None
    try:
        if f.kind in ("id",):
            value = None if parsing.is_missing(text, code=True) else text  # "NA" can be an id
        elif f.kind == "group":
            answer = parsing.check_answer(text)
            value = None if answer is None else _GROUP_LOOKUP.get(_norm_label(answer), answer)
        elif f.kind == "sex":
            answer = parsing.check_answer(text)
            value = None if answer is None else _SEX_LOOKUP.get(answer.lower(), answer)
        elif f.kind == "bool":
            value = parsing.parse_bool(text)
        elif f.kind == "date":
            value = parsing.parse_date(text, excel_serials=excel, order=order)
        elif f.kind == "number":
            number = parsing.parse_number(text, decimal)
            if number is not None:
                allowed = {u.lower() for u in (f.unit,) + f.units if u}
                if number.unit and number.unit.lower() not in allowed:
                    problems.append((f"unknown unit '{number.unit}' (expected {f.unit or 'no unit'}): set missing",
                                     "warning"))
                else:
                    value = number.value
                    if number.comparator:
                        problems.append((f"value written '{number.comparator}': the limit is kept", "warning"))
    except CellError as exc:
        problems.append((exc.rule, "warning"))
    return value, problems


def _apply_schema(table: pd.DataFrame, fields, name: str, issues: list, lines=None) -> pd.DataFrame:
    """Run the pandera schema (lazy: every failure) and turn each failure case into an issue at its file line."""
    lines = list(lines) if lines is not None else list(range(1, len(table) + 1))
    try:
        _schema(fields).validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
        for case in failures[failures["index"].isna()].itertuples(index=False):  # column-level (e.g. dtype)
            issues.append(Issue(name, None, case.column, _shown(case.failure_case), str(case.check), "warning"))
        cases = failures.dropna(subset=["index"]).sort_values(["index", "column"], kind="stable")
        for case in cases.itertuples(index=False):
            f = next(x for x in fields if x.name == case.column)
            idx = int(case.index)
            severity = "error" if f.kind == "group" else "warning"
            action = "row excluded" if severity == "error" else "set missing"
            issues.append(Issue(name, lines[idx], f.name, _shown(case.failure_case), f"{case.check}: {action}",
                                severity))
            if severity == "warning":
                table.loc[idx, f.name] = np.nan if f.kind == "number" else None
    return table


def _shown(value) -> str:
    if isinstance(value, float) and value == int(value):
        return f"{value:g}"
    return str(value)


def _read_and_type(path, kind: str | None, issues: list):
    """Read a user file and return (kind, typed table, name, how it was read), issues appended."""
    known = [f.name for f in PATIENT_FIELDS + VISIT_FIELDS] + list(HEADER_ALIASES)
    raw, info = io.read_table(path, known_columns=known)
    name = info.file
    issues.extend(info.issues)
    lines = list(info.lines)
    headers = [str(c) for c in raw.columns]
    # a header given twice is read as 'name.1': renamed like its first so it is reported as a repeat below
    base = [io.repeated_of(c, raw.columns) or c for c in raw.columns]
    fields_of = HEADERS.rename(dict.fromkeys(base))
    raw.columns = [fields_of[b] for b in base]
    kind = kind or _kind_of(raw.columns)
    fields = PATIENT_FIELDS if kind == "patients" else VISIT_FIELDS
    known = {f.name for f in fields}
    for col in raw.columns:
        if col not in known:
            issues.append(Issue(name, None, col, "", "unknown column: ignored", "warning"))
    for f in fields:
        if f.name not in raw.columns and f.required and not (f.name == "months_since_onset"
                                                             and "visit_date" in raw.columns):
            issues.append(Issue(name, None, f.name, "", "column absent from the file (needed)", "error"))
    for col in raw.columns[raw.columns.duplicated()].unique():
        issues.append(Issue(name, None, col, "", "column given more than once (same name or alias): the first is "
                            "used, the others ignored", "warning"))
    raw = raw.loc[:, ~raw.columns.duplicated()]
    blank = io.blank_rows(raw)
    for idx in np.flatnonzero(blank):
        issues.append(Issue(name, lines[idx], None, "", "empty row: ignored", "warning"))
    table = _parse(raw, fields, name, info.decimal, issues, lines, info.excel)
    table = _apply_schema(table, fields, name, issues, lines)
    table["_row"] = np.array(lines, dtype=int)
    table["_exclusion"] = np.where(blank, "empty row", None)
    table.attrs["headers"] = headers
    # lines that could not be read as a row (reported by read_table) count among the rows received
    table.attrs["unread"] = {i.row: i.rule for i in info.issues if i.row is not None and i.severity == "error"}
    how = (f"{info.file}: Excel" if info.encoding == "xlsx" else
           f"{info.file}: separator {info.separator!r}, decimal {info.decimal!r}, encoding {info.encoding}")
    return kind, table, name, how


def _exclude(table, mask, name, field, rule, issues, value_col=None):
    """Mark rows as excluded (error issue each), keeping the first reason of a row."""
    for idx in np.flatnonzero(mask.to_numpy() & table["_exclusion"].isna().to_numpy()):
        value = "" if value_col is None else table[value_col].iloc[idx]
        issues.append(Issue(name, int(table["_row"].iloc[idx]), field, "" if value is None else value, rule, "error"))
    table.loc[mask & table["_exclusion"].isna(), "_exclusion"] = rule


def _patient_checks(p: pd.DataFrame, name: str, issues: list) -> pd.DataFrame:
    _exclude(p, p["id"].isna(), name, "id", "id missing: row excluded", issues)
    dup = p["id"].notna() & p["id"].duplicated(keep="first")
    _exclude(p, dup, name, "id", "duplicate id (first occurrence kept): row excluded", issues, "id")
    _exclude(p, p["group"].isna(), name, "group", "group missing: row excluded", issues)
    bad_group = p["group"].notna() & ~p["group"].isin(GROUPS)
    p.loc[bad_group & p["_exclusion"].isna(), "_exclusion"] = "group not allowed"
    ok = p["_exclusion"].isna()
    inconsistent = ok & (p["weakness_onset"] == True).fillna(False) & (p["weakness_ever"] == False).fillna(False)  # noqa: E712
    for idx in np.flatnonzero(inconsistent.to_numpy()):
        issues.append(Issue(name, int(p["_row"].iloc[idx]), "weakness_ever", "no",
                            "weak at onset implies weak during follow-up: set to yes", "warning"))
    p.loc[inconsistent, "weakness_ever"] = True
    return p


def _visit_checks(v: pd.DataFrame, patients: pd.DataFrame | None, name: str, issues: list) -> pd.DataFrame:
    if patients is not None and "onset_date" in patients and "visit_date" in v:
        onset = v["id"].map(patients.drop_duplicates("id").set_index("id")["onset_date"])
        fill = v["months_since_onset"].isna() & v["visit_date"].notna() & onset.notna()
        days = [(a - b).days if f else np.nan for f, a, b in zip(fill.to_numpy(), v["visit_date"], onset)]
        v.loc[fill, "months_since_onset"] = np.round(np.array(days, dtype=float)[fill.to_numpy()] / DAYS_PER_MONTH, 1)
        negative = v["months_since_onset"] < 0
        for idx in np.flatnonzero(negative.to_numpy()):
            issues.append(Issue(name, int(v["_row"].iloc[idx]), "visit_date", str(v["visit_date"].iloc[idx]),
                                "visit before onset: set missing", "warning"))
        v.loc[negative, "months_since_onset"] = np.nan
    _exclude(v, v["id"].isna(), name, "id", "id missing: visit excluded", issues)
    _exclude(v, v["months_since_onset"].isna(), name, "months_since_onset",
             "time since onset missing: visit excluded", issues)
    if patients is not None:
        known = set(patients.loc[patients["_exclusion"].isna(), "id"])
        everyone = set(patients["id"].dropna())
        _exclude(v, v["id"].notna() & ~v["id"].isin(everyone), name, "id",
                 "id not in the patients file: visit excluded", issues, "id")
        _exclude(v, v["id"].isin(everyone - known), name, "id", "patient excluded: visit excluded", issues, "id")
    dup = v["_exclusion"].isna() & v.duplicated(["id", "months_since_onset"], keep="first")
    _exclude(v, dup, name, "months_since_onset", "duplicate visit (same id and time): visit excluded", issues, "id")
    return v


def validate_cohort(path, kind: str | None = None) -> pd.DataFrame:
    """Every problem of a user's patients or visits file, one row each; empty when clean.

    CSV (``,`` or ``;``, decimal point or comma, UTF-8 or cp1252) and Excel are read by
    :func:`myositis.io.read_table`; headers and group labels are matched in English or French
    (``HEADER_ALIASES``, ``GROUP_ALIASES``); each cell is parsed and the typed table checked with a pandera
    schema (ranges, allowed labels). A file that cannot be read is one file-level issue, not a traceback.

    Parameters
    ----------
    path : str or Path
        The file (relative paths from the repository root).
    kind : {"patients", "visits"}, optional
        Which table; guessed from the headers when not given.

    Returns
    -------
    DataFrame
        Columns ``file``, ``row`` (1-based data row, header excluded), ``field``, ``value``, ``rule``,
        ``severity`` (``error``: the row is excluded from analysis; ``warning``: the cell is set missing or
        reported, the row is kept).
    """
    issues: list[Issue] = []
    try:
        kind, table, name, _ = _read_and_type(path, kind, issues)
    except InputFileError as exc:
        return issues_frame([Issue(paths.relative(paths.resolve(path)), None, None, "", str(exc), "error")])
    if kind == "patients":
        _patient_checks(table, name, issues)
    else:
        _visit_checks(table, None, name, issues)
    return _sorted(issues_frame(issues))


def _sorted(issues: pd.DataFrame) -> pd.DataFrame:
    return issues.sort_values(["file", "row"], kind="stable", na_position="first", ignore_index=True)


@dataclass
class Cohort:
    """A loaded cohort: the rows analysed, the issue table, the excluded rows with their reason."""

    patients: pd.DataFrame
    visits: pd.DataFrame
    issues: pd.DataFrame
    excluded: pd.DataFrame
    read_as: list = field(default_factory=list)
    synthetic: bool = False

    def flow(self) -> pd.DataFrame:
        """Rows received, excluded and analysed per table (nothing dropped silently)."""
        rows = []
        for table, kept in (("patients", self.patients), ("visits", self.visits)):
            excl = self.excluded[self.excluded["table"] == table]
            rows.append({"table": table, "rows received": len(kept) + len(excl), "excluded": len(excl),
                         "analysed": len(kept)})
        return pd.DataFrame(rows).set_index("table")

    def not_analysable(self) -> list[str]:
        """Why (part of) the analysis cannot be made on this cohort, one reason per item; empty when it can.

        Every patient row excluded; a single group (nothing to compare); Mi2+ DM or Mi2− DM absent (the odds
        ratios, p-values and mixed model compare these two); no visit left. The notebook shows these reasons
        in a section of their own and its later sections run on what is left (empty tables, figures saying
        there is nothing to draw) instead of stopping.
        """
        reasons = []
        n_excl = {t: int((self.excluded["table"] == t).sum()) for t in ("patients", "visits")}
        if self.patients.empty:
            return [f"No patient row can be analysed: {n_excl['patients']} patient rows and {n_excl['visits']} visit "
                    "rows were excluded, each listed with its reason in the validation section (fix them in the "
                    "files and run again)."]
        counts = self.patients["group"].astype(str).value_counts()
        present = [g for g in GROUPS if counts.get(g, 0)]
        if len(present) == 1:
            reasons.append(f"Only one group is present ({present[0]}, n = {counts[present[0]]}): no comparison "
                           "between groups can be made (Table 1 tests, odds ratios, p-values, mixed model).")
        absent = [g.replace("-", "\u2212") for g in DM_GROUPS if not counts.get(g, 0)]
        if absent and len(present) > 1:
            reasons.append(f"No {' and no '.join(absent)} patient: the Mi2+ vs Mi2\u2212 DM comparisons (odds "
                           "ratios, p-values, mixed model) cannot be made.")
        if self.visits.empty:
            reasons.append(f"No visit can be analysed ({n_excl['visits']} visit rows excluded): strength and titre "
                           "sections are empty.")
        return reasons


def load_cohort(patients_path, visits_path, synthetic: bool = False) -> Cohort:
    """Read, validate and type a cohort (patients and visits files); rows with an error are excluded.

    Parameters
    ----------
    patients_path, visits_path : str or Path
        CSV or Excel files of the data model (see the module docstring), French formats accepted.
    synthetic : bool
        Whether the files are the synthetic cohort (shown in outputs).

    Returns
    -------
    Cohort
        ``patients`` and ``visits`` as analysed (typed; ``group`` an ordered categorical of ``GROUPS``),
        ``issues`` (the issue table of both files), ``excluded`` (table, file, row, id, reason) and
        ``read_as`` (how each file was read).

    Raises
    ------
    ValidationError
        A key column (patients: id, group; visits: id, months_since_onset) is absent; the exception's ``issues``
        holds the issue table. (A file whose every row is excluded is not an error: the cohort comes back empty,
        every row listed in ``excluded`` with its reason, and :meth:`Cohort.not_analysable` says why.)
    InputFileError
        A file is missing or unreadable.
    """
    issues: list[Issue] = []
    _, p, pname, how_p = _read_and_type(patients_path, "patients", issues)
    _, v, vname, how_v = _read_and_type(visits_path, "visits", issues)
    unread = [("patients", pname, line, rule) for line, rule in p.attrs.get("unread", {}).items()] + [
        ("visits", vname, line, rule) for line, rule in v.attrs.get("unread", {}).items()]
    table = _sorted(issues_frame(issues))
    fatal = table[(table["row"].isna()) & (table["severity"] == "error")]
    absent = fatal[fatal["rule"].str.startswith("column absent")]
    if not absent.empty:  # one error naming every missing field of both files and the headers found
        raise missing_columns_error({f: list(absent.loc[absent["file"] == f, "field"]) for f in (pname, vname)},
                                    {pname: p.attrs.get("headers", []), vname: v.attrs.get("headers", [])},
                                    HEADERS, issues=table)
    if not fatal.empty:
        raise ValidationError("cannot analyse: " + "; ".join(f"{r.file}: {r.field} {r.rule}"
                                                            for r in fatal.itertuples()), table)
    p = _patient_checks(p, pname, issues)
    v = _visit_checks(v, p, vname, issues)
    excluded = pd.concat([
        pd.DataFrame({"table": "patients", "file": pname, "row": p["_row"], "id": p["id"], "reason": p["_exclusion"]}),
        pd.DataFrame({"table": "visits", "file": vname, "row": v["_row"], "id": v["id"], "reason": v["_exclusion"]}),
        pd.DataFrame([(t, f, line, None, "unreadable line: " + rule.split(":")[0]) for t, f, line, rule in unread],
                     columns=["table", "file", "row", "id", "reason"]),
    ], ignore_index=True)
    excluded = excluded[excluded["reason"].notna()].sort_values(["table", "row"], kind="stable")
    excluded = excluded.reset_index(drop=True)
    patients = p[p["_exclusion"].isna()].drop(columns=["_row", "_exclusion"]).reset_index(drop=True)
    visits = v[v["_exclusion"].isna()].drop(columns=["_row", "_exclusion"]).reset_index(drop=True)
    patients["group"] = pd.Categorical(patients["group"], categories=GROUPS, ordered=True)
    visits = visits.merge(patients[["id", "group"]], on="id", how="left")
    visits = visits.sort_values(["id", "months_since_onset"], kind="stable", ignore_index=True)
    records = pd.concat([pd.DataFrame({"file": pname, "row": p["_row"], "record": p["id"]}),
                         pd.DataFrame({"file": vname, "row": v["_row"], "record": v["id"]})], ignore_index=True)
    table = with_records(_sorted(issues_frame(issues)), records)  # each issue names its patient id
    return Cohort(patients, visits, table, excluded, [how_p, how_v], synthetic)
