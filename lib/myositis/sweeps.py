"""Parameter sweeps: one params file, many runs, one table and one figure of their key results.

A params file may add a ``sweep`` to its fixed ``parameters``::

    sweep:
      grid:                      # every combination (a full factorial design) ...
        lost_to_follow_up: [0, 1, 2, 3]
        rounding: [round, truncate]
      points:                    # ... and/or a list of points (crossed with the grid when both are given)
        - {draws: 200}
        - {draws: 2000}
      results: [share_significant, hr_median]   # optional: the recorded results to tabulate (default: all)

The runner expands it into named runs (``tacrolimus_survival__lost_to_follow_up=3__rounding=truncate``), each
an ordinary run (skipped when unchanged), and gathers the results each run recorded with
:func:`myositis.results.record` into ``<reports>/<output>/sweep.csv`` (one row per point: the swept parameters,
the run's status, its results), a figure of each result against the swept parameters (``sweep.png``/``.pdf``)
and a page ``<reports>/<output>.html`` linked from the index.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from html import escape
from pathlib import Path

from . import paths, results
from .exceptions import ParamsError

SPEC_KEYS = {"grid", "points", "results"}


def check_spec(spec, declared, name: str) -> dict:
    """Check a params file's ``sweep`` and return it normalised (``grid``, ``points``, ``results``).

    Raises ``ParamsError`` naming the file for an unknown key, a parameter the notebook does not declare, an
    empty list of values, or a point that is not a mapping.
    """
    if not isinstance(spec, dict) or not spec:
        raise ParamsError(f"{name}: 'sweep' must be a mapping with 'grid' and/or 'points'")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise ParamsError(f"{name}: sweep has unknown key(s) {sorted(unknown)}; allowed: {sorted(SPEC_KEYS)}")
    grid = spec.get("grid") or {}
    points = spec.get("points") or []
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise ParamsError(f"{name}: sweep grid must map each parameter to a non-empty list of values")
    if not isinstance(points, list) or not all(isinstance(p, dict) and p for p in points):
        raise ParamsError(f"{name}: sweep points must be a list of mappings parameter: value")
    if not grid and not points:
        raise ParamsError(f"{name}: the sweep gives neither a grid nor points")
    swept = set(grid) | {k for p in points for k in p}
    wrong = sorted(swept - set(declared))
    if wrong:
        raise ParamsError(f"{name}: sweep {wrong} not parameter(s) of the notebook; it declares {sorted(declared)}")
    if set(grid) & {k for p in points for k in p}:
        raise ParamsError(f"{name}: a parameter is both in the sweep grid and in its points")
    wanted = spec.get("results")
    if wanted is not None and not (isinstance(wanted, list) and all(isinstance(w, str) for w in wanted)):
        raise ParamsError(f"{name}: sweep results must be a list of result names")
    return {"grid": grid, "points": points, "results": wanted}


def label(value) -> str:
    """A parameter value as it appears in a run name: a file by its stem, a number as written, no spaces."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None or (isinstance(value, float) and value != value):  # None, or NaN from a table
        text = "none"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, str) and ("/" in value or "\\" in value):  # a path: the file's stem, a folder's name
        text = Path(value).stem if Path(value).suffix else Path(value).name
    elif isinstance(value, (list, tuple)):
        text = "-".join(label(v) for v in value)
    elif isinstance(value, dict):
        text = "-".join(f"{label(k)}-{label(v)}" for k, v in value.items())
    else:
        text = str(value)
    text = re.sub(r"_{2,}", "_", re.sub(r"[^A-Za-z0-9._+\-]+", "-", text))  # '__' separates the points
    return text.strip("-_") or "empty"


def points(spec: dict) -> list[dict]:
    """Every point of a sweep: the grid's combinations (in the order given), crossed with the listed points."""
    grid = spec.get("grid") or {}
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]
    listed = spec.get("points") or [{}]
    return [{**c, **p} for c in combos for p in listed]


