"""Privacy scan: no recognition code, birth date or e-mail address in anything that is committed or published
(notebooks with their outputs, reports, processed data, documentation, code). Fails naming the file and match.

The recognition codes and birth dates searched are those of every export the repository holds (the synthetic
series and the test fixtures); a real export lives in data/private/ (git-ignored) and is scanned the same way
when present."""

import re
import subprocess
from pathlib import Path

import pytest

from myositis import paths, sam

FIXTURES = Path(__file__).parent / "fixtures"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
BINARY = {".png", ".pdf", ".xlsx", ".xls", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".zip", ".gz", ".pyc"}
#: Where identifiers legitimately live: the raw inputs themselves (synthetic) and the private folder.
RAW_HOMES = (paths.RAW, FIXTURES, paths.PRIVATE)


def _exports() -> list[Path]:
    found = [paths.resolve(sam.SYNTHETIC_FILE), *sorted(FIXTURES.glob("sam_*.csv"))]
    if paths.PRIVATE.exists():
        found += sorted(p for p in paths.PRIVATE.rglob("*") if p.suffix.lower() in {".csv", ".xlsx"})
    return found


def _identifiers() -> list[str]:
    out = set()
    for export in _exports():
        cases, _ = sam.load_crf(export)
        out |= set(sam.privacy_strings(cases))
    return sorted(out)


def _published_files() -> list[Path]:
    """Files that are (or would be) committed, plus the git-ignored outputs that get shared (reports, processed)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=paths.ROOT,
                                capture_output=True, text=True, check=True).stdout.splitlines()
        files = {paths.ROOT / f for f in listed}
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: scan the usual folders
        files = {p for d in ("notebooks", "docs", "lib", "params", "tests") for p in (paths.ROOT / d).rglob("*")}
    for folder in (paths.PROCESSED, paths.REPORTS, paths.NOTEBOOKS):
        if folder.exists():
            files |= set(folder.rglob("*"))
    return sorted(p for p in files if p.is_file() and p.suffix.lower() not in BINARY)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return path.read_text(encoding="cp1252", errors="replace")


def _outside_raw_homes(path: Path) -> bool:
    return not any(home.resolve() in path.resolve().parents for home in RAW_HOMES)


def _identifier_hits(files, identifiers) -> list[str]:
    """``file: match`` for every identifier found in a file outside the raw homes (this test file excepted)."""
    pattern = re.compile("|".join(re.escape(s) for s in identifiers))
    hits = []
    for path in files:
        if not _outside_raw_homes(path) or path.name == Path(__file__).name:
            continue
        hits += [f"{paths.relative(path)}: {m.group()}" for m in pattern.finditer(_read(path))]
    return hits


def _email_hits(files) -> list[str]:
    return [f"{paths.relative(path)}: {m.group()}" for path in files if path.name != Path(__file__).name
            for m in EMAIL.finditer(_read(path))]


def test_identifier_list_is_not_empty():
    identifiers = _identifiers()
    assert any(re.fullmatch(r"[A-Z]{4}\d{8}[A-Z]{3}", s) for s in identifiers)
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", s) for s in identifiers)


def test_no_recognition_code_or_birth_date_outside_raw_data():
    hits = _identifier_hits(_published_files(), _identifiers())
    assert not hits, "identifiers found outside data/raw, tests/fixtures and data/private:\n" + "\n".join(hits)


def test_no_email_address_anywhere():
    hits = _email_hits(_published_files())
    assert not hits, "e-mail addresses found (the seed's contacts must stay out of the repository):\n" + "\n".join(hits)


def test_scan_catches_a_planted_leak(tmp_path):
    """The scan is not vacuous: the scanning functions the two tests above use report each recognition code,
    birth date and e-mail of a planted report, and nothing in the raw export (where identifiers belong)."""
    identifiers = _identifiers()
    code = next(s for s in identifiers if re.fullmatch(r"[A-Z]{4}\d{8}[A-Z]{3}", s))
    birth = next(s for s in identifiers if re.fullmatch(r"\d{2}/\d{2}/\d{4}", s))
    leak = tmp_path / "report.html"
    leak.write_text(f"<td>{code}</td><td>{birth}</td> contact: someone@example.org", encoding="utf-8")
    raw = paths.resolve(sam.SYNTHETIC_FILE)
    files = [leak, raw]
    shown = paths.relative(leak)
    assert sorted(_identifier_hits(files, identifiers)) == sorted([f"{shown}: {code}", f"{shown}: {birth}"])
    assert _email_hits(files) == [f"{shown}: someone@example.org"]
