"""Matching a user's column headers to a cohort schema: field name, English label or French label.

A centre types "CK max (UI/L)", "Papules de Gottron" or "Âge au début (ans)"; the schema calls these
``ck_max_u_l``, ``gottron_papules`` and ``age_onset_years``. Each cohort schema gives one synonym table (field →
its name, English label, French label and other usual spellings); headers are compared after
:func:`normalise`, which ignores case, accents, units in brackets, punctuation and spacing. A needed field that
no header matches stops the run at ingestion with one :class:`~myositis.exceptions.MissingColumnsError` naming
every missing field, what it may be called, and the headers found — never a crash later in an analysis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from .exceptions import MissingColumnsError

_BRACKETS = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")


def normalise(header) -> str:
    """Comparable form of a header: lower case, no accents, no bracketed units, words joined by ``_``.

    >>> normalise("CK max (UI/L)"), normalise("Papules de Gottron"), normalise("  Âge au début [ans] ")
    ('ck_max', 'papules_de_gottron', 'age_au_debut')
    """
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode().lower()
    text = _BRACKETS.sub(" ", text)
    return re.sub(r"[^a-z0-9+]+", "_", text).strip("_")


@dataclass(frozen=True)
class HeaderTable:
    """One cohort schema's synonyms: ``{field: (name, English label, French label, other spellings...)}``.

    Raises
    ------
    ValueError
        Two fields share a synonym once normalised (the table would be ambiguous); checked when built.
    """

    synonyms: Mapping[str, tuple]

    def __post_init__(self):
        seen: dict[str, str] = {}
        for field, names in self.synonyms.items():
            for name in (field, *names):
                key = normalise(name)
                if key and seen.setdefault(key, field) != field:
                    raise ValueError(f"header synonym {name!r} ({key}) given for both {seen[key]} and {field}")

    @property
    def lookup(self) -> dict[str, str]:
        """Normalised synonym → field."""
        return {normalise(name): field for field, names in self.synonyms.items() for name in (field, *names)
                if normalise(name)}

    def field_of(self, header) -> str | None:
        """The field a header names, or None."""
        return self.lookup.get(normalise(header))

    def rename(self, columns: Iterable) -> dict:
        """``{header: field}`` for every header; unknown headers map to their normalised form."""
        lookup = self.lookup
        return {c: lookup.get(normalise(c), normalise(c)) for c in columns}

    def accepted(self, field: str, n: int = 3) -> str:
        """How a field may be written in a header (the first ``n`` synonyms), for error messages."""
        names = [field, *[s for s in self.synonyms.get(field, ()) if s and s != field]]
        return " / ".join(f"'{s}'" for s in names[:n])


def missing_columns_error(missing: Mapping[str, list], found: Mapping[str, list], table: HeaderTable,
                          issues=None) -> MissingColumnsError:
    """One error for every file: the needed fields no header matched, how they may be written, headers found.

    Parameters
    ----------
    missing : mapping file name → list of fields
    found : mapping file name → list of the file's headers as written
    table : HeaderTable
    issues : DataFrame, optional
        The issue table so far (kept on the error as ``issues``).
    """
    parts = []
    for file, fields in missing.items():
        if not fields:
            continue
        wanted = "; ".join(f"{f} ({table.accepted(f)})" for f in fields)
        shown = ", ".join(f"'{h}'" for h in found.get(file, [])) or "none"
        parts.append(f"{file}: {len(fields)} needed column{'s' if len(fields) > 1 else ''} not found: {wanted}. "
                     f"Headers found: {shown}")
    message = ("cannot analyse: " + " | ".join(parts) + ". Rename these columns (field name, English or French "
               "label; case, accents, units in brackets and spacing do not matter) or add them.")
    return MissingColumnsError(message, {f: list(v) for f, v in missing.items() if v},
                               {f: list(v) for f, v in found.items()}, issues)