def expand(run) -> list:
    """The runs of a sweep: the fixed parameters plus each point, named ``<output>__<param>=<value>...``."""
    # Each point is a run named after it: unless the params file or the point sets processed_dir, the runner
    # gives it its own data/processed/<point name> (runner.effective_parameters), as it does every run.
    out = []
    for point in points(run.spec):
        name = run.output + "".join(f"__{k}={label(v)}" for k, v in point.items())
        parameters = {**run.parameters, **point}
        out.append(replace(run, output=name, parameters=parameters, sweep=run.output, point=point))
    names = [r.output for r in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParamsError(f"{paths.relative(run.params_file)}: sweep points give the same run name {dup}; "
                          "make the values differ in their labels")
    return out


def table(sweep_runs: list, sweep_results: list, wanted=None):
    """One row per point: run name, status, each swept parameter, and the results the run recorded."""
    import pandas as pd

    rows = []
    for run, res in zip(sweep_runs, sweep_results):
        row = {"run": run.output, "status": res.status}
        row.update({k: (label(v) if isinstance(v, (list, dict)) else v) for k, v in run.point.items()})
        recorded = results.load(Path(run.reports) / run.output) if res.status != "failed" else {}
        row.update({k: v for k, v in recorded.items() if wanted is None or k in wanted})
        rows.append(row)
    df = pd.DataFrame(rows)
    for w in wanted or []:
        if w not in df.columns:
            df[w] = None
    return df


def _order(text: str):
    """Sort key of value labels: words ('none') first, then numbers by value, then other text."""
    try:
        return (1, float(text), "")
    except ValueError:
        return (0 if text in {"none", "true", "false"} else 2, 0.0, text)


MAX_LABEL = 14  # characters of an x tick label before the points are numbered (key on the sweep page)


def short_labels(values) -> dict:
    """Short x-axis labels of a swept parameter's values (as :func:`label` writes them), full -> short.

    A label of at most ``MAX_LABEL`` characters stays as it is. Longer ones (file stems such as
    ``sam_synthetic_NCY_2021-04-02_redcap_labels``) become their distinguishing part: the first ``_``/``-``
    separated word that differs between every value (``NCY``), else what remains without the words they all
    start and end with; when that is still long, the points are numbered ``1``, ``2``, ... in the order given
    (the sweep page prints the key).
    """
    full = list(dict.fromkeys(values))
    if all(len(v) <= MAX_LABEL for v in full) or len(full) < 2:
        return {v: v for v in full}
    words = [re.split(r"[_\-]", v) for v in full]
    for i in range(max(len(w) for w in words)):
        cut = [w[i] if i < len(w) else "" for w in words]
        if all(cut) and len(set(cut)) == len(full) and all(len(c) <= MAX_LABEL for c in cut):
            return dict(zip(full, cut))
    first = 0
    while all(len(w) > first + 1 for w in words) and len({w[first] for w in words}) == 1:
        first += 1
    last = 0
    while all(len(w) > first + last + 1 for w in words) and len({w[-1 - last] for w in words}) == 1:
        last += 1
    rest = ["_".join(w[first:len(w) - last]) for w in words]
    if len(set(rest)) == len(full) and all(len(r) <= MAX_LABEL for r in rest):
        return dict(zip(full, rest))
    return {v: str(i + 1) for i, v in enumerate(full)}


#: Suffixes of a result's interval bounds (low, high), recorded beside the estimate: "survival_6m" with
#: "survival_6m_low" / "survival_6m_high", "mortality_percent" with "mortality_ci_low" / "mortality_ci_high",
#: "hr_median" with "hr_q2_5" / "hr_q97_5".
INTERVAL_SUFFIXES = (("_ci_low", "_ci_high"), ("_low", "_high"), ("_lower", "_upper"), ("_q2_5", "_q97_5"))


def intervals(names: list[str]) -> dict[str, tuple[str, str]]:
    """The results that carry an interval: estimate -> (low bound, high bound), read from the names.

    A pair ``<stem><low suffix>`` / ``<stem><high suffix>`` (:data:`INTERVAL_SUFFIXES`) belongs to ``<stem>`` when
    that result exists, else to the only other result whose name starts with ``<stem>_``; a pair with no such
    estimate is left as it is (drawn as two results).
    """
    names = list(names)
    out: dict[str, tuple[str, str]] = {}
    for low in names:
        for lo_suffix, hi_suffix in INTERVAL_SUFFIXES:
            if not low.endswith(lo_suffix):
                continue
            stem = low[: -len(lo_suffix)]
            high = stem + hi_suffix
            if high not in names:
                continue
            bounds = {n for n in names for a, b in INTERVAL_SUFFIXES if n.endswith(a) or n.endswith(b)}
            candidates = [stem] if stem in names else [n for n in names if n.startswith(stem + "_") and n not in bounds]
            if len(candidates) == 1 and candidates[0] not in out:
                out[candidates[0]] = (low, high)
            break
    return out


def _columns(n: int) -> int:
    """Panels per row: 1-3 results on one row, then rows of 3 (5, 6, 9) or 4."""
    return n if n <= 3 else 2 if n == 4 else 3 if n in (5, 6, 9) else 4


def _clashes(fig, axes) -> bool:
    """Whether two visible x tick labels of any of the axes overlap (one drawing of the figure)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2)):
            return True
    return False


def _fit_ticks(fig, axes, rect) -> None:
    """Turn, then thin (every 2nd, 3rd, ... label), the panels' categorical x tick labels until none overlap.

    The panels share their categories and size: the step is computed once from the first panel's label boxes
    (a few drawings of the figure in all, whatever the number of panels)."""
    if not _clashes(fig, axes):
        return
    renderer = fig.canvas.get_renderer()
    first = axes[0]
    ticks, names = list(first.get_xticks()), [t.get_text() for t in first.get_xticklabels()]
    spacing = first.get_window_extent(renderer).width / max(len(ticks), 1)
    height = max(t.get_window_extent(renderer).height for t in first.get_xticklabels())  # turned: its width
    step = max(1, int(-(-1.25 * height // spacing)))
    while True:
        for ax in axes:
            ax.set_xticks(ticks[::step], names[::step], rotation=90)
        fig.tight_layout(rect=rect)
        if step >= len(ticks) or not _clashes(fig, axes):
            return
        step += 1


def figure(df, swept: list[str], result_names: list[str], title: str):
    """Each numeric result (one panel each, in rows of at most 4) against the first swept parameter, one line
    per combination of the others; returns the matplotlib Figure. A result recorded with its interval bounds
    (:func:`intervals`) is drawn with them as error bars, the bounds getting no panel of their own.

    A swept parameter that varies one-to-one with the first (a centre's file and its processed folder, given
    together in each point) draws no lines of its own. Long values on the x axis are shortened
    (:func:`short_labels`); tick labels that would still run into each other are turned and thinned.
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    from .figures import style

    style.use()
    numeric = [c for c in result_names if pd.to_numeric(df[c], errors="coerce").notna().any()]
    bounds_of = intervals(numeric)  # an interval is drawn as error bars on its estimate, not as two panels
    numeric = [c for c in numeric if not any(c in pair for pair in bounds_of.values())]
    n = max(len(numeric), 1)
    ncols = _columns(n)
    nrows = -(-n // ncols)
    x = swept[0] if swept else "run"
    labels_of = {c: df[c].map(label) for c in swept}
    others = [o for o in swept[1:]
              if not (labels_of[o].groupby(labels_of[x]).nunique().max() == 1
                      and labels_of[x].groupby(labels_of[o]).nunique().max() == 1)]
    numeric_x = pd.api.types.is_numeric_dtype(df[x]) and df[x].notna().all()
    categories = [] if numeric_x else sorted(set(df[x].map(label)), key=_order)
    short = short_labels(categories)
    # points joined by lines along numbers (and 'none'); files, centres and other names are not a scale
    ordered = not categories or any(_order(c)[0] == 1 for c in categories)
    xs = df[x] if numeric_x else df[x].map(label).map({c: i for i, c in enumerate(categories)})
    groups = df[others].astype(str).agg(", ".join, axis=1) if others else pd.Series([""] * len(df), index=df.index)
    colours = style.colours(list(dict.fromkeys(groups)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 0.4, 2.7 * nrows + 0.9), squeeze=False)
    flat = list(axes.ravel())
    numbered = list(short.values()) == [str(i + 1) for i in range(len(short))] != list(short)
    shortened = any(s != c for c, s in short.items())
    x_title = f"{x} ({'point number' if numbered else 'shortened'}: key on the sweep page)" if shortened else x
    for i, (ax, col) in enumerate(zip(flat, numeric)):
        y = pd.to_numeric(df[col], errors="coerce")
        for g in dict.fromkeys(groups):
            sel = groups == g
            lab = ", ".join(f"{o}={v}" for o, v in zip(others, g.split(", "))) if others else None
            ax.plot(xs[sel], y[sel], marker="o", color=colours[g], label=lab, linestyle="-" if ordered else "none")
            if col in bounds_of:
                low, high = (pd.to_numeric(df[b], errors="coerce")[sel] for b in bounds_of[col])
                ax.errorbar(xs[sel], y[sel], yerr=[(y[sel] - low).clip(lower=0), (high - y[sel]).clip(lower=0)],
                            fmt="none", ecolor=colours[g], elinewidth=1, capsize=3)
        if y.notna().any() and (y.dropna() == y.dropna().round()).all() and y.abs().max() > 1:
            # counts (not a share of 0 or 1): whole-number ticks, no "11.25 cases"
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if y.max() - y.min() < 1:  # the same count at every point: whole numbers around it
                ax.set_ylim(y.min() - 1 if y.min() < 0 else max(y.min() - 1, 0), y.max() + 1)
        if categories:
            ax.set_xticks(range(len(categories)), [short[c] for c in categories])
            ax.set_xlim(-0.5, len(categories) - 0.5)
        ax.set_title(f"{col} and its interval" if col in bounds_of else col, fontsize=9)
        ax.set_ylabel(col, fontsize=8)
        ax.tick_params(labelsize=8)
        if i + ncols >= len(numeric):  # the lowest panel of its column
            ax.set_xlabel(x_title, fontsize=8)
    for ax in flat[len(numeric):]:
        ax.set_axis_off()
    if not numeric:
        flat[0].text(0.5, 0.5, "no numeric result recorded", ha="center", va="center")
        flat[0].set_axis_off()
    fig.suptitle(title, fontsize=10)
    bottom = 0.0
    if others and numeric:
        handles, names = flat[0].get_legend_handles_labels()
        per_row = min(len(names), max(ncols, 2))  # a legend no wider than the panels
        fig.legend(handles, names, loc="lower center", ncols=per_row, fontsize=8, frameon=False)
        bottom = (0.1 + 0.22 * (1 + (len(names) - 1) // per_row)) / fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, bottom, 1, 1))
    if categories and numeric:
        _fit_ticks(fig, flat[:len(numeric)], (0, bottom, 1, 1))
    return fig


def _key_html(df, x: str) -> str:
    """The key of the figure's shortened x labels (label -> the swept value), "" when none was shortened."""
    categories = sorted(set(df[x].map(label)), key=_order)
    short = short_labels(categories)
    if all(s == c for c, s in short.items()):
        return ""
    values = {label(v): v for v in df[x]}
    rows = "".join(f"<tr><td>{escape(short[c])}</td><td style=\"text-align: left\"><code>{escape(str(values[c]))}"
                   f"</code></td></tr>" for c in categories)
    return (f"<h2>Key of the figure's x axis</h2><table><tr><th>On the figure</th>"
            f"<th style=\"text-align: left\">{escape(x)}</th></tr>"
            f"{rows}</table>\n")


def as_table(df, sweep: str, swept: list[str]):
    """The sweep table in the manuscript table layer (:class:`myositis.tables.Table`): values as printed
    (4 significant digits), one row per run, for HTML, Word and LaTeX."""
    from . import tables

    body = df.copy()
    for c in body.columns:
        body[c] = [("" if v is None or (isinstance(v, float) and v != v) else
                    f"{v:.4g}" if isinstance(v, float) else str(v)) for v in body[c]]
    return tables.Table(body=body, title=f"Sweep {sweep}: results by {', '.join(swept)}", kind="sweep",
                        footnotes=["One row per run; 'reused': the run's dependencies had not changed, "
                                   "its earlier results are shown."])


def collect(sweep: str, sweep_runs: list, sweep_results: list, reports: Path) -> Path:
    """Write the sweep's table (CSV), figure (PNG, PDF), page (HTML) and record; returns the page."""
    from . import io
    from .figures import style

    reports = Path(reports)
    out = reports / sweep
    out.mkdir(parents=True, exist_ok=True)
    wanted = sweep_runs[0].spec.get("results") if sweep_runs and sweep_runs[0].spec else None
    df = table(sweep_runs, sweep_results, wanted)
    swept = list(dict.fromkeys(k for r in sweep_runs for k in r.point))
    result_names = [c for c in df.columns if c not in {"run", "status", *swept}]
    result_names = [w for w in wanted or [] if w in result_names] + [c for c in result_names if c not in (wanted or [])]
    io.write_csv(df, out / "sweep.csv")
    from . import tables

    table_obj = as_table(df, sweep, swept)
    tables.export(table_obj, out, "sweep_table", formats=("html", "docx", "tex"))
    first = sweep_runs[0]
    # x axis: the swept parameter with the most values (ties: the first); lines: the others
    by_values = sorted(swept, key=lambda k: -df[k].map(label).nunique())
    fig = figure(df, by_values, result_names, f"{sweep}: results against {', '.join(swept)}")
    style.save(fig, out / "sweep")
    style.close(fig)
    key = _key_html(df, by_values[0]) if by_values else ""
    links = "".join(f'<li><a href="{escape(r.output)}.html">{escape(r.output)}</a> ({escape(s.status)})</li>'
                    for r, s in zip(sweep_runs, sweep_results))
    n_ok = sum(s.status != "failed" for s in sweep_results)
    page = reports / f"{sweep}.html"
    page.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep {escape(sweep)}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }} table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: right; }} img {{ max-width: 100%; }}</style>
