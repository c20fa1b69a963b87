"""The whole batch, as `make run` runs it: twice (with forked kernels, then with kernels jupyter_client starts), to
check determinism, and its reports in a real browser."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from myositis import paths, runner
from conftest import require_tool

pytestmark = pytest.mark.batch


def _run_batch(reports: Path, processed: Path, *extra: str, fork: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, MYOSITIS_PROCESSED_DIR=str(processed), MYOSITIS_FORK_KERNELS="1" if fork else "0")
    return subprocess.run([sys.executable, "-m", "myositis", "run", "--jobs", "2", "--reports", str(reports),
                           *extra], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=1200)


def _digests(folder: Path, pattern: str = "*") -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob(pattern)) if p.is_file()}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    out = []
    for name, fork in (("first", True), ("second", False)):
        # --force: both batches execute every notebook, whatever an earlier record says; the first forks its
        # kernels from the kernel server (myositis.kernel_fork), the second starts them as jupyter_client does:
        # the byte-identical comparisons below also check that forking changes no result
        proc = _run_batch(base / name / "reports", base / name / "processed", "--force", fork=fork)
        assert proc.returncode == 0, f"batch failed:\n{proc.stdout}\n{proc.stderr}"
        out.append((base / name, proc))
    return out


def test_batch_runs_every_params_file_and_prints_timings(two_runs):
    (first, proc), _ = two_runs
    runs = json.loads((first / "reports" / "runs.json").read_text())["runs"]
    assert [r["output"] for r in runs] == [runner.load_run(p).output for p in runner.discover()]
    assert all(r["status"] == "ok" for r in runs)
    for r in runs:
        assert (first / "reports" / f"{r['output']}.html").exists()
        assert r["output"] in proc.stdout
    assert "batch wall time" in proc.stdout


def test_batch_again_reruns_nothing(two_runs):
    """`make run` twice in a row: the second re-runs nothing (every dependency hash unchanged)."""
    (first, _), _ = two_runs
    proc = _run_batch(first / "reports", first / "processed")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = json.loads((first / "reports" / "runs.json").read_text())["runs"]
    assert {r["status"] for r in runs} == {"reused"}, proc.stdout
    assert " start " not in proc.stdout and "0 to run" in proc.stdout


def test_processed_files_are_byte_identical_across_runs(two_runs):
    (first, _), (second, _) = two_runs
    a, b = _digests(first / "processed"), _digests(second / "processed")
    assert a, "the batch wrote nothing to data/processed"
    assert a == b


def test_figures_are_byte_identical_across_runs(two_runs):
    """nbval does not compare images; a seeded figure must be the same bytes run to run."""
    (first, _), (second, _) = two_runs
    a, b = _digests(first / "reports", "*.png"), _digests(second / "reports", "*.png")
    assert a == b


def _outputs(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [json.dumps({k: v for k, v in o.items() if k not in ("execution_count", "metadata")}, sort_keys=True)
            for c in nb["cells"] for o in c.get("outputs", [])]


def test_notebook_outputs_are_identical_across_runs(two_runs):
    """Every output of every executed notebook (text, tables, images), forked kernels against started ones."""
    (first, _), (second, _) = two_runs
    names = sorted(p.name for p in (first / "reports").glob("*.ipynb"))
    assert names == sorted(p.name for p in (second / "reports").glob("*.ipynb")) and names
    for name in names:
        assert _outputs(first / "reports" / name) == _outputs(second / "reports" / name), name


def _browser():
    chromedriver = require_tool("chromedriver", "MYOSITIS_REQUIRE_BROWSER")
    chromium = require_tool("chromium", "MYOSITIS_REQUIRE_BROWSER")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--allow-file-access-from-files"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(chromedriver), options=opts)


BROKEN_IMAGES = "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80));"
ERRORS = """return Array.from(document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output'))
  .map(e => e.innerText).filter(t => /Traceback \\(most recent call last\\)|Error:|Exception:/.test(t)).map(t => t.slice(0, 200));"""


@pytest.mark.browser
def test_reports_open_in_headless_chromium_with_every_image(two_runs):
    (first, _), _ = two_runs
    reports = first / "reports"
    driver = _browser()
    try:
        driver.get((reports / "index.html").as_uri())
        assert "Myositis notebooks" in driver.title
        assert driver.execute_script(BROKEN_IMAGES) == []
        pages = driver.execute_script(
            "return Array.from(document.links).map(a => a.href).filter(h => h.endsWith('.html'));")
        expected = {(reports / f"{runner.load_run(p).output}.html").as_uri() for p in runner.discover()}
        assert expected <= set(pages)
        for page in sorted(set(pages)):
            driver.get(page)
            n_images = driver.execute_script("return document.images.length;")
            assert driver.execute_script(BROKEN_IMAGES) == [], page
            assert driver.execute_script(ERRORS) == [], page
            body = driver.find_element("tag name", "body").text
            assert len(body) > 200, f"{page} rendered almost nothing"
            if page in expected and "00_published_facts" not in page:  # notebook reports (not exported tables)
                assert n_images > 0, f"{page} shows no figure"
    finally:
        driver.quit()
