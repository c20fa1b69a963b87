"""myositis.figures.km: the survminer-style KM figure draws what survival computes and saves PNG + PDF."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import survival_data  # noqa: E402
from myositis import survival  # noqa: E402
from myositis.figures import km, style  # noqa: E402


def test_plot_km_risk_table_matches_at_risk_counts(tmp_path):
    d = survival_data.load("waltons")
    style.use()
    ax = survival.plot_km(d, break_time=10, landmarks=[30, 60], title="Waltons")
    fig = ax.figure
    table_ax = [a for a in fig.axes if a is not ax][0]
    ticks = np.arange(0, 75 + 1e-9, 10)
    for row, group in enumerate(pd.unique(d["group"])):
        shown = [int(t.get_text()) for t in table_ax.texts if t.get_position()[1] == row]
        times = d.loc[d["group"] == group, "time"].to_numpy()
        assert shown == [int((times >= x).sum()) for x in ticks]  # counted here, not by survival.at_risk_table
    # the numbers sit under the x ticks of the survival axes
    assert sorted({t.get_position()[0] for t in table_ax.texts}) == list(ax.get_xticks())
    # survminer's label ("p < 0.0001" here), at (max time / 50, 0.2)
    label = next(t for t in ax.texts if t.get_text().startswith("p "))
    assert label.get_position() == pytest.approx((d["time"].max() / 50, 0.2))
    written = style.save(fig, tmp_path / "km")
    assert [p.suffix for p in written] == [".png", ".pdf", ".svg"] and all(p.stat().st_size > 0 for p in written)
    style.close(fig)


def test_plot_km_single_curve_and_given_axes():
    import matplotlib.pyplot as plt

    d = survival_data.load("lung")
    fig, ax = plt.subplots()
    out = survival.plot_km(d, group=None, ax=ax, risk_table=False)
    assert out is ax
    assert not any(t.get_text().startswith("p ") for t in ax.texts)
    plt.close(fig)


def test_format_p():
    assert km.format_p(0.00001) == "p < 0.0001"
    assert km.format_p(0.0312) == "p = 0.031"
    assert km.format_p(0.001311) == "p = 0.0013" and km.format_p(0.05) == "p = 0.05"  # R: signif(p, 2)


def test_single_cohort_without_group_draws_its_curve_and_no_legend():
    """group=None once drew nothing (a comparison with None is always False)."""
    import matplotlib.pyplot as plt

    d = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0, 5.0], "event": [1, 0, 1, 1, 0]})
    ax = km.plot_km(d, group=None, break_time=1, xmax=5, title="one cohort")
    step = ax.lines[0]
    assert list(step.get_ydata()) == pytest.approx([1.0, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3 * 0.5, 0.8 * 2 / 3 * 0.5])
    assert ax.get_legend() is None
    plt.close(ax.figure)



def test_survminer_elements_median_lines_legend_percent_tables():
    """ggsurvplot(fit, conf.int = TRUE, pval = TRUE, risk.table = TRUE, surv.median.line = "hv",
    cumevents = TRUE, cumcensor = TRUE, surv.scale = "percent", legend.labs = ...): the same elements here."""
    import matplotlib.pyplot as plt

    from myositis import tables

    d = survival_data.load("lung")
    ax = km.plot_km(d, labels={"male": "Men", "female": "Women"}, percent=True, cumulative_events=True,
                    cumulative_censored=True, break_time=250)
    med = tables.median_ci(d, group="group")  # log scale, as R survfit (tested against R in test_tables_r)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for g, lab in (("male", "Men"), ("female", "Women")):
        m = med[med["group"] == g].iloc[0]
        expected = (f"{lab}, median {tables.format.style_sigfig(m['median'])} "
                    f"({tables.format.style_sigfig(m['lower'])}\u2013{tables.format.style_sigfig(m['upper'])})")
        assert expected in legend
        # a dashed vertical line at the median, from 0 to 0.5
        assert any(list(line.get_xdata()) == [m["median"]] * 2 and list(line.get_ydata()) == [0, 0.5]
                   for line in ax.lines)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0%", "25%", "50%", "75%", "100%"]
    titles = [a.get_title(loc="left") for a in ax.figure.axes if a is not ax]
    assert titles == ["Number at risk", "Cumulative number of events", "Cumulative number censored"]
    assert ax.figure.axes[-1].get_xlabel() == "Time (months)"
    assert "log scale, R survfit's default" in km.caption()
    assert "log-log" in km.caption("log-log")
    plt.close(ax.figure)


def test_default_band_is_R_log_scale():
    """The band drawn is R survfit's default conf.type = "log" (one parameter away from log-log)."""
    import matplotlib.pyplot as plt

    d = survival_data.load("lung")
    ax = km.plot_km(d, group=None, risk_table=False)
    band = ax.collections[0].get_paths()[0].vertices
    fit = survival.kaplan_meier(d, conf_type="log")
    assert np.isclose(band[:, 1].min(), fit["lower"].dropna().min(), atol=1e-9)
    plt.close(ax.figure)


