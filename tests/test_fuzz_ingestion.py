"""Fuzz tests of ingestion (issue 9): malformed exports generated from the CRF definition and the Mi2 data
model (seeded corpus of ``tests/ingestion_corpus.py``) and random tables (Hypothesis).

For every file: no raw exception (only the package's named errors), every data row either returned at its file
line or reported at that line, every planted defect reported at its line and field, no value silently wrong,
raw bytes unchanged, no unescaped formula in any export.
"""

from __future__ import annotations

import csv
import io as _io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingestion_corpus as corpus
from myositis import io


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    files = corpus.corpus(seed=20260102, sam_files=56, mi2_files=18, density=0.6)
    folder = tmp_path_factory.mktemp("corpus")
    results = corpus.run_corpus(files, folder)
    for cf in files:
        assert (folder / cf.name).read_bytes() == cf.data, f"{cf.name}: raw file modified"
    return results


def test_corpus_is_big_enough(outcomes):
    malformed = sum(len({d.line for d in o.file.defects}) for o in outcomes)
    assert malformed >= 1000 and len(outcomes) >= 90


def test_no_raw_exception(outcomes):
    crashes = {o.file.name: o.crash for o in outcomes if o.crash}
    assert crashes == {}


def test_unreadable_files_get_a_named_error_naming_the_file(outcomes):
    for o in outcomes:
        if o.file.unreadable:
            assert o.refused and "file not named" not in o.refused, o.file.name


def test_readable_files_are_not_refused(outcomes):
    assert [o.file.name for o in outcomes if o.refused and not o.file.unreadable] == []


def test_every_row_returned_or_reported_at_its_line(outcomes):
    lost = {o.file.name: o.lost for o in outcomes if o.lost}
    renumbered = {o.file.name: o.renumbered for o in outcomes if o.renumbered}
    assert lost == {} and renumbered == {}


def test_no_value_silently_wrong(outcomes):
    assert {o.file.name: o.wrong_values for o in outcomes if o.wrong_values} == {}


def test_planted_defects_reported_at_their_line_and_field(outcomes):
    found = sum(o.found for o in outcomes)
    planted = sum(d.report for o in outcomes if not o.file.unreadable for d in o.file.defects)
    missed = {o.file.name: o.missed for o in outcomes if o.missed}
    assert found >= 0.99 * planted, missed


def test_no_formula_in_exports(outcomes):
    assert {o.file.name: o.formulas for o in outcomes if o.formulas} == {}


# --- random tables ------------------------------------------------------------------------------------------

cell = st.text(alphabet=st.sampled_from(list("ab1;,.\"\n '=-é")), max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=12),
       noise=st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["", "x;y;z;w", "1;2", '"', "title"])),
                      max_size=3))
def test_random_tables_every_line_accounted_for(tmp_path, rows, noise):
    """Well-quoted rows come back with their values at their line; each line of noise is a row or an issue."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["h1", "h2", "h3"])
    writer.writerows(rows)
    lines = buffer.getvalue().split("\n")[:-1]
    for at, text in sorted(noise, reverse=True):
        at = min(max(1, at), len(lines))
        if any(line.count('"') % 2 for line in lines[:at]):
            continue  # never cut a quoted value spanning lines
        lines.insert(at, text)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    f = tmp_path / "t.csv"
    f.write_bytes(data)
    df, info = io.read_table(f, separator=";")
    assert f.read_bytes() == data
    reported = {i.row for i in info.issues if i.row is not None}
    errors = {i.row for i in info.issues if i.row is not None and i.severity == "error"}
    covered = set(reported) | {info.header_line}
    for k, start in enumerate(info.lines):
        covered |= set(range(start, start + sum(v.count("\n") for v in df.iloc[k]) + 1))
    assert not errors & set(info.lines), "a row reported as not read was returned"
    assert covered >= set(range(1, len(lines) + 1)), "a line neither returned nor reported"
    assert list(df.columns) == ["h1", "h2", "h3"] and all(isinstance(v, str) for v in df.to_numpy().ravel())
