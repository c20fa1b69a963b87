"""Mutation check of the SAM rules (issue 12): apply one plausible bug at a time to a scratch copy of the
repository (committed files plus uncommitted edits, never the working tree) and run the SAM and score tests there
(notebook tests deselected). Every mutation must be KILLED (a test fails); a SURVIVED line is a rule no test guards.

    .venv/bin/python tools/sam_mutations.py                 # all mutations (~10 min on 2 cores)
    .venv/bin/python tools/sam_mutations.py "DAYS_PER_MONTH = 30"

The scratch copy is imported first (PYTHONPATH), so the editable install of the working tree is not tested.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

SRC = pathlib.Path(__file__).resolve().parents[1]
SCRATCH = pathlib.Path(tempfile.gettempdir()) / f"myositis_sam_mutations_{os.getpid()}" / "repo"
PY = sys.executable
TESTS = ["tests/test_sam.py", "tests/test_sam_rules.py", "tests/test_sam_multicentre.py",
         "tests/test_sam_literature.py", "tests/test_sam_ingest_robustness.py", "tests/test_scores.py",
         "tests/test_scores_units.py", "tests/test_crf.py"]

MUTATIONS = {
    "death on MAS day counted as before MAS": ("lib/myositis/sam/ingest.py",
        "if pd.notna(death[i]) and death[i] < mas[i]:", "if pd.notna(death[i]) and death[i] <= mas[i]:"),
    "inclusion window end exclusive": ("lib/myositis/sam/ingest.py",
        "pd.Timestamp(start) <= mas[i] <= pd.Timestamp(end)", "pd.Timestamp(start) <= mas[i] < pd.Timestamp(end)"),
    "inclusion window start exclusive": ("lib/myositis/sam/ingest.py",
        "pd.Timestamp(start) <= mas[i] <= pd.Timestamp(end)", "pd.Timestamp(start) < mas[i] <= pd.Timestamp(end)"),
    "duplicate in a file: first row kept whatever": ("lib/myositis/sam/ingest.py",
        "keep = next((r for r in rows if not reasons[r]), rows[0])", "keep = rows[0]"),
    "duplicate in a file: last valid row kept": ("lib/myositis/sam/ingest.py",
        "keep = next((r for r in rows if not reasons[r]), rows[0])",
        "keep = next((r for r in reversed(rows) if not reasons[r]), rows[0])"),
    "duplicate across centres: first row kept whatever": ("lib/myositis/sam/centres.py",
        'keep = next((r for r in survivors if cases.at[r, "exclusion_rule"] == ""), survivors[0])',
        "keep = survivors[0]"),
    "duplicate across centres: last valid row kept": ("lib/myositis/sam/centres.py",
        'keep = next((r for r in survivors if cases.at[r, "exclusion_rule"] == ""), survivors[0])',
        'keep = next((r for r in reversed(survivors) if cases.at[r, "exclusion_rule"] == ""), survivors[0])'),
    "same centre resent: earliest export kept": ("lib/myositis/sam/centres.py",
        'keep = max(rows, key=lambda r: (cases.at[r, "_file_order"], -r))',
        'keep = min(rows, key=lambda r: (cases.at[r, "_file_order"], -r))'),
    "MAS-before-birth check removed": ("lib/myositis/sam/ingest.py",
        "if pd.notna(birth[i]) and mas[i] < birth[i]:", "if False:"),
    "DAYS_PER_MONTH = 30": ("lib/myositis/units.py", "DAYS_PER_MONTH = 365.25 / 12", "DAYS_PER_MONTH = 30"),
    "eCRF triglyceride factor 88.5": ("lib/myositis/crf_fields.yaml",
        "{from: mg/dL, divide_by: 88.57}", "{from: mg/dL, divide_by: 88.5}"),
    "eCRF triglyceride g/L factor 0.885": ("lib/myositis/crf_fields.yaml",
        "{from: g/L, divide_by: 0.8857}", "{from: g/L, divide_by: 0.885}"),
    "scores triglyceride factor 88.5": ("data/raw/published/scores.yaml",
        "triglycerides_mg_dl_per_mmol_l: 88.57", "triglycerides_mg_dl_per_mmol_l: 88.5"),
    "HScore TG mg/dL figure dropped": ("data/raw/published/scores.yaml",
        '{interval: "[1.5, 4]", points: 44, also: {mg/dL: "[132.7, 354]"}}', '{interval: "[1.5, 4]", points: 44}'),
    "HLH-2004 TG mg/dL figure dropped": ("data/raw/published/scores.yaml",
        'interval: "[3.0, inf)", also: {mg/dL: "[265, inf)"}}', 'interval: "[3.0, inf)"}'),
    "MAS 2016 TG mg/dL figure dropped": ("data/raw/published/scores.yaml",
        'interval: "(1.76, inf)", also: {mg/dL: "(156, inf)"}}', 'interval: "(1.76, inf)"}'),
    "score bound tolerance removed": ("lib/myositis/scores.py",
        "return math.isfinite(bound) and math.isclose(x, bound, rel_tol=1e-9, abs_tol=1e-12)",
        "return math.isfinite(bound) and x == bound"),
}


def fresh():
    """A clean scratch copy: ``git archive HEAD`` plus the working tree's uncommitted edits of tracked files."""
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    SCRATCH.mkdir(parents=True)
    tar = subprocess.run(["git", "-C", str(SRC), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(SCRATCH)], input=tar, check=True)
    changed = subprocess.run(["git", "-C", str(SRC), "diff", "--name-only", "HEAD"], capture_output=True, text=True)
    for f in changed.stdout.split():
        if (SRC / f).exists():
            shutil.copy(SRC / f, SCRATCH / f)


def run(names):
    """Apply each named mutation alone, run the tests, print KILLED/SURVIVED with the first failing test."""
    env = dict(os.environ, PYTHONPATH=str(SCRATCH / "lib"))
    for name in names:
        path, old, new = MUTATIONS[name]
        fresh()
        p = SCRATCH / path
        text = p.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, text.count(old))
        p.write_text(text.replace(old, new), encoding="utf-8")
        r = subprocess.run([PY, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist",
                            "-k", "not notebook", *TESTS], cwd=SCRATCH, env=env, capture_output=True, text=True)
        failed = [l for l in r.stdout.splitlines() if l.startswith("FAILED")]
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-300:]
        print(f"{'KILLED ' if r.returncode else 'SURVIVED'} | {name} | {failed[0][7:90] if failed else ''} | {last}",
              flush=True)


if __name__ == "__main__":
    try:
        run(sys.argv[1:] or list(MUTATIONS))
    finally:
        shutil.rmtree(SCRATCH.parent, ignore_errors=True)
