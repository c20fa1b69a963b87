"""The papermill batch behind ``make run``: ``python -m myositis run [PARAMS_FILE ...] [--jobs N]``.

Each params YAML (``params/<notebook>/<run>.yaml``) names a notebook, an output name and parameters. The runner
checks the raw-data manifest and every params file before anything runs, executes the runs in parallel
(one papermill process per run), writes ``reports/<output>.ipynb`` and ``.html`` only when the run succeeds,
removes any earlier report of a run that fails (a failed run leaves ``<output>.failed.ipynb``/``.html`` to
inspect, never a stale success), writes ``reports/index.html`` and exits non-zero naming the failing cell.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from . import manifest, paths
from .exceptions import ParamsError

RUN_KEYS = {"notebook", "output", "description", "parameters"}
KERNEL = "python3"


@dataclass
class Run:
    """One batch run read from a params file (absolute paths; shown with ``paths.relative``)."""

    params_file: str
    notebook: str
    output: str
    description: str = ""
    parameters: dict = field(default_factory=dict)


@dataclass
class Result:
    """What happened to one run."""

    output: str
    notebook: str
    params_file: str
    description: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""
    files: list = field(default_factory=list)


def discover(params_dir: Path = paths.PARAMS) -> list[Path]:
    """All params files of the batch, in a stable order."""
    return sorted(params_dir.glob("*/*.yaml"))


def notebook_parameters(notebook: Path) -> dict:
    """The parameters a notebook declares in its cell tagged ``parameters`` (papermill's inspection)."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def load_run(path) -> Run:
    """Read and check one params file: known keys, an existing notebook, only declared parameters.

    papermill only logs a warning for an unknown parameter name, so a typo would silently run the defaults;
    here it is an error naming the file and the key.
    """
    path = paths.resolve(path)
    name = paths.relative(path)
    if not path.exists():
        raise ParamsError(f"{name}: params file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{name}: not valid YAML ({exc})") from None
    unknown = set(doc) - RUN_KEYS
    if unknown:
        raise ParamsError(f"{name}: unknown key(s) {sorted(unknown)}; allowed: {sorted(RUN_KEYS)}")
    for key in ("notebook", "output"):
        if not doc.get(key):
            raise ParamsError(f"{name}: missing '{key}'")
    notebook = paths.resolve(doc["notebook"])
    if not notebook.exists():
        raise ParamsError(f"{name}: notebook {doc['notebook']} not found")
    parameters = doc.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ParamsError(f"{name}: 'parameters' must be a mapping of name: value")
    declared = notebook_parameters(notebook)
    wrong = sorted(set(parameters) - set(declared))
    if wrong:
        raise ParamsError(f"{name}: {wrong} not parameter(s) of {doc['notebook']}; "
                          f"it declares {sorted(declared)}")
    return Run(str(path), str(notebook), str(doc["output"]),
               str(doc.get("description", "")), parameters)


def _clear(reports: Path, output: str) -> None:
    for suffix in (".ipynb", ".html", ".failed.ipynb", ".failed.html"):
        (reports / f"{output}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(reports / output, ignore_errors=True)


def to_html(notebook: Path, html: Path) -> None:
    """Render an executed notebook to the reader's HTML page (``report_html.export_html``: code behind a
    button, warnings in a Notes section, tables cleaned, figures embedded as data URIs)."""
    from .report_html import export_html

    export_html(notebook, html)


def execute(run: Run, reports: Path) -> Result:
    """Execute one run with papermill into ``reports`` (called in a worker process)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    shown_nb, shown_params = paths.relative(run.notebook), paths.relative(run.params_file)
    _progress(f"  start  {run.output:<28} {shown_nb} with {shown_params}")
    reports.mkdir(parents=True, exist_ok=True)
    _clear(reports, run.output)
    notebook = paths.resolve(run.notebook)
    parameters = dict(run.parameters)
    if "output_dir" in notebook_parameters(notebook) and "output_dir" not in parameters:
        out = (reports / run.output).resolve()
        # relative to the repository when inside it, so that no absolute path is written into a report
        parameters["output_dir"] = paths.relative(out) if paths.ROOT in out.parents else str(out)
    tmp = reports / f".{run.output}.running.ipynb"
    error = ""
    try:
        papermill.execute_notebook(str(notebook), str(tmp), parameters=parameters, kernel_name=KERNEL,
                                   cwd=str(notebook.parent), progress_bar=False, log_output=False,
                                   report_mode=False)
    except PapermillExecutionError as exc:
        source = (exc.source or "").strip().splitlines()
        error = (f"{shown_nb} ({shown_params}) failed in cell {exc.cell_index + 1} "
                 f"(counting all cells from 1; execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
                 + (f"\n    cell starts: {source[0][:120]}" if source else ""))
    except Exception as exc:  # kernel death, bad notebook, timeout: still name the run
        error = f"{shown_nb} ({shown_params}) failed outside a cell (kernel or notebook): {type(exc).__name__}: {exc}"
    status = "failed" if error else "ok"
    stem = f"{run.output}.failed" if error else run.output
    final = reports / f"{stem}.ipynb"
    if tmp.exists():
        tmp.replace(final)
        to_html(final, reports / f"{stem}.html")
    out_dir = reports / run.output
    files = sorted(p.relative_to(reports).as_posix() for p in out_dir.rglob("*") if p.is_file()) \
        if out_dir.exists() else []
    return Result(run.output, shown_nb, shown_params, run.description, status,
                  round(time.perf_counter() - start, 2), error, files)


def _progress(msg: str) -> None:
    print(msg, flush=True)


def run_batch(params_files=None, jobs: int | None = None, reports: Path = paths.REPORTS,
              check_manifest: bool = True) -> list[Result]:
    """Check inputs, then execute every run in parallel; returns one Result per run.

    Parameters
    ----------
    params_files : list of path, optional
        Params YAML files; all of ``params/*/*.yaml`` by default.
    jobs : int, optional
        Parallel notebooks (default: number of cores).
    reports : Path
        Report folder (``reports/``).
    check_manifest : bool
        Verify ``data/raw`` against ``data/raw/manifest.csv`` first (on by default).
    """
    files = [paths.resolve(p) for p in params_files] if params_files else discover()
    if not files:
        raise ParamsError("no params file found under params/")
    if check_manifest:
        manifest.check()
    runs = [load_run(p) for p in files]
    outputs = [r.output for r in runs]
    dup = sorted({o for o in outputs if outputs.count(o) > 1})
    if dup:
        raise ParamsError(f"output name(s) {dup} used by more than one params file")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(runs)))
    reports = Path(reports)
    reports.mkdir(parents=True, exist_ok=True)
    _progress(f"batch: {len(runs)} run(s), {jobs} job(s), reports in {paths.relative(reports)}/")
    results = []
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        pending = {}
        for run in longest_first(runs, reports):
            pending[pool.submit(execute, run, reports)] = run
        while pending:
            done, _ = cf.wait(pending, timeout=15, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                run = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # the worker itself died
                    res = Result(run.output, paths.relative(run.notebook), paths.relative(run.params_file),
                                 run.description, "failed", 0.0,
                                 f"{paths.relative(run.notebook)}: worker crashed: {type(exc).__name__}: {exc}")
                results.append(res)
                mark = "ok    " if res.status == "ok" else "FAILED"
                _progress(f"  [{len(results)}/{len(runs)}] {mark} {res.output:<28} {res.seconds:7.1f} s "
                          f"(batch {time.perf_counter() - t0:6.1f} s)")
            if pending and not done:
                names = ", ".join(r.output for r in pending.values())
                _progress(f"  ... in progress or queued: {names} (batch {time.perf_counter() - t0:6.1f} s)")
    order = {r.output: i for i, r in enumerate(runs)}
    results.sort(key=lambda r: order[r.output])
    wall = time.perf_counter() - t0
    write_index(results, reports, wall)
    _progress(summary(results, wall))
    return results


def longest_first(runs: list[Run], reports: Path) -> list[Run]:
    """Order runs by their duration in the previous batch (``reports/runs.json``), longest first, so that a
    long notebook does not start last on an otherwise idle core; unknown durations keep the given order."""
    try:
        previous = {r["output"]: r["seconds"] for r in
                    json.loads((reports / "runs.json").read_text(encoding="utf-8"))["runs"]}
    except (OSError, ValueError, KeyError):
        previous = {}
    return sorted(runs, key=lambda r: -previous.get(r.output, float("inf")))


def summary(results: list[Result], wall: float) -> str:
    """Per-notebook timing summary and the failures, as printed at the end of the batch."""
    lines = ["", f"{'run':<30}{'status':<8}{'seconds':>9}"]
    lines += [f"{r.output:<30}{r.status:<8}{r.seconds:>9.1f}" for r in results]
    lines.append(f"{'batch wall time':<38}{wall:>9.1f}")
    for r in results:
        if r.error:
            lines.append("ERROR " + r.error)
    return "\n".join(lines)


def write_index(results: list[Result], reports: Path, wall: float) -> Path:
    """Write ``reports/index.html`` (links to every report and figure) and ``reports/runs.json``."""
    from html import escape

    rows = []
    for r in results:
        page = f"{r.output}.html" if r.status == "ok" else f"{r.output}.failed.html"
        nb = f"{r.output}.ipynb" if r.status == "ok" else f"{r.output}.failed.ipynb"
        status = ('<span class="ok">ok</span>' if r.status == "ok"
                  else f'<span class="failed">FAILED</span><pre>{escape(r.error)}</pre>')
        figs = "".join(f'<a href="{escape(f)}"><img src="{escape(f)}" alt="{escape(f)}" loading="eager"></a>'
                       for f in r.files if f.endswith(".png"))
        others = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in r.files
                         if not f.endswith(".png"))
        rows.append(
            f"<tr><td><a href=\"{escape(page)}\">{escape(r.output)}</a><br><small>{escape(r.description)}"
            f"</small></td><td><code>{escape(r.notebook)}</code><br><code>{escape(r.params_file)}</code>"
            f"<br><a href=\"{escape(nb)}\">executed notebook</a></td><td>{status}</td>"
            f"<td>{r.seconds:.1f} s</td><td class=\"figs\">{figs}<ul>{others}</ul></td></tr>")
    n_ok = sum(r.status == "ok" for r in results)
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Myositis notebooks: reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 1px solid #ddd; padding: .5em;
vertical-align: top; text-align: left; }} .ok {{ color: #009E73; font-weight: bold; }}
.failed {{ color: #D55E00; font-weight: bold; }} .figs img {{ height: 120px; margin: 2px; border: 1px solid #eee; }}
pre {{ white-space: pre-wrap; font-size: 85%; }} ul {{ margin: .2em 0; padding-left: 1.2em; font-size: 85%; }}
</style></head><body>
<h1>Myositis notebooks: reports</h1>
<p>{n_ok} of {len(results)} run(s) succeeded; batch wall time {wall:.1f} s.
Data are published figures, reconstructions from published figures, or synthetic cohorts, as each report says;
no patient-level data.</p>
<table><tr><th>Report</th><th>Notebook and params</th><th>Status</th><th>Time</th><th>Figures and files</th></tr>
{''.join(rows)}
</table></body></html>
"""
    index = reports / "index.html"
    index.write_text(html, encoding="utf-8")
    (reports / "runs.json").write_text(
        json.dumps({"wall_seconds": round(wall, 2), "runs": [asdict(r) for r in results]}, indent=1) + "\n",
        encoding="utf-8")
    return index


def main(params_files, jobs=None, reports=None) -> int:
    """CLI entry: run the batch, return the exit code (1 when any run failed)."""
    results = run_batch(params_files or None, jobs=jobs, reports=Path(reports) if reports else paths.REPORTS)
    failed = [r for r in results if r.status != "ok"]
    if failed:
        print(f"\n{len(failed)} run(s) failed: " + ", ".join(r.output for r in failed), file=sys.stderr)
        return 1
    return 0
