"""Keep the committed notebooks true: build each .ipynb from its jupytext py:percent twin, execute it with its
default parameters in the notebook folder (as nbval and JupyterLab do), and write both files back in sync."""

from __future__ import annotations

from pathlib import Path

from . import paths

FORMAT = "py:percent"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def pairs(folder: Path = paths.NOTEBOOKS) -> list[tuple[Path, Path]]:
    """(ipynb, py) pairs of the notebooks folder, by stem."""
    stems = sorted({p.stem for p in folder.glob("*.ipynb")} | {p.stem for p in folder.glob("*.py")})
    return [(folder / f"{s}.ipynb", folder / f"{s}.py") for s in stems]


def out_of_sync(ipynb: Path, py: Path) -> str | None:
    """Why a pair differs (None when the .py is exactly what jupytext writes from the .ipynb)."""
    import jupytext

    if not ipynb.exists() or not py.exists():
        return f"{paths.relative(ipynb if not ipynb.exists() else py)} is missing"
    expected = jupytext.writes(jupytext.read(ipynb), fmt=FORMAT)
    if expected != py.read_text(encoding="utf-8"):
        return (f"{paths.relative(py)} and {paths.relative(ipynb)} differ: run "
                f"`python -m myositis refresh {paths.relative(py)}`")
    return None


def refresh(source, timeout: int = 900) -> Path:
    """Rebuild ``<name>.ipynb`` from ``<name>.py`` and execute it in place with default parameters.

    Returns the notebook path. Raises ``nbclient.exceptions.CellExecutionError`` when a cell fails (the
    notebook is then not written, so a committed notebook never carries an error).
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    from jupytext.combine import combine_inputs_with_outputs

    source = paths.resolve(source)
    py, ipynb = source.with_suffix(".py"), source.with_suffix(".ipynb")
    nb = jupytext.read(py)
    if ipynb.exists():  # keep the cell ids (and so small diffs) of the cells that did not change
        nb = combine_inputs_with_outputs(nb, nbformat.read(ipynb, as_version=4))
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
    NotebookClient(nb, timeout=timeout, kernel_name=KERNELSPEC["name"],
                   resources={"metadata": {"path": str(py.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, ipynb)
    py.write_text(jupytext.writes(nbformat.read(ipynb, as_version=4), fmt=FORMAT), encoding="utf-8")
    return ipynb
