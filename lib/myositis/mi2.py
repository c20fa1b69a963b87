"""The anti-Mi2 dermatomyositis cohort: data model, synthetic cohort calibrated to the published figures,
validation and loading of a user's own files, and the analyses of the phenotype notebook.

Two tables describe a cohort:

* **patients**, one row per patient: ``id``, ``group`` (``"Mi2+ DM"``, ``"Mi2- DM"``, ``"ASyS"``, ``"IMNM"``),
  ``sex``, ``age_onset_years``, ``weakness_onset``, ``weakness_ever``, ``ck_max_u_l`` (maximum CK, IU/L), ``ild``,
  ``calcinosis``, ``fever``, ``cancer``, the DM skin signs (``gottron_papules``, ``heliotrope_rash``,
  ``periungual_erythema``), ``biopsy_necrosis`` (missing when no biopsy), ``follow_up_years``; optionally
  ``onset_date``, ``treatment_stopped`` and ``relapse_after_stop``.
* **visits**, one row per visit: ``id``, ``months_since_onset`` (or ``visit_date`` with the patient's
  ``onset_date``), ``strength_kendall`` (mean manual muscle testing on the Kendall 0-10 scale over the muscle
  groups tested, 10 = normal), ``ck_u_l``, ``anti_mi2_titre_au`` (anti-Mi2 titre, arbitrary units).

The Kendall score as a mean over muscle groups is this project's choice (documented in the targets file): the
paper used Kendall-scale manual muscle testing; a sum over a fixed set of muscles divided by their number gives
the same 0-10 reading.

References
----------
Pinal-Fernandez I, Mecoli CA, Casal-Dominguez M, et al. More prominent muscle involvement in patients with
dermatomyositis with anti-Mi2 autoantibodies. Neurology 2019;93(19):e1768-e1777. doi:10.1212/WNL.0000000000008443
Landon-Cardinal O, et al. Anti-Mi2 dermatomyositis revisited. Arthritis Rheumatol 2016;68(suppl 10), abstract 2314.
Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
Kendall FP, McCreary EK, Provance PG. Muscles: testing and function. 4th ed. Williams & Wilkins, 1993.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml
from scipy import stats

from . import io, paths, published
from .exceptions import InputFileError, ValidationError
from .validation import Issue, issues_frame

GROUPS = ("Mi2+ DM", "Mi2- DM", "ASyS", "IMNM")
DM_GROUPS = ("Mi2+ DM", "Mi2- DM")
TARGETS_FILE = "data/raw/mi2_targets.yaml"
PROCESSED_DIR = "data/processed/mi2_phenotype"
DAYS_PER_MONTH = 365.25 / 12
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


# --- targets ------------------------------------------------------------------------------------------------

def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def target_count(percent: float, n: int) -> int:
    """Patients a published percentage stands for, to the nearest patient (half up): 60 % of 58 -> 35."""
    return _round_half_up(percent * n / 100)


def load_targets(targets_file=TARGETS_FILE) -> pd.DataFrame:
    """Every target of the synthetic cohort, published or assumed, one row each.

    Published values are read from ``data/raw/published/mi2.yaml`` through :mod:`myositis.published`;
    the targets file only says which variable and group each applies to, and adds the figures the paper does
    not give, each marked ``assumption: true`` with its reason.

    Returns
    -------
    DataFrame
        ``id``, ``kind``, ``variable``, ``group``, ``value`` (the number to meet), ``published`` (the published
        form, e.g. ``"about 4"``; None for an assumption), ``unit``, ``n``, ``source`` (``published`` or
        ``assumption``), ``reason``, ``low``, ``high``, ``tolerance``, ``above``, ``verified``.
    """
    path = paths.resolve(targets_file)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{paths.relative(path)}: targets file not found") from None
    facts = published.load_facts(doc.get("published_study", "mi2"))
    rows = []
    for entry in doc["published"]:
        hit = facts.loc[facts["fact"] == entry["fact"]]
        if hit.empty:
            raise InputFileError(f"{paths.relative(path)}: published fact '{entry['fact']}' not found")
        f = hit.iloc[0]
        rows.append({"id": entry["fact"], "kind": entry["kind"], "variable": entry["variable"],
                     "group": entry["group"], "value": entry.get("target", f["value"]), "published": f["value"],
                     "unit": f["unit"], "n": f["n"], "source": "published", "verified": bool(f["verified"]),
                     "reason": entry.get("note") or f["note"] or "", "above": entry.get("above")})
    for entry in doc["assumptions"]:
        if entry.get("assumption") is not True or not entry.get("reason"):
            raise InputFileError(f"{paths.relative(path)}: assumption '{entry.get('id')}' must say "
                                 "'assumption: true' and give a reason")
        rows.append({"id": entry["id"], "kind": entry["kind"], "variable": entry["variable"], "group": entry["group"],
                     "value": entry["value"], "published": None, "unit": entry["unit"], "n": None,
                     "source": "assumption", "verified": False, "reason": entry["reason"],
                     "low": entry.get("low"), "high": entry.get("high"), "tolerance": entry.get("tolerance")})
    t = pd.DataFrame(rows)
    for col in ("low", "high", "tolerance"):
        t[col] = pd.to_numeric(t.get(col), errors="coerce")
    return t


def _value(targets: pd.DataFrame, kind: str, variable: str, group: str) -> float:
    hit = targets[(targets["kind"] == kind) & (targets["variable"] == variable) & (targets["group"] == group)]
    if hit.empty:
        raise KeyError(f"no {kind} target for {variable} in {group}")
    return float(hit["value"].iloc[0])


def _param(targets: pd.DataFrame, target_id: str) -> float:
    return float(targets.loc[targets["id"] == target_id, "value"].iloc[0])


# --- synthetic cohort ----------------------------------------------------------------------------------------

def _exact(rng, n: int, k: int, among=None) -> np.ndarray:
    """Boolean array of length n with exactly k True, drawn at random (among the positions allowed)."""
    out = np.zeros(n, dtype=bool)
    pool = np.arange(n) if among is None else np.flatnonzero(among)
    if k > len(pool):
        raise ValueError(f"cannot place {k} patients among {len(pool)}")
    out[rng.choice(pool, size=k, replace=False)] = True
    return out


def _centre_median(x: np.ndarray, target: float, log: bool = False) -> np.ndarray:
    """Shift (or scale, on the log scale) a sample so that its median is exactly ``target``."""
    return x * (target / np.median(x)) if log else x - np.median(x) + target


def synthetic_cohort(seed: int = 0, targets_file=TARGETS_FILE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A SYNTHETIC cohort and its visits, calibrated to the published figures of Pinal-Fernandez 2019.

    What is met by construction: the four group sizes exactly; every published percentage to the nearest
    patient (``target_count``); the assumed percentages likewise; the assumed medians of age and maximum CK
    (exactly, up to the rounding of stored values) and so the published direction "CK higher in Mi2+ DM"; the
    mean follow-up of about 4 years; the assumed mean strength at the first visit of patients weak at onset;
    the long-follow-up story (10 Mi2+ DM patients with titres over >= 4 years, titres falling in all 10,
    negative in 3, 2 of those 3 stopping treatment without relapse). What is met only approximately (random):
    the strength course under treatment and the repeated-measures correlations of the titre with CK and
    strength (weak, in the assumed ranges).

    Parameters
    ----------
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the same cohort.
    targets_file : str or Path
        The targets (``data/raw/mi2_targets.yaml``).

    Returns
    -------
    (patients, visits) : tuple of DataFrame
        Columns ``PATIENT_COLUMNS`` and ``VISIT_COLUMNS``; ``weakness_onset`` and ``weakness_ever`` are bool,
        ``biopsy_necrosis`` is nullable boolean (missing when no biopsy); ids start with ``SYN-``.

    References
    ----------
    Pinal-Fernandez I, et al. Neurology 2019;93(19):e1768-e1777.
    """
    rng = np.random.default_rng(seed)
    t = load_targets(targets_file)
    sizes = {g: int(_value(t, "count", "group", g)) for g in GROUPS}
    cutoff = _param(t, "titre_cutoff")
    titre_median = _param(t, "titre_median_first")
    interval = _param(t, "visit_interval")
    long_years = _param(t, "long_follow_up_years")
    story = {row["variable"]: int(row["value"]) for _, row in t[t["kind"] == "story"].iterrows()}

    def pct(variable, group):
        return _value(t, "proportion", variable, group)

    frames = []
    for g in GROUPS:
        n = sizes[g]
        p = pd.DataFrame({"group": [g] * n})
        p["sex"] = np.where(_exact(rng, n, target_count(pct("female", g), n)), "F", "M")
        age = np.clip(rng.normal(0, 13, n), -35, 35)
        p["age_onset_years"] = np.round(_centre_median(age, _value(t, "median", "age_onset_years", g)), 1)
        onset = _exact(rng, n, target_count(pct("weakness_onset", g), n))
        ever_extra = target_count(pct("weakness_ever", g), n) - onset.sum()
        p["weakness_onset"] = onset
        p["weakness_ever"] = onset | _exact(rng, n, ever_extra, among=~onset)
        ck = np.exp(rng.normal(0, 0.9, n))
        p["ck_max_u_l"] = np.round(_centre_median(ck, _value(t, "median", "ck_max_u_l", g), log=True))
        for var in ("ild", "calcinosis", "fever", "cancer", "gottron_papules", "heliotrope_rash",
                    "periungual_erythema"):
            p[var] = _exact(rng, n, target_count(pct(var, g), n))
        biopsied = _exact(rng, n, target_count(pct("biopsy_done", "all groups"), n))
        necrosis = _exact(rng, n, target_count(pct("biopsy_necrosis", g), biopsied.sum()), among=biopsied)
        p["biopsy_necrosis"] = pd.array(np.where(biopsied, necrosis, None), dtype="boolean")
        frames.append(p)
    patients = pd.concat(frames, ignore_index=True)
    n_all = len(patients)
    patients.insert(0, "id", [f"SYN-{i:04d}" for i in range(1, n_all + 1)])
    patients["onset_date"] = None

    # Follow-up: the long-follow-up Mi2+ patients are followed 5-9 years; the others are scaled so that the
    # mean over the cohort is the published "about 4 years".
    mi2 = np.flatnonzero(patients["group"] == "Mi2+ DM")
    long_ids = np.sort(rng.choice(mi2, size=story["long_follow_up"], replace=False))
    is_long = np.zeros(n_all, dtype=bool)
    is_long[long_ids] = True
    fu = np.clip(rng.gamma(2.2, 4 / 2.2, n_all), 0.6, 12)
    fu[is_long] = rng.uniform(5, 9, is_long.sum())
    target_mean = _value(t, "mean", "follow_up_years", "all")
    others = ~is_long
    fu[others] *= (target_mean * n_all - fu[is_long].sum()) / fu[others].sum()
    fu = np.maximum(fu, 0.5)
    patients["follow_up_years"] = np.round(fu, 3)

    # Long-follow-up story: all 10 titres fall, 3 become negative, 2 of those stop treatment, none relapses.
    negative = long_ids[rng.choice(len(long_ids), size=story["negativation"], replace=False)]
    stopped = rng.choice(negative, size=story["treatment_stopped_no_relapse"], replace=False)
    patients["treatment_stopped"] = False
    patients.loc[stopped, "treatment_stopped"] = True
    patients["relapse_after_stop"] = pd.array(np.where(np.isin(np.arange(n_all), stopped), False, None),
                                              dtype="boolean")

    visits = _synthetic_visits(rng, patients, t, is_long, set(negative.tolist()), cutoff, titre_median, interval,
                               long_years)
    patients = patients[PATIENT_COLUMNS]
    return patients, visits


