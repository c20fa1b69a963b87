"""The eCRF of the SAM (MAS) call for cases, from one definition file: ``crf_fields.yaml`` beside this module.

From that file come the REDCap data dictionary (French labels; the English label in *Field Annotation*), the
Excel entry template for centres without REDCap (drop-downs and range checks), and the column map used by
``myositis.sam.load_crf`` to read any export (REDCap raw or label format, the Excel template, a French CSV).

Command line: ``python -m myositis crf --out build/crf`` (``make crf``) writes
``build/crf/redcap_data_dictionary.csv`` and ``build/crf/sam_crf_template.xlsx``.

References
----------
Harris PA, Taylor R, Thielke R, et al. Research electronic data capture (REDCap): a metadata-driven methodology
and workflow process for providing translational research informatics support. J Biomed Inform 2009;42:377-381.
Walls B, Gusdorf L, Viguier M. Appel à observations : dermatomyosite compliquée de syndrome d'activation
macrophagique. CHU de Reims (seed 001).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from . import io, paths
from .exceptions import InputFileError

DEFINITION = Path(__file__).with_name("crf_fields.yaml")
TYPES = ("text", "notes", "date", "number", "integer", "radio", "dropdown", "checkbox")
CHOICE_TYPES = ("radio", "dropdown", "checkbox")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CODE = re.compile(r"^[A-Za-z0-9_]+$")
MAX_NAME = 26
#: REDCap's data dictionary columns, in REDCap's order (the header must match exactly for an upload).
REDCAP_COLUMNS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                  "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
                  "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
                  "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
                  "Matrix Ranking?", "Field Annotation"]
VALIDATION = {"date": "date_dmy", "number": "number", "integer": "integer"}
#: Rows of the Excel template that carry drop-downs and range checks.
TEMPLATE_ROWS = 500
YES_NO_CODES = ("1", "0")
#: Checkbox choice code meaning "none of the above" ("Aucun"): gets REDCap's @NONEOFTHEABOVE action tag.
NONE_CODE = "none"
_ANY = re.compile(r"any\(\[([a-z][a-z0-9_]*)\]\)")


def normalise(text) -> str:
    """Lowercase ASCII with single spaces: how headers and choice labels are matched (accents, case, spacing
    and punctuation typed differently by a centre do not matter)."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def normalise_unit(unit: str) -> str:
    """Canonical spelling of a unit: ``"µg/l"``, ``"UI/L"``, ``"x 10^9 /L"`` → ``"ug/l"``, ``"u/l"``, ``"10^9/l"``."""
    u = str(unit).strip().lower().replace("μ", "u").replace("µ", "u").replace(" ", "").replace("⁹", "^9")
    u = u.replace("giga/l", "g/l").replace("×", "x").replace("*", "x")
    u = re.sub(r"^x?10\^?9/l$", "10^9/l", u)
    u = re.sub(r"^(ui|iu)/", "u/", u)
    return {"°c": "c", "degc": "c", "/mm^3": "/mm3", "/ul": "/mm3"}.get(u, u)


