"""A checker of REDCap's data-dictionary upload rules, written from REDCap's documentation (not from our writer).

REDCap refuses a data dictionary upload, or builds broken forms, when these rules are broken. Sources: the REDCap
data dictionary column reference (18 columns A-R, mandatory and conditionally mandatory columns, choice syntax,
validation types; https://bdeveer.github.io/REDCap_KB_RAG/RC-FD-08_Data-Dictionary-Column-Reference-and-Advanced-Techniques/),
REDCap field notation (``[variable]``, ``[checkbox(code)]``; UCLA CTSI REDCap training), and the @NONEOFTHEABOVE
action tag (its value must be a choice code of the checkbox it is on).

Rules checked, one message per breach (``problems`` returns them all; an empty list means "uploads"):

1. The file is UTF-8 (a byte-order mark is allowed) and its header is REDCap's 18 columns, in order.
2. Variable names: lowercase letter first, then lowercase letters, digits or ``_``; at most 26 characters
   (REDCap warns above); unique; the first variable is the record identifier (``record_id`` here).
3. Form names: same pattern; the rows of one form are contiguous (REDCap builds a form from a block of rows).
4. Field types are REDCap's (text, notes, dropdown, radio, checkbox, yesno, truefalse, calc, file, slider,
   descriptive, sql); every field has a label.
5. dropdown / radio / checkbox have choices ``code, label | code, label``; codes are letters, digits or ``_`` and
   unique within the field; other types (but calc and slider) have no choices.
6. Text validation only on text fields and from REDCap's list; min/max only with a validation; date min/max
   written Y-M-D; number/integer min below max.
7. ``Identifier?`` and ``Required Field?`` are empty or ``y``.
8. Branching logic: brackets and quotes balanced; every ``[field]`` exists; ``[field(code)]`` only on a
   checkbox and with one of its codes; a value compared to a radio/dropdown field is one of its codes.
9. Action tags: ``@NONEOFTHEABOVE='code'`` only on a checkbox, with one of its codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

COLUMNS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
           "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
           "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
           "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
           "Matrix Ranking?", "Field Annotation"]
TYPES = {"text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc", "file", "slider",
         "descriptive", "sql"}
VALIDATIONS = {"date_dmy", "date_mdy", "date_ymd", "datetime_dmy", "datetime_mdy", "datetime_ymd",
               "datetime_seconds_dmy", "datetime_seconds_mdy", "datetime_seconds_ymd", "email", "integer",
               "alpha_only", "number", "number_1dp", "number_2dp", "number_3dp", "number_4dp", "number_comma_decimal",
               "phone", "time", "time_mm_ss", "zipcode", "mrn_10d", "postalcode_french"}
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CODE = re.compile(r"^[A-Za-z0-9_]+$")
REF = re.compile(r"\[([a-z][a-z0-9_]*)(?:\(([A-Za-z0-9_]+)\))?\]")
COMPARISON = re.compile(r"\[([a-z][a-z0-9_]*)\]\s*(?:=|<>|!=)\s*'([^']*)'")
NONE_TAG = re.compile(r"@NONEOFTHEABOVE\s*=\s*'?([A-Za-z0-9_,]+)'?")


def _choices(text: str) -> list[str] | None:
    codes = []
    for part in text.split("|"):
        code, sep, label = part.strip().partition(",")
        if not sep or not CODE.match(code.strip()) or not label.strip():
            return None
        codes.append(code.strip())
    return codes


def problems(path) -> list[str]:
    """Every breach of the rules above in the data dictionary CSV at ``path`` (empty list: it uploads)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [f"not UTF-8: {exc}"]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != COLUMNS:
        return [f"header is not REDCap's 18 columns: {rows[0] if rows else 'empty file'}"]
    out: list[str] = []
    records = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    if any(len(r) != len(COLUMNS) for r in rows[1:]):
        out.append("a row does not have 18 cells")
    fields = {r["Variable / Field Name"]: r for r in records}
    codes = {name: (_choices(r["Choices, Calculations, OR Slider Labels"]) or [])
             for name, r in fields.items() if r["Field Type"] in ("dropdown", "radio", "checkbox")}
    if records and records[0]["Variable / Field Name"] != "record_id":
        out.append("the first variable is not the record identifier")
    seen_forms, previous = set(), None
    for r in records:
        name, form, ftype = r["Variable / Field Name"], r["Form Name"], r["Field Type"]
        at = f"{name}:"
        if not NAME.match(name):
            out.append(f"{at} variable name breaks [a-z][a-z0-9_]*")
        if len(name) > 26:
            out.append(f"{at} variable name longer than 26 characters")
        if not NAME.match(form):
            out.append(f"{at} form name '{form}' breaks [a-z][a-z0-9_]*")
        if form != previous:
            if form in seen_forms:
                out.append(f"{at} form '{form}' is not contiguous")
            seen_forms.add(form)
            previous = form
        if ftype not in TYPES:
            out.append(f"{at} unknown field type '{ftype}'")
        if not r["Field Label"].strip():
            out.append(f"{at} empty label")
        choice_text = r["Choices, Calculations, OR Slider Labels"]
        if ftype in ("dropdown", "radio", "checkbox"):
            parsed = _choices(choice_text)
            if not parsed:
                out.append(f"{at} malformed or missing choices")
            elif len(set(parsed)) != len(parsed):
                out.append(f"{at} duplicate choice codes")
        elif choice_text and ftype not in ("calc", "slider"):
            out.append(f"{at} choices on a {ftype} field")
        validation = r["Text Validation Type OR Show Slider Number"]
        lo, hi = r["Text Validation Min"], r["Text Validation Max"]
        if validation and ftype != "text":
            out.append(f"{at} validation on a {ftype} field")
        if validation and validation not in VALIDATIONS:
            out.append(f"{at} unknown validation '{validation}'")
        if (lo or hi) and not validation:
            out.append(f"{at} min/max without a validation")
        if validation.startswith("date") and (lo or hi):
            for v in (lo, hi):
                try:
                    v and dt.date.fromisoformat(v)
                except ValueError:
                    out.append(f"{at} date bound '{v}' is not Y-M-D")
        if validation in ("number", "integer") and lo and hi:
            try:
                if float(lo) >= float(hi):
                    out.append(f"{at} min not below max")
            except ValueError:
                out.append(f"{at} min/max not numbers")
        for column in ("Identifier?", "Required Field?"):
            if r[column] not in ("", "y"):
                out.append(f"{at} {column} must be empty or y")
        logic = r["Branching Logic (Show field only if...)"]
        if logic:
            if logic.count("(") != logic.count(")") or logic.count("[") != logic.count("]") or logic.count("'") % 2:
                out.append(f"{at} unbalanced brackets or quotes in branching")
            for ref, code in REF.findall(logic):
                if ref not in fields:
                    out.append(f"{at} branching refers to unknown field [{ref}]")
                elif code and fields[ref]["Field Type"] != "checkbox":
                    out.append(f"{at} [{ref}({code})] on a field that is not a checkbox")
                elif code and code not in codes.get(ref, []):
                    out.append(f"{at} [{ref}({code})]: no such choice")
            for ref, value in COMPARISON.findall(logic):
                if ref in fields and fields[ref]["Field Type"] in ("radio", "dropdown") and value not in codes[ref]:
                    out.append(f"{at} branching compares [{ref}] with '{value}', not one of its codes")
        for tag in NONE_TAG.findall(r["Field Annotation"]):
            if ftype != "checkbox":
                out.append(f"{at} @NONEOFTHEABOVE on a {ftype} field")
            elif any(c not in codes.get(name, []) for c in tag.split(",")):
                out.append(f"{at} @NONEOFTHEABOVE='{tag}' is not one of its codes")
    return out
