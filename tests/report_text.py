"""What a reader of an executed notebook sees besides its code (shared by the own-data tests)."""
from __future__ import annotations


def reader_text(nb) -> str:
    """Markdown cells and every output (text, HTML, Markdown) of an executed notebook, joined."""
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for c in nb.cells:
        for o in c.get("outputs", []):
            parts.append(str(o.get("text", "")))
            parts += [str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)
