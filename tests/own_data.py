"""Own-data files as a researcher would bring them, built in code (not by the project's generators).

``mi2_french_xlsx``: an anti-Mi2 cohort of 40 patients (10 per group) typed in French Excel: French headers with
units in brackets and accents ("CK max (UI/L)", "Papules de Gottron", "Âge au début (ans)"), Oui/Non answers,
Femme/Homme, French group labels ("DM anti-Mi2+", "SAS", "MNAI"). Values are drawn with a fixed seed from simple
group-wise probabilities written here, independent of ``myositis.mi2.synthetic_cohort``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The headers a French centre types (not the project's field names).
PATIENT_HEADERS_FR = {
    "id": "N° patient", "group": "Groupe", "sex": "Sexe", "age_onset_years": "Âge au début (ans)",
    "weakness_onset": "Faiblesse musculaire au début", "weakness_ever": "Faiblesse au cours du suivi",
    "ck_max_u_l": "CK max (UI/L)", "ild": "PID", "calcinosis": "Calcinose", "fever": "Fièvre",
    "cancer": "Cancer", "gottron_papules": "Papules de Gottron", "heliotrope_rash": "Érythème héliotrope",
    "periungual_erythema": "Érythème péri-unguéal", "biopsy_necrosis": "Nécrose à la biopsie musculaire",
    "follow_up_years": "Suivi (années)", "treatment_stopped": "Arrêt des immunosuppresseurs",
    "relapse_after_stop": "Rechute après arrêt",
}
VISIT_HEADERS_FR = {
    "id": "N° patient", "months_since_onset": "Mois depuis le début", "strength_kendall": "Force (Kendall 0-10)",
    "ck_u_l": "CK (UI/L)", "anti_mi2_titre_au": "Titre anti-Mi2 (UA)",
}
GROUPS_FR = {"Mi2+ DM": "DM anti-Mi2+", "Mi2- DM": "DM anti-Mi2-", "ASyS": "SAS", "IMNM": "MNAI"}
#: P(yes) per group for weakness at onset, ILD, calcinosis, fever, necrosis (chosen for this test, not published).
P_YES = {"Mi2+ DM": (0.7, 0.1, 0.1, 0.1, 0.6), "Mi2- DM": (0.3, 0.3, 0.3, 0.3, 0.2),
         "ASyS": (0.4, 0.8, 0.1, 0.5, 0.2), "IMNM": (0.9, 0.05, 0.0, 0.05, 0.9)}


def mi2_tables(n_per_group: int = 10, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients and visits with the project's field names (40 patients by default)."""
    rng = np.random.default_rng(seed)
    patients, visits = [], []
    k = 0
    for group, (p_weak, p_ild, p_calc, p_fever, p_nec) in P_YES.items():
        for _ in range(n_per_group):
            k += 1
            pid = f"PT{k:03d}"
            weak = bool(rng.random() < p_weak)
            follow = float(np.round(rng.uniform(1.0, 7.0), 1))
            if group == "Mi2+ DM" and k % 3 == 0:
                follow = float(np.round(rng.uniform(5.0, 8.0), 1))  # some long follow-up
            stopped = bool(group == "Mi2+ DM" and k % 4 == 0)
            patients.append({
                "id": pid, "group": group, "sex": "F" if rng.random() < 0.65 else "M",
                "age_onset_years": float(np.round(rng.normal(50, 12), 0)), "weakness_onset": weak,
                "weakness_ever": weak or bool(rng.random() < 0.5),
                "ck_max_u_l": float(np.round(np.exp(rng.normal(8.0 if group in ("Mi2+ DM", "IMNM") else 6.5, 0.8)))),
                "ild": bool(rng.random() < p_ild), "calcinosis": bool(rng.random() < p_calc),
                "fever": bool(rng.random() < p_fever), "cancer": bool(rng.random() < 0.1),
                "gottron_papules": bool(group in ("Mi2+ DM", "Mi2- DM") and rng.random() < 0.7),
                "heliotrope_rash": bool(group in ("Mi2+ DM", "Mi2- DM") and rng.random() < 0.6),
                "periungual_erythema": bool(rng.random() < 0.4), "biopsy_necrosis": bool(rng.random() < p_nec),
                "follow_up_years": follow, "treatment_stopped": stopped,
                "relapse_after_stop": False if stopped else None,
            })
            months = np.unique(np.round(np.sort(rng.uniform(0, 12 * follow, size=int(rng.integers(4, 9)))), 1))
            base = rng.normal(6.0, 1.0)
            titre0 = float(np.exp(rng.normal(5.0, 0.5))) if group == "Mi2+ DM" else None
            for m in months:
                strength = float(np.clip(np.round(base + 0.05 * m + rng.normal(0, 0.7), 1), 0, 10))
                titre = None if titre0 is None else float(np.round(titre0 * np.exp(-0.04 * m + rng.normal(0, 0.3)), 1))
                visits.append({"id": pid, "months_since_onset": float(m), "strength_kendall": strength,
                               "ck_u_l": float(np.round(np.exp(rng.normal(6.0, 0.9) - 0.02 * m))),
                               "anti_mi2_titre_au": titre})
    return pd.DataFrame(patients), pd.DataFrame(visits)


def _french(df: pd.DataFrame, headers: dict) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, bool)).any():
            out[col] = out[col].map({True: "Oui", False: "Non", None: ""})
    if "sex" in out:
        out["sex"] = out["sex"].map({"F": "Femme", "M": "Homme"})
    if "group" in out:
        out["group"] = out["group"].map(GROUPS_FR)
    return out[list(headers)].rename(columns=headers)


def mi2_french_xlsx(folder: Path, n_per_group: int = 10, seed: int = 7, drop: tuple = ()) -> tuple[Path, Path]:
    """Write ``patients.xlsx`` and ``visits.xlsx`` with French headers into ``folder``; ``drop`` removes
    columns (project field names) from the patients file, to test a missing column."""
    patients, visits = mi2_tables(n_per_group, seed)
    folder.mkdir(parents=True, exist_ok=True)
    headers = {k: v for k, v in PATIENT_HEADERS_FR.items() if k not in drop}
    p_path, v_path = folder / "patients.xlsx", folder / "visits.xlsx"
    _french(patients, headers).to_excel(p_path, index=False, sheet_name="Patients")
    _french(visits, VISIT_HEADERS_FR).to_excel(v_path, index=False, sheet_name="Visites")
    return p_path, v_path
