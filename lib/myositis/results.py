"""Key results of a run, recorded by the notebook so that the batch can gather them (sweep tables).

A notebook calls ``results.record("hr_median", hr, output_dir)`` for each figure a sweep should compare; the
value is written to ``<output_dir>/results.json`` (one small JSON object, sorted keys, no dates), the runner
reads it after the run and puts the results of every point of a sweep in one table. This is the idea of
scrapbook's ``glue`` (nteract, last released 2021) without its notebook-metadata storage: the record is a plain
file any tool can read. Nothing is printed, so recording a result never changes a notebook's outputs.
"""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path

from . import paths
from .exceptions import MyositisError

FILE = "results.json"


def _plain(name: str, value):
    """A JSON value for ``value`` (numpy scalars and booleans included); an error naming the result otherwise."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy scalar or 0-d array
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    raise MyositisError(f"result '{name}': {type(value).__name__} is not a number, text or boolean; "
                        "record one value per name")


def record(name: str, value, output_dir) -> object:
    """Record one key result of this run in ``<output_dir>/results.json`` and return the value unchanged.

    Parameters
    ----------
    name : str
        Result name, as it will head its column in a sweep table (e.g. ``"share_significant"``).
    value : number, str, bool or None
        One value (numpy scalars accepted; NaN and infinities are written as null).
    output_dir : str or Path
        The run's output folder (the notebook's ``output_dir`` parameter; relative to the repository root).

    Returns
    -------
    The value, so that ``x = results.record("x", compute(), output_dir)`` reads naturally.

    References
    ----------
    The scrapbook project (nteract), ``sb.glue(name, value)``: https://github.com/nteract/scrapbook
    """
    if not isinstance(name, str) or not name:
        raise MyositisError("a result needs a non-empty name")
    plain = _plain(name, value)
    folder = paths.output_dir(output_dir)
    path = folder / FILE
    current = load(folder)
    current[name] = plain
    path.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return value


def load(output_dir) -> dict:
    """The results recorded in ``output_dir`` (empty when none were)."""
    path = Path(paths.resolve(output_dir)) / FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise MyositisError(f"{paths.relative(path)}: not valid JSON ({exc})") from None
