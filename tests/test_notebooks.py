"""Notebook hygiene: jupytext pairs in sync, parameters declared, metadata papermill needs, no errors kept."""

import nbformat
import pytest
import yaml

from myositis import notebooks, paths, runner

PAIRS = notebooks.pairs()
IDS = [p[0].stem for p in PAIRS]


@pytest.mark.parametrize("ipynb, py", PAIRS, ids=IDS)
def test_jupytext_pair_in_sync(ipynb, py):
    assert notebooks.out_of_sync(ipynb, py) is None


@pytest.mark.parametrize("ipynb, py", PAIRS, ids=IDS)
def test_notebook_metadata_and_parameters_cell(ipynb, py):
    nb = nbformat.read(ipynb, as_version=4)
    assert nb.metadata["kernelspec"] == notebooks.PROJECT_KERNEL  # "myositis (.venv)", as JupyterLab shows it
    assert nb.metadata["kernelspec"]["language"] == "python"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert runner.notebook_parameters(ipynb), "the parameters cell declares no parameter"
    assert "output_dir" in runner.notebook_parameters(ipynb)


@pytest.mark.parametrize("ipynb, py", PAIRS, ids=IDS)
def test_committed_outputs_have_no_error_and_no_absolute_path(ipynb, py):
    nb = nbformat.read(ipynb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "committed notebook was not fully executed"
    text = ipynb.read_text()
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert str(paths.ROOT) not in text and "/tmp/" not in text


@pytest.mark.parametrize("ipynb, py", PAIRS, ids=IDS)
def test_papermill_sees_every_assignment_of_the_parameters_cell(ipynb, py):
    """papermill's parser skips, with only a log warning, a line holding two '=' (one in a comment did it); the batch
    then refuses that parameter in a params file. Every assignment must be one papermill recognises."""
    import ast

    nb = nbformat.read(ipynb, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assigned = {node.target.id if isinstance(node, ast.AnnAssign) else t.id
                for node in ast.parse(cell.source).body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)}
    assert assigned == set(runner.notebook_parameters(ipynb))
    # the runner reads the cell itself (no papermill import in a warm batch): it must agree with papermill
    import papermill

    theirs = papermill.inspect_notebook(str(ipynb))
    ours = runner.notebook_parameters(ipynb)
    def same(params):  # papermill joins a value written over several lines: compare the parsed expressions
        return {n: (ast.dump(ast.parse(p["default"].strip(), mode="eval")), p["inferred_type_name"], p["help"])
                for n, p in params.items()}

    assert same(ours) == same(theirs)


@pytest.mark.parametrize("params_file", runner.discover(), ids=lambda p: p.parent.name + "/" + p.stem)
def test_every_params_key_is_a_notebook_parameter(params_file):
    """papermill only warns on an unknown name; the batch must refuse it (checked here for each file)."""
    doc = yaml.safe_load(params_file.read_text())
    declared = runner.notebook_parameters(paths.resolve(doc["notebook"]))
    assert set(doc.get("parameters") or {}) <= set(declared)


def test_every_notebook_has_a_default_run():
    notebooks_run = {yaml.safe_load(f.read_text())["notebook"] for f in runner.discover()}
    assert {f"notebooks/{ipynb.name}" for ipynb, _ in PAIRS} <= notebooks_run
