"""The raw-data manifest: ``data/raw/manifest.csv`` lists every input file with its SHA-256.

Raw files are never modified by code; the runner checks them against the manifest before a batch, so a changed
or unlisted input stops the batch with a message naming the file instead of silently changing a result.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from . import paths
from .exceptions import ManifestError

COLUMNS = ["file", "sha256", "source"]
SKIP = {"manifest.csv", "README.md", ".gitkeep"}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def raw_files(raw: Path = paths.RAW) -> list[Path]:
    """Files under data/raw that the manifest must list."""
    return sorted(p for p in raw.rglob("*") if p.is_file() and p.name not in SKIP
                  and not any(part.startswith(".") for part in p.relative_to(raw).parts))


def read(path: Path = paths.MANIFEST) -> dict[str, dict]:
    """Manifest rows keyed by file path relative to data/raw."""
    if not path.exists():
        raise ManifestError(f"{paths.relative(path)} not found: run `python -m myositis manifest --update`")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and list(rows[0]) != COLUMNS:
        raise ManifestError(f"{paths.relative(path)}: columns must be {COLUMNS}")
    return {r["file"]: r for r in rows}


def problems(raw: Path = paths.RAW, path: Path = paths.MANIFEST) -> list[str]:
    """Every difference between data/raw and the manifest, one sentence each (empty when they agree)."""
    listed = read(path)
    found = {p.relative_to(raw).as_posix(): p for p in raw_files(raw)}
    out = [f"data/raw/{f}: not listed in the manifest" for f in sorted(set(found) - set(listed))]
    out += [f"data/raw/{f}: listed in the manifest but missing" for f in sorted(set(listed) - set(found))]
    for f in sorted(set(found) & set(listed)):
        digest = sha256(found[f])
        if digest != listed[f]["sha256"]:
            out.append(f"data/raw/{f}: SHA-256 {digest[:12]}... differs from the manifest's "
                       f"{listed[f]['sha256'][:12]}... (raw files must not change)")
    return out


def check(raw: Path = paths.RAW, path: Path = paths.MANIFEST) -> None:
    """Raise ManifestError listing every problem, or return quietly."""
    found = problems(raw, path)
    if found:
        raise ManifestError("raw data do not match data/raw/manifest.csv:\n  " + "\n  ".join(found)
                            + "\nIf a raw file was added or replaced on purpose, run "
                              "`python -m myositis manifest --update` and commit the manifest.")


def update(raw: Path = paths.RAW, path: Path = paths.MANIFEST) -> Path:
    """Rewrite the manifest from the files present, keeping each file's recorded source."""
    old = read(path) if path.exists() else {}
    rows = []
    for p in raw_files(raw):
        f = p.relative_to(raw).as_posix()
        rows.append({"file": f, "sha256": sha256(p), "source": old.get(f, {}).get("source", "")})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path