def _synthetic_visits(rng, patients, t, is_long, negative, cutoff, titre_median, interval, long_years):
    """Visits every ~6 months: strength recovers under treatment, CK and titre fall with disease activity."""
    first_strength = {g: _value(t, "strength_first", "strength_kendall", g) for g in GROUPS}
    residual = {"Mi2+ DM": 0.10, "Mi2- DM": 0.10, "ASyS": 0.15, "IMNM": 0.25}
    recovery_months, ck_months, titre_months = 6.0, 6.0, 18.0

    # Deficit at the first visit of patients weak at onset, centred so the group mean is the assumed one.
    deficit0 = np.zeros(len(patients))
    for g in GROUPS:
        weak = (patients["group"] == g).to_numpy() & patients["weakness_onset"].to_numpy()
        d = np.exp(rng.normal(0, 0.3, weak.sum()))
        deficit0[weak] = d * (KENDALL_MAX - first_strength[g]) / d.mean()
    late = patients["weakness_ever"].to_numpy() & ~patients["weakness_onset"].to_numpy()

    rows = []
    for i, p in enumerate(patients.itertuples(index=False)):
        first = round(float(rng.uniform(1, 12)), 1)
        end = first + 12 * p.follow_up_years
        times = [first]
        while times[-1] + interval + 1 < end:
            times.append(times[-1] + interval + float(rng.uniform(-1, 1)))
        times.append(end)
        m = np.round(np.array(times), 1)
        since = m - m[0]
        activity = np.exp(-since / recovery_months)
        if late[i]:  # weakness first appears during follow-up: an episode starting at a later visit
            start = since[rng.integers(1, max(2, len(since) // 2 + 1))] if len(since) > 1 else 0.0
            d0 = (KENDALL_MAX - first_strength[p.group]) * 0.6 * float(np.exp(rng.normal(0, 0.3)))
            deficit = np.where(since >= start, d0 * (residual[p.group]
                                                    + (1 - residual[p.group]) * np.exp(-(since - start) / recovery_months)), 0)
        else:
            deficit = deficit0[i] * (residual[p.group] + (1 - residual[p.group]) * activity)
        strength = KENDALL_MAX - deficit
        if p.weakness_ever:
            strength[1:] += rng.normal(0, 0.3, len(m) - 1)
        strength = np.clip(np.round(strength, 1), 0, KENDALL_MAX)
        ck = p.ck_max_u_l * (0.08 + 0.92 * np.exp(-since / ck_months)) * np.exp(rng.normal(0, 0.6, len(m)))
        ck[0] = p.ck_max_u_l
        ck = np.minimum(np.round(ck), p.ck_max_u_l)
        titre = np.full(len(m), np.nan)
        if p.group == "Mi2+ DM":
            t0 = titre_median * float(np.exp(rng.normal(0, 0.5)))
            floor = 0.05 if i in negative else 0.4
            noise = 0.2 if is_long[i] else 0.45  # serial samples of the long subgroup: a clearer decline
            titre = t0 * (floor + (1 - floor) * np.exp(-since / titre_months)) * np.exp(rng.normal(0, noise, len(m)))
            titre += t0 * 0.35 * (deficit / max(KENDALL_MAX - first_strength[p.group], 1e-9) - activity)
            titre = np.maximum(titre, 1.0)
            if is_long[i]:
                titre[0] = max(t0, 3 * cutoff)
                if i in negative:
                    tail = since >= 0.6 * since[-1]
                    titre[tail] = cutoff * rng.uniform(0.2, 0.8, tail.sum())
                else:
                    titre[-1] = float(np.clip(titre[-1], 1.5 * cutoff, 0.8 * titre[0]))
            else:
                titre[since >= 12 * long_years] = np.nan
            titre = np.round(titre, 1)
        rows.append(pd.DataFrame({"id": p.id, "visit_date": None, "months_since_onset": m,
                                  "strength_kendall": strength, "ck_u_l": ck, "anti_mi2_titre_au": titre}))
    return pd.concat(rows, ignore_index=True)[VISIT_COLUMNS]


def cohort_files(patients_file: str = "", visits_file: str = "", seed: int = 0,
                 processed_dir=PROCESSED_DIR) -> tuple[Path, Path, bool]:
    """The two files the notebook analyses: the user's, or the synthetic cohort written for this seed.

    With ``patients_file`` empty, the synthetic cohort of ``seed`` is written to
    ``<processed_dir>/synthetic_patients.csv`` and ``synthetic_visits.csv`` (deterministic CSV) and those
    paths are returned, so that real and synthetic data take the same loading path.

    Returns
    -------
    (patients_path, visits_path, synthetic)
    """
    if patients_file:
        if not visits_file:
            raise InputFileError("patients_file is set but visits_file is empty: give both files")
        return paths.resolve(patients_file), paths.resolve(visits_file), False
    patients, visits = synthetic_cohort(seed)
    folder = paths.resolve(processed_dir)
    return (io.write_csv(patients, folder / "synthetic_patients.csv"),
            io.write_csv(visits, folder / "synthetic_visits.csv"), True)


# --- validation of a user's files -------------------------------------------------------------------------

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
    names = {HEADER_ALIASES.get(_norm(c), _norm(c)) for c in columns}
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


def _parse(raw: pd.DataFrame, fields, name: str, decimal: str, issues: list) -> pd.DataFrame:
    """Typed table from text cells; every cell that cannot be read is an issue (warning, set missing)."""
    out = pd.DataFrame(index=raw.index)
    for f in fields:
        if f.name not in raw.columns:
            out[f.name] = pd.Series(pd.NA, index=raw.index, dtype="boolean" if f.kind == "bool" else object)
            if f.kind == "number":
                out[f.name] = np.nan
            continue
        values = []
        for row, cell in enumerate(raw[f.name].tolist(), start=1):
            text = str(cell).strip()
            value = None
            try:
                if f.kind in ("id",):
                    value = None if text.lower() in io.MISSING else text
                elif f.kind == "group":
                    value = None if text.lower() in io.MISSING else _GROUP_LOOKUP.get(_norm_label(text), text)
                elif f.kind == "sex":
                    value = None if text.lower() in io.MISSING else _SEX_LOOKUP.get(text.lower(), text)
                elif f.kind == "bool":
                    value = io.parse_bool(text)
                elif f.kind == "date":
                    value = io.parse_date(text)
                elif f.kind == "number":
                    number = io.parse_number(text, decimal)
                    if number is not None:
                        allowed = {u.lower() for u in (f.unit,) + f.units if u}
                        if number.unit and number.unit.lower() not in allowed:
                            issues.append(Issue(name, row, f.name, text, f"unknown unit '{number.unit}' (expected "
                                                f"{f.unit or 'no unit'}): set missing", "warning"))
                        else:
                            value = number.value
                            if number.comparator:
                                issues.append(Issue(name, row, f.name, text,
                                                    f"value written '{number.comparator}': the limit is kept",
                                                    "warning"))
            except ValueError:
                rule = {"bool": "not yes/no", "date": "not a date (dd/mm/yyyy)", "number": "not a number"}[f.kind]
                issues.append(Issue(name, row, f.name, text, f"{rule}: set missing", "warning"))
            values.append(value)
        if f.kind == "bool":
            out[f.name] = pd.array(values, dtype="boolean")
        elif f.kind == "number":
            out[f.name] = pd.to_numeric(pd.Series(values, index=raw.index, dtype=object), errors="coerce")
        else:
            out[f.name] = pd.Series(values, index=raw.index, dtype=object)
    return out


def _apply_schema(table: pd.DataFrame, fields, name: str, issues: list) -> pd.DataFrame:
    """Run the pandera schema (lazy: every failure) and turn each failure case into an issue."""
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
            issues.append(Issue(name, idx + 1, f.name, _shown(case.failure_case), f"{case.check}: {action}", severity))
            if severity == "warning":
                table.loc[idx, f.name] = np.nan if f.kind == "number" else None
    return table


def _shown(value) -> str:
    if isinstance(value, float) and value == int(value):
        return f"{value:g}"
    return str(value)


def _read_and_type(path, kind: str | None, issues: list):
    """Read a user file and return (kind, typed table, name, how it was read), issues appended."""
    raw, info = io.read_table(path)
    name = info.file
    raw = raw.rename(columns=lambda c: HEADER_ALIASES.get(_norm(c), _norm(c)))
    kind = kind or _kind_of(raw.columns)
    fields = PATIENT_FIELDS if kind == "patients" else VISIT_FIELDS
    known = {f.name for f in fields}
    for col in raw.columns:
        if col not in known:
            issues.append(Issue(name, None, col, "", "unknown column: ignored", "warning"))
    for f in fields:
        if f.name not in raw.columns and f.required and not (f.name == "months_since_onset"
                                                             and "visit_date" in raw.columns):
            key = f.name in ("id", "group") or (f.name == "months_since_onset")
            issues.append(Issue(name, None, f.name, "", "column absent from the file" + (
                "" if key else ": treated as missing"), "error" if key else "warning"))
    for col in raw.columns[raw.columns.duplicated()].unique():
        issues.append(Issue(name, None, col, "", "column given more than once (same name or alias): the first is "
                            "used, the others ignored", "warning"))
    raw = raw.loc[:, ~raw.columns.duplicated()]
    blank = (raw.apply(lambda s: s.str.strip()) == "").all(axis=1)
    for idx in np.flatnonzero(blank.to_numpy()):
        issues.append(Issue(name, int(idx) + 1, None, "", "empty row: ignored", "warning"))
    table = _parse(raw, fields, name, info.decimal, issues)
    table = _apply_schema(table, fields, name, issues)
    table["_row"] = np.arange(1, len(table) + 1)
    table["_exclusion"] = np.where(blank.to_numpy(), "empty row", None)
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
        days = [(a - b).days if fill.iloc[k] else np.nan for k, (a, b) in enumerate(zip(v["visit_date"], onset))]
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
        A key column (patients: id, group; visits: id, months_since_onset) is absent, or no row is usable; the
        exception's ``issues`` holds the issue table.
    InputFileError
        A file is missing or unreadable.
    """
    issues: list[Issue] = []
    _, p, pname, how_p = _read_and_type(patients_path, "patients", issues)
    _, v, vname, how_v = _read_and_type(visits_path, "visits", issues)
    table = _sorted(issues_frame(issues))
    fatal = table[(table["row"].isna()) & (table["severity"] == "error")]
    if not fatal.empty:
        raise ValidationError("cannot analyse: " + "; ".join(f"{r.file}: {r.field} {r.rule}"
                                                            for r in fatal.itertuples()), table)
    p = _patient_checks(p, pname, issues)
    v = _visit_checks(v, p, vname, issues)
    excluded = pd.concat([
        pd.DataFrame({"table": "patients", "file": pname, "row": p["_row"], "id": p["id"], "reason": p["_exclusion"]}),
        pd.DataFrame({"table": "visits", "file": vname, "row": v["_row"], "id": v["id"], "reason": v["_exclusion"]}),
    ], ignore_index=True)
    excluded = excluded[excluded["reason"].notna()].reset_index(drop=True)
    patients = p[p["_exclusion"].isna()].drop(columns=["_row", "_exclusion"]).reset_index(drop=True)
    visits = v[v["_exclusion"].isna()].drop(columns=["_row", "_exclusion"]).reset_index(drop=True)
    patients["group"] = pd.Categorical(patients["group"], categories=GROUPS, ordered=True)
    visits = visits.merge(patients[["id", "group"]], on="id", how="left")
    visits = visits.sort_values(["id", "months_since_onset"], kind="stable", ignore_index=True)
    if patients.empty or visits.empty:
        raise ValidationError("no usable row in the patients or visits file", _sorted(issues_frame(issues)))
    return Cohort(patients, visits, _sorted(issues_frame(issues)), excluded, [how_p, how_v], synthetic)


# --- analyses of the notebook --------------------------------------------------------------------------------

def with_group(visits: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Visits with the patient's group (as ``load_cohort`` returns them); unchanged when already there."""
    if "group" in visits:
        return visits
    return visits.merge(patients[["id", "group"]], on="id", how="left", validate="many_to_one")


def table_one_data(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients table with readable column names and yes/no levels, for Table 1 (missing kept missing)."""
    d = patients.copy()
    for col in BOOL_FEATURES:
        d[col] = d[col].astype("boolean").map({True: "yes", False: "no"}).astype(object)
        d.loc[patients[col].isna(), col] = np.nan
    d["sex"] = d["sex"].map({"F": "female", "M": "male"})
    d["group"] = d["group"].astype(str)
    cols = ["group", "sex", "age_onset_years", "ck_max_u_l", "follow_up_years", *BOOL_FEATURES]
    return d[cols].rename(columns={c: LABELS[c] for c in cols if c != "group"})


TABLE_ONE_CONTINUOUS = [LABELS[c] for c in ("age_onset_years", "ck_max_u_l", "follow_up_years")]
TABLE_ONE_CATEGORICAL = [LABELS[c] for c in ("sex", *BOOL_FEATURES)]


def odds_ratios(patients: pd.DataFrame, features=BOOL_FEATURES, exposed: str = "Mi2+ DM",
                reference: str = "Mi2- DM") -> pd.DataFrame:
    """Odds ratio of each yes/no feature, ``exposed`` vs ``reference`` group, with 95 % CI (Woolf, log scale).

    A Haldane-Anscombe correction (0.5 added to every cell) is applied to a feature with a zero cell, and said
    in the ``correction`` column. The Fisher exact p-value is given alongside.

    References
    ----------
    Woolf B. On estimating the relation between blood group and disease. Ann Hum Genet 1955;19:251-3.
    Haldane JBS. The estimation and significance of the logarithm of a ratio of frequencies. Ann Hum Genet
    1956;20:309-11.
    """
    from statsmodels.stats.contingency_tables import Table2x2

    rows = []
    for feat in features:
        d = patients[patients["group"].isin([exposed, reference]) & patients[feat].notna()]
        a = int(((d["group"] == exposed) & (d[feat] == True)).sum())  # noqa: E712
        b = int(((d["group"] == exposed) & (d[feat] == False)).sum())  # noqa: E712
        c = int(((d["group"] == reference) & (d[feat] == True)).sum())  # noqa: E712
        e = int(((d["group"] == reference) & (d[feat] == False)).sum())  # noqa: E712
        zero = min(a, b, c, e) == 0
        table = np.array([[a, b], [c, e]], dtype=float) + (0.5 if zero else 0.0)
        t2 = Table2x2(table)
        low, high = t2.oddsratio_confint()
        rows.append({"feature": LABELS.get(feat, feat), f"{exposed} yes/n": f"{a}/{a + b}",
                     f"{reference} yes/n": f"{c}/{c + e}", "odds_ratio": t2.oddsratio, "ci_low": low, "ci_high": high,
                     "p_fisher": stats.fisher_exact([[a, b], [c, e]])[1],
                     "correction": "Haldane (+0.5)" if zero else ""})
    return pd.DataFrame(rows).set_index("feature")


@dataclass
class StrengthModel:
    """Linear mixed model of strength: its fixed effects as a table, the sample, formula and convergence."""

    fixed: pd.DataFrame
    n_patients: int
    n_visits: int
    formula: str
    random: str
    converged: bool

    def sentence(self, exposed: str = "Mi2+ DM", reference: str = "Mi2- DM") -> str:
        """The two effects the notebook states: the difference at onset and in slope, exposed vs reference."""
        g = f"C(group, Treatment('{reference}'))[T.{exposed}]"
        base, slope = self.fixed.loc[g], self.fixed.loc[f"years:{g}"]
        return (f"{exposed} vs {reference}: strength {base['estimate']:+.2f} Kendall points at onset "
                f"(95 % CI {base['ci_low']:+.2f} to {base['ci_high']:+.2f}), slope {slope['estimate']:+.2f} points "
                f"per year (95 % CI {slope['ci_low']:+.2f} to {slope['ci_high']:+.2f}); "
                f"{self.n_visits} visits of {self.n_patients} patients, random {self.random}.")


def strength_model(visits: pd.DataFrame, reference: str = "Mi2- DM", max_years: float = 2.0,
                   random_slope: bool = True) -> StrengthModel:
    """Linear mixed model of Kendall strength on time x group with patient random effects (statsmodels).

    ``strength_kendall ~ years * C(group, Treatment(reference))``, random intercept (and slope on time) per
    patient, fitted by REML on the visits of the first ``max_years`` after the first visit (the treatment
    phase, where strength changes roughly linearly; later visits are at the plateau). Time is years since
    onset.

    Returns
    -------
    StrengthModel
        ``fixed``: estimate, standard error, 95 % CI and p of each fixed effect.

    References
    ----------
    Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics 1982;38:963-74.
    """
    import statsmodels.formula.api as smf

    d = visits.dropna(subset=["strength_kendall", "months_since_onset"]).copy()
    d["group"] = d["group"].astype(str)
    first = d.groupby("id")["months_since_onset"].transform("min")
    d = d[d["months_since_onset"] - first <= 12 * max_years]
    d["years"] = d["months_since_onset"] / 12
    formula = f"strength_kendall ~ years * C(group, Treatment('{reference}'))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(formula, d, groups=d["id"], re_formula="~years" if random_slope else "~1")
        fit = model.fit(reml=True)
    ci = fit.conf_int()
    names = fit.fe_params.index
    fixed = pd.DataFrame({"estimate": fit.fe_params, "std_err": fit.bse[names], "ci_low": ci.loc[names, 0],
                          "ci_high": ci.loc[names, 1], "p": fit.pvalues[names]})
    return StrengthModel(fixed, d["id"].nunique(), len(d), formula,
                         "intercept and slope per patient" if random_slope else "intercept per patient",
                         bool(fit.converged))


def titre_correlations(visits: pd.DataFrame, group: str = "Mi2+ DM") -> pd.DataFrame:
    """Repeated-measures correlation of the anti-Mi2 titre with CK and with strength over visits (pingouin).

    Titre and CK are log10-transformed (skewed, multiplicative changes), so visits with a titre (or CK) of 0 are
    left out of that pair, as are patients with fewer than two usable visits; ``patients`` and ``visits`` give
    what was used. The rmcorr coefficient is the within-patient association, not confounded by differences
    between patients.

    References
    ----------
    Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
    """
    import pingouin as pg

    d = visits[(visits["group"] == group)].dropna(subset=["anti_mi2_titre_au"]).copy()
    d = d[d["anti_mi2_titre_au"] > 0]
    d["log10_titre"] = np.log10(d["anti_mi2_titre_au"])
    d["log10_ck"] = np.log10(d["ck_u_l"].where(d["ck_u_l"] > 0))
    rows = []
    for y, label in (("log10_ck", "log10 titre ~ log10 CK"), ("strength_kendall", "log10 titre ~ strength")):
        dd = d.dropna(subset=[y])
        dd = dd[dd.groupby("id")["id"].transform("size") >= 2]
        r = pg.rm_corr(data=dd, x="log10_titre", y=y, subject="id")
        rows.append({"pair": label, "r": float(r["r"].iloc[0]), "ci_low": float(r["CI95"].iloc[0][0]),
                     "ci_high": float(r["CI95"].iloc[0][1]), "dof": int(r["dof"].iloc[0]),
                     "p": float(r["pval"].iloc[0]), "patients": dd["id"].nunique(), "visits": len(dd)})
    return pd.DataFrame(rows).set_index("pair")


def long_follow_up(patients: pd.DataFrame, visits: pd.DataFrame, years: float = 4.0, cutoff: float = 20.0,
                   group: str = "Mi2+ DM") -> pd.DataFrame:
    """Patients whose titre was measured over at least ``years``: first and last titre, decline, negativation.

    Negativation: the last titre is below ``cutoff`` (the month from which every later titre stays below the
    cut-off is given in ``negative_from_month``).

    Returns
    -------
    DataFrame
        One row per patient: ``id``, ``first_month``, ``last_month``, ``years_measured``, ``first_titre``,
        ``last_titre``, ``declined``, ``negative``, ``negative_from_month``, ``treatment_stopped``,
        ``relapse_after_stop``.
    """
    d = visits[visits["group"] == group].dropna(subset=["anti_mi2_titre_au"])
    d = d.sort_values(["id", "months_since_onset"])
    g = d.groupby("id", observed=True)
    s = pd.DataFrame({"first_month": g["months_since_onset"].first(), "last_month": g["months_since_onset"].last(),
                      "first_titre": g["anti_mi2_titre_au"].first(), "last_titre": g["anti_mi2_titre_au"].last()})
    s["years_measured"] = (s["last_month"] - s["first_month"]) / 12
    s = s[s["years_measured"] >= years].copy()
    s["declined"] = s["last_titre"] < s["first_titre"]
    s["negative"] = s["last_titre"] < cutoff
    # first month from which every later titre is below the cut-off
    d = d[d["id"].isin(s.index)].copy()
    d["positive_later"] = d.iloc[::-1].assign(pos=lambda x: x["anti_mi2_titre_au"] >= cutoff).groupby(
        "id")["pos"].cummax().iloc[::-1]
    s["negative_from_month"] = d[~d["positive_later"]].groupby("id")["months_since_onset"].min()
    extra = patients.set_index("id").reindex(s.index)
    for col in ("treatment_stopped", "relapse_after_stop"):
        s[col] = extra[col].astype("boolean") if col in extra else pd.array([pd.NA] * len(s), dtype="boolean")
    s = s.reset_index()
    return s[["id", "first_month", "last_month", "years_measured", "first_titre", "last_titre", "declined",
              "negative", "negative_from_month", "treatment_stopped", "relapse_after_stop"]]


def strength_summary(visits: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Mean strength at the first and last visit of patients weak at onset, and of all patients, per group."""
    weak = set(patients.loc[patients["weakness_onset"] == True, "id"])  # noqa: E712
    d = visits.dropna(subset=["strength_kendall"]).sort_values(["id", "months_since_onset"])
    g = d.groupby("id", observed=True)
    per = pd.DataFrame({"group": g["group"].first().astype(str), "first": g["strength_kendall"].first(),
                        "last": g["strength_kendall"].last()})
    per["weak_onset"] = per.index.isin(weak)
    out = per[per["weak_onset"]].groupby("group")[["first", "last"]].mean().add_prefix("weak at onset: ")
    out = out.join(per.groupby("group")[["first", "last"]].mean().add_prefix("all: "))
    return out.reindex([g for g in GROUPS if g in out.index])


def strength_by_period(visits: pd.DataFrame, width_months: float = 6, max_months: float = 60) -> pd.DataFrame:
    """Mean strength per group in bins of months since onset: the numbers behind the spaghetti plot."""
    d = visits.dropna(subset=["strength_kendall"])
    d = d[d["months_since_onset"] < max_months]
    bins = (d["months_since_onset"] // width_months) * width_months
    t = d.groupby([bins.rename("months"), d["group"].astype(str)])["strength_kendall"].mean().unstack("group")
    t.index = t.index.astype(int)
    return t[[g for g in GROUPS if g in t.columns]]


def target_check(patients: pd.DataFrame, visits: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each target (published or assumed) beside the value in the cohort, and whether it is met.

    Rules: a count exactly; a percentage when the cohort's count equals ``target_count`` (the nearest
    patient); a median within the rounding of stored values (0.1 year, 1 IU/L); the mean follow-up within
    0.05 year; a direction when the order holds; a correlation when r lies in the assumed range (and p below
    the published bound); a strength mean within its tolerance; the long-follow-up story exactly. Published
    p-values are not targets: the cohort's Fisher p is shown beside them for comparison. A published target
    whose number is an interpretation of the published form (``about 4`` met as 4) or that is unverified shows
    the published form beside it.
    """
    every = load_targets() if targets is None else targets
    t = every[every["kind"] != "parameter"]
    size = patients["group"].astype(str).value_counts()
    visits = with_group(visits, patients)
    corr = titre_correlations(visits) if (visits["group"] == "Mi2+ DM").any() else None
    long = long_follow_up(patients, visits, years=_param(every, "long_follow_up_years"),
                          cutoff=_param(every, "titre_cutoff"))
    strength = strength_summary(visits, patients)
    rows = []
    for r in t.itertuples(index=False):
        target, generated, met, rule = r.value, None, None, ""
        if r.kind == "count":
            generated = int(size.get(r.group, 0))
            met, rule = generated == int(target), "exact"
        elif r.kind == "proportion":
            d = patients if r.group == "all groups" else patients[patients["group"] == r.group]
            if r.variable == "female":
                col = d["sex"].dropna() == "F"
            elif r.variable == "biopsy_done":
                col = d["biopsy_necrosis"].notna()
            else:
                col = d[r.variable].dropna().astype(bool)
            n = len(col)
            k = int(col.sum())
            generated = f"{100 * k / n:.1f} % ({k}/{n})" if n else "no data"
            want = target_count(float(target), n)
            met = k == want if n else None  # no patient of the group with a value: nothing to compare
            rule = f"count = round({target} % x {n}) = {want}"
            if met and _round_half_up(100 * k / n) != round(float(target)):
                rule += "; the % cannot round to the published one with this n"
        elif r.kind == "median":
            d = patients.loc[patients["group"] == r.group, r.variable].dropna()
            tol = 1.0 if r.variable == "ck_max_u_l" else 0.1
            rule = f"within {tol:g} (rounding)"
            if d.empty:
                generated = "no data"
            else:
                generated = float(d.median())
                met = abs(generated - float(target)) <= tol
        elif r.kind == "mean":
            generated = float(patients[r.variable].mean())
            met, rule = abs(generated - float(target)) <= 0.05, "within 0.05"
        elif r.kind == "direction":
            if r.variable == "biopsy_necrosis":
                stat = patients.dropna(subset=[r.variable]).groupby("group", observed=True)[r.variable].mean() * 100
                unit = "% necrosis"
            else:
                stat = patients.groupby("group", observed=True)[r.variable].median()
                unit = "median"
            rule = f"{unit}: {r.group} > {' and '.join(r.above)}"
            compared = [r.group, *r.above]
            if stat.reindex(compared).notna().all():
                generated = "; ".join(f"{g} {stat[g]:.0f}" for g in compared)
                met = all(stat[r.group] > stat[g] for g in r.above)
            else:  # a group absent from the cohort (e.g. a DM-only user cohort): nothing to compare
                generated = "no data"
        elif r.kind == "correlation" and corr is not None:
            row = corr.loc[r.variable]
            generated = f"r = {row['r']:.2f} (p = {row['p']:.1e})"
            met, rule = bool(r.low <= row["r"] <= r.high), f"r in [{r.low:g}, {r.high:g}]"
        elif r.kind == "correlation_p" and corr is not None:
            generated = ", ".join(f"p = {p:.1e}" for p in corr["p"])
            met, rule = bool((corr["p"] < float(target)).all()), f"both p < {float(target):g}"
        elif r.kind in ("strength_first", "strength_last"):
            col = "weak at onset: first" if r.kind == "strength_first" else "weak at onset: last"
            if r.group in strength.index:
                generated = float(strength.loc[r.group, col])
                met = abs(generated - float(target)) <= r.tolerance
            else:
                generated = "no data"
            rule = f"within {r.tolerance:g} (mean of patients weak at onset)"
        elif r.kind == "story":
            value = {"long_follow_up": len(long), "titre_declined": int(long["declined"].sum()),
                     "negativation": int(long["negative"].sum()),
                     "treatment_stopped_no_relapse": int((long["negative"] & (long["treatment_stopped"] == True)
                                                          & (long["relapse_after_stop"] == False)).sum())}  # noqa: E712
            generated = value[r.variable]
            met, rule = generated == int(target), "exact"
        elif r.kind == "p_value":
            d = patients[patients["group"].isin(DM_GROUPS)].dropna(subset=[r.variable])
            tab = pd.crosstab(d["group"].astype(str), d[r.variable].astype(bool)).reindex(
                index=list(DM_GROUPS), columns=[True, False], fill_value=0)
            generated = f"p = {stats.fisher_exact(tab.to_numpy())[1]:.3f} (Fisher)"
            met, rule = None, "not a target: follows from the counts"
        shown = _fmt(target)
        if r.source == "published" and (str(r.published) != shown or not r.verified):
            # the number met is an interpretation of the published form, or the figure is unverified: say so
            shown += f" (published: {r.published}{'' if r.verified else ', unverified'})"
        rows.append({"target": r.id, "source": r.source, "variable": r.variable, "group": r.group,
                     "target_value": shown, "unit": r.unit, "generated": _fmt(generated), "rule": rule,
                     "met": {True: "yes", False: "NO", None: "-"}[None if met is None else bool(met)]})
    return pd.DataFrame(rows)


def format_p(p: pd.Series) -> pd.Series:
    """p-values as text for display: '<0.001' below 0.001, else three decimals."""
    return p.map(lambda x: "" if pd.isna(x) else ("<0.001" if x < 0.001 else f"{x:.3f}"))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)
