"""The batch's wall times against their targets (issue 13), measured in one run; printed figures, not timed tests.

floor = (one papermill run of an empty notebook that imports the same stack) x (number of runs) / jobs,
measured just before and just after the cold batches of the same round (median of both). That stack is the
issue's (the floor it measured, 2.79 s); it has seaborn, lifelines, pingouin and statsmodels.formula.api, which
no notebook imports. The cold batch is also printed against a floor made of each run's own notebook imports (an
empty notebook with only the import statements of that run's notebook, measured once per notebook after the cold
batches), with no target.

The four ratios of the issue (and the one-params-changed excess, in seconds):
1. cold batch (every run re-runs, ``--force``)                      target <= 2.0 x floor
   (its kernels forked from the batch's kernel server, :mod:`myositis.kernel_fork`; the same batch with every
   kernel started by jupyter_client, ``MYOSITIS_FORK_KERNELS=0``, is printed below it for comparison)
2. warm batch (nothing changed; the CLI, Python start included)      target <= 0.2 x floor
   one params file changed                                            target <= that run's own time + 1 s
3. a sweep of N tacrolimus runs (seeds; N = 40 by default) on ``jobs`` processes
                                                                      target <= 1.3 x (N x one run / jobs)
4. the same sweep on a dask LocalCluster of ``jobs`` workers          target <= 1.2 x the process pool

The machine may be shared: ``--rounds R`` repeats everything R times and prints each round's ratios with the
load average when it ended, then the median of each ratio.

Usage: .venv/bin/python benchmarks/batch.py [--jobs 2] [--points 40] [--rounds 1] [--repeat 3] [--skip-sweep]
       [--skip-dask]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from myositis import kernel_fork, paths, runner

runner.light_jsonschema()  # as the runner's processes do (see runner.light_jsonschema)
import nbformat  # noqa: E402
import papermill  # noqa: E402

STACK = ("import numpy, pandas, scipy.stats, matplotlib.pyplot, seaborn, lifelines, statsmodels.formula.api, "
         "tableone, pingouin, myositis.published, myositis.io\n"
         "from myositis.figures import style\nstyle.use()")
SWEEP_NOTEBOOK = "notebooks/tacrolimus_survival.ipynb"
SWEEP_FIXED = {"draws": 500, "sensitivity_draws": 50}


def empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": runner.KERNEL}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(STACK)]
    nbformat.write(nb, path)
    return path


def own_imports(notebook: Path) -> str:
    """The import statements of a notebook's code cells (module level), in order, without repeats."""
    import ast

    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # a cell with IPython magics: its imports, if any, are left out
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line = ast.unparse(node)
                if line not in lines:
                    lines.append(line)
    return "\n".join(lines)


def own_floor(tmp: Path, runs) -> float:
    """Seconds of one papermill run per run of the batch, each of an empty notebook holding only the imports of
    that run's notebook (one measurement per notebook, used for each of its runs): the floor with what the
    notebooks import today rather than the issue's stack."""
    seconds = {}
    for run in runs:
        notebook = paths.resolve(run.notebook)
        if notebook not in seconds:
            nb = nbformat.v4.new_notebook()
            nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": runner.KERNEL}
            nb.cells = [nbformat.v4.new_code_cell(own_imports(notebook))]
            path = tmp / f"imports_{notebook.stem}.ipynb"
            nbformat.write(nb, path)
            t0 = time.perf_counter()
            papermill.execute_notebook(str(path), str(tmp / f"imports_{notebook.stem}_out.ipynb"),
                                       kernel_name=runner.KERNEL, progress_bar=False, log_output=False,
                                       cwd=str(notebook.parent))
            seconds[notebook] = time.perf_counter() - t0
    return sum(seconds[paths.resolve(r.notebook)] for r in runs)


