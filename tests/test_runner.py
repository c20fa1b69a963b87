"""The batch runner: params checks before anything runs, failures named, no stale success left behind."""

import json

import nbformat
import pytest
import yaml

from myositis import runner
from myositis.exceptions import ParamsError


def make_notebook(path, body: str, params: str = "x = 1"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), p, nbformat.v4.new_code_cell("y = x + 1"),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def make_params(path, notebook, output="t", parameters=None, **extra):
    doc = {"notebook": str(notebook), "output": output, "parameters": parameters or {}, **extra}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_unknown_parameter_is_an_error_naming_file_and_key(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)")
    p = make_params(tmp_path / "p.yaml", nb, parameters={"xx": 2})
    with pytest.raises(ParamsError, match=r"p.yaml: \['xx'\] not parameter\(s\) of .*declares \['x'\]"):
        runner.load_run(p)


def test_unknown_key_and_missing_notebook(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)")
    with pytest.raises(ParamsError, match="unknown key"):
        runner.load_run(make_params(tmp_path / "p.yaml", nb, paramters={}))
    with pytest.raises(ParamsError, match="notebook .*nope.ipynb not found"):
        runner.load_run(make_params(tmp_path / "q.yaml", tmp_path / "nope.ipynb"))


def test_every_committed_params_file_is_valid():
    files = runner.discover()
    assert files, "no params files"
    runs = [runner.load_run(f) for f in files]
    assert len({r.output for r in runs}) == len(runs)


def test_batch_success_failure_and_no_stale_report(tmp_path, capsys):
    ok = make_params(tmp_path / "ok.yaml", make_notebook(tmp_path / "ok.ipynb", "print('result', y)"),
                     output="good", parameters={"x": 41})
    bad_nb = make_notebook(tmp_path / "bad.ipynb", "raise ValueError('ferritin column missing')")
    bad = make_params(tmp_path / "bad.yaml", bad_nb, output="bad")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "bad.html").write_text("an old successful report")  # must not survive a failed run
    (reports / "bad.ipynb").write_text("{}")
    code = runner.main([str(ok), str(bad)], jobs=2, reports=str(reports))
    out = capsys.readouterr()
    assert code == 1
    assert "FAILED bad" in out.out and "ok     good" in out.out
    assert "failed in cell 4" in out.out and "ValueError: ferritin column missing" in out.out
    assert "1 run(s) failed: bad" in out.err and "ValueError: ferritin column missing" in out.err
    from myositis.exceptions import NotebookRunError

    with pytest.raises(NotebookRunError, match="failed in cell 4"):
        runner.check([runner.Result("bad", "n", "p", "", "failed", 1.0, "bad.ipynb failed in cell 4")])
    assert not (reports / "bad.html").exists() and not (reports / "bad.ipynb").exists()
    assert (reports / "bad.failed.html").exists() and (reports / "good.html").exists()
    executed = nbformat.read(reports / "good.ipynb", as_version=4)
    assert any("result 42" in o.get("text", "") for c in executed.cells if c.cell_type == "code"
               for o in c.get("outputs", []))
    runs = json.loads((reports / "runs.json").read_text())["runs"]
    assert [r["status"] for r in runs] == ["ok", "failed"]
    index = (reports / "index.html").read_text()
    assert 'href="good.html"' in index and 'href="bad.failed.html"' in index and "FAILED" in index


def test_html_command_renders_a_papermill_output(tmp_path):
    """The README's papermill route ends with `python -m myositis html <executed.ipynb>`."""
    import papermill

    from myositis.__main__ import main

    nb = make_notebook(tmp_path / "n.ipynb", "print('value', y)")
    out = tmp_path / "private" / "mine.ipynb"
    out.parent.mkdir()
    papermill.execute_notebook(str(nb), str(out), parameters={"x": 6}, kernel_name="python3",
                               progress_bar=False, log_output=False)
    assert main(["html", str(out)]) == 0
    assert "value 7" in (tmp_path / "private" / "mine.html").read_text()
    assert main(["html", str(tmp_path / "nope.ipynb")]) == 2