@dataclass(frozen=True)
class Field:
    """One question of the CRF (a checkbox question exports one column per choice: ``name___code``)."""

    name: str
    form: str
    type: str
    label_fr: str
    label_en: str
    unit: str = ""
    min: object = None
    max: object = None
    required: bool = False
    identifier: bool = False
    free_text: bool = False
    choices: tuple = ()  # ((code, label_fr, label_en), ...)
    section_fr: str = ""
    note_fr: str = ""
    branching: str = ""
    conversions: tuple = ()  # ((unit as written, divide_by), ...)
    header_aliases: tuple = ()  # headers of earlier CRF versions still read as this field (never written)

    @property
    def columns(self) -> list[str]:
        """Export columns of this field."""
        if self.type == "checkbox":
            return [f"{self.name}___{code.lower()}" for code, _, _ in self.choices]
        return [self.name]

    @property
    def is_yes_no(self) -> bool:
        return self.type == "radio" and tuple(c for c, _, _ in self.choices) == YES_NO_CODES

    @property
    def redcap_label(self) -> str:
        return f"{self.label_fr} ({self.unit})" if self.unit else self.label_fr

    def choice_text(self, lang: str = "fr") -> str:
        """Choices as REDCap writes them: ``"1, Oui | 0, Non"``."""
        i = 1 if lang == "fr" else 2
        return " | ".join(f"{c[0]}, {c[i]}" for c in self.choices)

    def to_stored_unit(self, value: float, unit: str = "") -> float:
        """A number written in ``unit`` (empty: the stored unit) expressed in the field's stored unit
        (``value / divide_by``), as ``load_crf`` converts cells; KeyError for a unit the field does not accept."""
        if not unit:
            return value
        return value / self.unit_factors()[normalise_unit(unit)]

    def unit_factors(self) -> dict:
        """Normalised unit → divisor giving the stored unit (the stored unit itself divides by 1)."""
        factors = {normalise_unit(self.unit): 1.0} if self.unit else {}
        factors.update({normalise_unit(u): float(d) for u, d in self.conversions})
        return factors


@dataclass(frozen=True)
class CRF:
    """The whole case report form: its forms and fields, in order."""

    title_fr: str
    title_en: str
    forms: tuple  # ((name, label_fr, label_en), ...)
    fields: tuple  # (Field, ...)
    inclusion: dict

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"the CRF has no field '{name}'")

    @property
    def columns(self) -> list[str]:
        """Every export column, in CRF order (checkboxes expanded)."""
        return [c for f in self.fields for c in f.columns]

    def names(self, **where) -> list[str]:
        """Field names filtered by attributes, e.g. ``names(type="date")``, ``names(free_text=True)``."""
        return [f.name for f in self.fields if all(getattr(f, k) == v for k, v in where.items())]

    def header_map(self) -> dict[str, str]:
        """Normalised header → export column, accepting variable names, French or English labels (with or
        without unit), the headers of earlier CRF versions (``header_aliases``, e.g. the centre's label before it
        became a drop-down) and REDCap label-export checkbox headers ``"Label (choice=Choice)"``. A label shared
        by two fields is left out (ambiguous)."""
        candidates: dict[str, set] = {}

        def add(key, column):
            candidates.setdefault(normalise(key), set()).add(column)

        for f in self.fields:
            if f.type == "checkbox":
                for (code, fr, en), column in zip(f.choices, f.columns):
                    add(column, column)
                    for label in (f.label_fr, f.label_en):
                        for choice in (fr, en):
                            add(f"{label} (choice={choice})", column)
            else:
                for key in (f.name, f.label_fr, f.label_en, f.redcap_label, *f.header_aliases):
                    add(key, f.name)
        return {k: next(iter(v)) for k, v in candidates.items() if len(v) == 1}


def _expand(form: dict) -> list[dict]:
    """Fields of a form, written ``repeat`` times when the form repeats (treatment lines)."""
    repeat = int(form.get("repeat", 0) or 0)
    if not repeat:
        return [dict(f) for f in form["fields"]]
    out = []
    for n in range(1, repeat + 1):
        for f in form["fields"]:
            g = {k: (v.replace("{n}", str(n)) if isinstance(v, str) else v) for k, v in f.items()}
            if g.get("branching") is None and n > 1 and g["name"].endswith("_drugs"):
                # a line is shown once the previous line has a start date
                g["branching"] = f"[line{n - 1}_start] <> ''"
            out.append(g)
    return out


def _date_or_number(value, kind: str, where: str):
    if value is None:
        return None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise InputFileError(f"{where}: '{value}' is not an ISO date (yyyy-mm-dd)") from None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputFileError(f"{where}: '{value}' is not a number") from None


