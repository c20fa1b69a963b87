"""Cohorts of a survival comparison built from published facts and digitised figures: the published landmark
table, a reconstruction per cohort, one reference dataset, and the reconstructed figures beside the published ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import io, paths
from ..exceptions import ReconstructionError
from .guyot import reconstruct_ipd
from .landmarks import landmark_reconstructions


def published_landmarks(facts: pd.DataFrame, cohorts: dict) -> pd.DataFrame:
    """The published n and landmark survival of each cohort, from fact ids (``myositis.published`` facts).

    Parameters
    ----------
    facts : DataFrame
        ``published.load_facts(...)``.
    cohorts : dict
        Cohort label -> ``{"n": fact id, "survival": {landmark: fact id}, "decimals": int (optional)}``.
        An empty ``survival`` marks a cohort without published survival figures.

    Returns
    -------
    DataFrame
        One row per cohort and landmark: ``cohort``, ``n``, ``time``, ``published_pct``, ``verified``, ``fact``,
        ``decimals``, ``publication``, ``reconstructable`` (False, with a note, when nothing was published).
    """
    by_id = facts.set_index("fact")
    rows = []
    for label, spec in cohorts.items():
        n_id = spec["n"]
        if n_id not in by_id.index:
            raise KeyError(f"cohort {label!r}: no published fact with id {n_id!r}")
        n = int(by_id.loc[n_id, "value"])
        surv = spec.get("survival") or {}
        if not surv:
            rows.append({"cohort": label, "n": n, "time": np.nan, "published_pct": np.nan,
                         "verified": bool(by_id.loc[n_id, "verified"]), "fact": "", "decimals": np.nan,
                         "publication": by_id.loc[n_id, "publication"], "reconstructable": False,
                         "note": "not reconstructable: no published survival figure"})
        for t_, fid in sorted(surv.items(), key=lambda kv: float(kv[0])):
            if fid not in by_id.index:
                raise KeyError(f"cohort {label!r}: no published fact with id {fid!r}")
            value = by_id.loc[fid, "value"]
            rows.append({"cohort": label, "n": n, "time": float(t_), "published_pct": float(value),
                         "verified": bool(by_id.loc[fid, "verified"]) and bool(by_id.loc[n_id, "verified"]),
                         "fact": fid, "decimals": spec.get("decimals", 0),
                         "publication": by_id.loc[fid, "publication"], "reconstructable": True,
                         "note": "" if by_id.loc[fid, "verified"] else "unverified: read only in the seed"})
    out = pd.DataFrame(rows)
    out["decimals"] = out["decimals"].astype("Int64")
    return out


def reconstruct_cohorts(landmark_table: pd.DataFrame, draws: int, seed: int, follow_up: float | None = None,
                        lost_to_follow_up: int | None = None) -> dict:
    """``landmark_reconstructions`` for every reconstructable cohort of ``published_landmarks``.

    Each cohort gets its own random stream spawned from ``seed`` (``np.random.SeedSequence``), in table order.

    Returns
    -------
    dict
        Cohort label -> ``LandmarkReconstructions``.
    """
    table = landmark_table[landmark_table["reconstructable"]]
    labels = list(pd.unique(table["cohort"]))
    streams = np.random.SeedSequence(seed).spawn(len(labels))
    out = {}
    for label, stream in zip(labels, streams):
        rows = table[table["cohort"] == label]
        out[label] = landmark_reconstructions(
            n=int(rows["n"].iloc[0]), landmarks=dict(zip(rows["time"], rows["published_pct"] / 100)),
            follow_up=follow_up, draws=draws, seed=int(stream.generate_state(1)[0]),
            decimals=int(rows["decimals"].iloc[0]), lost_to_follow_up=lost_to_follow_up)
    return out


def reconstruction_summary(reconstructions: dict) -> pd.DataFrame:
    """One row per cohort: n, patients lost before the last landmark, draws, acceptance, deaths per interval
    (range across draws)."""
    rows = []
    for label, rec in reconstructions.items():
        deaths = rec.deaths.sum(axis=1)
        rows.append({"cohort": label, "n": rec.n, "lost_before_last_landmark": rec.lost_to_follow_up, "draws": rec.draws,
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
                    raise KeyError(f"fact '{fact_id}' has no published interval (ci_low, ci_high)")
                return pd.DataFrame([{"interval": "published", "fact": fact_id, "survival": fact["value"] / 100,
                                      "lower": fact["ci_low"] / 100, "upper": fact["ci_high"] / 100,
                                      "verified": bool(fact["verified"])}])
    raise KeyError(f"no published fact with id '{fact_id}'")
