"""The papermill batch behind ``make run``: ``python -m myositis run [PARAMS_FILE ...] [--jobs N] [--force]``.

Each params YAML (``params/<notebook>/<run>.yaml``) names a notebook, an output name and parameters, and may
give a sweep (a grid or a list of points of some parameters: one run per point). The runner checks the raw-data
manifest and every params file before anything runs, skips the runs whose dependencies did not change
(:mod:`myositis.incremental`; ``--force`` re-runs everything), executes the others in parallel (a local process
pool, or a dask.distributed cluster: :mod:`myositis.executors`; each run's kernel forked from the batch's kernel
server on this machine, :mod:`myositis.kernel_fork`), writes ``<output>.ipynb`` and ``.html`` only
when the run succeeds, removes any earlier report of a run that fails (a failed run leaves
``<output>.failed.ipynb``/``.html`` to inspect, never a stale success), gathers the results of each sweep
(:mod:`myositis.sweeps`), writes the index of every report present (:mod:`myositis.report_index`) and exits
non-zero naming the failing cell.

Reports go to ``reports/``, or to ``data/private/reports/`` when a run reads a file under ``data/private/``
(a params file's ``reports:`` or ``--reports`` says otherwise).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import yaml

from . import incremental, manifest, paths
from .exceptions import NotebookRunError, ParamsError

RUN_KEYS = {"notebook", "output", "description", "parameters", "reports", "sweep"}
KERNEL = "myositis"  # the project kernel (myositis.notebooks.PROJECT_KERNEL)
RECORD = ".run.json"


@dataclass
class Run:
    """One batch run read from a params file (absolute paths; shown with ``paths.relative``)."""

    params_file: str
    notebook: str
    output: str
    description: str = ""
    parameters: dict = field(default_factory=dict)
    reports: str = ""  # report folder of this run (absolute); chosen by ``load_run``
    sweep: str = ""  # name of the sweep this run is a point of
    point: dict = field(default_factory=dict)  # the swept parameters of this point
    spec: dict = field(default_factory=dict)  # the params file's sweep (checked), before expansion


@dataclass
class Result:
    """What happened to one run."""

    output: str
    notebook: str
    params_file: str
    description: str
    status: str  # "ok" (ran), "reused" (dependencies unchanged) or "failed"
    seconds: float
    error: str = ""
    files: list = field(default_factory=list)
    made: str = ""  # UTC date and time the report was made
    key: str = ""
    reason: str = ""  # why it ran (or "unchanged")
    sweep: str = ""
    point: dict = field(default_factory=dict)


def discover(params_dir: Path = paths.PARAMS) -> list[Path]:
    """All params files of the batch, in a stable order (``params/<notebook>/*.yaml``; sweeps in
    ``params/<notebook>/sweeps/`` are run by ``make sweeps``)."""
    return sorted(params_dir.glob("*/*.yaml"))


def discover_sweeps(params_dir: Path = paths.PARAMS) -> list[Path]:
    """The example sweeps (``params/<notebook>/sweeps/*.yaml``)."""
    return sorted(params_dir.glob("*/sweeps/*.yaml"))


def light_jsonschema() -> None:
    """jsonschema without its optional IRI checker (:func:`myositis.imports.light_jsonschema`): seconds saved in the
    CLI and in every worker that loads papermill or nbconvert."""
    from .imports import light_jsonschema as load

    load()


@lru_cache(maxsize=64)
def _inspect(notebook: str, mtime_ns: int) -> dict:
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    cell = next((c for c in nb.get("cells", []) if c.get("cell_type") == "code"
                 and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            names, kind = [node.target.id], ast.get_source_segment(source, node.annotation)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names, kind = [t.id for t in node.targets], "None"
        else:
            continue
        rest = lines[node.end_lineno - 1][node.end_col_offset:].strip()
        comment = rest[1:].strip() if rest.startswith("#") else ""
        default = ast.get_source_segment(source, node.value)
        if "\n" in default:  # a value over several lines (strings concatenated inside parentheses)
            default = f"({default})"
        for name in names:
            out[name] = {"name": name, "inferred_type_name": kind, "default": default, "help": comment}
    return out


def notebook_parameters(notebook: Path) -> dict:
    """The parameters a notebook declares in its cell tagged ``parameters``: name -> ``name``,
    ``inferred_type_name``, ``default`` (the value's source text) and ``help`` (the line's comment), as
    ``papermill.inspect_notebook`` gives them (tested against it), read with :mod:`ast` without importing
    papermill (a warm batch that executes nothing never loads it). Unlike papermill's line parser, an
    assignment whose comment holds a second '=' is not skipped."""
    notebook = Path(notebook)
    return _inspect(str(notebook), notebook.stat().st_mtime_ns)


def default_parameters(notebook: Path) -> dict:
    """The default value of each declared parameter (the literal in the parameters cell)."""
    out = {}
    for name, spec in notebook_parameters(notebook).items():
        try:
            out[name] = ast.literal_eval(spec.get("default") or "None")
        except (ValueError, SyntaxError):
            out[name] = spec.get("default")
    return out


def _private(path: Path) -> bool:
    try:
        path.resolve().relative_to(paths.PRIVATE.resolve())
        return True
    except ValueError:
        return False


def report_folder(params_file: Path, doc: dict, parameters: dict) -> Path:
    """Where a run's reports go: the params file's ``reports``; else ``data/private/reports`` when the params
    file or a file its parameters name lies under ``data/private/``; else ``reports/``."""
    if doc.get("reports"):
        return paths.resolve(doc["reports"])
    if _private(params_file) or any(_private(p) for p in incremental.parameter_files(parameters)):
        return paths.PRIVATE / "reports"
    return paths.REPORTS


def load_run(path) -> Run:
    """Read and check one params file: known keys, an existing notebook, only declared parameters.

    papermill only logs a warning for an unknown parameter name, so a typo would silently run the defaults;
    here it is an error naming the file and the key. A sweep is checked too (:func:`myositis.sweeps.expand`).
    """
    from . import sweeps

    path = paths.resolve(path)
    name = paths.relative(path)
    if not path.exists():
        raise ParamsError(f"{name}: params file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise ParamsError(f"{name}: expected a mapping with keys {sorted(RUN_KEYS)}")
    unknown = set(doc) - RUN_KEYS
    if unknown:
        raise ParamsError(f"{name}: unknown key(s) {sorted(unknown)}; allowed: {sorted(RUN_KEYS)}")
    for key in ("notebook", "output"):
        if not doc.get(key):
            raise ParamsError(f"{name}: missing '{key}'")
    if "__" in str(doc["output"]):
        raise ParamsError(f"{name}: output '{doc['output']}' may not contain '__' (it separates sweep points)")
    if str(doc["output"]) == "interactive":
        raise ParamsError(f"{name}: output 'interactive' is reserved (the notebooks' own reports/interactive/ and "
                          "data/processed/interactive/ folders)")
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
    # a sweep whose points name private files is private too
    named = {**parameters, "sweep": doc.get("sweep")}
    run = Run(str(path), str(notebook), str(doc["output"]), str(doc.get("description", "")), parameters,
              str(report_folder(path, doc, named)))
    if doc.get("sweep") is not None:
        run.spec = sweeps.check_spec(doc["sweep"], declared, name)
    return run


def load_runs(path) -> list[Run]:
    """The runs of one params file: one, or one per point of its sweep."""
    from . import sweeps

    run = load_run(path)
    return sweeps.expand(run) if run.spec else [run]


def _clear(reports: Path, output: str) -> None:
    for suffix in (".ipynb", ".html", ".failed.ipynb", ".failed.html", RECORD):
        (reports / f"{output}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(reports / output, ignore_errors=True)


def to_html(notebook: Path, html: Path) -> None:
    """Render an executed notebook to the reader's HTML page (``report_html.export_html``: code behind a
    button, warnings in a Notes section, tables cleaned, figures embedded as data URIs)."""
    from .report_html import export_html

    light_jsonschema()
    export_html(notebook, html)


def processed_folder(output: str) -> str:
    """The derived-data folder the runner gives a run whose params file does not set ``processed_dir``:
    ``data/processed/<output>`` (one per run, so that runs executing in parallel, a sweep's points included,
    never write each other's files; relocated with ``MYOSITIS_PROCESSED_DIR``)."""
    return f"data/processed/{output}"


def effective_parameters(run: Run) -> dict:
    """What the notebook will run with: its defaults, the params file's values, the injected ``output_dir``
    and ``processed_dir`` (when the notebook declares them and the params file does not set them)."""
    notebook = paths.resolve(run.notebook)
    parameters = default_parameters(notebook)
    parameters.update(run.parameters)
    if "output_dir" in parameters and "output_dir" not in run.parameters:
        out = (Path(run.reports) / run.output).resolve()
        # relative to the repository when inside it, so that no absolute path is written into a report
        parameters["output_dir"] = paths.relative(out) if paths.ROOT in out.parents else str(out)
    if "processed_dir" in parameters and "processed_dir" not in run.parameters:
        parameters["processed_dir"] = processed_folder(run.output)
    return parameters


def processed_dir_clashes(runs: list[Run]) -> dict[str, list[str]]:
    """Processed folders that more than one run of a batch would write (folder -> run names): two runs of one
    notebook with the same ``processed_dir`` overwrite each other's files, in an order that depends on timing.
    Only params files that set ``processed_dir`` can clash: the runner gives every other run its own folder."""
    by_folder: dict[str, list[str]] = {}
    for run in runs:
        folder = effective_parameters(run).get("processed_dir")
        if folder:
            by_folder.setdefault(paths.relative(paths.resolve(folder)), []).append(run.output)
    return {folder: names for folder, names in by_folder.items() if len(names) > 1}


def injected(run: Run) -> dict:
    """The parameters passed to papermill: the params file's, plus ``output_dir`` and ``processed_dir`` when the
    runner chooses them."""
    parameters = dict(run.parameters)
    full = effective_parameters(run)
    for name in ("output_dir", "processed_dir"):
        if name in full and name not in parameters:
            parameters[name] = full[name]
    return parameters


def run_dependencies(run: Run) -> dict:
    """The run's dependencies with their hashes (:func:`myositis.incremental.dependencies`)."""
    notebook = paths.resolve(run.notebook)
    sources = [source for kind, _, source in incremental.notebook_cells(notebook) if kind == "code"]
    context = {"output": run.output, "kernel": KERNEL, "processed": str(paths.PROCESSED.resolve())}
    return incremental.dependencies(notebook, effective_parameters(run), context, sources)


def execute(run: Run, reports: Path | None = None, progress=None, kernel_server: str | None = None) -> Result:
    """Execute one run with papermill into its report folder (called in a worker process or on a dask worker).

    ``progress`` prints a line where the batch's user sees it (the worker's standard output by default);
    ``kernel_server`` is the address of the batch's kernel server (:func:`kernel_server`), if any.
    """
    light_jsonschema()
    import papermill
    from papermill.exceptions import PapermillExecutionError

    say = progress or _progress
    start = time.perf_counter()
    reports = Path(reports or run.reports)
    shown_nb, shown_params = paths.relative(run.notebook), paths.relative(run.params_file)
    say(f"  start  {run.output:<28} {shown_nb} with {shown_params}")
    reports.mkdir(parents=True, exist_ok=True)
    _clear(reports, run.output)
    notebook = paths.resolve(run.notebook)
    tmp = reports / f".{run.output}.running.ipynb"
    error = ""
    try:
        # request_save_on_cell_execute=False: papermill otherwise rewrites (and schema-validates) the whole output
        # notebook after every cell, 64 validations for 30 cells, CPU taken from the kernels; it still writes the
        # notebook at the end, with the error when a cell fails
        papermill.execute_notebook(str(notebook), str(tmp), parameters=injected(run), kernel_name=KERNEL,
                                   cwd=str(notebook.parent), progress_bar=False, log_output=False,
                                   report_mode=False, request_save_on_cell_execute=False,
                                   **_kernel_manager(kernel_server))
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
                  round(time.perf_counter() - start, 2), error, files,
                  made=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), sweep=run.sweep, point=run.point)


def warm_worker() -> None:
    """What a pool worker does when it starts, before its first run (:class:`myositis.executors.LocalPool`):
    import papermill and compile the HTML report's templates, which its first run would otherwise do (about
    0.8 s there). Worker start and the kernel server's imports overlap: a worker's first run waits for the
    server anyway, with a core to spare. A warm-up that fails is skipped: the pool would otherwise be broken and
    every run of the batch reported as a crashed worker; the first run meets the same error and reports it."""
    try:
        light_jsonschema()
        import papermill  # noqa: F401

        from .report_html import warm

        warm()
    except Exception:  # noqa: BLE001 - see above
        pass


def _kernel_manager(address: str | None) -> dict:
    """papermill's ``kernel_manager_class``: kernels forked from the batch's kernel server when it runs on this
    machine (:mod:`myositis.kernel_fork`; on a dask worker of another machine its socket does not exist), else
    started by jupyter_client; either way with a client that waits for the kernel without idle time."""
    from . import kernel_fork

    here = address if address and os.path.exists(address) else None
    return {"kernel_manager_class": kernel_fork.kernel_manager_class(here)}


def kernel_server(executor, n_runs: int):
    """A kernel server for the batch's local runs (:mod:`myositis.kernel_fork`): each run's kernel is forked from
    a process that imported the notebooks' modules once, instead of starting Python and importing them again.
    Yields the server's address, or None. Not for a single run (the server imports what every notebook needs,
    more than one run's kernel would), nor a dask scheduler on another machine (its workers would not reach a
    server here), nor when ``MYOSITIS_FORK_KERNELS=0``."""
    import contextlib

    from . import executors, kernel_fork

    if n_runs < 2 or not kernel_fork.enabled() or not (isinstance(executor, executors.LocalPool)
                                                       or executors.on_this_machine(executor)):
        return contextlib.nullcontext()
    from jupyter_client.kernelspec import KernelSpecManager

    prefix = kernel_fork.kernel_prefix(KernelSpecManager().get_kernel_spec(KERNEL).argv)
    return kernel_fork.server(prefix) if prefix else contextlib.nullcontext()


def _progress(msg: str) -> None:
    print(msg, flush=True)


def read_record(reports: Path, output: str) -> dict | None:
    """The record of an earlier run (``<reports>/<output>.run.json``), None when absent or unreadable."""
    try:
        return json.loads((Path(reports) / f"{output}{RECORD}").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_record(run: Run, result: Result, deps: dict) -> Path:
    """Write the run record: what ran, with which parameters, its status, files and dependency hashes."""
    record = {"format": incremental.FORMAT, **asdict(result), "parameters": run.parameters,
              "reports": paths.relative(run.reports), "key": incremental.key(deps), "dependencies": deps}
    path = Path(run.reports) / f"{run.output}{RECORD}"
    path.write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def products_present(reports: Path, record: dict) -> bool:
    """Whether a recorded successful run still has its report, executed notebook and every listed file."""
    out = record.get("output", "")
    needed = [f"{out}.html", f"{out}.ipynb"] + list(record.get("files") or [])
    return all((Path(reports) / f).is_file() for f in needed)


def plan(runs: list[Run], force: bool = False) -> list[tuple[Run, dict, str, dict | None]]:
    """For each run: its dependencies, why it must run ("" when it can be reused) and its earlier record."""
    out = []
    for run in runs:
        deps = run_dependencies(run)
        old = read_record(Path(run.reports), run.output)
        if force:
            why = "--force"
        elif old is None:
            why = "no earlier record"
        elif old.get("status") != "ok":
            why = "earlier run failed"
        elif not products_present(Path(run.reports), old):
            why = "report or a file of it missing"
        else:
            why = "; ".join(incremental.changes(old.get("dependencies"), deps))
        out.append((run, deps, why, old))
    return out


def run_batch(params_files=None, jobs: int | None = None, reports: Path | None = None,
              check_manifest: bool = True, force: bool = False, scheduler: str | None = None) -> list[Result]:
    """Check inputs, skip what did not change, execute the rest in parallel; one Result per run.

    Parameters
    ----------
    params_files : list of path, optional
        Params YAML files; all of ``params/*/*.yaml`` by default.
    jobs : int, optional
        Parallel notebooks on this machine (default: number of cores; ignored with a scheduler).
    reports : Path, optional
        Report folder for every run (default: each run's own: ``reports/`` or ``data/private/reports/``).
    check_manifest : bool
        Verify ``data/raw`` against ``data/raw/manifest.csv`` first (on by default).
    force : bool
        Re-run every run, even those whose dependencies did not change.
    scheduler : str, optional
        Address of a dask.distributed scheduler (``tcp://host:8786``); default ``DASK_SCHEDULER_ADDRESS``,
        else the local process pool.
    """
    from . import executors, report_index, sweeps

    files = [paths.resolve(p) for p in params_files] if params_files else discover()
    if not files:
        raise ParamsError("no params file found under params/")
    if check_manifest:
        manifest.check()
    runs = [r for p in files for r in load_runs(p)]
    if reports is not None:
        for r in runs:
            r.reports = str(Path(reports).resolve())
    outputs = [r.output for r in runs]
    dup = sorted({o for o in outputs if outputs.count(o) > 1})
    if dup:
        raise ParamsError(f"output name(s) {dup} used by more than one params file")
    shared = processed_dir_clashes(runs)
    if shared:
        raise ParamsError("runs would write the same processed folder (set 'processed_dir' in their params "
                          "files): " + "; ".join(f"{folder}: {', '.join(names)}" for folder, names in shared.items()))
    folders = sorted({r.reports for r in runs})
    for f in folders:
        Path(f).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    planned = plan(runs, force)
    todo = [(run, deps, why) for run, deps, why, _ in planned if why]
    results: dict[str, Result] = {}
    for run, deps, why, old in planned:
        if not why:
            results[run.output] = Result(run.output, paths.relative(run.notebook), paths.relative(run.params_file),
                                         run.description, "reused", float(old.get("seconds") or 0.0), "",
                                         list(old.get("files") or []), old.get("made", ""), old.get("key", ""),
                                         "unchanged", run.sweep, run.point)
    if todo:
        from .notebooks import PROJECT_KERNEL, ensure_kernel

        ensure_kernel({**PROJECT_KERNEL, "name": KERNEL})  # installs the project kernel when missing
    executor = executors.choose(scheduler, jobs, len(todo), warm=warm_worker)
    shown = ", ".join(paths.relative(f) + "/" for f in folders)
    _progress(f"batch: {len(runs)} run(s): {len(todo)} to run, {len(runs) - len(todo)} unchanged (reused); "
              f"{executor.describe()}; reports in {shown}")
    for run, _, why, _ in planned:
        if not why:
            _progress(f"  reused {run.output:<28} unchanged since {results[run.output].made}")
    if todo:
        deps_of = {run.output: deps for run, deps, _ in todo}
        by_output = {run.output: run for run, _, _ in todo}
        for run, _, why in todo:
            _progress(f"  queue  {run.output:<28} ({why})")
        ordered = longest_first([run for run, _, _ in todo], Path(todo[0][0].reports))
        done = 0
        with kernel_server(executor, len(todo)) as address:
            fn = partial(execute, kernel_server=address) if address else execute
            for run, res in executor.run(ordered, fn):
                res.key = incremental.key(deps_of[run.output])
                res.reason = next(w for r, _, w in todo if r.output == run.output)
                write_record(by_output[run.output], res, deps_of[run.output])
                results[run.output] = res
                done += 1
                mark = "ok    " if res.status == "ok" else "FAILED"
                _progress(f"  [{done}/{len(todo)}] {mark} {res.output:<28} {res.seconds:7.1f} s "
                          f"(batch {time.perf_counter() - t0:6.1f} s)")
        executor.close()
    ordered_results = [results[r.output] for r in runs]
    wall = time.perf_counter() - t0
    for spec_run in {r.sweep: r for r in runs if r.sweep}.values():
        points = [r for r in runs if r.sweep == spec_run.sweep]
        sweeps.collect(spec_run.sweep, points, [results[r.output] for r in points], Path(spec_run.reports))
    for f in folders:
        batch = [results[r.output] for r in runs if r.reports == f]
        report_index.write(Path(f), batch, wall)
        (Path(f) / "runs.json").write_text(
            json.dumps({"wall_seconds": round(wall, 2), "runs": [asdict(r) for r in batch]}, indent=1,
                       default=str) + "\n", encoding="utf-8")
    _progress(summary(ordered_results, wall))
    return ordered_results


def longest_first(runs: list[Run], reports: Path) -> list[Run]:
    """Order runs by their duration in their last record (or the previous batch's ``runs.json``), longest first,
    so that a long notebook does not start last on an otherwise idle core; unknown durations keep their order."""
    try:
        previous = {r["output"]: r["seconds"] for r in
                    json.loads((reports / "runs.json").read_text(encoding="utf-8"))["runs"]}
    except (OSError, ValueError, KeyError):
        previous = {}

    def seconds(run: Run) -> float:
        rec = read_record(Path(run.reports), run.output) or {}
        return float(rec.get("seconds") or previous.get(run.output) or float("inf"))

    return sorted(runs, key=lambda r: -seconds(r))


def summary(results: list[Result], wall: float) -> str:
    """Per-notebook timing summary and the failures, as printed at the end of the batch."""
    w = max([30] + [len(r.output) + 2 for r in results])
    lines = ["", f"{'run':<{w}}{'status':<8}{'seconds':>9}"]
    lines += [f"{r.output:<{w}}{r.status:<8}{r.seconds:>9.1f}" +
              (f"  (made {r.made})" if r.status == "reused" else "") for r in results]
    lines.append(f"{'batch wall time':<{w + 8}}{wall:>9.1f}")
    for r in results:
        if r.error:
            lines.append("ERROR " + r.error)
    return "\n".join(lines)


def check(results: list[Result]) -> None:
    """Raise ``NotebookRunError`` naming every failed run (notebook, params file, failing cell and error)."""
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise NotebookRunError(f"{len(failed)} run(s) failed: " + ", ".join(r.output for r in failed) + "\n"
                               + "\n".join(f"  {r.error}" for r in failed))


def main(params_files, jobs=None, reports=None, force=False, scheduler=None) -> int:
    """CLI entry: run the batch, return the exit code (1 when any run failed)."""
    results = run_batch(params_files or None, jobs=jobs, reports=Path(reports) if reports else None,
                        force=force, scheduler=scheduler)
    try:
        check(results)
    except NotebookRunError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    return 0