@lru_cache(maxsize=4)
def load(path: str | Path = DEFINITION) -> CRF:
    """Read and check the CRF definition.

    Parameters
    ----------
    path : str or Path
        The YAML definition (default: ``crf_fields.yaml`` beside this module).

    Returns
    -------
    CRF

    Raises
    ------
    InputFileError
        A field breaks a REDCap rule (name pattern or length, duplicate name, unknown type, a choice question
        without choices, a range with min >= max); the message names the field.
    """
    path = Path(path)
    where = path.name
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(f"{where}: cannot read the CRF definition ({exc})") from None
    centres = _centres(doc.get("centres") or [], where)
    forms, fields, seen = [], [], set()
    for form in doc["forms"]:
        forms.append((form["name"], form["label_fr"], form["label_en"]))
        for f in _expand(form):
            name = f.get("name", "")
            at = f"{where}: field '{name}'"
            if not NAME.match(name) or len(name) > MAX_NAME:
                raise InputFileError(f"{at}: names must match [a-z][a-z0-9_]* and have at most {MAX_NAME} characters")
            if name in seen:
                raise InputFileError(f"{at}: defined twice")
            seen.add(name)
            if f.get("type") not in TYPES:
                raise InputFileError(f"{at}: type must be one of {', '.join(TYPES)}")
            if f.get("choices") == "centres":
                choices = tuple((code, city, city) for code, city in centres)
            else:
                choices = tuple((str(code), str(labels[0]), str(labels[1]))
                                for code, labels in (f.get("choices") or {}).items())
            if f["type"] in CHOICE_TYPES and not choices:
                raise InputFileError(f"{at}: a {f['type']} needs choices")
            if any(not CODE.match(c[0]) for c in choices):
                raise InputFileError(f"{at}: choice codes must be letters, digits or '_'")
            kind = "date" if f["type"] == "date" else "number"
            lo = _date_or_number(f.get("min"), kind, at)
            hi = _date_or_number(f.get("max"), kind, at)
            if lo is not None and hi is not None and lo >= hi:
                raise InputFileError(f"{at}: min must be below max")
            fields.append(Field(
                name=name, form=form["name"], type=f["type"], label_fr=f["label_fr"], label_en=f["label_en"],
                unit=f.get("unit", "") or "", min=lo, max=hi, required=bool(f.get("required", False)),
                identifier=bool(f.get("identifier", False)), free_text=bool(f.get("free_text", False)),
                choices=choices, section_fr=f.get("section_fr", "") or "", note_fr=f.get("note_fr", "") or "",
                branching=f.get("branching", "") or "",
                conversions=tuple((c["from"], float(c["divide_by"])) for c in f.get("conversions", []) or []),
                header_aliases=tuple(str(a) for a in f.get("header_aliases", []) or [])))
    fields = _expand_branching(fields, where)
    if fields[0].name != "record_id":
        raise InputFileError(f"{where}: the first field must be record_id (REDCap's record identifier)")
    return CRF(doc["title_fr"], doc["title_en"], tuple(forms), tuple(fields), dict(doc.get("inclusion") or {}))


def _prefix(city: str) -> str:
    return re.sub(r"[^A-Z]", "", normalise(city).upper())[:3]


def _centres(spec: list, where: str) -> tuple:
    """The participating centres ((code, city), ...), checked: codes are 3 capital letters and unique, and no code
    is the first 3 letters of another listed city (else the call's old rule would silently pick the wrong one)."""
    out = tuple((str(c["code"]), str(c["city"])) for c in spec)
    codes = [c for c, _ in out]
    for code, city in out:
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise InputFileError(f"{where}: centre {city}: the code '{code}' must be 3 capital letters")
        if codes.count(code) > 1:
            raise InputFileError(f"{where}: centre code '{code}' is given to two centres")
        clash = [other for c, other in out if c != code and _prefix(other) == code]
        if clash:
            raise InputFileError(f"{where}: centre code '{code}' ({city}) is the first 3 letters of {clash[0]}: "
                                 f"a centre of {clash[0]} using the call's rule would be taken for {city}")
    return out