def floor_one(tmp: Path, repeat: int) -> list[float]:
    """Seconds of ``repeat`` papermill runs of the empty notebook that imports the stack."""
    nb = empty_notebook(tmp / "empty.ipynb")
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        papermill.execute_notebook(str(nb), str(tmp / f"empty_out{i}.ipynb"), kernel_name=runner.KERNEL,
                                   progress_bar=False, log_output=False, cwd=str(tmp))
        times.append(time.perf_counter() - t0)
    return times


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def _ok(results, what: str) -> None:
    failed = [r.output for r in results if r.status == "failed"]
    if failed:
        raise SystemExit(f"{what}: run(s) failed {failed}; the figures would not be meaningful")


def sweep_file(folder: Path, points: int, name: str = "bench_sweep") -> Path:
    doc = {"notebook": SWEEP_NOTEBOOK, "output": name, "description": "benchmark sweep over seeds",
           "parameters": SWEEP_FIXED, "sweep": {"grid": {"seed": list(range(1, points + 1))}}}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def one_round(args) -> list[tuple]:
    """One measurement of every ratio; returns (name, seconds, ratio, target, met) rows."""
    files = runner.discover()
    jobs = min(args.jobs, len(files))
    lines = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # workers and the CLI read the variable; this process resolved paths.PROCESSED at import: set both, so that
        # every run's key names the same processed folder
        os.environ["MYOSITIS_PROCESSED_DIR"] = str(tmp / "processed")
        paths.PROCESSED = tmp / "processed"
        reports = tmp / "reports"
        # the floor is measured just before and just after the cold batches (median of both): on a shared machine
        # the load changes within minutes, and a floor taken only before would compare two different machines
        before = floor_one(tmp, args.repeat)
        first, t_first = timed(runner.run_batch, files, jobs=jobs, reports=reports, force=True)
        _ok(first, "cold batch")
        cold, t_cold = timed(runner.run_batch, files, jobs=jobs, reports=reports, force=True)
        # for comparison, not a target: the same cold batch with every kernel started by jupyter_client
        os.environ[kernel_fork.SWITCH_VAR] = "0"
        try:
            started, t_started = timed(runner.run_batch, files, jobs=jobs, reports=tmp / "started", force=True)
        finally:
            del os.environ[kernel_fork.SWITCH_VAR]
        _ok(started, "cold batch without the kernel server")
        after = floor_one(tmp, args.repeat)
        own = own_floor(tmp, [r for f in files for r in runner.load_runs(f)]) / jobs
        one = statistics.median(before + after)
        floor = one * len(files) / jobs
        print(f"empty-notebook papermill run (median of {args.repeat} before and {args.repeat} after the cold "
              f"batches: {statistics.median(before):.2f} s, {statistics.median(after):.2f} s): {one:.2f} s; "
              f"floor = {one:.2f} x {len(files)} / {jobs} = {floor:.2f} s", flush=True)
        print(f"the same with each run's own notebook imports instead of the issue's stack (which has seaborn, "
              f"lifelines, pingouin and statsmodels.formula.api, imported by no notebook): {own:.2f} s", flush=True)
        lines.append(("1 cold batch (--force; longest first from the records)", t_cold, t_cold / floor, "<= 2.0",
                      t_cold / floor <= 2.0))
        lines.append(("  same, against the floor with the notebooks' own imports (no target)", t_cold, t_cold / own,
                      "--", None))
        print(f"(first cold batch, no records to order by: {t_first:.2f} s = {t_first / floor:.2f} x floor)")
        lines.append(("  same, kernels started by jupyter_client (MYOSITIS_FORK_KERNELS=0; no target)", t_started,
                      t_started / floor, "--", None))

        env = dict(os.environ)
        cmd = [sys.executable, "-m", "myositis", "run", "--jobs", str(jobs), "--reports", str(reports)]
        _, t_warm = timed(subprocess.run, cmd, env=env, cwd=paths.ROOT, check=True, capture_output=True)
        _, t_warm_in = timed(runner.run_batch, files, jobs=jobs, reports=reports)
        lines.append(("2 warm batch, nothing changed (CLI incl. Python start)", t_warm, t_warm / floor, "<= 0.2",
                      t_warm / floor <= 0.2))
        print(f"(warm batch inside this process: {t_warm_in:.2f} s = {t_warm_in / floor:.2f} x floor)")

        params = tmp / "params"
        copies = []
        for f in files:
            dest = params / f.parent.name / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
            copies.append(dest)
        changed = next(c for c in copies if c.parent.name == "tacrolimus_survival")
        doc = yaml.safe_load(changed.read_text(encoding="utf-8"))
        doc["parameters"] = {**(doc.get("parameters") or {}), "reference_draw": 1}
        changed.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        # the CLI, as a researcher runs it (Python start, imports and planning included)
        cmd = [sys.executable, "-m", "myositis", "run", "--jobs", str(jobs), "--reports", str(reports),
               *map(str, copies)]
        _, t_changed = timed(subprocess.run, cmd, env=env, cwd=paths.ROOT, check=True, capture_output=True)
        rec = runner.read_record(reports, doc["output"]) or {}
        own = float(rec.get("seconds") or 0.0)
        lines.append((f"  one params file changed ({doc['output']}: own time {own:.2f} s; CLI)", t_changed,
                      t_changed - own, "<= +1 s", t_changed <= own + 1.0))

        if not args.skip_sweep:
            import myositis.report_html  # noqa: F401  (a pool worker imports it once, not once per run)

            single = runner.run_batch([sweep_file(tmp, 1, "bench_one")], jobs=1, reports=tmp / "one", force=True)
            _ok(single, "single sweep run")
            t_one = single[0].seconds
            spec = sweep_file(tmp, args.points)
            res, t_pool = timed(runner.run_batch, [spec], jobs=args.jobs, reports=tmp / "sweep", force=True)
            _ok(res, "sweep")
            ideal = args.points * t_one / args.jobs
            lines.append((f"3 {args.points}-point tacrolimus sweep, {args.jobs} processes (one run {t_one:.2f} s, "
                          f"ideal {ideal:.1f} s)", t_pool, t_pool / ideal, "<= 1.3", t_pool / ideal <= 1.3))
            if not args.skip_dask:
                from distributed import LocalCluster

                with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
                    res, t_dask = timed(runner.run_batch, [spec], reports=tmp / "sweep", force=True,
                                        scheduler=cluster.scheduler_address)
                _ok(res, "dask sweep")
                lines.append((f"4 same sweep, dask LocalCluster of {args.jobs} workers (vs the pool)", t_dask,
                              t_dask / t_pool, "<= 1.2", t_dask / t_pool <= 1.2))
    return lines


