"""Cohorts of a survival comparison built from published facts and digitised figures: the published landmark
table, a reconstruction per cohort, one reference dataset, and the reconstructed figures beside the published ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import io, paths
from ..exceptions import ReconstructionError, FactNotFoundError
from .guyot import reconstruct_ipd
from .landmarks import compare_reconstructions, landmark_reconstructions, robustness


def published_landmarks(facts: pd.DataFrame | None, cohorts: dict) -> pd.DataFrame:
    """The published n and landmark survival of each cohort, from fact ids (``myositis.published`` facts) or
    numbers stated in the parameters.

    Parameters
    ----------
    facts : DataFrame or None
        ``published.load_facts(...)``; None when every figure is a number.
    cohorts : dict
        Cohort label -> ``{"n": fact id or int, "survival": {landmark: fact id or percentage},
        "decimals": int (optional)}``. An empty ``survival`` marks a cohort without published survival figures.

    Returns
    -------
    DataFrame
        One row per cohort and landmark: ``cohort``, ``n``, ``time``, ``published_pct``, ``verified``, ``fact``,
        ``decimals``, ``publication``, ``reconstructable`` (False, with a note, when nothing was published),
        ``note``. A number given in the parameters has no fact, ``verified`` False and the note "stated in the
        parameters".

    Raises
    ------
    FactNotFoundError
        A fact id absent from ``facts`` (named with its cohort; a KeyError).
    """
    by_id = facts.set_index("fact") if facts is not None else pd.DataFrame(columns=["value", "verified",
                                                                                   "publication"])

    def lookup(label, ref):
        if isinstance(ref, (int, float, np.integer, np.floating)) and not isinstance(ref, bool):
            return float(ref), False, "", "parameters", "stated in the parameters"
        if ref not in by_id.index:
            raise FactNotFoundError(f"cohort {label!r}: no published fact with id {ref!r}")
        verified = bool(by_id.loc[ref, "verified"])
        return (float(by_id.loc[ref, "value"]), verified, str(ref), by_id.loc[ref, "publication"],
                "" if verified else "unverified: not read in the publication itself")

    rows = []
    for label, spec in cohorts.items():
        n, n_verified, _, n_pub, _ = lookup(label, spec["n"])
        surv = spec.get("survival") or {}
        if not surv:
            rows.append({"cohort": label, "n": int(n), "time": np.nan, "published_pct": np.nan,
                         "verified": n_verified, "fact": "", "decimals": np.nan, "publication": n_pub,
                         "reconstructable": False, "note": "not reconstructable: no published survival figure"})
        for t_, ref in sorted(surv.items(), key=lambda kv: float(kv[0])):
            value, verified, fid, pub, note = lookup(label, ref)
            rows.append({"cohort": label, "n": int(n), "time": float(t_), "published_pct": value,
                         "verified": verified and n_verified, "fact": fid, "decimals": spec.get("decimals", 0),
                         "publication": pub, "reconstructable": True, "note": note})
    out = pd.DataFrame(rows, columns=["cohort", "n", "time", "published_pct", "verified", "fact", "decimals",
                                      "publication", "reconstructable", "note"])
    out = out.astype({"n": int, "time": float, "published_pct": float, "verified": bool, "reconstructable": bool})
    out["decimals"] = out["decimals"].astype("Int64")
    return out


def reconstruct_cohorts(landmark_table: pd.DataFrame, draws: int, seed: int, follow_up: float | None = None,
                        lost_to_follow_up: int | dict | None = None, rounding: str = "round",
                        landmarks=None, max_proposals: int = 5_000_000) -> dict:
    """``landmark_reconstructions`` for every reconstructable cohort of ``published_landmarks``.

    Each cohort gets its own random stream spawned from ``seed`` (``np.random.SeedSequence``), in table order.

    Parameters
    ----------
    landmark_table : DataFrame
        ``published_landmarks`` output.
    draws, seed, follow_up, max_proposals
        As ``landmark_reconstructions``.
    lost_to_follow_up : int or dict, optional
        Patients lost before the last landmark: one number for every cohort, or cohort label -> number (cohorts
        not named, and None, take the smallest number consistent with their figures).
    rounding : {"round", "truncate"}
        How the published percentages were derived (``published_range``).
    landmarks : sequence of float, optional
        Use only these landmark times (e.g. the verified 6-month figures alone); all by default.

    Returns
    -------
    dict
        Cohort label -> ``LandmarkReconstructions``.

    Raises
    ------
    ReconstructionError
        No dataset of a cohort fits its figures under these assumptions; the message names the cohort.
    """
    # the table's rows used, as arrays (the same rows and numbers as selecting them with pandas, without its
    # overhead: the sensitivity analysis calls this for every combination)
    keep = landmark_table["reconstructable"].to_numpy(bool)
    times = landmark_table["time"].to_numpy(float)
    if landmarks is not None:
        keep = keep & np.isin(times, [float(t) for t in landmarks])
    cohort = landmark_table["cohort"].to_numpy()[keep]
    times, share = times[keep], landmark_table["published_pct"].to_numpy(float)[keep] / 100
    n_rows, decimals = landmark_table["n"].to_numpy()[keep], landmark_table["decimals"].to_numpy()[keep]
    labels = list(pd.unique(cohort))
    streams = np.random.SeedSequence(seed).spawn(len(labels))
    out = {}
    for label, stream in zip(labels, streams):
        rows = np.flatnonzero(cohort == label)
        lost = lost_to_follow_up.get(label) if isinstance(lost_to_follow_up, dict) else lost_to_follow_up
        try:
            out[label] = landmark_reconstructions(
                n=int(n_rows[rows[0]]), landmarks=dict(zip(times[rows].tolist(), share[rows].tolist())),
                follow_up=follow_up, draws=draws, seed=int(stream.generate_state(1)[0]),
                decimals=int(decimals[rows[0]]), lost_to_follow_up=None if lost is None else int(lost),
                rounding=rounding, max_proposals=max_proposals)
        except ReconstructionError as exc:
            raise ReconstructionError(f"cohort {label!r}: {exc}") from None
    return out


def landmark_sensitivity(landmark_table: pd.DataFrame, treated: str, control: str, losses=(None, 0, 1, 2, 3),
                         roundings=("round", "truncate"), landmark_sets: dict | None = None, draws: int = 500,
                         seed: int = 0, follow_up: float | None = None, alpha: float = 0.05,
                         max_proposals: int = 200_000) -> pd.DataFrame:
    """How the comparison of two landmark cohorts depends on the assumptions the papers leave open.

    For every combination of the number of patients lost before the last landmark (the same number in each
    cohort; None = the smallest consistent with each cohort's figures), of rounding vs truncation of the
    published percentages, and of the landmarks used, draws ``draws`` consistent datasets of each cohort and
    compares them pair by pair (``compare_reconstructions``).

    Parameters
    ----------
    landmark_table : DataFrame
        ``published_landmarks`` output.
    treated, control : str
        Cohort labels; the hazard ratio is treated vs control.
    losses : sequence of int or None
    roundings : sequence of {"round", "truncate"}
    landmark_sets : dict, optional
        Name -> landmark times, e.g. ``{"6 and 12 months": [6, 12], "6 months only": [6]}``; all landmarks by
        default.
    draws, seed, follow_up, alpha
        As ``reconstruct_cohorts`` and ``robustness``; every combination uses the same seed.
    max_proposals : int
        Proposal budget per cohort and combination; a combination that finds no consistent dataset within it is
        reported as such (not an error).

    Returns
    -------
    DataFrame
        One row per combination: ``landmarks``, ``rounding``, ``losses`` (as asked), ``lost_treated``,
        ``lost_control`` (as used), ``deaths_treated``, ``deaths_control`` (range over draws, e.g. "3" or
        "3-4"), ``draws``, ``share_significant`` (log-rank p < alpha), ``p_max``, ``hr_min``, ``hr_max``,
        ``status`` ("consistent" or why not).
    """
    sets = landmark_sets or {"all": sorted(landmark_table.loc[landmark_table["reconstructable"], "time"].unique())}
    rows = []
    pair = landmark_table[landmark_table["cohort"].isin([treated, control])]
    for set_name, times in sets.items():
        for rounding in roundings:
            for lost in losses:
                row = {"landmarks": set_name, "rounding": rounding, "losses": "smallest" if lost is None else lost}
                try:
                    recs = reconstruct_cohorts(pair, draws=draws, seed=seed, follow_up=follow_up,
                                               lost_to_follow_up=lost, rounding=rounding, landmarks=times,
                                               max_proposals=max_proposals)
                except ReconstructionError as exc:
                    rows.append({**row, "status": str(exc)})
                    continue
                per_draw = compare_reconstructions(recs[treated], recs[control])
                spread = robustness(per_draw, alpha=alpha)
                rows.append({**row, "lost_treated": recs[treated].lost_to_follow_up,
                             "lost_control": recs[control].lost_to_follow_up,
                             "deaths_treated": _range(recs[treated].deaths.sum(axis=1)),
                             "deaths_control": _range(recs[control].deaths.sum(axis=1)),
                             "draws": draws, "share_significant": spread.loc["p_logrank", "share_significant"],
                             "p_max": spread.loc["p_logrank", "max"], "hr_min": spread.loc["hr", "min"],
                             "hr_max": spread.loc["hr", "max"], "status": "consistent"})
    cols = ["landmarks", "rounding", "losses", "lost_treated", "lost_control", "deaths_treated", "deaths_control",
            "draws", "share_significant", "p_max", "hr_min", "hr_max", "status"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    for col in ("lost_treated", "lost_control", "draws"):
        out[col] = out[col].astype("Int64")
    return out


def _range(x: np.ndarray) -> str:
    lo, hi = int(np.min(x)), int(np.max(x))
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def reconstruction_summary(reconstructions: dict) -> pd.DataFrame:
    """One row per cohort: n, patients lost before the last landmark, draws, acceptance, deaths per interval
    (range across draws)."""
    rows = []
    for label, rec in reconstructions.items():
        deaths = rec.deaths.sum(axis=1)
        rows.append({"cohort": label, "n": rec.n, "percentages": rec.rounding + "ed" if rec.rounding == "round"
                     else "truncated", "lost_before_last_landmark": rec.lost_to_follow_up, "draws": rec.draws,
                     "acceptance": rec.draws / rec.proposals, "deaths_min": int(deaths.min()),
                     "deaths_max": int(deaths.max())})
    return pd.DataFrame(rows)


def reference_data(reconstructions: dict, draw: int = 0, digitised: dict | None = None) -> pd.DataFrame:
    """Patient-level data of one draw of every cohort (plus Guyot reconstructions, which replace a landmark
    reconstruction of the same label), as one table: ``group``, ``time``, ``event``."""
    parts = {label: rec.draw(draw) for label, rec in reconstructions.items()}
    parts.update(digitised or {})
    frames = [df.assign(group=label)[["group", "time", "event"]] for label, df in parts.items()]
    out = pd.concat(frames, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(parts))
    return out


def _read_points(path) -> pd.DataFrame:
    df, _ = io.read_table(paths.resolve(path))
    return df


def input_files(cohorts_file, digitised_curves: dict | None = None) -> list[str]:
    """Every file a survival comparison reads: the published-facts file and each digitised curve and at-risk
    table (for the run's provenance)."""
    files = [str(cohorts_file)] if cohorts_file else []
    for spec in (digitised_curves or {}).values():
        files += [str(spec[k]) for k in ("curve", "at_risk") if spec.get(k)]
    return files


def reconstruct_digitised(digitised_curves: dict) -> dict:
    """Guyot reconstruction of each cohort whose figure was digitised.

    Parameters
    ----------
    digitised_curves : dict
        Cohort label -> ``{"curve": CSV path (time, survival), "at_risk": CSV path (time, n_at_risk) or None,
        "total_events": int or None, "n": int or None}``; paths relative to the repository root.

    Returns
    -------
    dict
        Cohort label -> DataFrame (``time``, ``event``).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. BMC Med Res Methodol 2012;12:9.
    """
    out = {}
    for label, spec in (digitised_curves or {}).items():
        curve = _read_points(spec["curve"])
        risk = _read_points(spec["at_risk"]) if spec.get("at_risk") else None
        try:
            out[label] = reconstruct_ipd(curve, risk, total_events=spec.get("total_events"), n=spec.get("n"))
        except ReconstructionError as exc:
            raise ReconstructionError(f"{label} ({paths.relative(paths.resolve(spec['curve']))}): {exc}") from None
    return out


def compare_with_published(estimates: pd.DataFrame, landmark_table: pd.DataFrame) -> pd.DataFrame:
    """Reconstructed KM survival (``survival_at`` output, ``group`` = cohort) beside the published percentages.

    Returns
    -------
    DataFrame
        ``cohort``, ``time``, ``n``, ``published_pct``, ``verified``, ``reconstructed_pct``, ``lower_pct``,
        ``upper_pct``, ``n_risk``, ``note``; cohorts without published figures keep one row with their note.
    """
    est = estimates.rename(columns={"group": "cohort"}).assign(
        cohort=lambda d: d["cohort"].astype(str), reconstructed_pct=lambda d: 100 * d["survival"],
        lower_pct=lambda d: 100 * d["lower"], upper_pct=lambda d: 100 * d["upper"])
    table = landmark_table[["cohort", "time", "n", "published_pct", "verified", "note"]]
    out = table.merge(est[["cohort", "time", "reconstructed_pct", "lower_pct", "upper_pct", "n_risk"]],
                      on=["cohort", "time"], how="left")
    return out[["cohort", "time", "n", "published_pct", "verified", "reconstructed_pct", "lower_pct", "upper_pct",
                "n_risk", "note"]]


def published_interval(study, fact_id: str) -> pd.DataFrame:
    """A published confidence interval (``ci_low``, ``ci_high`` of a fact in ``data/raw/published``), as
    proportions, to show beside a recomputed one.

    Parameters
    ----------
    study : str or Path
        Study name or YAML path (as ``published.load_study``).
    fact_id : str

    Returns
    -------
    DataFrame
        One row: ``interval`` ("published"), ``fact``, ``survival``, ``lower``, ``upper``, ``verified``.
    """
    from .. import published

    doc = published.load_study(study)
    for pub in doc["publications"]:
        for fact in pub["facts"]:
            if fact["id"] == fact_id:
                if "ci_low" not in fact:
                    raise FactNotFoundError(f"fact '{fact_id}' has no published interval (ci_low, ci_high)")
                return pd.DataFrame([{"interval": "published", "fact": fact_id, "survival": fact["value"] / 100,
                                      "lower": fact["ci_low"] / 100, "upper": fact["ci_high"] / 100,
                                      "verified": bool(fact["verified"])}])
    raise FactNotFoundError(f"no published fact with id '{fact_id}'")
