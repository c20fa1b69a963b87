"""What a batch run depends on, as content hashes: a run is skipped when none of them changed.

The dependencies of one run are

- its notebook's cells (source, type and tags; not the outputs nor the metadata a refresh rewrites);
- its effective parameters (the notebook's defaults overridden by the params file, the injected ``output_dir``,
  the output name, the kernel and where ``data/processed`` lies);
- the package code it imports: the ``myositis`` modules named in the notebook, followed through their imports
  (static ``import`` statements, read with :mod:`ast`), plus the package's data files (YAML, CSV);
- its input files by SHA-256: every file a parameter names (``patients_file``, a digitised curve in a nested
  mapping, ...) and every file of ``data/raw`` (the manifest's files, which the package also reads by name);
- the environment: ``requirements.txt`` (the lock of the pinned packages), the Python version and the format
  of this record.

The hash of each dependency is kept in the run's record (``reports/<output>.run.json``), so that the runner can
say why a run was re-run ("input changed: data/private/x.csv") as ploomber, snakemake and R's ``targets`` do,
and the key of the run is the hash of all of them. Timestamps play no part.
Not tracked: environment variables other than ``MYOSITIS_PROCESSED_DIR`` (e.g. a new pseudonymisation key needs
``--force``), and code a module imports by a computed name.

References
----------
Landau WM. The targets R package: a dynamic Make-like function-oriented pipeline toolkit. JOSS 2021;6(57):2959.
Mölder F, et al. Sustainable data analysis with Snakemake. F1000Research 2021;10:33.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

from . import manifest, paths

#: Bump when the record or the key changes meaning, so that older records are not trusted.
FORMAT = 1
PACKAGE = Path(__file__).resolve().parent
DATA_SUFFIXES = {".yaml", ".yml", ".csv", ".json", ".cfg", ".txt"}
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(myositis(?:\.[\w.]+)?)[ \t]+import[ \t]+(\([^)]*\)|[\w \t,*]+)"
                     r"|import[ \t]+(myositis[\w.]*))", re.M)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=None)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    # cached by (path, size, mtime) within one process only: the record itself holds content hashes
    return manifest.sha256(Path(path))


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content."""
    st = path.stat()
    return _file_hash(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _cells(path: str, size: int, mtime_ns: int) -> tuple[tuple, ...]:
    # (type, tags, source) of each cell; read once per notebook version in a process (a sweep's points share it)
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple((c.get("cell_type"), tuple(sorted(c.get("metadata", {}).get("tags", []))),
                  "".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", ""))
                 for c in nb.get("cells", []))


def notebook_cells(notebook: Path) -> tuple[tuple, ...]:
    """Each cell's type, tags and source (outputs and metadata excluded)."""
    st = Path(notebook).stat()
    return _cells(str(notebook), st.st_size, st.st_mtime_ns)


def notebook_hash(notebook: Path) -> str:
    """Hash of what a notebook executes: each cell's type, tags and source (outputs and metadata excluded)."""
    cells = [[kind, list(tags), source] for kind, tags, source in notebook_cells(notebook)]
    return sha256_bytes(json.dumps(cells, ensure_ascii=False).encode("utf-8"))


def _module_file(name: str) -> Path | None:
    """File of module ``myositis.a.b`` (its ``__init__.py`` for a package), None when there is none."""
    rel = name.split(".")[1:]
    base = PACKAGE.joinpath(*rel)
    if base.with_suffix(".py").is_file() and rel:
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _candidates(module: str, names) -> list[str]:
    """Modules a ``from module import names`` may load: the module and each name that is a submodule."""
    out = [module]
    for n in names:
        n = (n.strip().strip("()").split() or [""])[0]  # "mi2 as mi2_figures" -> "mi2"
        if n and n != "*" and _module_file(f"{module}.{n}"):
            out.append(f"{module}.{n}")
    return out


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@lru_cache(maxsize=None)
def _imports_of(path: str, mtime_ns: int) -> tuple[str, ...]:
    """The myositis modules a package file imports (absolute and relative imports, anywhere in the file)."""
    p = Path(path)
    tree = ast.parse(p.read_text(encoding="utf-8"), filename=path)
    rel = p.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])  # a module's package; for __init__.py the package itself
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "myositis"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "myositis":
                found += _candidates(module, [a.name for a in node.names])
    return tuple(found)


