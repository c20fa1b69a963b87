"""Pseudonymisation of the SAM case series: the key (environment or key file, never a notebook parameter; a public
demo key for the bundled synthetic series only), the keyed hash that replaces the recognition code, and the only
table allowed into ``data/processed/`` (ages instead of birth dates, days from MAS onset instead of dates, no
free text).

References
----------
Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. RFC 2104, 1997.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from .. import crf as crf_module
from .. import io, paths
from ..exceptions import InputFileError, MissingKeyError
from .synthetic import generator_of

KEY_ENV = "MYOSITIS_PSEUDONYM_KEY"
KEY_FILE_ENV = "MYOSITIS_PSEUDONYM_KEY_FILE"
#: Published demo key: accepted only for files whose name says "synthetic" (never for a real export).
DEMO_KEY = "myositis-synthetic-demo-key (public, synthetic data only)"
MIN_KEY_LENGTH = 16
PSEUDONYM_HEX = 16


def is_bundled_synthetic(path) -> bool:
    """True when ``path`` is the output of the project's SAM generators, recognised by content whatever the seed
    (:func:`myositis.sam.synthetic.generator_of`: the synthetic series or a centre file of the multicentre demo,
    byte-identical, wherever it is and whatever its name); for a folder or list of exports, when every one is."""
    p = paths.resolve(path) if not isinstance(path, (list, tuple)) else None
    if p is None or p.is_dir():
        from .centres import export_files
        try:
            files = export_files(path)
        except Exception:   # an empty folder is not the demo
            return False
        files = [f for f in files if f.is_file()]
        return bool(files) and all(generator_of(f) is not None for f in files)
    return generator_of(p) is not None


def clean_key(key: str) -> str:
    """A key as typed, whichever way it came (argument, environment, file): byte-order mark, surrounding spaces
    and line ends removed, so a key file saved by Notepad and the same key exported in a shell give one
    pseudonym set. A key of spaces is no key."""
    return str(key).replace("\ufeff", "").strip()


def _key_text(raw: bytes) -> str:
    """Text of a key file as Windows editors save it: UTF-8 (with or without BOM), UTF-16 with BOM (PowerShell's
    ``echo key > file``) or cp1252 (Notepad "ANSI"); the same key typed in any of them gives the same text."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def pseudonym_key(source_file, key: str = "", key_file: str = "") -> bytes:
    """The pseudonymisation key, from (first found) ``key``, ``key_file``, the file named by
    ``$MYOSITIS_PSEUDONYM_KEY_FILE``, then ``$MYOSITIS_PSEUDONYM_KEY``.

    Only for the bundled synthetic demo series (recognised by its content, a byte-identical copy included, not by
    its file name) does a missing key fall back to the public ``DEMO_KEY``; the demo key given for any other
    file is refused. Pass the key through the environment or a key file, never as a notebook parameter: papermill
    records parameters in the executed notebook and its report.

    Raises
    ------
    MissingKeyError
        No key, a key shorter than 16 characters, a key file inside the repository (it would end up in git),
        or the demo key for real data. The message says how to provide one.
    """
    synthetic = is_bundled_synthetic(source_file)
    how = (f"set the environment variable {KEY_ENV}, or write the key in a file outside the repository and set "
           f"{KEY_FILE_ENV} to its path (or pass pseudonym_key_file to the notebook); keep the same key for the "
           "whole study so pseudonyms stay stable")
    key_file = key_file or os.environ.get(KEY_FILE_ENV, "") if not key else ""
    if not key and key_file:
        kf = Path(os.path.expanduser(key_file)).resolve()
        if kf == paths.ROOT or paths.ROOT in kf.parents:
            raise MissingKeyError(f"the key file {paths.relative(kf)} is inside the repository; move it outside "
                                  "(e.g. ~/.config/myositis/pseudonym.key) so it can never be committed")
        try:
            key = _key_text(kf.read_bytes())
        except OSError:
            raise MissingKeyError(f"cannot read the pseudonymisation key file {kf.name}: {how}") from None
    key = clean_key(key or os.environ.get(KEY_ENV, ""))
    if not key:
        if synthetic:
            return DEMO_KEY.encode()
        raise MissingKeyError(f"no pseudonymisation key for {Path(str(source_file)).name}: {how}")
    if key == DEMO_KEY and not synthetic:
        raise MissingKeyError("the public demo key is for the synthetic series only; use your own key: " + how)
    if len(key) < MIN_KEY_LENGTH:
        raise MissingKeyError(f"the pseudonymisation key has {len(key)} characters; use at least {MIN_KEY_LENGTH}")
    return key.encode()


