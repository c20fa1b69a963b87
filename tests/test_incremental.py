"""What a run depends on (content hashes), and the batch skipping what did not change."""

import json

import pytest

from myositis import incremental, paths, runner
from test_runner import make_notebook, make_params

PKG = "lib/myositis/"


def _names(files):
    return {incremental.shown(f).removeprefix(PKG) for f in files}


def test_imported_modules_follow_imports_inside_the_package():
    found = _names(incremental.imported_modules(["from myositis.figures import km, style\nimport numpy"]))
    # figures/km.py imports the survival package, which imports its own modules (relative imports)
    assert {"__init__.py", "figures/__init__.py", "figures/km.py", "figures/style.py", "paths.py",
            "survival/__init__.py", "survival/estimation.py"} <= found
    assert "sam.py" not in found and "mi2.py" not in found and "runner.py" not in found


def test_imported_modules_reads_aliases_and_parenthesised_lists():
    found = _names(incremental.imported_modules(["from myositis import (results,\n  paths)\n"
                                                 "from myositis.figures import mi2 as f"]))
    assert {"results.py", "paths.py", "figures/mi2.py"} <= found
    assert not {p for p in found if p.startswith("sam/")}  # only what is imported, not the whole package


def test_parameter_files_are_found_in_nested_values_and_outputs_are_not(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x\n1\n")
    b = tmp_path / "b.csv"
    b.write_text("y\n")
    params = {"cohorts": {"arm": {"curve": str(a), "n": 3}}, "files": [str(b), "not/a/file.csv"],
              "output_dir": "reports/x", "processed_dir": "data/processed/x"}
    assert incremental.parameter_files(params) == sorted([a.resolve(), b.resolve()])


def test_changes_name_each_changed_dependency():
    base = {"format": 1, "notebook": {"n.ipynb": "1"}, "parameters": "p", "code": {"m.py": "1"},
            "inputs": {"d.csv": "1"}, "environment": {"requirements.txt": "1"}}
    assert incremental.changes(base, json.loads(json.dumps(base))) == []
    new = json.loads(json.dumps(base))
    new["code"]["m.py"] = "2"
    new["inputs"]["e.csv"] = "1"
    new["parameters"] = "q"
    why = incremental.changes(base, new)
    assert why == ["package code changed: m.py", "input changed: e.csv", "parameters changed"]
    assert incremental.changes(None, base) == ["no earlier record"]
    assert incremental.key(base) != incremental.key(new)


def test_notebook_hash_ignores_outputs_but_not_code(tmp_path):
    import nbformat

    nb_path = make_notebook(tmp_path / "n.ipynb", "print(y)")
    h = incremental.notebook_hash(nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.metadata["kernelspec"]["display_name"] = "other"
    nbformat.write(nb, nb_path)
    assert incremental.notebook_hash(nb_path) == h
    nb.cells[3].source = "print(y + 1)"
    nbformat.write(nb, nb_path)
    assert incremental.notebook_hash(nb_path) != h


def _statuses(reports):
    return {r["output"]: (r["status"], r["reason"]) for r in
            json.loads((reports / "runs.json").read_text())["runs"]}


def test_second_batch_reuses_and_reruns_only_what_changed(tmp_path, capsys):
    data = tmp_path / "cohort.csv"
    data.write_text("id\n1\n")
    nb = make_notebook(tmp_path / "n.ipynb", "print(open(f).read())", params="x = 1\nf = ''")
    one = make_params(tmp_path / "one.yaml", nb, output="one", parameters={"x": 1, "f": str(data)})
    two = make_params(tmp_path / "two.yaml", nb, output="two", parameters={"x": 2, "f": str(data)})
    reports = tmp_path / "reports"
    files = [str(one), str(two)]
    assert runner.main(files, jobs=2, reports=str(reports)) == 0
    first = json.loads((reports / "one.run.json").read_text())
    assert len(first["key"]) == 64 and first["dependencies"]["inputs"][str(data.resolve())]
    capsys.readouterr()

    assert runner.main(files, jobs=2, reports=str(reports)) == 0  # nothing changed: nothing runs
    out = capsys.readouterr().out
    assert "0 to run, 2 unchanged" in out and "start" not in out
    assert _statuses(reports) == {"one": ("reused", "unchanged"), "two": ("reused", "unchanged")}
    index = (reports / "index.html").read_text()
    assert index.count(">reused<") == 2 and f"made {first['made']}" in index

    make_params(two, nb, output="two", parameters={"x": 3, "f": str(data)})  # one params file changed
    assert runner.main(files, jobs=2, reports=str(reports)) == 0
    assert _statuses(reports) == {"one": ("reused", "unchanged"), "two": ("ok", "parameters changed")}

    data.write_text("id\n2\n")  # an input file named in the parameters changed: both re-run
    assert runner.main(files, jobs=2, reports=str(reports)) == 0
    assert {s for s, _ in _statuses(reports).values()} == {"ok"}
    assert _statuses(reports)["one"][1] == f"input changed: {data.resolve()}"

    (reports / "one.html").unlink()  # a product missing is rebuilt
    assert runner.main([str(one)], jobs=1, reports=str(reports)) == 0
    assert _statuses(reports) == {"one": ("ok", "report or a file of it missing")}
    # the index still lists the run that was not part of this batch
    index = (reports / "index.html").read_text()
    assert 'href="two.html"' in index and "earlier batch" in index

    assert runner.main(files, jobs=2, reports=str(reports), force=True) == 0
    assert _statuses(reports) == {"one": ("ok", "--force"), "two": ("ok", "--force")}


def test_a_failed_run_is_always_rerun(tmp_path):
    nb = make_notebook(tmp_path / "bad.ipynb", "raise ValueError('no')")
    p = make_params(tmp_path / "bad.yaml", nb, output="bad")
    reports = tmp_path / "reports"
    assert runner.main([str(p)], jobs=1, reports=str(reports)) == 1
    assert runner.main([str(p)], jobs=1, reports=str(reports)) == 1
    assert _statuses(reports) == {"bad": ("failed", "earlier run failed")}


def test_private_inputs_send_reports_to_the_private_folder(tmp_path, monkeypatch):
    private = tmp_path / "private"
    private.mkdir()
    (private / "cohort.csv").write_text("id\n1\n")
    monkeypatch.setattr(paths, "PRIVATE", private)
    nb = make_notebook(tmp_path / "n.ipynb", "print(f)", params="x = 1\nf = ''")
    mine = runner.load_run(make_params(tmp_path / "mine.yaml", nb, output="mine",
                                       parameters={"f": str(private / "cohort.csv")}))
    assert mine.reports == str(private / "reports")
    public = runner.load_run(make_params(tmp_path / "pub.yaml", nb, output="pub", parameters={"x": 2}))
    assert public.reports == str(paths.REPORTS)
    told = runner.load_run(make_params(tmp_path / "told.yaml", nb, output="told", reports=str(tmp_path / "r"),
                                       parameters={"f": str(private / "cohort.csv")}))
    assert told.reports == str(tmp_path / "r")
    swept = runner.load_run(make_params(tmp_path / "sw.yaml", nb, output="sw",
                                        sweep={"points": [{"f": str(private / "cohort.csv")}]}))
    assert swept.reports == str(private / "reports")


def test_index_lists_reports_of_earlier_batches_with_their_provenance(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)")
    reports = tmp_path / "reports"
    a = make_params(tmp_path / "a.yaml", nb, output="a")
    b = make_params(tmp_path / "b.yaml", nb, output="b", parameters={"x": 5})
    assert runner.main([str(a)], jobs=1, reports=str(reports)) == 0
    (reports / "a").mkdir(exist_ok=True)
    (reports / "a" / "provenance.json").write_text(json.dumps(
        {"schema": "myositis.provenance/1", "kind": "own", "kind_label": "own cohort",
         "summary": "Data: own cohort · x.xlsx sha256 3f9a1c0b2e7d · 40 patients"}))
    assert runner.main([str(b)], jobs=1, reports=str(reports)) == 0
    index = (reports / "index.html").read_text()
    assert 'href="a.html"' in index and 'href="b.html"' in index
    assert "Data: own cohort · x.xlsx sha256 3f9a1c0b2e7d · 40 patients" in index
    assert "no patient-level data" not in index


@pytest.mark.parametrize("bad, message", [
    ({"grid": {"nope": [1]}}, r"sweep \['nope'\] not parameter"),
    ({"grid": {"x": []}}, "non-empty list"),
    ({"points": [1]}, "list of mappings"),
    ({"gird": {"x": [1]}}, "unknown key"),
])
def test_bad_sweeps_are_named_errors(tmp_path, bad, message):
    from myositis.exceptions import ParamsError

    nb = make_notebook(tmp_path / "n.ipynb", "print(y)")
    with pytest.raises(ParamsError, match=message):
        runner.load_run(make_params(tmp_path / "s.yaml", nb, output="s", sweep=bad))