def imported_modules(sources: list[str]) -> list[Path]:
    """Package files a notebook's code loads, following imports inside the package (static analysis)."""
    todo: list[str] = []
    for src in sources:
        for m in _IMPORT.finditer(src):
            if m.group(1):
                todo += _candidates(m.group(1), m.group(2).replace("\n", " ").split(","))
            else:
                todo.append(m.group(3))
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        for mod in _parents(name):
            if mod in seen:
                continue
            f = _module_file(mod)
            if f is None:
                continue
            seen[mod] = f
            todo += list(_imports_of(str(f), f.stat().st_mtime_ns))
    return sorted(set(seen.values()))


def package_data_files() -> list[Path]:
    """Data files shipped inside the package (CRF definitions, tables): read by name, so always a dependency."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES
                  and "__pycache__" not in p.parts)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _outputs_folder(p: Path) -> bool:
    for base in (paths.PROCESSED, paths.REPORTS):
        try:
            p.relative_to(Path(base).resolve())
            return True
        except ValueError:
            pass
    return False


def parameter_files(parameters: dict) -> list[Path]:
    """Existing files named by any string in the parameters (nested values included), outputs excluded."""
    out = set()
    for s in _strings(parameters):
        if not s or "\n" in s or len(s) > 1000:
            continue
        try:
            p = paths.resolve(s).resolve()
            if p.is_file() and not _outputs_folder(p):
                out.add(p)
        except (OSError, ValueError):
            continue
    return sorted(out)


def shown(p: Path) -> str:
    """A file's name in a record: repository-relative, or absolute when outside (a private share)."""
    return _shown(str(p), str(paths.ROOT))


@lru_cache(maxsize=4096)
def _shown(p: str, root: str) -> str:
    resolved = Path(p).resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return str(resolved)


def dependencies(notebook: Path, parameters: dict, context: dict, sources: list[str]) -> dict:
    """Every dependency of a run with its hash (see the module docstring).

    Parameters
    ----------
    notebook : Path
        The notebook executed.
    parameters : dict
        The effective parameters (defaults, then the params file, then the injected ``output_dir``).
    context : dict
        Other settings that change the products (output name, kernel, processed folder).
    sources : list of str
        The notebook's code cells (to find what it imports).
    """
    inputs = {shown(p): file_hash(p) for p in parameter_files(parameters)}
    inputs.update({shown(p): file_hash(p) for p in manifest.raw_files()})
    code = {shown(p): file_hash(p) for p in imported_modules(sources) + package_data_files()}
    req = paths.ROOT / "requirements.txt"
    return {
        "format": FORMAT,
        "notebook": {shown(notebook): notebook_hash(notebook)},
        "parameters": sha256_bytes(json.dumps([parameters, context], sort_keys=True, default=str).encode()),
        "code": dict(sorted(code.items())),
        "inputs": dict(sorted(inputs.items())),
        "environment": {"requirements.txt": file_hash(req) if req.exists() else "",
                        "python": ".".join(map(str, sys.version_info[:3]))},
    }


def key(deps: dict) -> str:
    """The content hash of a run: SHA-256 of all its dependency hashes."""
    return sha256_bytes(json.dumps(deps, sort_keys=True).encode("utf-8"))


def changes(old: dict | None, new: dict) -> list[str]:
    """Why a run must be re-run, in words (empty when its dependencies are unchanged)."""
    if not old:
        return ["no earlier record"]
    if old.get("format") != new["format"]:
        return ["record format changed"]
    out = []
    for part, label in (("notebook", "notebook changed"), ("code", "package code changed"),
                        ("inputs", "input changed"), ("environment", "environment changed")):
        a, b = old.get(part) or {}, new[part]
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if diff:
            out.append(f"{label}: " + ", ".join(diff[:3]) + (f" (+{len(diff) - 3} more)" if len(diff) > 3 else ""))
    if old.get("parameters") != new["parameters"]:
        out.append("parameters changed")
    return out
