"""What a notebook prints about itself at the end: package versions (Rule et al. 2019, rule 'record
dependencies'). Kept out of nbval comparison with ``# NBVAL_IGNORE_OUTPUT``: versions change by design."""

from __future__ import annotations

import platform
from importlib import metadata

import pandas as pd

PACKAGES = ("myositis", "numpy", "pandas", "scipy", "statsmodels", "lifelines", "scikit-survival", "tableone",
            "pingouin", "pandera", "matplotlib", "seaborn", "papermill", "nbval", "jupytext")


def versions(packages=PACKAGES) -> pd.DataFrame:
    """Python and package versions as a table (one row per package; 'not installed' when absent)."""
    rows = [("python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"]).set_index("package")