def _table(lines, title: str) -> None:
    print(f"\n{title}\n{'measure':<82}{'seconds':>9}{'ratio':>9}  target")
    for name, seconds, ratio, target, met in lines:
        shown = f"{ratio:+.2f}" if target.startswith("<= +") else f"{ratio:.2f}"
        verdict = "" if met is None else ("met" if met else "NOT MET")
        print(f"{name:<82}{seconds:>9.2f}{shown:>9}  {target}  {verdict}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="floor runs (median)")
    ap.add_argument("--points", type=int, default=40, help="runs in the sweep")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every measurement; medians at the end")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args(argv)
    rounds = []
    for k in range(args.rounds):
        load0 = os.getloadavg()[0]
        lines = one_round(args)
        load = os.getloadavg()
        rounds.append(lines)
        _table(lines, f"round {k + 1} of {args.rounds} ({os.cpu_count()} cores; load average at its start "
                      f"{load0:.2f}, at its end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} over 1/5/15 min)")
    if args.rounds > 1:
        med = []
        for i, (name, _, _, target, _) in enumerate(rounds[0]):
            seconds = statistics.median(r[i][1] for r in rounds)
            ratio = statistics.median(r[i][2] for r in rounds)
            met = (None if target == "--" else ratio <= 1.0 if target == "<= +1 s"
                   else ratio <= float(target.split()[-1]))
            med.append((name, seconds, ratio, target, met))
        _table(med, f"median of {args.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