def resolve_centre(field: Field, text: str) -> tuple[str | None, str | None]:
    """The centre code of a cell: ``(code, None)``, or ``(None, problem)`` said in words.

    Accepted: a listed code (``NTE``), the city (``Nantes``, ``nantes``, ``Saint-Etienne``), or the call's old
    "first 3 letters of the city" when they name one listed city only. Refused: 3 letters shared by two listed
    cities (``NAN``: Nancy or Nantes), and anything not in the list, both reported so that the centre answers
    with its code; two centres are never merged silently.
    """
    key = normalise(text)
    for code, city, _ in field.choices:
        if key in (normalise(code), normalise(city)):
            return code, None
    letters = re.sub(r"[^A-Z]", "", key.upper())
    if len(letters) == 3:
        matches = [(code, city) for code, city, _ in field.choices if _prefix(city) == letters]
        if len(matches) == 1:
            return matches[0][0], None
        if len(matches) > 1:
            named = " or ".join(f"{city} ({code})" for code, city in matches)
            return None, f"ambiguous centre: '{letters}' is {named}; answer with the centre's code"
    return None, "centre not in the list of participating centres (crf_fields.yaml): answer with a listed code"


def _expand_branching(fields: list, where: str) -> list:
    """Write ``any([checkbox])`` out as REDCap logic: any of that checkbox's choices (other than "none") ticked."""
    by_name = {f.name: f for f in fields}
    out = []
    for f in fields:
        def any_of(m):
            box = by_name.get(m.group(1))
            if box is None or box.type != "checkbox":
                raise InputFileError(f"{where}: field '{f.name}': any([{m.group(1)}]) needs a checkbox field")
            codes = [c for c, _, _ in box.choices if c != NONE_CODE]
            return "(" + " or ".join(f"[{box.name}({c})] = '1'" for c in codes) + ")"
        out.append(replace(f, branching=_ANY.sub(any_of, f.branching)) if "any(" in f.branching else f)
    return out


def fields_table(crf: CRF | None = None) -> pd.DataFrame:
    """The CRF as a readable table (one row per field): form, name, type, unit, range, choices, labels."""
    crf = crf or load()
    rows = [{"form": f.form, "field": f.name, "type": f.type, "unit": f.unit,
             "min": "" if f.min is None else str(f.min), "max": "" if f.max is None else str(f.max),
             "required": f.required, "identifier": f.identifier, "free_text": f.free_text,
             "choices": f.choice_text("en"), "label_fr": f.label_fr, "label_en": f.label_en} for f in crf.fields]
    return pd.DataFrame(rows)


def _range_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()  # REDCap stores date ranges as Y-M-D whatever the display format
    return f"{value:g}"


