"""Published facts: figures from the papers behind the project, each with its citation and seed file.

The facts live in ``data/raw/published/<study>.yaml``, one file per study question, never in a notebook.
Each fact names its ``source``, where it was read, and ``verified`` says whether that was the publication
itself. A source starts with one of ``SOURCE_KINDS``:

- ``abstract`` / ``full text``: read in the publication itself (its abstract, title included, or its full
  text). Only these allow ``verified: true``.
- ``seed``: read only in a seed document of ``../shared/seeds/`` (French summaries), named by file.
- ``secondary``: read only in a secondary source (a news summary, a table reproducing the figure), named.

A fact with ``verified: false`` must name a seed or secondary source, so that a figure cannot be quoted as the
paper's without saying where it really comes from (data/raw/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from . import paths
from .exceptions import FactNotFoundError, InputFileError

FACT_COLUMNS = ["study", "publication", "fact", "quantity", "group", "value", "unit", "n", "compared_with",
                "verified", "source", "note", "citation", "pmid", "doi", "seed"]
#: How a ``source`` starts: the publication itself (first two) or somewhere else (last two).
SOURCE_KINDS = ("abstract", "full text", "seed", "secondary")
PUBLICATION_SOURCES = ("abstract", "full text")
STUDIES = ("mi2", "tacrolimus", "sam", "scores")


def _read_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 8x faster
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
            for key in ("id", "quantity", "value", "unit", "verified", "source"):
                if key not in fact:
                    raise InputFileError(
                        f"{paths.relative(path)}: publication {pub['id']}, fact {j}: missing key '{key}'")
            _check_source(fact, f"{paths.relative(path)}: publication {pub['id']}, fact '{fact['id']}'")
    doc["_path"] = path
    return doc


def source_kind(source) -> str | None:
    """Which of ``SOURCE_KINDS`` a ``source`` text starts with (None when it starts with none of them)."""
    text = str(source or "").strip().lower()
    return next((k for k in SOURCE_KINDS if text.startswith(k)), None)


def _check_source(fact: dict, where: str) -> None:
    """The provenance rule: ``verified`` is a boolean, and true only for a source in the publication itself."""
    verified, source = fact["verified"], fact["source"]
    if not isinstance(verified, bool):
        raise InputFileError(f"{where}: 'verified' must be true or false, not {verified!r}")
    kind = source_kind(source)
    if kind is None or len(str(source).strip()) <= len(kind):
        raise InputFileError(f"{where}: 'source' must start with one of {', '.join(SOURCE_KINDS)} and name where "
                             f"the figure was read, not {source!r}")
    if verified and kind not in PUBLICATION_SOURCES:
        raise InputFileError(f"{where}: 'verified: true' needs a source in the publication itself "
                             f"(abstract or full text), not {source!r}")
    if not verified and kind in PUBLICATION_SOURCES:
        raise InputFileError(f"{where}: read in the publication ({source!r}) but marked 'verified: false'")


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
                    "unit": fact["unit"], "n": fact.get("n"),
                    "compared_with": ", ".join(fact["compared_with"]) if fact.get("compared_with") else None,
                    "verified": fact["verified"], "source": fact["source"],
                    "note": fact.get("note"), "citation": pub["citation"], "pmid": pub.get("pmid"),
                    "doi": pub.get("doi"), "seed": pub.get("seed"),
                })
    df = pd.DataFrame(rows, columns=FACT_COLUMNS)
    df["n"] = df["n"].astype("Int64")
    return df


def fact(facts: pd.DataFrame, fact_id: str):
    """The published value of one fact, by id (raises ``FactNotFoundError``, a KeyError, naming the id when absent)."""
    hit = facts.loc[facts["fact"] == fact_id, "value"]
    if hit.empty:
        raise FactNotFoundError(f"no published fact with id '{fact_id}'")
    return hit.iloc[0]


#: Printed headers of :func:`citations` (``myositis.tables.from_frame(citations(facts), labels=CITATION_LABELS)``).
CITATION_LABELS = {"study": "Study file", "publication": "Publication", "citation": "Citation", "pmid": "PMID",
                   "doi": "DOI", "seed": "Seed document", "facts": "Figures", "verified": "Verified"}


def citations(facts: pd.DataFrame, used=None) -> pd.DataFrame:
    """One row per publication: citation, PMID, DOI, seed file, number of facts and how many are verified.

    ``used`` (fact ids), when given, keeps only the publications one of whose facts an analysis used (a facts
    file read for nothing is not cited)."""
    out = (facts.groupby(["study", "publication"], sort=False)
           .agg(citation=("citation", "first"), pmid=("pmid", "first"), doi=("doi", "first"),
                seed=("seed", "first"), facts=("fact", "size"), verified=("verified", "sum"))
           .reset_index())
    if used is not None:
        cited = set(facts.loc[facts["fact"].isin(set(used)), "publication"])
        out = out[out["publication"].isin(cited)].reset_index(drop=True)
    return out


def study_table(facts: pd.DataFrame, study: str) -> pd.DataFrame:
    """The figures of one study as a readable table: publication, quantity, group, value, n, verified, source.

    ``verified`` reads *yes* when the figure was read in the publication itself and *UNVERIFIED* otherwise;
    ``source`` says where it was read either way. A direction (unit *direction*) names the groups it is
    compared with in ``group``: "Mi2+ DM vs ASyS".
    """
    t = facts.loc[facts["study"] == study,
                  ["publication", "quantity", "group", "compared_with", "value", "unit", "n", "verified", "source",
                   "note"]].copy()
    vs = t["compared_with"].notna()
    t.loc[vs, "group"] = t.loc[vs, "group"] + " vs " + t.loc[vs, "compared_with"]
    t = t.drop(columns="compared_with")
    t["verified"] = t["verified"].map({True: "yes", False: "UNVERIFIED"})
    t["note"] = t["note"].fillna("")
    t["value"] = t["value"].astype(str)
    return t.set_index(["publication", "quantity"])