def test_html_command_lists_the_papermill_report_in_the_folder_index(tmp_path, capsys):
    """README's papermill route: `myositis html` adds the report, with its provenance, to the index of the folder
    it writes into, beside the runner's reports (none dropped); rendering again updates the row, not a copy."""
    import papermill

    from myositis.__main__ import main

    reports = tmp_path / "reports"
    good = make_notebook(tmp_path / "good.ipynb", "print('result', y)")
    assert runner.main([str(make_params(tmp_path / "good.yaml", good, output="good"))], jobs=1,
                       reports=str(reports)) == 0
    body = ("import json, pathlib\n"
            "d = pathlib.Path(output_dir); d.mkdir(parents=True, exist_ok=True)\n"
            "(d / 'provenance.json').write_text(json.dumps({'summary': 'own data: cohort.csv sha256 ab12cd34, "
            "12 patients', 'kind': 'own'}))\n"
            "(d / 'table.csv').write_text('a\\n1\\n')\n"
            "print('value', y)")
    nb = make_notebook(tmp_path / "n.ipynb", body, params="x = 1\noutput_dir = ''")
    out = reports / "mine.ipynb"
    papermill.execute_notebook(str(nb), str(out), parameters={"x": 6, "output_dir": str(reports / "mine")},
                               kernel_name="python3", progress_bar=False, log_output=False)
    assert main(["html", str(out)]) == 0
    assert "listed in" in capsys.readouterr().out
    index = (reports / "index.html").read_text()
    assert 'href="good.html"' in index and 'href="mine.html"' in index
    assert "own data: cohort.csv sha256 ab12cd34, 12 patients" in index and 'href="mine/table.csv"' in index
    assert "x=6" in index and "papermill" in index and "Other reports (no run record)" not in index
    record = json.loads((reports / "mine.run.json").read_text())
    assert record["route"] == "papermill" and record["status"] == "ok" and record["parameters"]["x"] == 6
    assert main(["html", str(out)]) == 0  # again: one row
    assert (reports / "index.html").read_text().count('href="mine.html"') == 1
    # a runner batch afterwards keeps the papermill report; html on the runner's own notebook keeps its record
    assert runner.main([str(tmp_path / "good.yaml")], jobs=1, reports=str(reports)) == 0
    assert 'href="mine.html"' in (reports / "index.html").read_text()
    good_record = (reports / "good.run.json").read_text()
    assert main(["html", str(reports / "good.ipynb")]) == 0
    assert (reports / "good.run.json").read_text() == good_record
    index = (reports / "index.html").read_text()
    assert 'href="good.html"' in index and 'href="mine.html"' in index


def test_every_run_gets_its_own_processed_folder_unless_its_params_set_one(tmp_path):
    """veteran_digitised once wrote the default tacrolimus run's data/processed files (both took the notebook's
    default folder): the batch then depended on which run finished last."""
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)", params="x = 1\nprocessed_dir = 'data/processed/n'")
    a = make_params(tmp_path / "a.yaml", nb, output="a")
    b = make_params(tmp_path / "b.yaml", nb, output="b")
    runs = [runner.load_run(a), runner.load_run(b)]
    assert [runner.injected(r)["processed_dir"] for r in runs] == ["data/processed/a", "data/processed/b"]
    assert runner.processed_dir_clashes(runs) == {}
    plain = make_notebook(tmp_path / "plain.ipynb", "print(y)")  # declares no processed_dir: none injected
    assert "processed_dir" not in runner.injected(runner.load_run(make_params(tmp_path / "p.yaml", plain)))


def test_two_runs_set_to_write_one_processed_folder_are_refused(tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "print(y)", params="x = 1\nprocessed_dir = 'data/processed/n'")
    a = make_params(tmp_path / "a.yaml", nb, output="a", parameters={"processed_dir": "data/processed/shared"})
    b = make_params(tmp_path / "b.yaml", nb, output="b", parameters={"processed_dir": "data/processed/shared"})
    runs = [runner.load_run(a), runner.load_run(b)]
    assert runner.processed_dir_clashes(runs) == {"data/processed/shared": ["a", "b"]}
    with pytest.raises(ParamsError, match=r"same processed folder .*data/processed/shared: a, b"):
        runner.run_batch([a, b], reports=tmp_path / "reports", check_manifest=False)
    # an explicit folder that is another run's own folder clashes too
    c = make_params(tmp_path / "c.yaml", nb, output="c", parameters={"processed_dir": "data/processed/d"})
    d = make_params(tmp_path / "d.yaml", nb, output="d")
    assert runner.processed_dir_clashes([runner.load_run(c), runner.load_run(d)]) == {"data/processed/d": ["c", "d"]}
    with pytest.raises(ParamsError, match="reserved"):
        runner.load_run(make_params(tmp_path / "i.yaml", nb, output="interactive"))


def test_committed_runs_and_example_sweeps_write_separate_processed_folders():
    runs = [r for f in runner.discover() + runner.discover_sweeps() for r in runner.load_runs(f)]
    assert runner.processed_dir_clashes(runs) == {}


def test_runner_loads_papermill_without_compiling_the_iri_grammars():
    """jsonschema (under nbformat, under papermill) imports rfc3987_syntax when installed, which compiles 39 lark
    grammars at import (seconds per batch process): the runner keeps it out, and it stays importable."""
    import subprocess
    import sys

    code = ("import sys; from myositis import runner; runner.light_jsonschema(); import papermill, nbconvert; "
            "print('rfc3987_syntax' in sys.modules); import rfc3987_syntax; print(rfc3987_syntax.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "rfc3987_syntax"]
