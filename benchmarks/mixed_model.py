"""The Mi2 notebook's mixed model: statsmodels' MixedLM against mi2.mixedlm.GroupedMixedLM (printed figures, not a
timed test).

Usage: .venv/bin/python benchmarks/mixed_model.py [--seeds 20191001 7] [--repeat 3]
For each synthetic cohort: the REML fit of ``mi2.strength_model``'s model (random intercept and slope) by L-BFGS
then Powell from where L-BFGS stopped, once with statsmodels' per-patient loops and once grouped; median seconds,
the ratio, and the largest differences in estimates and standard errors. Powell stops within its tolerance
(1e-4), so the two fits agree to about that, not to rounding: statsmodels restarted from a point 1e-16 away
moves as much.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM

from myositis import mi2
from myositis.mi2.analysis import _lbfgs_then_powell
from myositis.mi2.mixedlm import GroupedMixedLM

FORMULA = "strength_kendall ~ years * C(group, Treatment('Mi2- DM'))"


def model_data(seed: int):
    """The visits ``strength_model`` fits (first 2 years after the first visit)."""
    patients, visits = mi2.synthetic_cohort(seed)
    d = mi2.with_group(visits, patients).dropna(subset=["strength_kendall", "months_since_onset"])
    d = d[d["months_since_onset"] - d.groupby("id")["months_since_onset"].transform("min") <= 24].copy()
    d["group"], d["years"] = d["group"].astype(str), d["months_since_onset"] / 12
    return d


def fit(cls, d):
    model = cls.from_formula(FORMULA, d, groups=d["id"], re_formula="~years")
    if cls is MixedLM:  # what strength_model ran before the grouped model
        return model.fit(reml=True, method=["lbfgs", "powell"])
    return _lbfgs_then_powell(model)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[20191001, 7])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"{'seed':>9} {'patients':>8} {'visits':>6} {'statsmodels s':>13} {'grouped s':>9} {'ratio':>6} "
          f"{'max |d est|':>11} {'max |d se|':>10}")
    for seed in args.seeds:
        d = model_data(seed)
        times, fits = {}, {}
        for cls in (MixedLM, GroupedMixedLM):
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fits[cls] = fit(cls, d)
                runs.append(time.perf_counter() - t0)
            times[cls] = statistics.median(runs)
        a, b = fits[MixedLM], fits[GroupedMixedLM]
        k = len(a.fe_params)
        print(f"{seed:>9} {d['id'].nunique():>8} {len(d):>6} {times[MixedLM]:>13.2f} {times[GroupedMixedLM]:>9.2f} "
              f"{times[MixedLM] / times[GroupedMixedLM]:>6.1f} {np.max(np.abs(a.fe_params - b.fe_params)):>11.1e} "
              f"{np.max(np.abs(a.bse[:k] - b.bse[:k])):>10.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
