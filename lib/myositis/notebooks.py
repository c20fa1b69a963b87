"""Keep the committed notebooks true: build each .ipynb from its jupytext py:percent twin, execute it with its
default parameters in the notebook folder (as nbval and JupyterLab do), and write both files back in sync."""

from __future__ import annotations

from pathlib import Path

from . import paths

FORMAT = "py:percent"
#: The project kernel (``make venv`` installs it into the venv: ``ipykernel install --sys-prefix --name myositis``),
#: named in every notebook's metadata: JupyterLab, nbval, papermill and refresh all run the notebooks with it.
PROJECT_KERNEL = {"display_name": "myositis (.venv)", "language": "python", "name": "myositis"}
KERNELSPEC = PROJECT_KERNEL


def ensure_kernel(spec: dict = PROJECT_KERNEL) -> str:
    """Make sure the project kernel exists in this environment and runs this environment's Python.

    Installs it into ``sys.prefix`` when missing (a clone tested with ``.venv/bin/python -m pytest`` before any
    ``make``, a conda environment), so that papermill, nbval and refresh find the kernel the notebooks name.
    Raises ``MyositisError`` when a kernel of that name found first (e.g. one installed with ``--user`` from
    another clone) would run another Python, which would silently run the notebooks in another environment.
    Returns the kernel name.
    """
    import sys

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from .exceptions import MyositisError

    name = spec["name"]
    if name == "python3":
        return name
    manager = KernelSpecManager()
    try:
        found = manager.get_kernel_spec(name)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=spec["display_name"], prefix=sys.prefix)
        found = KernelSpecManager().get_kernel_spec(name)
    python = Path(found.argv[0])  # not resolved: a venv's python is a symlink to the base interpreter
    ours = (not python.is_absolute() or Path(sys.prefix) in python.parents
            or python.parent == Path(sys.executable).parent)
    if not ours:
        raise MyositisError(f"the Jupyter kernel '{name}' ({found.resource_dir}) runs {python}, not this "
                            f"environment's Python ({sys.executable}); remove it (`jupyter kernelspec remove "
                            f"{name}`) and run `make venv`")
    return name


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
    ensure_kernel(KERNELSPEC)
    NotebookClient(nb, timeout=timeout, kernel_name=KERNELSPEC["name"],
                   resources={"metadata": {"path": str(py.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, ipynb)
    py.write_text(jupytext.writes(nbformat.read(ipynb, as_version=4), fmt=FORMAT), encoding="utf-8")
    return ipynb


def set_kernelspec(source, spec: dict | None = None) -> Path:
    """Write ``spec`` (the project kernel by default) into a notebook's metadata and its py:percent twin,
    without executing anything (outputs and cell ids unchanged). Returns the notebook path."""
    import jupytext
    import nbformat

    source = paths.resolve(source)
    py, ipynb = source.with_suffix(".py"), source.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nb.metadata["kernelspec"] = dict(spec or KERNELSPEC)
    nbformat.write(nb, ipynb)
    py.write_text(jupytext.writes(nbformat.read(ipynb, as_version=4), fmt=FORMAT), encoding="utf-8")
    return ipynb
