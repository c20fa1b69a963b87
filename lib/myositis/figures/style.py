"""House style shared by every figure: colour-blind-safe palette, fonts, deterministic PNG/PDF output.

The palette is Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PNG and PDF files are written without creation dates or software versions in their metadata, so a seeded
figure is byte-identical run to run in the pinned environment (checked by the determinism test).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from .. import paths

#: Okabe-Ito colour-blind-safe palette (black last, for reference lines).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.hashsalt": "myositis",
    "pdf.fonttype": 42,
}


def use() -> None:
    """Apply the house style to matplotlib (idempotent; notebooks call it once after import)."""
    mpl.rcParams.update(RC)


def colours(groups) -> dict:
    """Stable group → colour mapping in the order the groups are given."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def synthetic_title(title: str, synthetic: bool) -> str:
    """Prefix a figure title with 'Synthetic data' when the data are synthetic (data-honesty rule)."""
    return f"Synthetic data: {title}" if synthetic else title


def save(fig, path: str | Path, formats=("png", "pdf")) -> list[Path]:
    """Save a figure as PNG and PDF with metadata stripped of dates and versions.

    Parameters
    ----------
    fig : matplotlib Figure
    path : str or Path
        Output path without or with suffix; relative paths are taken from the repository root.
    formats : tuple of str
        File formats to write.

    Returns
    -------
    list of Path
        The files written.
    """
    base = paths.resolve(path)
    base = base.with_suffix("") if base.suffix in {".png", ".pdf", ".svg"} else base
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = base.with_suffix(f".{fmt}")
        metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
                    "svg": {"Date": None, "Creator": None}}.get(fmt)
        fig.savefig(out, format=fmt, metadata=metadata, bbox_inches="tight")
        written.append(out)
    return written


def close(fig) -> None:
    plt.close(fig)
