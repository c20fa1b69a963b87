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


def figure(df, swept: list[str], result_names: list[str], title: str):
    """Each numeric result (one panel each) against the first swept parameter, one line per combination of the
    others; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from .figures import style

    style.use()
    numeric = [c for c in result_names if pd.to_numeric(df[c], errors="coerce").notna().any()]
    n = max(len(numeric), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.4), squeeze=False)
    x = swept[0] if swept else "run"
    others = swept[1:]
    numeric_x = pd.api.types.is_numeric_dtype(df[x]) and df[x].notna().all()
    categories = [] if numeric_x else sorted(set(df[x].map(label)), key=_order)
    xs = df[x] if numeric_x else df[x].map(label).map({c: i for i, c in enumerate(categories)})
    groups = df[others].astype(str).agg(", ".join, axis=1) if others else pd.Series([""] * len(df), index=df.index)
    colours = style.colours(list(dict.fromkeys(groups)))
    for ax, col in zip(axes[0], numeric):
        y = pd.to_numeric(df[col], errors="coerce")
        for g in dict.fromkeys(groups):
            sel = groups == g
            lab = ", ".join(f"{o}={v}" for o, v in zip(others, g.split(", "))) if others else None
            ax.plot(xs[sel], y[sel], marker="o", color=colours[g], label=lab)
        if categories:
            ax.set_xticks(range(len(categories)), categories)
        ax.set_xlabel(x)
        ax.set_ylabel(col)
        if others:
            ax.legend(fontsize=8)
    if not numeric:
        axes[0][0].text(0.5, 0.5, "no numeric result recorded", ha="center", va="center")
        axes[0][0].set_axis_off()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


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
{tables.to_html(table_obj)}
<h2>Runs</h2><ul>{links}</ul>
</body></html>
""", encoding="utf-8")
    (reports / f"{sweep}.sweep.json").write_text(json.dumps({
        "sweep": sweep, "description": first.description, "notebook": paths.relative(first.notebook),
        "params_file": paths.relative(first.params_file), "swept": swept, "runs": [r.output for r in sweep_runs],
        "ok": n_ok, "page": page.name, "table": f"{sweep}/sweep.csv", "figure": f"{sweep}/sweep.png",
    }, indent=1) + "\n", encoding="utf-8")
    return page
