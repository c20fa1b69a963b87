"""Ingestion corpus figures (issue 9): run ``.venv/bin/python benchmarks/ingestion.py [--legacy-rows]``.

Generates the seeded corpus of malformed SAM and Mi2 exports of ``tests/ingestion_corpus.py`` (CRF definition
and Mi2 data model, defects planted at known lines and fields), loads every file with the project's loaders and
prints, per loader: files, data rows, crashes with a raw exception, rows lost silently, rows returned under
another row number, values silently wrong, planted defects reported at the right row and field, formulas left
unescaped in the exports, and the time taken. ``--legacy-rows`` scores row numbers with the convention of the
code before issue 9 (1-based data row, header excluded, blank lines skipped) so the "before" figures are fair.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import ingestion_corpus as corpus  # noqa: E402


def legacy_row(line: int, cf) -> int:
    """Row number under the old convention: ordinal of the data row among the file's data rows."""
    ordered = sorted(cf.rows)
    return ordered.index(line) + 1 if line in cf.rows else line - 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--legacy-rows", action="store_true")
    parser.add_argument("--details", action="store_true", help="print each file's misses")
    args = parser.parse_args(argv)
    files = corpus.corpus(args.seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        outcomes = corpus.run_corpus(files, folder, legacy_row if args.legacy_rows else None)
        raw_unchanged = sum((folder / cf.name).read_bytes() == cf.data for cf in files)
    elapsed = time.perf_counter() - start
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 80)
    print(f"corpus seed {args.seed}: {len(files)} files, rows numbered as "
          f"{'data-row ordinals (old convention)' if args.legacy_rows else 'file lines'}")
    print(corpus.summary(outcomes).to_string())
    print(f"raw files unchanged: {raw_unchanged} / {len(files)}")
    print(f"time: {elapsed:.1f} s for {sum(o.rows_in for o in outcomes)} rows")
    if args.details:
        for o in outcomes:
            if o.crash or o.lost or o.renumbered or o.wrong_values or o.missed or o.formulas or (
                    o.refused and not o.file.unreadable):
                print(f"\n{o.file.name}: crash={o.crash} refused={o.refused} lost={o.lost[:5]} "
                      f"renumbered={o.renumbered[:5]} wrong={o.wrong_values[:3]} missed={o.missed[:5]} "
                      f"formulas={o.formulas}")


if __name__ == "__main__":
    main()
