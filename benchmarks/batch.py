"""Batch wall time of the runner against its floor (printed figures, not a timed test).

floor = (one papermill run of an empty notebook that imports the same stack) x (number of runs) / jobs.
Target: batch / floor <= 1.3. Usage: .venv/bin/python benchmarks/batch.py [--jobs N] [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from myositis import runner

STACK = ("import numpy, pandas, scipy.stats, matplotlib.pyplot, seaborn, lifelines, statsmodels.formula.api, "
         "tableone, pingouin, myositis.published, myositis.io\n"
         "from myositis.figures import style\nstyle.use()")


def empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(STACK)]
    nbformat.write(nb, path)
    return path


def floor_one(tmp: Path, repeat: int) -> float:
    nb = empty_notebook(tmp / "empty.ipynb")
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        papermill.execute_notebook(str(nb), str(tmp / f"empty_out{i}.ipynb"), kernel_name="python3",
                                   progress_bar=False, log_output=False, cwd=str(tmp))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="floor runs (median)")
    args = ap.parse_args(argv)
    files = runner.discover()
    jobs = min(args.jobs, len(files))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        one = floor_one(tmp, args.repeat)
        os.environ["MYOSITIS_PROCESSED_DIR"] = str(tmp / "processed")
        runner.run_batch(files, jobs=jobs, reports=tmp / "reports")  # warm-up; its timings order the next batch
        t0 = time.perf_counter()
        results = runner.run_batch(files, jobs=jobs, reports=tmp / "reports")
        wall = time.perf_counter() - t0
    if any(r.status != "ok" for r in results):
        print("a run failed; figures below are not meaningful", file=sys.stderr)
        return 1
    floor = one * len(files) / jobs
    print(f"\nnotebooks: {len(files)}  jobs: {jobs}")
    print(f"empty-notebook papermill run (median of {args.repeat}): {one:.2f} s")
    print(f"floor = {one:.2f} s x {len(files)} / {jobs} = {floor:.2f} s")
    print(f"batch wall time (runner, incl. HTML and index): {wall:.2f} s")
    for r in results:
        print(f"  {r.output:<28} {r.seconds:6.1f} s")
    print(f"ratio batch / floor = {wall / floor:.2f}  (target <= 1.3)")
    busy = sum(r.seconds for r in results)
    print(f"runner overhead: batch / (sum of per-run times {busy:.1f} s / {jobs} jobs) = {wall / (busy / jobs):.2f}"
          "  (1.0 = perfect packing; above the floor ratio, the rest is the notebooks' own work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
