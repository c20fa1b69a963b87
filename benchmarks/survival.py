"""Timings of the survival reconstruction (issue 3 targets): run ``.venv/bin/python benchmarks/survival.py``.

1. Guyot reconstruction of a 1,000-patient curve digitised as 200 points with an at-risk table (target <= 10 ms).
2. 10,000 landmark reconstructions of each Tsuji 2020 cohort (29 and 15 patients) with a log-rank test and a Cox
   HR for each pair (target <= 5 s).
Each timing is the best of several repeats (the machine's noise is not the code's cost).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from myositis import published, survival


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(20240101)
    d = pd.DataFrame({"time": np.round(rng.exponential(20, 1000), 2), "event": (rng.random(1000) < 0.7).astype(int)})
    curve, risk = survival.simulate_digitisation(d, 5.0, max_points=200, time_noise=0.001, survival_noise=0.001,
                                                 seed=1)
    warnings.simplefilter("ignore", survival.DigitisationWarning)
    guyot = best_of(lambda: survival.reconstruct_ipd(curve, risk, total_events=int(d["event"].sum())), 20)
    print(f"Guyot reconstruction, 1,000 patients, {len(curve)} digitised points, {len(risk)} at-risk times: "
          f"{guyot * 1000:.1f} ms (target <= 10 ms)")

    # The two Tsuji 2020 cohorts, as published (data/raw/published/tacrolimus.yaml).
    table = survival.published_landmarks(published.load_facts("tacrolimus"), {
        "triple": {"n": "tsuji_triple_n", "survival": {6: "tsuji_triple_surv6", 12: "tsuji_triple_surv12"}},
        "historical": {"n": "tsuji_hist_n", "survival": {6: "tsuji_hist_surv6", 12: "tsuji_hist_surv12"}}})

    def landmark():
        recs = survival.reconstruct_cohorts(table, draws=10_000, seed=1, follow_up=12)
        return survival.compare_reconstructions(recs["triple"], recs["historical"])

    lm = best_of(landmark, 3)
    sizes = " and ".join(f"n = {n}" for n in table.drop_duplicates("cohort")["n"])
    print(f"10,000 landmark reconstructions ({sizes}) + log-rank + Cox HR each: {lm:.2f} s (target <= 5 s)")


if __name__ == "__main__":
    main()
