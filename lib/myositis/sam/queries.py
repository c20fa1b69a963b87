"""Queries back to the clinicians: one Excel workbook per centre, in French, from the validation issues.

Only the clinician knows who the patient is, so each centre receives the problems of its own rows: the record
number (*N° de fiche*), the field's French label, the value received, the rule in plain French, and empty columns
for the answer (*Valeur corrigée*, *Commentaire*, *Répondu par*, *Date*). Identifying values (initials, birth
date) stay masked; a duplicate found with another centre's case is named without that centre's file or row.
Answered workbooks are read back by :func:`myositis.sam.corrections.read_answers`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from .. import crf as crf_module
from .. import io, paths
from .centres import file_centres

#: Columns of a query workbook (sheet *Requêtes*), in order; the last four are the centre's answer.
QUERY_COLUMNS = ["N° requête", "Centre", "Fichier", "Ligne", "N° de fiche", "Variable", "Champ", "Valeur reçue",
                 "Règle", "Gravité", "Valeur corrigée", "Commentaire", "Répondu par", "Date"]
ANSWER_COLUMNS = QUERY_COLUMNS[-4:]
SEVERITY_FR = {"error": "bloquant (cas exclu)", "warning": "à vérifier"}
#: Issues that are information, not questions for the clinician.
NOT_QUERIES = ("same recognition code as row", "unknown column", "empty row")

#: Validation rules (English, as load_crf writes them) → plain French. First match wins; {0}, {1} are groups.
RULES_FR = [
    (r"^required field is empty", "champ obligatoire non rempli"),
    (r"^not a date", "date illisible (attendu jj/mm/aaaa)"),
    (r"^date outside plausible range (\S+)-(\S+)", "date hors de la plage plausible ({0} à {1}) : ignorée"),
    (r"^not a number", "nombre illisible : ignoré"),
    (r"^unknown unit '([^']*)' \(expected ([^)]*)\)", "unité « {0} » inconnue (unités acceptées : {1}) : valeur ignorée"),
    (r"^value written '([^']*)'", "valeur écrite « {0} » : la limite est retenue"),
    (r"^not a whole number", "nombre entier attendu : ignoré"),
    (r"^out of range \[([^\]]*)\]\s*(.*?): set missing", "valeur hors de la plage plausible [{0}] {1} : ignorée"),
    (r"^not an allowed value \((.*)\)", "réponse non prévue (réponses possibles : {0}) : ignorée"),
    (r"^not yes/no", "réponse Oui/Non attendue"),
    (r"^MAS date missing", "date du SAM manquante ou illisible : le cas ne peut pas être analysé"),
    (r"^impossible dates: MAS before birth", "dates impossibles : SAM avant la naissance"),
    (r"^impossible dates: death before MAS", "dates impossibles : décès avant le SAM"),
    (r"^DM diagnosis before birth", "diagnostic de DM avant la naissance : ignoré"),
    (r"^DM diagnosed more than 30 days after MAS", "DM diagnostiquée plus de 30 jours après le SAM : à vérifier"),
    (r"^last follow-up before MAS", "dernières nouvelles avant le SAM : suivi inconnu"),
    (r"^death date given but death answered no", "date de décès renseignée mais décès = Non : à vérifier"),
    (r"^death without a date", "décès sans date : durée de survie inconnue"),
    (r"^treatment line starts more than 7 days before MAS", "ligne de traitement débutée plus de 7 jours avant le SAM : à vérifier"),
    (r"^outside inclusion window (\S+)-(\S+)", "SAM diagnostiqué hors de la période d'inclusion ({0} - {1}) : cas exclu"),
    (r"^duplicate recognition code .*sent by another centre", "même code de reconnaissance qu'un cas envoyé par un autre centre : cas exclu (à confirmer)"),
    (r"^duplicate recognition code .*resent by the same centre", "cas renvoyé dans un export plus récent du centre : l'ancien envoi est ignoré"),
    (r"^duplicate recognition code of row (\d+)", "même code de reconnaissance que la fiche de la ligne {0} : cas exclu (doublon ?)"),
    (r"^initials: 4 letters expected", "code de reconnaissance : 4 lettres attendues (2 du nom, 2 du prénom)"),
    (r"^ambiguous centre: '([A-Z]+)' is (.*); answer", "centre ambigu : « {0} » désigne {1} ; répondre avec le code du centre"),
    (r"^centre not in the list", "centre absent de la liste des centres participants : répondre avec un code de la liste"),
    (r"^column absent from the file", "colonne absente du fichier"),
]
_RULES = [(re.compile(p), fr) for p, fr in RULES_FR]


def rule_in_french(rule: str) -> str:
    """The plain-French wording of a validation rule (the English rule, marked, when no wording is known)."""
    for pattern, fr in _RULES:
        m = pattern.search(str(rule))
        if m:
            return fr.format(*[g.replace(" or ", " ou ") for g in m.groups()])
    return f"(règle non traduite) {rule}"


def _record(issue, by_row: dict, row) -> str:
    """The record number of an issue: its own ``record`` column when the reader gives one, else by file row."""
    if row is None:
        return "(fichier)"
    own = issue.get("record") if hasattr(issue, "get") else None
    if own is not None and not pd.isna(own) and str(own) != "":
        return str(own)
    return by_row.get((issue["file"], row), "")


def query_table(cases: pd.DataFrame, issues: pd.DataFrame, crf=None) -> pd.DataFrame:
    """Every problem to ask a centre about: one row per issue of a data row (and per file-level issue).

    Parameters
    ----------
    cases, issues : DataFrame
        As returned by :func:`myositis.sam.load_crf` (one file or a folder of exports).

    Returns
    -------
    DataFrame
        ``QUERY_COLUMNS`` with empty answer columns; ``N° requête`` is stable (centre, file, line, field, rule).
    """
    crf = crf or crf_module.load()
    labels = {}
    for f in crf.fields:
        for col in f.columns:
            labels[col] = f.redcap_label if f.type != "checkbox" else f"{f.label_fr} : {f.choices[f.columns.index(col)][1]}"
    record = {(f, int(r)): str(rid) if rid is not None else "" for f, r, rid in
              zip(cases["source_file"], cases["source_row"], cases["record_id"])}
    centre_of_file = file_centres(cases)
    # a central REDCap export holds several centres: each row goes to its own centre, else to its file's
    centre_of_row = {(f, int(r)): c for f, r, c in zip(cases["source_file"], cases["source_row"], cases["centre"])
                     if isinstance(c, str) and c}
    rows = []
    for _, i in issues.iterrows():
        rule = str(i["rule"])
        if rule.startswith(NOT_QUERIES) or "resent by the same centre" in rule:
            continue   # information, or a centre's earlier export superseded by its latest: not a question
        row = None if pd.isna(i["row"]) else int(i["row"])
        field = "" if i["field"] is None or pd.isna(i["field"]) else str(i["field"])
        centre = centre_of_row.get((i["file"], row)) or centre_of_file.get(i["file"]) or ""
        rows.append({"Centre": centre, "Fichier": i["file"], "Ligne": row if row is not None else "",
                     "N° de fiche": _record(i, record, row),
                     "Variable": field, "Champ": labels.get(field, field), "Valeur reçue": i["value"],
                     "Règle": rule_in_french(rule), "Gravité": SEVERITY_FR.get(i["severity"], i["severity"])})
    out = pd.DataFrame(rows, columns=QUERY_COLUMNS[1:-4])
    # "required field is empty" says nothing more when the same cell already has a query (e.g. an ambiguous
    # centre set missing): one question per cell
    key = out["Fichier"].astype(str) + "|" + out["Ligne"].astype(str) + "|" + out["Variable"]
    redundant = out["Règle"].eq(rule_in_french("required field is empty")) & key.duplicated(keep=False)
    out = out[~redundant].reset_index(drop=True)
    for c in ANSWER_COLUMNS:
        out[c] = ""
    number = out.groupby("Centre").cumcount().add(1) if len(out) else pd.Series(dtype=int)
    out.insert(0, "N° requête", [f"{c or 'XXX'}-{k:03d}" for c, k in zip(out["Centre"], number)])
    return out




def write_query_workbooks(queries: pd.DataFrame, out_dir, date: dt.date | None = None) -> list[Path]:
    """Write one query workbook per centre (``requetes_<centre>.xlsx``); return the paths.

    Each workbook holds only that centre's rows (sheet *Requêtes*, answer columns highlighted, filters, frozen
    header) and a sheet *Mode d'emploi* saying how to answer. Values received are those of the centre's own
    export, identifiers already masked; nothing from another centre's file is written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    out = paths.output_dir(out_dir)
    written = []
    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    for centre, group in queries.groupby(queries["Centre"].replace("", "XXX"), sort=True):
        wb = Workbook()
        ws = wb.active
        ws.title = "Requêtes"
        ws.append(QUERY_COLUMNS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        # the project's one policy (io.neutralise_formulas, as io.write_csv / io.write_excel): a received value
        # such as "=HYPERLINK(...)" is written as inert text, a plain number such as "-2" unchanged
        for values in io.neutralise_formulas(group[QUERY_COLUMNS]).itertuples(index=False, name=None):
            ws.append(list(values))
        widths = {"N° requête": 12, "Champ": 40, "Règle": 60, "Valeur reçue": 18, "Commentaire": 30}
        for k, name in enumerate(QUERY_COLUMNS, start=1):
            letter = ws.cell(row=1, column=k).column_letter
            ws.column_dimensions[letter].width = widths.get(name, 16)
            if name in ANSWER_COLUMNS:
                for row in range(1, len(group) + 2):
                    ws.cell(row=row, column=k).fill = answer_fill
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        help_sheet = wb.create_sheet("Mode d'emploi")
        for line in (
                f"Requêtes du centre {centre}" + (f" au {date:%d/%m/%Y}" if date else ""),
                "Une ligne par question sur une fiche de votre centre (N° de fiche = numéro dans votre export).",
                "Répondez dans les colonnes jaunes : Valeur corrigée (écrite comme dans la fiche, ex. 12,5 ou "
                "15/03/2016), Commentaire, Répondu par, Date.",
                "Si la valeur reçue est juste, laissez « Valeur corrigée » vide et écrivez-le dans « Commentaire ».",
                "Les identifiants (code de reconnaissance, date de naissance) restent masqués : corrigez-les dans "
                "votre dossier et renvoyez la fiche.",
                "Ne modifiez pas les autres colonnes ; renvoyez ce fichier à l'équipe coordinatrice."):
            help_sheet.append([line])
        help_sheet.column_dimensions["A"].width = 120
        fixed = dt.datetime(2020, 1, 1)
        wb.properties.creator, wb.properties.created, wb.properties.modified = "myositis.sam.queries", fixed, fixed
        path = out / f"requetes_{centre}.xlsx"
        wb.save(path)
        written.append(path)
    return written
