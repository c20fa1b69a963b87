"""Time of each cell of a notebook executed with its default parameters (printed figures, not a timed test).

Usage: .venv/bin/python benchmarks/notebook_cells.py notebooks/mi2_phenotype.ipynb [--repeat 3] [--top 12]
Prints, per code cell, the median over the repeats of the time between the kernel starting the cell and its
reply (nbclient's timing metadata), with the cell's first line, then the total and the kernel start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from myositis import paths


def _seconds(meta: dict) -> float:
    t = meta.get("execution", {})
    a, b = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (a and b):
        return float("nan")
    parse = dt.datetime.fromisoformat
    return (parse(b.replace("Z", "+00:00")) - parse(a.replace("Z", "+00:00"))).total_seconds()


def time_cells(notebook: Path) -> tuple[list[tuple[int, str, float]], float, float]:
    """Per-cell seconds (index, first line, seconds), wall time, kernel start time of one execution."""
    nb = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory():
        client = NotebookClient(nb, timeout=900, kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                                record_timing=True, resources={"metadata": {"path": str(notebook.parent)}})
        t0 = time.perf_counter()
        with client.setup_kernel():
            t_kernel = time.perf_counter() - t0
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
        wall = time.perf_counter() - t0
    rows = [(i, (c.source.strip().splitlines() or [""])[0][:70], _seconds(c.metadata))
            for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return rows, wall, t_kernel


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("notebook")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--top", type=int, default=0, help="show only the N slowest cells (0: all)")
    args = ap.parse_args(argv)
    notebook = paths.resolve(args.notebook)
    runs = [time_cells(notebook) for _ in range(args.repeat)]
    cells = runs[0][0]
    med = [statistics.median(r[0][k][2] for r in runs) for k in range(len(cells))]
    shown = sorted(range(len(cells)), key=lambda k: -med[k])[:args.top] if args.top else range(len(cells))
    print(f"{paths.relative(notebook)}: median of {args.repeat} execution(s)")
    print(f"{'cell':>5} {'seconds':>8}  first line")
    for k in shown:
        i, line, _ = cells[k]
        print(f"{i + 1:>5} {med[k]:8.2f}  {line}")
    print(f"sum of cells {sum(med):.2f} s; wall {statistics.median(r[1] for r in runs):.2f} s "
          f"(kernel start {statistics.median(r[2] for r in runs):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