</head><body>
<h1>Sweep {escape(sweep)}</h1>
<p>{escape(first.description)}</p>
<p>{len(sweep_runs)} run(s) of <code>{escape(paths.relative(first.notebook))}</code> from
<code>{escape(paths.relative(first.params_file))}</code>, swept over {escape(', '.join(swept))};
{n_ok} succeeded. Table: <a href="{escape(sweep)}/sweep.csv">{escape(sweep)}/sweep.csv</a>;
figure: <a href="{escape(sweep)}/sweep.pdf">PDF</a>; table for a manuscript:
<a href="{escape(sweep)}/sweep_table.docx">Word</a>, <a href="{escape(sweep)}/sweep_table.tex">LaTeX</a>.</p>
<img src="{escape(sweep)}/sweep.png" alt="results of {escape(sweep)} against {escape(', '.join(swept))}">
{key}{tables.to_html(table_obj)}
<h2>Runs</h2><ul>{links}</ul>
</body></html>
""", encoding="utf-8")
    (reports / f"{sweep}.sweep.json").write_text(json.dumps({
        "sweep": sweep, "description": first.description, "notebook": paths.relative(first.notebook),
        "params_file": paths.relative(first.params_file), "swept": swept, "runs": [r.output for r in sweep_runs],
        "ok": n_ok, "page": page.name, "table": f"{sweep}/sweep.csv", "figure": f"{sweep}/sweep.png",
    }, indent=1) + "\n", encoding="utf-8")
    return page