def redcap_dictionary(crf: CRF | None = None) -> pd.DataFrame:
    """The REDCap data dictionary: REDCap's 18 columns, French labels, English label in *Field Annotation*.

    Yes/no questions are radios ``"1, Oui | 0, Non"`` (REDCap's own *yesno* type would show English labels in
    the label export); dates are text fields validated ``date_dmy``; lab values ``number`` with their unit in
    the label and the plausible range as REDCap's (soft) min/max. Identifying fields (initials, birth date)
    are flagged ``Identifier? = y`` so REDCap can strip them from de-identified exports.

    Returns
    -------
    DataFrame
        One row per field; ``write_crf_outputs`` writes it as CSV (UTF-8 with a byte-order mark, so that Excel
        in French shows the accents; comma separated, as REDCap requires), ready for *Project Setup → Data
        Dictionary → Upload*. A checkbox with a "none" choice ("Aucun") carries ``@NONEOFTHEABOVE`` in its
        annotation: REDCap then refuses "none" ticked with another choice.
    """
    crf = crf or load()
    rows = []
    for f in crf.fields:
        note = f.note_fr
        if f.unit and f.conversions:
            other = ", ".join(u for u, _ in f.conversions)
            note = (note + " ; " if note else "") + f"en {f.unit} (autres unités converties à l'analyse : {other})"
        annotation = f"EN: {f.label_en}" + (f" ({f.unit})" if f.unit else "")
        if f.type == "checkbox" and any(c == NONE_CODE for c, _, _ in f.choices):
            annotation += f" @NONEOFTHEABOVE='{NONE_CODE}'"
        rows.append({
            "Variable / Field Name": f.name, "Form Name": f.form, "Section Header": f.section_fr,
            "Field Type": f.type if f.type in CHOICE_TYPES + ("notes",) else "text",
            "Field Label": f.redcap_label, "Choices, Calculations, OR Slider Labels": f.choice_text("fr"),
            "Field Note": note, "Text Validation Type OR Show Slider Number": VALIDATION.get(f.type, ""),
            "Text Validation Min": _range_text(f.min), "Text Validation Max": _range_text(f.max),
            "Identifier?": "y" if f.identifier else "", "Branching Logic (Show field only if...)": f.branching,
            "Required Field?": "y" if f.required else "", "Custom Alignment": "", "Question Number (surveys only)": "",
            "Matrix Group Name": "", "Matrix Ranking?": "", "Field Annotation": annotation})
    return pd.DataFrame(rows, columns=REDCAP_COLUMNS)


def parse_choices(text: str) -> list[tuple[str, str]]:
    """Split REDCap choices ``"1, Oui | 0, Non"`` into ``[("1", "Oui"), ("0", "Non")]`` (ValueError when malformed)."""
    out = []
    for part in str(text).split("|"):
        code, sep, label = part.strip().partition(",")
        if not sep or not CODE.match(code.strip()) or not label.strip():
            raise ValueError(f"malformed choice {part.strip()!r}")
        out.append((code.strip(), label.strip()))
    return out