def test_save_computes_the_tight_box_once_and_the_png_is_the_tight_one(tmp_path):
    """style.save passes one box to every format: the PNG must be byte-identical to savefig(bbox_inches="tight")
    (a box measured at the wrong dpi or without the padding changes the image's size), the PDF page within a
    point of its own tight page, and the drawing is laid out once for the box instead of once per format."""
    import io
    import re

    import matplotlib.pyplot as plt
    from unittest import mock

    rng = np.random.default_rng(7)
    d = pd.DataFrame({"time": rng.exponential(12, 60).round(1), "event": rng.integers(0, 2, 60),
                      "group": np.repeat(["A", "B"], 30)})
    ax = km.plot_km(d, group="group", title="Tight box", risk_table=True)
    fig = ax.figure
    fig.text(0.02, -0.08, "a note under the axes, outside the figure's own box")
    expected = {}
    for fmt in ("png", "pdf"):
        buf = io.BytesIO()
        meta = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None, "Creator": None}}[fmt]
        fig.savefig(buf, format=fmt, metadata=meta, bbox_inches="tight")
        expected[fmt] = buf.getvalue()
    with mock.patch.object(type(fig), "get_tightbbox", autospec=True, side_effect=type(fig).get_tightbbox) as spy:
        png, pdf = style.save(fig, tmp_path / "km", formats=("png", "pdf"))
    plt.close(fig)
    assert spy.call_count == 1
    assert png.read_bytes() == expected["png"]

    def page(data: bytes) -> list[float]:
        return [float(x) for x in re.search(rb"MediaBox \[([^\]]*)\]", data).group(1).split()]

    assert np.allclose(page(pdf.read_bytes()), page(expected["pdf"]), atol=1.0)


def test_pdf_fonts_embedded_without_layout_tables_render_the_same(tmp_path):
    """style.save embeds each font subset without GSUB/GPOS/GDEF (lean_font_subsets): the subset keeps the
    same glyph outlines, the layout tables are gone, the subsetter's options are restored after the block, and
    the page (rendered by poppler) is pixel-identical to the PDF matplotlib writes on its own."""
    import subprocess

    import matplotlib.pyplot as plt
    from fontTools import subset
    from matplotlib import font_manager
    from matplotlib.backends import _backend_pdf_ps

    from conftest import require_tool

    font_path = font_manager.findfont("DejaVu Sans")
    glyphs = set(range(36, 80))
    with _backend_pdf_ps.get_glyphs_subset(font_manager.FontPath(font_path, 0), glyphs) as full:
        with style.lean_font_subsets():
            with _backend_pdf_ps.get_glyphs_subset(font_manager.FontPath(font_path, 0), glyphs) as lean:
                assert "GPOS" in full.font and "GSUB" in full.font
                assert not any(t in lean.font for t in ("GSUB", "GPOS", "GDEF"))
                # every glyph asked for is kept, with its outline; only glyphs reachable through the layout
                # tables (ligatures, alternates: never placed by matplotlib) are left out
                assert glyphs <= set(lean.glyph_index_map) <= set(full.glyph_index_map)
                kept = lean.font.getGlyphOrder()
                assert set(kept) <= set(full.font.getGlyphOrder()) and len(kept) >= len(glyphs)
                for name in kept:
                    assert lean.font["glyf"][name] == full.font["glyf"][name]
    assert subset.Options is not None and "Lean" not in subset.Options.__name__

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"time": rng.exponential(10, 40).round(1), "event": rng.integers(0, 2, 40),
                      "group": np.repeat(["Tacrolimus", "Control"], 20)})
    with style.context():  # the house style embeds TrueType (Type 42) fonts, whose subsets are made by fontTools
        ax = km.plot_km(d, group="group", title="Kerning: AV To Wa", risk_table=True)
        fig = ax.figure
        (lean_pdf,) = style.save(fig, tmp_path / "lean", formats=("pdf",))
        fig.savefig(tmp_path / "plain.pdf", bbox_inches=style.tight_box(fig),
                    metadata={"CreationDate": None, "Producer": None, "Creator": None})
        plt.close(fig)
    assert lean_pdf.stat().st_size < (tmp_path / "plain.pdf").stat().st_size
    pdftoppm = require_tool("pdftoppm", "MYOSITIS_REQUIRE_OFFICE")
    for name in ("lean", "plain"):
        subprocess.run([pdftoppm, "-png", "-r", "100", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True, capture_output=True)
    assert (tmp_path / "lean-1.png").read_bytes() == (tmp_path / "plain-1.png").read_bytes()


def test_save_show_displays_the_written_png_once_at_screen_size(tmp_path, monkeypatch):
    """show=True displays the PNG just written (its bytes, at figure.dpi / savefig.dpi of its pixel width) and
    closes the figure, so that the notebook does not render it a second time."""
    import IPython.display
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    with style.context():
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot([0, 1], [1, 0])
        png = style.save(fig, tmp_path / "line", formats=("png",), show=True)[0]
    assert len(shown) == 1 and shown[0].data == png.read_bytes()
    pixels = int.from_bytes(png.read_bytes()[16:20], "big")
    assert shown[0].width == round(pixels * 100 / 150)
    assert not plt.fignum_exists(fig.number)
    fig2, _ = plt.subplots()
    style.save(fig2, tmp_path / "kept", formats=("png",))
    assert len(shown) == 1 and plt.fignum_exists(fig2.number)
    plt.close(fig2)


def test_tight_box_after_tight_layout_is_the_tight_png():
    """fig.tight_layout() leaves a placeholder layout engine (it lays nothing out at save): the box is still
    computed once, and the PNG is byte-identical to savefig(bbox_inches="tight")'s; a constrained layout,
    which does lay the figure out at each save, is left to savefig."""
    import io

    import matplotlib.pyplot as plt

    with style.context():
        fig, axes = plt.subplots(1, 2, figsize=(6, 3))
        for ax in axes:
            ax.plot([0, 1], [1, 0], label="a line")
            ax.set_xlabel("months")
        fig.tight_layout()
        box = style.tight_box(fig)
        assert box != "tight"
        a, b = io.BytesIO(), io.BytesIO()
        fig.savefig(a, format="png", bbox_inches="tight")
        fig.savefig(b, format="png", bbox_inches=box)
        assert a.getvalue() == b.getvalue()
        plt.close(fig)
        fig = plt.figure(layout="constrained")
        assert style.tight_box(fig) == "tight"
        plt.close(fig)
