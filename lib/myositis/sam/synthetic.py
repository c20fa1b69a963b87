"""The SYNTHETIC demo series of the SAM case series: an export of the CRF as a French centre would write it (no
patient's data), with a fixed seed, bundled as ``data/raw/sam_synthetic_series.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import re
import io as _io
from pathlib import Path

import numpy as np
import pandas as pd

from .. import crf as crf_module
from .. import paths
from .describe import DRUGS

SYNTHETIC_FILE = "data/raw/sam_synthetic_series.csv"
SYNTHETIC_SEED = 20201001
#: Written in the free-text comment of every synthetic row, so that the file says which call made it.
MARKER = "Cas synthétique (myositis.sam.synthetic_series n={n} seed={seed})"
_MARKER = re.compile(rb"myositis\.sam\.synthetic_series n=(\d{1,6}) seed=(\d{1,12})\)")


def _fr_number(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _fr_date(d: dt.date) -> str:
    return f"{d:%d/%m/%Y}"


def synthetic_series(n: int = 30, seed: int = SYNTHETIC_SEED, crf=None) -> pd.DataFrame:
    """A SYNTHETIC export of the CRF as a French centre would write it (no patient's data).

    Built to exercise the real ingestion path and to look like a real call for cases: anti-MDA5 predominant,
    a few anti-SAE, TIF1γ, NXP2 and Mi2; mostly women; ILD frequent; high ferritin; 10-20 % of lab values
    missing ("ND" or empty); units sometimes written in cells; treatment lines with responses, ICU stays and
    a high mortality. Two planted problems show the exclusions: one MAS diagnosed before the inclusion window
    and one case sent twice by two centres. Every row's comment says the case is synthetic and names the call
    with its ``n`` and ``seed`` (:data:`MARKER`), so that :func:`generator_of` recognises the export whatever
    the seed. Recognition codes use made-up letters; centres are listed codes of
    ``crf_fields.yaml`` (the cases are invented, whatever the centre).

    Parameters
    ----------
    n : int
        Rows (including the two planted problems).
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    DataFrame
        Cells as text, columns = the CRF export columns.
    """
    crf = crf or crf_module.load()
    rng = np.random.default_rng(seed)
    cols = crf.columns
    consonants, vowels = "QXZWKV", "AEIOUY"
    centres = ["REI", "NTE", "NCY", "LYO", "LIL", "TLS", "STR"]   # listed codes; the cases are invented
    departments = ["Médecine interne", "Dermatologie", "Rhumatologie", "Hématologie"]
    antibodies = ["mda5", "sae", "tif1g", "nxp2", "mi2", "none"]
    ab_p = [0.72, 0.0, 0.06, 0.05, 0.05, 0.12]
    agents = ["CMV", "EBV", "Pneumocystis jirovecii", "E. coli", "grippe", "non identifié"]
    collection = dt.date(2021, 3, 31)
    yn = (lambda b: "Oui" if b else "Non")
    rows = []
    for i in range(n - 1):
        r = {c: "" for c in cols}
        r["record_id"] = str(i + 1)
        r["initials"] = "".join(rng.choice(list(consonants)) + rng.choice(list(vowels)) for _ in range(2))
        mas = dt.date(2011, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3540)))
        juvenile = i == 7
        age = 14.5 if juvenile else float(np.clip(rng.normal(52, 13), 19, 82))
        birth = mas - dt.timedelta(days=int(age * 365.25) + int(rng.integers(0, 200)))
        ab = str(rng.choice(antibodies, p=ab_p))
        if i in (2, 15, 21):
            ab = "sae"  # the call for cases was prompted by an anti-SAE case
        dm_gap = int(rng.gamma(1.0, 150)) if rng.random() < 0.8 else int(rng.integers(400, 2500))
        dm = mas - dt.timedelta(days=dm_gap)
        r.update({"birth_date": _fr_date(birth), "centre": str(rng.choice(centres, p=[.3, .2, .15, .1, .1, .1, .05])),
                  "department": str(rng.choice(departments, p=[.45, .35, .1, .1])),
                  "sex": "Femme" if rng.random() < (0.8 if ab == "mda5" else 0.7) else "Homme",
                  "dm_diagnosis_date": _fr_date(dm),
                  "dm_subtype": "Juvénile" if juvenile else ("Amyopathique" if ab == "mda5" and rng.random() < .45
                                                             else "Classique")})
        skin = {"heliotrope": .6, "gottron": .75, "shawl_v": .4, "mechanic": .2, "ulcer": .45 if ab == "mda5" else .1,
                "calcinosis": .05, "other": .1}
        for code, pr in skin.items():
            r[f"dm_skin___{code}"] = yn(rng.random() < pr)
        weak = rng.random() < (0.45 if ab == "mda5" else 0.85)
        for code, pr in {"weakness": float(weak), "myalgia": .4, "dysphagia": .2 if weak else 0.0}.items():
            r[f"dm_muscle___{code}"] = yn(rng.random() < pr)
        r["dm_muscle___none"] = yn(not weak)
        ck = rng.lognormal(np.log(150 if ab == "mda5" else 1800), 1.0)
        r["dm_ck_u_l"] = "" if rng.random() < .12 else f"{ck:.0f}"
        ild = rng.random() < (0.85 if ab == "mda5" else 0.3)
        r["dm_ild"] = yn(ild)
        r["dm_ild_rapid"] = yn(rng.random() < 0.6) if ild else ""
        r["dm_cancer"] = yn(rng.random() < (0.5 if ab == "tif1g" else 0.05))
        tested = rng.random() < 0.93 or ab != "none"
        r["dm_antibodies_tested"] = yn(tested)
        if tested:
            for code in ("mda5", "mi2", "tif1g", "nxp2", "sae", "ars", "srp", "hmgcr", "ro52", "pmscl", "ku",
                         "other", "none"):
                pos = code == ab or (code == "ro52" and ab == "mda5" and rng.random() < .45)
                r[f"dm_antibodies___{code}"] = yn(pos)
        prior = dm_gap > 20
        for code, pr in {"gc": .8, "hcq": .25, "mtx": .15, "mmf": .1, "aza": .05, "ivig": .2, "csa": .05,
                         "tac": .2 if ab == "mda5" else 0, "rtx": .05, "cyc": .1 if ild else 0, "jaki": .03,
                         "other": .02}.items():
            r[f"dm_treatments___{code}"] = yn(prior and rng.random() < pr)
        r["dm_treatments___none"] = yn(not prior)
        r["mas_date"] = _fr_date(mas)
        infection = rng.random() < 0.35
        triggers = {"infection": infection, "dm_flare": rng.random() < .55, "drug": rng.random() < .05,
                    "cancer": ab == "tif1g" and rng.random() < .5}
        triggers["none"] = not any(triggers.values())
        triggers["other"] = False
        for code, v in triggers.items():
            r[f"mas_trigger___{code}"] = yn(v)
        r["mas_infection_agent"] = str(rng.choice(agents)) if infection else ""
        r["known_immunosuppression"] = yn(prior and rng.random() < .7)
        fever = rng.random() < .9
        r["fever"] = yn(fever)
        r["max_temperature_c"] = _fr_number(rng.uniform(38.3, 40.6) if fever else rng.uniform(36.6, 37.9))
        for code, pr in {"hepatomegaly": .35, "splenomegaly": .4, "lymphadenopathy": .3}.items():
            r[code] = yn(rng.random() < pr) if rng.random() > .08 else ""
        labs = {
            "haemoglobin_g_dl": (rng.normal(9.3, 1.5), 1), "leukocytes_g_l": (rng.lognormal(np.log(2.8), .5), 1),
            "neutrophils_g_l": (rng.lognormal(np.log(2.0), .6), 1), "platelets_g_l": (rng.lognormal(np.log(75), .6), 0),
            "ferritin_ng_ml": (rng.lognormal(np.log(6000), 1.0), 0),
            "triglycerides_mmol_l": (rng.lognormal(np.log(3.1), .4), 1),
            "fibrinogen_g_l": (max(0.3, rng.normal(1.9, 0.9)), 1), "ast_u_l": (rng.lognormal(np.log(180), .8), 0),
            "alt_u_l": (rng.lognormal(np.log(110), .8), 0), "ldh_u_l": (rng.lognormal(np.log(900), .5), 0),
            "scd25_u_ml": (rng.lognormal(np.log(4500), .6), 0)}
        missing = {"scd25_u_ml": .7, "triglycerides_mmol_l": .18, "fibrinogen_g_l": .15, "ldh_u_l": .15,
                   "neutrophils_g_l": .12, "ferritin_ng_ml": .04}
        for col, (value, digits) in labs.items():
            if rng.random() < missing.get(col, .1):
                r[col] = str(rng.choice(["ND", ""]))
                continue
            cell = _fr_number(value, digits)
            u = rng.random()
            if col == "ferritin_ng_ml" and u < .3:
                cell = f"{value:.0f} µg/L"
            elif col == "triglycerides_mmol_l" and u < .25:
                cell = f"{_fr_number(value * 0.885, 2)} g/L"
            elif col == "fibrinogen_g_l" and u < .2:
                cell = f"{value * 100:.0f} mg/dL"
            elif col == "haemoglobin_g_dl" and u < .2:
                cell = f"{value * 10:.0f} g/L"
            r[col] = cell
        r["nk_activity_low"] = yn(rng.random() < .7) if rng.random() < .1 else ""
        marrow = rng.random() < .7
        r["marrow_haemophagocytosis"] = yn(rng.random() < .75) if marrow else ""
        r["haemophagocytosis"] = r["marrow_haemophagocytosis"]
        # treatment lines: glucocorticoids first, escalation while the response is not complete
        severe = ab == "mda5" and ild
        death_risk = 0.65 if severe else 0.3
        first = str(rng.choice(["mp", "mp_ivig", "gc_ivig", "mp_csa", "mp_anakinra", "mp_etoposide", "gc"],
                               p=[.3, .2, .12, .12, .1, .08, .08]))
        drugs1 = {"mp": ["gc", "mp_pulse"], "mp_ivig": ["gc", "mp_pulse", "ivig"], "gc_ivig": ["gc", "ivig"],
                  "mp_csa": ["gc", "mp_pulse", "csa"], "mp_anakinra": ["gc", "mp_pulse", "anakinra"],
                  "mp_etoposide": ["gc", "mp_pulse", "etoposide"], "gc": ["gc"]}[first]
        later = ["etoposide", "anakinra", "csa", "tac", "cyc", "rtx", "pex", "jaki", "ivig", "tcz"]
        start = mas + dt.timedelta(days=int(rng.integers(0, 3)))
        dies = rng.random() < death_risk
        death_day = int(rng.lognormal(np.log(35), .8)) + 1 if dies else None
        line_drugs = drugs1
        for k in range(1, 5):
            response = str(rng.choice(["complete", "partial", "none"],
                                      p=[.15, .3, .55] if dies else [.45, .35, .2]))
            if rng.random() < .03:
                response = "not evaluable"
            for code in DRUGS:
                r[f"line{k}_drugs___{code}"] = yn(code in line_drugs)
            r[f"line{k}_start"] = _fr_date(start)
            r[f"line{k}_response"] = {"complete": "Réponse complète", "partial": "Réponse partielle",
                                      "none": "Pas de réponse", "not evaluable": "Non évaluable"}[response]
            if rng.random() < .03:
                r[f"line{k}_response"] = ""
            nxt = start + dt.timedelta(days=int(rng.integers(4, 21)))
            if response == "complete" or k == 4 or (death_day and (nxt - mas).days >= death_day) or rng.random() < .15:
                break
            start = nxt
            line_drugs = list(rng.choice(later, size=int(rng.integers(1, 3)), replace=False))
        if rng.random() < 0.03:
            r["mas_treatment_other"] = "Transfert en centre de référence (synthétique)"
        icu = rng.random() < (0.6 if severe else 0.3)
        r["icu"] = yn(icu)
        r["icu_date"] = _fr_date(mas + dt.timedelta(days=int(rng.integers(0, 10)))) if icu else ""
        if dies:
            death = mas + dt.timedelta(days=death_day)
            r.update({"death": "Oui", "death_date": _fr_date(min(death, collection)), "last_followup_date": _fr_date(
                min(death, collection)), "death_cause": str(rng.choice(
                    ["SAM", "Pneumopathie interstitielle / insuffisance respiratoire", "Infection", "Autre"],
                    p=[.35, .4, .2, .05]) if ab == "mda5" else rng.choice(["SAM", "Infection", "Cancer", "Autre"],
                                                                        p=[.45, .3, .15, .1]))})
            r["relapse"] = "Non"
        else:
            last = min(mas + dt.timedelta(days=int(rng.integers(60, 2400))), collection)
            r.update({"death": "Non", "last_followup_date": _fr_date(last)})
            relapse = rng.random() < .15
            r["relapse"] = yn(relapse)
            if relapse:
                r["relapse_date"] = _fr_date(mas + dt.timedelta(days=int(rng.integers(30, max(31, (last - mas).days)))))
        # every row says it is made up and which call made it (the seed read back by generator_of)
        r["comments"] = ("Données incomplètes, dossier papier. " if rng.random() < .08 else "") + \
            MARKER.format(n=n, seed=seed)
        rows.append(r)
    # planted problems: a MAS before the inclusion window; the same patient sent again by another centre
    rows[11]["mas_date"] = "14/11/2009"
    rows[11]["line1_start"] = "15/11/2009"
    rows[11]["dm_diagnosis_date"] = "02/09/2009"
    for k in range(2, 5):
        rows[11][f"line{k}_start"] = ""
    dup = dict(rows[4])
    dup["record_id"] = str(n)
    dup["centre"] = next(c for c in centres if c != rows[4]["centre"])
    dup["department"] = "Hématologie"
    rows.append(dup)
    return pd.DataFrame(rows, columns=cols)


def synthetic_series_bytes(n: int = 30, seed: int = SYNTHETIC_SEED) -> bytes:
    """The synthetic series as a French centre's CSV: ';', decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF."""
    buffer = _io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    df = synthetic_series(n, seed)
    writer.writerow(df.columns)
    writer.writerows(df.itertuples(index=False, name=None))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_synthetic_series(path=SYNTHETIC_FILE, n: int = 30, seed: int = SYNTHETIC_SEED) -> Path:
    """Write the bundled synthetic demo export (done once; a test checks the committed file equals this)."""
    path = paths.resolve(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(synthetic_series_bytes(n, seed))
    return path


def generator_of(path) -> str | None:
    """The generator that wrote ``path``, when the file is byte-identical to one of its outputs; else None.

    Recognition by content, whatever the seed and the file's name: ``n`` and ``seed`` are read from the comment
    every synthetic row carries (:data:`MARKER`), the series of those parameters is regenerated as the bundled
    demo export (:func:`synthetic_series_bytes`) and as the three centre files of the multicentre demo
    (:func:`myositis.sam.demo.demo_exports`), and the file's SHA-256 is compared with theirs. One value edited,
    one row removed, or the file saved again by a spreadsheet: not the generator's output (own data).

    Returns
    -------
    str or None
        e.g. ``"myositis.sam.synthetic_series(n=30, seed=20201001)"`` or
        ``"myositis.sam.demo.demo_exports(seed=20201002, n=36)"``.
    """
    p = paths.resolve(path)
    if not p.is_file():
        return None
    data = p.read_bytes()
    found = _MARKER.search(data)
    if found is None:
        return None
    n, seed = int(found.group(1)), int(found.group(2))
    digest = hashlib.sha256(data).hexdigest()
    # the series first: the bundled demo export is one, and then the three centre files need not be regenerated
    for written in (_series_digests, _demo_digests):
        if digest in (table := written(n, seed)):
            return table[digest]
    return None


@functools.lru_cache(maxsize=8)
def _series_digests(n: int, seed: int) -> dict:
    """SHA-256 → generator call of the synthetic series export (:func:`synthetic_series_bytes`)."""
    return {hashlib.sha256(synthetic_series_bytes(n, seed)).hexdigest():
            f"myositis.sam.synthetic_series(n={n}, seed={seed})"}


@functools.lru_cache(maxsize=8)
def _demo_digests(n: int, seed: int) -> dict:
    """SHA-256 → generator call of the three centre files of the multicentre demo (:func:`demo.demo_exports`)."""
    from .demo import demo_exports

    try:
        exports = demo_exports(seed, n)
    except IndexError:  # too few rows for the demo's planted problems: the demo cannot have written the file
        exports = {}
    return {hashlib.sha256(data).hexdigest(): f"myositis.sam.demo.demo_exports(seed={seed}, n={n})"
            for data in exports.values()}