def _hmac(key: bytes, text: str, length: int = PSEUDONYM_HEX) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def pseudonymise(cases: pd.DataFrame, key: bytes, crf=None) -> pd.DataFrame:
    """The table allowed into ``data/processed/``: no recognition code, no birth date, no absolute date, no
    free text.

    Parameters
    ----------
    cases : DataFrame
        From ``load_crf``.
    key : bytes
        From ``pseudonym_key``.

    Returns
    -------
    DataFrame
        ``pseudonym`` (HMAC-SHA256 of the recognition code without its centre part, i.e. initials and birth
        date, 16 hex digits, so a patient sent by two centres keeps one pseudonym; of file and row when the
        code is incomplete), ``centre_code`` (HMAC of the centre, 8 hex), ``excluded``/``exclusion_rule``,
        ``age_at_dm_years`` and ``age_at_mas_years``, every other date as days from MAS onset
        (``dm_diagnosis_day``, ``line1_start_day``, ``death_day``, ``last_followup_day``...), and the other
        CRF fields unchanged. Dropped: ``record_id``, initials, birth date, centre, MAS date, free text.

    References
    ----------
    Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. RFC 2104, 1997.
    """
    crf = crf or crf_module.load()
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise MissingKeyError("pseudonymise needs the key from myositis.sam.pseudonym_key()")
    # read through a shallow copy without attrs (load_crf's files, corrections...): pandas deep-copies a frame's
    # attrs into every column taken from it, ~200 here; the table returned has no attrs either way
    cases = cases.copy(deep=False)
    cases.attrs = {}
    out = {}  # the columns, in order: the table is built once at the end (not ~200 column insertions)
    # the centre is left out of the hash: a patient reported by two centres keeps one pseudonym
    person = [f"{i}{b:%d%m%Y}" if isinstance(i, str) and pd.notna(b) else None
              for i, b in zip(cases["initials"], cases["birth_date"])]
    out["pseudonym"] = [_hmac(key, code) if code else _hmac(key, f"row:{f}#{r}")
                        for code, f, r in zip(person, cases["source_file"], cases["source_row"])]
    out["centre_code"] = [_hmac(key, f"centre:{c}", 8) if isinstance(c, str) else None for c in cases["centre"]]
    out["exclusion_rule"] = cases["exclusion_rule"]
    out["excluded"] = cases["excluded"]
    mas, birth = cases["mas_date"], cases["birth_date"]
    out["age_at_dm_years"] = ((cases["dm_diagnosis_date"] - birth).dt.days / 365.25).round(1)
    out["age_at_mas_years"] = ((mas - birth).dt.days / 365.25).round(1)
    dropped = {"record_id", "centre", "mas_date"} | set(crf.names(identifier=True)) | set(crf.names(free_text=True))
    for f in crf.fields:
        if f.name in dropped:
            continue
        if f.type == "date":
            out[f.name.removesuffix("_date") + "_day"] = (cases[f.name] - mas).dt.days.astype("Int64")
        else:
            for c in f.columns:
                out[c] = cases[c]
    out = pd.DataFrame(out, index=cases.index)
    return out.reset_index(drop=True)


def processed_path(processed_dir, synthetic: bool = False) -> Path:
    """Where the pseudonymised table goes: ``<processed_dir>/cases_pseudonymised.csv``, prefixed ``synthetic_``
    when it comes from synthetic data (data-honesty rule: synthetic files say so in their names)."""
    return paths.resolve(processed_dir) / f"{'synthetic_' if synthetic else ''}cases_pseudonymised.csv"


def write_processed(pseudonymised: pd.DataFrame, processed_dir, synthetic: bool = False) -> Path:
    """Write the pseudonymised table (refuses a table still holding an identifying or free-text column)."""
    crf = crf_module.load()
    forbidden = set(crf.names(identifier=True)) | set(crf.names(free_text=True)) | {
        "recognition_code", "mas_date", "centre", "record_id", "source_file", "source_row"}
    forbidden |= {c for c in pseudonymised.columns if c.endswith("_date")}
    leaked = sorted(forbidden & set(pseudonymised.columns))
    if leaked:
        raise InputFileError(f"refusing to write identifying columns to processed data: {', '.join(leaked)}")
    return io.write_csv(pseudonymised, processed_path(processed_dir, synthetic))


def privacy_strings(cases: pd.DataFrame) -> list[str]:
    """Strings that must never appear outside the raw/private data: recognition codes, and birth dates as
    dd/mm/yyyy, yyyy-mm-dd and ddmmyyyy (for the privacy scan)."""
    out = set(c for c in cases["recognition_code"].dropna())
    for b in cases["birth_date"].dropna():
        out |= {f"{b:%d/%m/%Y}", f"{b:%Y-%m-%d}", f"{b:%d%m%Y}"}
    return sorted(out)
