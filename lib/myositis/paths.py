"""Every folder of the project, found from this file's location (never from the working directory).

Notebooks, the batch runner, nbval and JupyterLab run in different working directories; resolving every
path here makes a notebook behave the same in all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params"
DATA = ROOT / "data"
RAW = DATA / "raw"
PUBLISHED = RAW / "published"
#: Derived data; relocatable (a secure share, or a test comparing two runs) with MYOSITIS_PROCESSED_DIR.
PROCESSED = Path(os.environ.get("MYOSITIS_PROCESSED_DIR", DATA / "processed"))
#: Git-ignored folder for real (identifiable) exports; never committed. Overridable for a secure share.
PRIVATE = Path(os.environ.get("MYOSITIS_PRIVATE_DIR", DATA / "private"))
REPORTS = ROOT / "reports"
MANIFEST = RAW / "manifest.csv"


def resolve(path: str | os.PathLike) -> Path:
    """Resolve a user path: absolute paths are kept, relative ones are taken from the repository root.

    Parameters
    ----------
    path : str or PathLike
        A path as written in a params file or a notebook parameter, e.g. ``"data/raw/published/mi2.yaml"``.

    Returns
    -------
    Path
        An absolute path. Existence is not checked: readers raise their own error naming the file.
        ``data/processed/...`` follows ``MYOSITIS_PROCESSED_DIR`` when it is set.
    """
    p = Path(os.path.expanduser(str(path)))
    if p.is_absolute():
        return p
    if p.parts[:2] == ("data", "processed"):
        return PROCESSED.joinpath(*p.parts[2:])
    return ROOT / p


def relative(path: str | os.PathLike) -> str:
    """Show a path relative to the repository root when it lies inside it (no absolute paths in outputs)."""
    p = Path(path).resolve()
    for base, shown in ((PROCESSED.resolve(), "data/processed"), (ROOT, "")):
        try:
            rel = p.relative_to(base).as_posix()
        except ValueError:
            continue
        return f"{shown}/{rel}" if shown else rel
    return p.name


def output_dir(path: str | os.PathLike) -> Path:
    """Resolve and create a run's output folder."""
    p = resolve(path)
    p.mkdir(parents=True, exist_ok=True)
    return p
