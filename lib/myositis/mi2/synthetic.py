"""The SYNTHETIC anti-Mi2 cohort: patients and visits drawn with a fixed seed so that every published figure of
Pinal-Fernandez 2019 is met (see ``targets``), and the files the notebook analyses (the user's or these).

References
----------
Pinal-Fernandez I, et al. Neurology 2019;93(19):e1768-e1777.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import io, paths
from ..exceptions import InputFileError
from .schema import GROUPS, KENDALL_MAX, PATIENT_COLUMNS, VISIT_COLUMNS
from .targets import TARGETS_FILE, _param, _value, load_targets, target_count

PROCESSED_DIR = "data/processed/interactive/mi2_phenotype"
#: Synthetic patient ids are ``SYN-<seed>-<number>``: the seed can be read back from the files' content.
ID_PREFIX = "SYN-"
_ID = re.compile(rb"^SYN-(\d{1,12})-\d{4}[,;]", re.MULTILINE)


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
        ``biopsy_necrosis`` is nullable boolean (missing when no biopsy); ids are ``SYN-<seed>-<number>``, so
        that the files say which seed made them (:func:`generator_of` regenerates them from it).

    References
    ----------
    Pinal-Fernandez I, et al. Neurology 2019;93(19):e1768-e1777.
    """
    # generated once per process for a seed and targets: the notebook writes the cohort, and the provenance
    # recognises it by regenerating it (same bytes); both get copies of one generation
    sources = [paths.resolve(targets_file), paths.PUBLISHED / "mi2.yaml"]
    key = (int(seed), str(sources[0]), tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in sources))
    if key not in _COHORTS:
        _COHORTS.clear()
        _COHORTS[key] = _generate(seed, targets_file)
    patients, visits = _COHORTS[key]
    return patients.copy(), visits.copy()


_COHORTS: dict = {}


def _generate(seed: int, targets_file) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    patients.insert(0, "id", [f"{ID_PREFIX}{int(seed)}-{i:04d}" for i in range(1, n_all + 1)])
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
        # the last visit at the end of follow-up; when it falls (to 0.1 month) on the previous visit, it replaces
        # it rather than making a second visit at the same time (which validation would exclude as a duplicate)
        if round(end, 1) <= round(times[-1], 1):
            times[-1] = end
        else:
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
        rows.append((p.id, m, strength, ck, titre))
    # one table at the end (a DataFrame per patient and a concat cost more than drawing the cohort)
    ids, m, strength, ck, titre = zip(*rows)
    visits = pd.DataFrame({"id": np.repeat(np.array(ids, dtype=object), [len(x) for x in m]), "visit_date": None,
                           "months_since_onset": np.concatenate(m), "strength_kendall": np.concatenate(strength),
                           "ck_u_l": np.concatenate(ck), "anti_mi2_titre_au": np.concatenate(titre)})
    return visits[VISIT_COLUMNS]


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


def generator_of(path) -> str | None:
    """The generator call that wrote ``path``, when the file is byte-identical to its output; else None.

    Recognition by content, whatever the seed and the file's name: the seed is read from the first synthetic
    id in the file (``SYN-<seed>-<number>``), the cohort of that seed is regenerated and written the way
    :func:`cohort_files` writes it, and the SHA-256 of the file is compared with those of the patients and
    visits files. A file edited by one byte (one value changed, a row removed, saved again by Excel) is not the
    generator's output: it is the user's own data.

    Parameters
    ----------
    path : str or Path
        A patients or visits file.

    Returns
    -------
    str or None
        ``"myositis.mi2.synthetic_cohort(seed=<seed>)"`` or None.
    """
    p = paths.resolve(path)
    if not p.is_file() or p.suffix.lower() != ".csv":
        return None
    data = p.read_bytes()
    found = _ID.search(data[:4096])
    if found is None:
        return None
    seed = int(found.group(1))
    if hashlib.sha256(data).hexdigest() not in _written_digests(seed, _targets_stamp()):
        return None
    return f"myositis.mi2.synthetic_cohort(seed={seed})"


def _targets_stamp() -> tuple:
    sources = [paths.resolve(TARGETS_FILE), paths.PUBLISHED / "mi2.yaml"]
    return tuple(q.stat().st_mtime_ns if q.exists() else 0 for q in sources)


@functools.lru_cache(maxsize=8)
def _written_digests(seed: int, stamp: tuple) -> frozenset:
    """SHA-256 of the patients and visits files :func:`cohort_files` writes for ``seed`` (``stamp``: the targets
    files' modification times, so that a changed target regenerates)."""
    import tempfile

    patients, visits = synthetic_cohort(seed)
    digests = set()
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in (("patients.csv", patients), ("visits.csv", visits)):
            digests.add(hashlib.sha256(io.write_csv(df, Path(tmp) / name).read_bytes()).hexdigest())
    return frozenset(digests)