def _excel_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def excel_template(path, crf: CRF | None = None) -> Path:
    """Write the Excel entry template for centres without REDCap.

    Sheet *Saisie*: one header row of variable names (what ``load_crf`` reads), one row per case; each
    header carries the French label as a comment; drop-down lists for choices (French labels; checkbox
    columns take Oui/Non), decimal/whole-number ranges, date checks. Sheet *Dictionnaire*: every column with
    its labels, unit, allowed values and range. Sheet *Listes* (hidden): the drop-down lists.

    Returns the path written.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    crf = crf or load()
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    entry = wb.active
    entry.title = "Saisie"
    dictionary = wb.create_sheet("Dictionnaire")
    lists = wb.create_sheet("Listes")
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    identifying = PatternFill("solid", fgColor="FCE4D6")
    last = TEMPLATE_ROWS + 1

    dictionary.append(["colonne", "formulaire", "libellé", "label (English)", "type", "unité", "valeurs permises",
                       "min", "max", "obligatoire", "identifiant"])
    for cell in dictionary[1]:
        cell.font = bold
    list_ranges: dict[str, str] = {}
    col = 0
    for f in crf.fields:
        if f.type in ("radio", "dropdown") and f.name not in list_ranges:
            key = f.choice_text("fr")
            existing = next((rng for name, rng in list_ranges.items() if crf.field(name).choice_text("fr") == key), None)
            if existing:
                list_ranges[f.name] = existing
            else:
                lcol = len({v for v in list_ranges.values()}) + 1
                letter = _excel_letter(lcol)
                lists.cell(row=1, column=lcol, value=f.name)
                for i, (_, fr, _) in enumerate(f.choices, start=2):
                    lists.cell(row=i, column=lcol, value=fr)
                list_ranges[f.name] = f"Listes!${letter}$2:${letter}${len(f.choices) + 1}"
        for j, column in enumerate(f.columns):
            col += 1
            letter = _excel_letter(col)
            cell = entry.cell(row=1, column=col, value=column)
            cell.font = bold
            if f.identifier:
                cell.fill = identifying
            label = f.redcap_label
            allowed = f.choice_text("fr")
            if f.type == "checkbox":
                code, fr, en = f.choices[j]
                label = f"{f.label_fr} : {fr}"
                allowed = "Oui | Non"
            cell.comment = Comment(label, "CRF")
            entry.column_dimensions[letter].width = max(12, min(len(column) + 2, 32))
            target = f"{letter}2:{letter}{last}"
            dv = None
            if f.type == "checkbox":
                dv = DataValidation(type="list", formula1='"Oui,Non"', allow_blank=True)
            elif f.type in ("radio", "dropdown"):
                dv = DataValidation(type="list", formula1=f"={list_ranges[f.name]}", allow_blank=True)
            elif f.type in ("number", "integer") and f.min is not None and f.max is not None:
                dv = DataValidation(type="decimal" if f.type == "number" else "whole", operator="between",
                                    formula1=f"{f.min:g}", formula2=f"{f.max:g}", allow_blank=True)
            elif f.type == "date":
                lo, hi = f.min or dt.date(1900, 1, 1), f.max or dt.date(2100, 12, 31)
                dv = DataValidation(type="date", operator="between", allow_blank=True,
                                    formula1=f"DATE({lo.year},{lo.month},{lo.day})",
                                    formula2=f"DATE({hi.year},{hi.month},{hi.day})")
            if dv is not None:
                dv.error = f"{column} : valeur non permise ({allowed or f'{_range_text(f.min)} à {_range_text(f.max)}'})"
                dv.errorTitle = "Valeur non permise"
                dv.showErrorMessage = True
                dv.add(target)
                entry.add_data_validation(dv)
            dictionary.append([column, f.form, label, f.label_en, f.type, f.unit, allowed,
                               _range_text(f.min), _range_text(f.max), "oui" if f.required else "",
                               "oui" if f.identifier else ""])
    entry.freeze_panes = "B2"
    dictionary.column_dimensions["A"].width = 28
    dictionary.column_dimensions["C"].width = 60
    wb.properties.creator = "myositis.crf"
    wb.properties.created = dt.datetime(2020, 1, 1)  # fixed: the template is byte-stable apart from zip times
    wb.properties.modified = dt.datetime(2020, 1, 1)
    wb.save(path)
    return path


def write_crf_outputs(out_dir="build/crf", crf: CRF | None = None) -> list[Path]:
    """Write ``redcap_data_dictionary.csv`` and ``sam_crf_template.xlsx`` into ``out_dir``; return the paths."""
    crf = crf or load()
    out = paths.output_dir(out_dir)
    dictionary = out / "redcap_data_dictionary.csv"
    io.write_csv(redcap_dictionary(crf), dictionary)
    # UTF-8 with BOM: Excel (French) reads a BOM-less CSV as Windows-1252 and garbles the accents; REDCap
    # accepts the BOM. Added here so io.write_csv's own rules (formula neutralisation, line ends) still apply.
    text = dictionary.read_bytes()
    if not text.startswith(b"\xef\xbb\xbf"):
        dictionary.write_bytes(b"\xef\xbb\xbf" + text)
    return [dictionary, excel_template(out / "sam_crf_template.xlsx", crf)]


def main(argv=None) -> int:
    """``python -m myositis crf [--out build/crf]``: write the REDCap dictionary and the Excel template."""
    parser = argparse.ArgumentParser(prog="python -m myositis crf", description=main.__doc__)
    parser.add_argument("--out", default="build/crf", help="output folder (default: build/crf)")
    args = parser.parse_args(argv)
    for path in write_crf_outputs(args.out):
        print(f"wrote {paths.relative(path)}")
    return 0
