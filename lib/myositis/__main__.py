"""Command line: ``python -m myositis run|html|refresh|manifest|crf``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .exceptions import MyositisError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m myositis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run notebooks through papermill into reports/")
    p_run.add_argument("params", nargs="*", help="params YAML files (default: every params/*/*.yaml)")
    p_run.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebooks (default: cores)")
    p_run.add_argument("--reports", default=None,
                       help="report folder for every run (default: reports/, or data/private/reports/ for a run "
                            "reading data/private/)")
    p_run.add_argument("--force", action="store_true", help="re-run every run, even when nothing it depends on "
                                                            "changed")
    p_run.add_argument("--scheduler", default=None,
                       help="dask.distributed scheduler address, e.g. tcp://host:8786 (default: "
                            "DASK_SCHEDULER_ADDRESS, else local processes)")
    p_html = sub.add_parser("html", help="render an executed notebook (e.g. papermill's output) to HTML beside it "
                                         "and list it in that folder's index.html")
    p_html.add_argument("notebooks", nargs="+", help="executed .ipynb files")
    p_ref = sub.add_parser("refresh", help="rebuild notebooks from their .py twins and execute them in place")
    p_ref.add_argument("notebooks", nargs="*", help="notebooks/<name>.py (default: all)")
    p_ref.add_argument("--kernel-only", action="store_true",
                       help="only write the project kernelspec into the notebooks' metadata (no execution)")
    p_man = sub.add_parser("manifest", help="check data/raw against data/raw/manifest.csv")
    p_man.add_argument("--update", action="store_true", help="rewrite the manifest from the files present")
    p_crf = sub.add_parser("crf", help="write the REDCap data dictionary and Excel template of the SAM eCRF")
    p_crf.add_argument("--out", default="build/crf", help="output folder (default: build/crf)")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            from . import runner

            return runner.main(args.params, jobs=args.jobs, reports=args.reports, force=args.force,
                               scheduler=args.scheduler)
        if args.command == "html":
            from . import paths, report_index, runner

            for nb in args.notebooks:
                src = Path(nb).resolve() if Path(nb).exists() else paths.resolve(nb)
                if not src.is_file():
                    print(f"error: {nb}: no such notebook", file=sys.stderr)
                    return 2
                runner.to_html(src, src.with_suffix(".html"))
                print(f"wrote {paths.relative(src.with_suffix('.html'))}")
                index = report_index.add_rendered(src, src.with_suffix(".html"))
                print(f"listed in {paths.relative(index)}")
            return 0
        if args.command == "refresh":
            from . import notebooks, paths

            targets = args.notebooks or [py for _, py in notebooks.pairs() if py.exists()]
            for t in targets:
                print(f"refresh {paths.relative(paths.resolve(t))}", flush=True)
                if args.kernel_only:
                    notebooks.set_kernelspec(t)
                else:
                    notebooks.refresh(t)
            return 0
        if args.command == "manifest":
            from . import manifest, paths

            if args.update:
                print(f"wrote {paths.relative(manifest.update())}")
                return 0
            manifest.check()
            print("data/raw matches data/raw/manifest.csv")
            return 0
        if args.command == "crf":
            from . import crf, paths

            for path in crf.write_crf_outputs(paths.resolve(args.out)):
                print(f"wrote {paths.relative(path)}")
            return 0
    except MyositisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0  # pragma: no cover


if __name__ == "__main__":
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        # the batch has written and closed every file and shut its kernels down: leave without tearing down the
        # modules papermill and nbconvert loaded (about 0.5 s of a one-run batch)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
