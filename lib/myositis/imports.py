"""Imports without the optional extras that cost seconds and serve nothing here.

Two packages installed for other reasons are picked up at import by libraries the batch loads in every process:

- ``rfc3987_syntax`` (pulled in by ``jsonschema[format-nongpl]`` for jupyter-events): jsonschema imports it to check
  the "iri" formats, and it compiles 39 lark grammars at import, about 1 s quiet and 6 s under load, for every
  process that loads nbformat (the batch CLI, each worker, the HTML export);
- ``hypothesis`` (a test dependency): pandera imports it to offer data-synthesis strategies the first time a schema
  validates, about 1 s in each Mi2 notebook run.

:func:`without` hides such a package while a library is first imported: the library then leaves the optional
feature out (as it does wherever the package is not installed), and the package stays importable afterwards.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def without(*names: str):
    """Make ``import name`` fail inside the block for each package not imported yet; restored after it."""
    hidden = [n for n in names if n not in sys.modules]
    for n in hidden:
        sys.modules[n] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        for n in hidden:
            if sys.modules.get(n, 0) is None:
                del sys.modules[n]


def light_jsonschema() -> None:
    """Import jsonschema (papermill and nbconvert load it through nbformat) without its IRI format checker."""
    if "jsonschema" not in sys.modules:
        with without("rfc3987_syntax"):
            import jsonschema  # noqa: F401


def light_pandera() -> None:
    """Import pandera's pandas backend and built-in checks without hypothesis' strategies."""
    if "pandera.backends.pandas.builtin_checks" not in sys.modules:
        with without("hypothesis"):
            import pandera.backends.pandas.builtin_checks  # noqa: F401
            import pandera.pandas  # noqa: F401
