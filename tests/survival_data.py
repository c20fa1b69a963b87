"""Real survival datasets shipped inside lifelines and scikit-survival, in one shape: time, event, group.

Shared by tests/test_survival_estimation.py and tests/test_survival_reconstruction.py (not a test module).
Sources: lifelines.datasets (Walton's lifespans of flies; Rossi recidivism; NCCTG lung cancer) and
sksurv.datasets (Veterans' Administration lung cancer trial; Worcester Heart Attack Study WHAS500; German Breast
Cancer Study Group 2); R's survival package (``pbc``: Mayo Clinic primary biliary cholangitis trial, read through
Rscript, so it needs R; ``RUnavailable`` otherwise).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pandas as pd


class RUnavailable(RuntimeError):
    """Rscript or R's survival package is missing: the R-shipped datasets cannot be read."""


_PBC_R = ('suppressMessages(library(survival)); d <- pbc[!is.na(pbc$trt), c("time", "status", "trt")]; '
          'write.csv(d, stdout(), row.names = FALSE)')


def _pbc() -> pd.DataFrame:
    """R's ``survival::pbc``, the 312 randomised patients: time (days), event = death (status 2; transplant,
    status 1, censored as in Therneau & Grambsch), group = treatment (D-penicillamine or placebo)."""
    if shutil.which("Rscript") is None:
        raise RUnavailable("Rscript not found")
    run = subprocess.run(["Rscript", "-e", _PBC_R], capture_output=True, text=True)
    if run.returncode != 0:
        raise RUnavailable(run.stderr.strip())
    d = pd.read_csv(io.StringIO(run.stdout), index_col=False)
    return pd.DataFrame({"time": d["time"].astype(float), "event": (d["status"] == 2).astype(int),
                         "group": d["trt"].map({1: "D-penicillamine", 2: "placebo"})})


def _sksurv(loader, time, event, group):
    X, y = loader()
    return pd.DataFrame({"time": y[time].astype(float), "event": y[event].astype(int),
                         "group": X[group].astype(str).to_numpy()})


_CACHE: dict = {}


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
    if name == "pbc":
        if "pbc" not in _CACHE:
            _CACHE["pbc"] = _pbc()
        return _CACHE["pbc"].copy()
    raise KeyError(name)


NAMES = ("waltons", "rossi", "lung", "veterans", "whas500", "gbsg2")
R_NAMES = ("pbc",)  # need Rscript
