"""House style shared by every figure: colour-blind-safe palette, fonts, readable log ticks, deterministic
PNG/PDF/SVG output at journal widths.

The palette is Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PNG, PDF and SVG files are written without creation dates or software versions in their metadata, so a seeded
figure is byte-identical run to run in the pinned environment (checked by the determinism test).

Plot functions follow lifelines: ``ax=None`` (or ``axes=None`` for several panels) in, the Axes (or the array of
Axes) out; nothing global is changed (``use()`` is the notebooks' explicit choice; ``context()`` applies the
style to one block only).
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

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


#: Printed widths of journal figures, inches: single column ~85 mm, double column ~175 mm.
WIDTHS_IN = {"single": 3.35, "double": 6.89}


def use() -> None:
    """Apply the house style to matplotlib (idempotent; notebooks call it once after import)."""
    mpl.rcParams.update(RC)


@contextmanager
def context():
    """The house style for one block only (``with style.context(): ...``), leaving matplotlib as it was."""
    with mpl.rc_context(RC):
        yield


def figure_of(obj):
    """The Figure of a Figure, an Axes, or an array/list of Axes (what plot functions return)."""
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "figure") and not isinstance(obj, (list, tuple, np.ndarray)):
        return obj.figure
    return np.asarray(obj, dtype=object).ravel()[0].figure


def log_ticks(lo: float, hi: float, max_ticks: int = 7) -> list[float]:
    """Readable ticks for a log axis from ``lo`` to ``hi``: 1-9 within one decade, else 1-2-5, thinned to 1-3, then to powers of
    ten (every other one if needed) so that no more than ``max_ticks`` labels are drawn; never fewer than two.

    matplotlib's own log formatter labels minor ticks on short ranges ("3×10¹4×10¹" running together); these
    ticks are labelled plainly ("30", "40") with ``ax.set_xticks(ticks, [f"{t:g}" ...])``.
    """
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if not (lo > 0 and np.isfinite(hi)):
        raise ValueError("log ticks need a positive, finite range")
    decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
    one_decade = np.floor(np.log10(lo)) == np.floor(np.log10(hi * (1 - 1e-9)))
    # 1-9 only inside one decade: across a power of ten, 90 and 100 would run together
    for mantissas, stride in ((tuple(range(1, 10)) if one_decade else (1, 2, 5), 1), ((1, 2, 5), 1), ((1, 3), 1), ((1,), 1), ((1,), 2), ((1,), 3)):
        ticks = [m * 10.0 ** d for d in decades if d % stride == 0 for m in mantissas]
        ticks = [float(f"{t:.12g}") for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        # every integer mantissa only on a short range (<= 4 labels): more of them crowd at the end of a
        # decade on a log axis ("90" and "100" overlap on a narrow panel)
        if 2 <= len(ticks) <= (min(max_ticks, 4) if len(mantissas) == 9 else max_ticks):
            return ticks
    # a range under a factor of two: a few evenly spaced, rounded values
    return [float(f"{t:.2g}") for t in np.geomspace(lo, hi, 3)]


def set_log_ticks(ax, axis: str = "x", lo: float | None = None, hi: float | None = None,
                  max_ticks: int = 7) -> list[float]:
    """Put :func:`log_ticks` on a log-scaled axis (its current limits by default), minor labels off."""
    get_lim = ax.get_xlim if axis == "x" else ax.get_ylim
    a, b = get_lim()
    lo, hi = lo or a, hi or b
    ticks = log_ticks(lo, hi, max_ticks)
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(ticks, [f"{t:g}" for t in ticks])
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_minor_formatter(mpl.ticker.NullFormatter())
    (ax.set_xlim if axis == "x" else ax.set_ylim)(a, b)
    return ticks


def colours(groups) -> dict:
    """Stable group → colour mapping in the order the groups are given."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def synthetic_title(title: str, synthetic: bool) -> str:
    """Prefix a figure title with 'Synthetic data' when the data are synthetic (data-honesty rule)."""
    return f"Synthetic data: {title}" if synthetic else title


