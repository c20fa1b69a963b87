"""Published facts: figures from the papers behind the project, each with its citation and seed file.

The facts live in ``data/raw/published/<study>.yaml``, one file per study question, never in a notebook.
Each fact records whether it was read in the publication itself (``verified: true``) or only in the French
seed summaries (``verified: false``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from . import paths
from .exceptions import InputFileError

FACT_COLUMNS = ["study", "publication", "fact", "quantity", "group", "value", "unit", "n", "verified",
                "source", "note", "citation", "pmid", "doi", "seed"]
STUDIES = ("mi2", "tacrolimus", "sam", "scores")


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise InputFileError(f"{paths.relative(path)}: published facts file not found") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{paths.relative(path)}: not valid YAML ({exc})") from None


def load_study(study: str | Path) -> dict:
    """Read one study file as it is written (publications, facts and any ``tables``).

    Parameters
    ----------
    study : str or Path
        A study name (``"mi2"``, ``"tacrolimus"``, ``"sam"``, ``"scores"``) or the path of a YAML file.
    """
    path = paths.PUBLISHED / f"{study}.yaml" if study in STUDIES else paths.resolve(study)
    doc = _read_yaml(path)
    for key in ("study", "publications"):
        if key not in doc:
            raise InputFileError(f"{paths.relative(path)}: missing top-level key '{key}'")
    for i, pub in enumerate(doc["publications"], start=1):
        for key in ("id", "citation", "facts"):
            if key not in pub:
                raise InputFileError(f"{paths.relative(path)}: publication {i}: missing key '{key}'")
        for j, fact in enumerate(pub["facts"], start=1):
            for key in ("id", "quantity", "value", "unit", "verified"):
                if key not in fact:
                    raise InputFileError(
                        f"{paths.relative(path)}: publication {pub['id']}, fact {j}: missing key '{key}'")
    doc["_path"] = path
    return doc


def load_facts(studies=STUDIES) -> pd.DataFrame:
    """All published facts as one tidy table, one row per figure, with citation and verification.

    Parameters
    ----------
    studies : iterable of str or Path
        Study names or YAML paths; all four studies by default.

    Returns
    -------
    DataFrame
        Columns ``FACT_COLUMNS``; ``value`` keeps the published form (a number, or text such as ``"< 0.001"``).
    """
    if isinstance(studies, (str, Path)):
        studies = [studies]
    rows = []
    ids = {}
    for study in studies:
        doc = load_study(study)
        for pub in doc["publications"]:
            for fact in pub["facts"]:
                if fact["id"] in ids:
                    raise InputFileError(f"{paths.relative(doc['_path'])}: fact id '{fact['id']}' is used twice")
                ids[fact["id"]] = True
                rows.append({
                    "study": doc["study"], "publication": pub["id"], "fact": fact["id"],
                    "quantity": fact["quantity"], "group": fact.get("group"), "value": fact["value"],
                    "unit": fact["unit"], "n": fact.get("n"), "verified": bool(fact["verified"]),
                    "source": fact.get("source", "publication" if fact["verified"] else "seed"),
                    "note": fact.get("note"), "citation": pub["citation"], "pmid": pub.get("pmid"),
                    "doi": pub.get("doi"), "seed": pub.get("seed"),
                })
    df = pd.DataFrame(rows, columns=FACT_COLUMNS)
    df["n"] = df["n"].astype("Int64")
    return df


def fact(facts: pd.DataFrame, fact_id: str):
    """The published value of one fact, by id (raises KeyError naming the id when absent)."""
    hit = facts.loc[facts["fact"] == fact_id, "value"]
    if hit.empty:
        raise KeyError(f"no published fact with id '{fact_id}'")
    return hit.iloc[0]


def citations(facts: pd.DataFrame) -> pd.DataFrame:
    """One row per publication: citation, PMID, DOI, seed file, number of facts and how many are verified."""
    return (facts.groupby(["study", "publication"], sort=False)
            .agg(citation=("citation", "first"), pmid=("pmid", "first"), doi=("doi", "first"),
                 seed=("seed", "first"), facts=("fact", "size"), verified=("verified", "sum"))
            .reset_index())


def study_table(facts: pd.DataFrame, study: str) -> pd.DataFrame:
    """The figures of one study as a readable table: publication, quantity, group, value, n, verified."""
    t = facts.loc[facts["study"] == study,
                  ["publication", "quantity", "group", "value", "unit", "n", "verified", "note"]].copy()
    t["verified"] = t["verified"].map({True: "yes", False: "UNVERIFIED"})
    t["note"] = t["note"].fillna("")
    t["value"] = t["value"].astype(str)
    return t.set_index(["publication", "quantity"])
