"""Real survival datasets shipped inside lifelines and scikit-survival, in one shape: time, event, group.

Shared by tests/test_survival_estimation.py and tests/test_survival_reconstruction.py (not a test module).
Sources: lifelines.datasets (Walton's lifespans of flies; Rossi recidivism; NCCTG lung cancer) and
sksurv.datasets (Veterans' Administration lung cancer trial; Worcester Heart Attack Study WHAS500; German Breast
Cancer Study Group 2).
"""

from __future__ import annotations

import pandas as pd


def _sksurv(loader, time, event, group):
    X, y = loader()
    return pd.DataFrame({"time": y[time].astype(float), "event": y[event].astype(int),
                         "group": X[group].astype(str).to_numpy()})


def load(name: str) -> pd.DataFrame:
    """One dataset as columns time, event (1/0), group (the arm compared in the HR tests)."""
    from lifelines import datasets as ll
    from sksurv import datasets as sk

    if name == "waltons":
        d = ll.load_waltons()
        return pd.DataFrame({"time": d["T"].astype(float), "event": d["E"].astype(int), "group": d["group"]})
    if name == "rossi":
        d = ll.load_rossi()
        return pd.DataFrame({"time": d["week"].astype(float), "event": d["arrest"].astype(int),
                             "group": d["fin"].map({0: "no aid", 1: "aid"})})
    if name == "lung":
        d = ll.load_lung()
        return pd.DataFrame({"time": d["time"].astype(float), "event": d["status"].astype(int),
                             "group": d["sex"].map({1: "male", 2: "female"})})
    if name == "veterans":
        return _sksurv(sk.load_veterans_lung_cancer, "Survival_in_days", "Status", "Treatment")
    if name == "veterans_celltype":
        return _sksurv(sk.load_veterans_lung_cancer, "Survival_in_days", "Status", "Celltype")
    if name == "whas500":
        d = _sksurv(sk.load_whas500, "lenfol", "fstat", "gender")
        return d.assign(group=d["group"].map({"0": "male", "1": "female"}))
    if name == "gbsg2":
        return _sksurv(sk.load_gbsg2, "time", "cens", "horTh")
    raise KeyError(name)


NAMES = ("waltons", "rossi", "lung", "veterans", "whas500", "gbsg2")