def no_data(title: str, note: str, synthetic: bool = False, ax=None):
    """A panel that says why nothing is drawn (no data, no patient in the group), instead of empty axes with a
    legend: the title, and the note in the middle; no axis, no tick.

    Returns
    -------
    Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.2))
    ax.set_axis_off()
    ax.set_title(synthetic_title(title, synthetic), loc="left")
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=10, color="0.35", wrap=True)
    return ax


def save(fig, path: str | Path, formats=("png", "pdf", "svg"), width: str | float | None = None,
         provenance=None, show: bool = False) -> list[Path]:
    """Save a figure as PNG (reports), PDF and SVG (journals) with metadata stripped of dates and versions.

    Parameters
    ----------
    fig : matplotlib Figure, Axes or array of Axes
        What a plot function returned.
    path : str or Path
        Output path without or with suffix; relative paths are taken from the repository root.
    formats : tuple of str
        File formats to write.
    width : {"single", "double"} or float, optional
        Print width (journal column, or inches): the figure is rescaled to it, keeping its proportions.
    provenance : myositis.provenance.Provenance or str, optional
        The run's provenance: its short line (kind of data, inputs' SHA-256 prefixes, patients) is printed in
        small grey type under the figure and written in the files' metadata (PNG/SVG Description, PDF Subject).
    show : bool
        In a notebook: display the PNG just written, at the size the notebook would draw the figure, and close
        the figure, instead of letting the notebook render it once more at the end of the cell (the same
        picture, drawn once less; at the PNG's resolution).

    Returns
    -------
    list of Path
        The files written.
    """
    fig = figure_of(fig)
    line = provenance.figure_line() if hasattr(provenance, "figure_line") else (str(provenance) if provenance else "")
    for text in [t for t in fig.texts if t.get_gid() == "provenance"]:
        text.remove()  # saved twice: one line only
    if line:  # under everything already drawn (axis labels, notes below the axes), flush with its left edge
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        w, h = fig.get_size_inches()
        fig.text(box.x0 / w, box.y0 / h - 0.02, line, ha="left", va="top", fontsize=6.5, color="0.45",
                 gid="provenance")
    if width is not None:
        inches = WIDTHS_IN[width] if isinstance(width, str) else float(width)
        w, h = fig.get_size_inches()
        fig.set_size_inches(inches, h * inches / w)
    base = paths.resolve(path)
    base = base.with_suffix("") if base.suffix in {".png", ".pdf", ".svg"} else base
    base.parent.mkdir(parents=True, exist_ok=True)
    box = tight_box(fig)
    written = []
    for fmt in formats:
        out = base.with_suffix(f".{fmt}")
        metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
                    "svg": {"Date": None, "Creator": None}}.get(fmt)
        if line and metadata is not None:
            metadata[{"pdf": "Subject"}.get(fmt, "Description")] = line
        with lean_font_subsets() if fmt == "pdf" else nullcontext():
            fig.savefig(out, format=fmt, metadata=metadata, bbox_inches=box)
        written.append(out)
    if show and "png" in formats:
        _show_png(fig, base.with_suffix(".png"))
    return written


def _savefig_dpi(fig) -> float:
    """The resolution ``savefig`` writes a PNG at (``savefig.dpi``, or the figure's own when set to "figure")."""
    dpi = mpl.rcParams["savefig.dpi"]
    return fig.dpi if dpi == "figure" else dpi


def _show_png(fig, png: Path) -> None:
    """Display a saved PNG in the notebook at the figure's on-screen size (``figure.dpi``), then close the figure
    so that the inline backend does not draw it again."""
    try:
        from IPython.display import Image, display
    except ImportError:  # not in IPython: nothing to show
        return
    data = png.read_bytes()
    pixels = int.from_bytes(data[16:20], "big")  # PNG IHDR width
    display(Image(data=data, format="png", width=round(pixels * fig.dpi / _savefig_dpi(fig))))
    plt.close(fig)


#: OpenType layout tables: a PDF viewer draws each glyph where the file places it and never reads them.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "JSTF", "BASE")


@contextmanager
def lean_font_subsets():
    """Embed fonts in a PDF without their OpenType layout tables (``LAYOUT_TABLES``), for one save.

    With ``pdf.fonttype`` 42 matplotlib embeds a subset of each TrueType font, made by fontTools' subsetter,
    which decompiles and prunes the font's substitution and positioning tables (GSUB, GPOS: most of DejaVu
    Sans) for every PDF: about two thirds of the time to write a figure's PDF. Matplotlib has already placed
    every glyph (kerning included) and a PDF viewer only reads the outlines and metrics, so the page renders the
    same (pixel-identical with poppler's ``pdftoppm``) and the file is a few per cent smaller. The subsetter's
    options class is swapped for the ``with`` block only and restored after it.
    """
    try:
        from fontTools import subset
    except ImportError:  # matplotlib needs fontTools for Type 42 fonts; nothing to change without it
        yield
        return
    base = subset.Options

    class Lean(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.drop_tables = [*self.drop_tables, *LAYOUT_TABLES]

    subset.Options = Lean
    try:
        yield
    finally:
        subset.Options = base


def tight_box(fig):
    """The padded tight bounding box (inches) that ``savefig(bbox_inches="tight")`` computes for a PNG.

    ``bbox_inches="tight"`` lays the figure out once more for every file written (a draw without rendering,
    about half the cost of saving a PDF); computed once here and passed to each format, the PNG is byte-identical
    to a "tight" PNG, and the PDF and SVG pages differ from their own "tight" boxes by the renderers' text
    metrics (well under a point).
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()  # fig.tight_layout() leaves a placeholder whose execute does nothing
    if (engine is not None and not isinstance(engine, PlaceHolderLayoutEngine)) or not hasattr(fig.canvas,
                                                                                              "get_renderer"):
        return "tight"  # a layout engine re-runs at each save; a canvas other than Agg: leave it to savefig
    old = fig.dpi
    try:
        fig.dpi = _savefig_dpi(fig)  # as print_figure does before it asks the Agg canvas for its renderer
        renderer = fig.canvas.get_renderer()
        with renderer._draw_disabled():
            fig.draw(renderer)
        box = fig.get_tightbbox(renderer)
    finally:
        fig.dpi = old
    pad = mpl.rcParams["savefig.pad_inches"]
    pad = 0.1 if pad in (None, "layout") else pad
    return box.padded(pad)


def close(fig) -> None:
    plt.close(fig)
