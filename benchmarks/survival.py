"""Speed and accuracy of the survival reconstruction: run ``.venv/bin/python benchmarks/survival.py``.

Speed (issue 3 targets; each timing the best of several repeats; a figure, not a test):
1. Guyot reconstruction of a 1,000-patient curve digitised as 200 points with an at-risk table (target <= 10 ms;
   met again: 4.9 ms printed here; 5.1 ms best of 60 interleaved with the 11.2 ms of the code before, after
   Guyot's loop was rewritten in Python lists and the readings of the time-tolerance rule below reuse its runs;
   same patient data, see ``guyot._guyot``).
2. 10,000 landmark reconstructions of each Tsuji 2020 cohort (29 and 15 patients) with a log-rank test and a Cox
   HR for each pair (target <= 5 s).

Accuracy (issue 10 targets). Real two-arm datasets: the six of tests/test_survival_reconstruction.py (lifelines
and scikit-survival) and R's ``survival::pbc`` (312 randomised patients, death; read through Rscript, left out
with a note when R is missing). Each arm is digitised by ``simulate_digitisation`` (reading error 0.001 in
survival and 0.1 % of the axis in time, both corners of every step, at-risk table every few time units) with 11
noise seeds (1-11), and rebuilt by
- our route without an at-risk table (``reconstruct_ipd(curve, n=, total_events=)``) and IPDfromKM's with the same
  inputs (``accuracy.ipdfromkm``: ``preprocess`` + ``getIPD`` of IPDfromKM 0.1.10 ported line by line and checked
  identical to the R source on these 154 arms);
- our route with the at-risk table and total events (``reconstruct_ipd(curve, at_risk, total_events=)``) and
  IPDfromKM's with the same inputs; its HR error is also set against reconstructKM's published figure (1.0 %,
  median over noise seeds, quoted in issue 10, not re-measured).
Errors: largest |S_rebuilt - S_original| over two landmarks and both arms; |HR_rebuilt / HR_original - 1| (Cox HR of
the second arm vs the first). Printed per dataset (median over seeds) and, as the issue's targets, the worst over
the datasets for each seed, then the median over seeds, with ratios ours / theirs (< 1: ours better).

Hold-out honesty. The constants of the route without table (``guyot.MIXTURES``) were chosen on the TUNING datasets
waltons, rossi, lung and veterans with noise seeds 101-112, never on seeds 1-11 nor on whas500, gbsg2 and pbc (the
HELD-OUT datasets, and the headline). The route with table's ``guyot.REFINE`` was chosen in an earlier session
on the six lifelines / scikit-survival datasets with seeds 1-11: for it only pbc is held out. Its time-tolerance
rule (``guyot._steps_on_at_risk_times``) was designed on the tuning datasets with seeds 101-112 only. Disclosure: while
the route without table was designed, an early prototype of its step profile was run once on all seven datasets
with seeds 1-5, and pbc's seeds 1-3 were inspected to understand its landmark errors (which led to comparing the
mixes only after each matches the total events, then checked on the tuning seeds); no constant was set from them.
Third session (recon): the step profile was made faster with identical output (checked on the tuning arms, no
held-out look). ``_follow_points`` (censorings moved across the drops next to them while the rebuilt KM gets
closer to the points; no constant) was designed and kept on the tuning seeds 101-112: on the four tuning datasets
it lowered the median landmark error of each (lung 0.0065 -> 0.0055, veterans 0.0037 -> 0.0025) and the worst
landmark error in 7 of 12 seeds (worse in 2), at the price of the HR error (worst 1.82 % -> 2.36 %, still below
IPDfromKM's 3.64 % there). Held-out looks this session: 2, both reported, neither used to choose: (1) before the
design, pbc seeds 1-11 were inspected once to see why its landmark error is larger: at the 10-year landmark (16 at
risk) the digitised points lie within 0.001 of the truth but the curve rebuilt without table lay 0.009-0.017
above them (IPDfromKM's 0.002-0.009), i.e. our rebuilt curve did not follow its own input in the tail;
(2) this benchmark, run once after ``_follow_points`` was kept (no table, held-out: landmark 0.0088 vs
IPDfromKM 0.0086, ratio 1.01, target still not met; HR 0.99 % vs 1.50 %).
Fourth session (recon-notable), designed on the tuning seeds 101-112 only. On the tuning datasets the worst
landmark error (median over seeds) is set by the digitisation itself: the digitised points read at the landmarks
give 0.0069, ours 0.0069, IPDfromKM 0.0069 (a step moved across a landmark by the time error); our rebuilt curve
lies within the reading error of its own points there (median |rebuilt - points| 0.0004-0.0018 by arm and
landmark; by true number at risk <= 10, mean |gap| lung 0.0046, veterans 0.0018, IPDfromKM's 0.0071 and 0.0071).
Kept: ``_reread_deaths`` (the deaths, rounded at the numbers at risk before ``_follow_points`` moved the
censorings, read again at those after, while that lowers the squared gap; no constant): mean landmark error over
the tuning arms 0.00090 -> 0.00085, lung median 0.0055 -> 0.0047, veterans 0.0025 -> 0.0021, worst HR error
2.36 % -> 2.05 %, worst landmark unchanged (0.0069). Measured and not kept: moving deaths to the neighbouring drop
(same as re-reading); moving censorings with the deaths re-read at each move (mean 0.00088, HR 2.23 %); the
objective weighted by 1 / Greenwood variance (0.00093) or by 1 / S^2 (0.00099); choosing the mix after the moves
and re-reading (HR 2.05 % -> 1.50 %, landmarks at 9 times per dataset 0.00115 -> 0.00090, but the benchmark's
landmarks 0.00085 -> 0.00096: not kept, the target is those landmarks). As a design aid only (no choice rests on
it alone), the tuning datasets with added uniform administrative censoring (seed 901; mean |error| over 20 times
in the tail, 40 to 8 at risk): ours 0.0024 -> 0.0022, IPDfromKM 0.0055, the digitised points themselves 0.0023.
Held-out look this session: 1, the benchmark run once after ``_reread_deaths`` was kept: no table, held-out worst
landmark ours 0.0085 vs IPDfromKM 0.0086 (ratio 0.99; ours better in 6 of 11 seeds): below IPDfromKM's, by 0.0001,
which is within the seed-to-seed spread (not evidence of a real gain on held-out data); HR 1.03 % vs 1.50 % (was
0.99 %). Rscript was installed for this run (pbc included). The test suite's pbc test (seed 1, thresholds 0.02
and 5 %) was run once, in the final full-suite run after this look.

The with-table HR error (all-datasets target < 1.0 %, reconstructKM's figure): 1.17 % before this session's
rule, 0.88 % after it (met, measured once on the held-out seeds; see below). Analysis before the rule, on the
tuning seeds 101-112 only (median signed HR error +1.13 %, median |error| 1.50 %): +0.12 % without reading error,
+0.58 % with the time error alone, +0.08 % with the survival error alone. Rebuilding one arm at a time (the other
kept as it is), the standard arm alone gives +2.17 %, the test arm alone -0.93 %. In the standard arm, deaths fall
on days 100 and 200 exactly, which are at-risk times: when the time error reads such a step just before the
at-risk time, the drop is counted in the earlier interval while the table (time >= t) still counts that patient at
risk, so Guyot's loop takes one censoring out of that interval and puts one later (and the total-events step then
removes a late death): with the steps that sit on an at-risk time read without time error, veterans' median
|error| falls from 1.50 % to 0.69 %. Leads measured and not kept: (a) the clean_curve order: with the simulated
points kept in their true order and an isotonic (pool-adjacent-violators) fit of time, the bias falls (+1.13 % ->
+0.65 %) but the median |error| hardly (1.50 % -> 1.36 %); without the true order, sorting by position along the
curve (time / last time + 1 - survival) mistakes flat stretches read with a survival error for swapped steps
(veterans 1.60 %), and on rossi any order that keeps the step at week 52 after the other arm's end of follow-up
gives the 6.6 % error that the true data with the same time error give (sorting by time hides it by putting both
at the earlier time); (b) forcing the stated total events (Guyot's loop misses it by 1-2 deaths in the test arm in
7 of 12 seeds): worse (veterans 2.21 %, waltons 3.43 %); (c) the step profile of the route without table with the
at-risk counts as constraints: worst HR error 0.95 % but landmark 0.0090 (vs 0.0068) and infeasible on 35 of 96
arms (the same steps read before an at-risk time).

The rule kept (recon-table session, ``guyot._steps_on_at_risk_times``): the user states how far a digitised time
may be from the true one (``reconstruct_ipd(time_tolerance=)``, a cohort's ``tolerance: {time:}`` in a params file;
default ``guyot.TIME_TOLERANCE`` = 0.5 % of the last digitised time, the robustness jitter's default and 2.5 SD of
``simulate_digitisation``'s default time error; this benchmark states none, so the default applies). For each
at-risk time t, the last step read within the tolerance before t is kept or moved onto t: first the table decides
(a reading under which the interval cannot reach the table's number at risk, for want of negative censorings,
loses; Guyot's loop otherwise lowers the table's number silently), then the fit of the rebuilt KM to all the
digitised points (least squares); as read wins ties. Designed on the tuning datasets with seeds 101-112 only
(script: route_errors(..., "guyot") on them): worst HR error (median over seeds) 1.50 % -> 1.03 %, veterans
1.50 % -> 0.72 % (signed +1.13 % -> -0.72 %), lung 0.38 % -> 0.45 %, rossi 0.05 % -> 0.09 %, waltons 0.11 %
unchanged, worst landmark 0.0068 -> 0.0070. Steps moved against the truth on those arms: veterans standard 10 of
10 moved (deaths on day 100 or 200), waltons 8 of 8 (15 deaths on day 60), rossi 88 of 95 (weekly data, deaths on
the at-risk weeks), veterans test 11 of 13 kept and lung 30 of 38 kept (deaths 1-5 days before t). Variants
measured there and not kept: every step in the window moved onto t (1.08 %, lung 1.02 %: real deaths just before
t moved); each reading rebuilt by a full Guyot run and judged by the fit alone (0.47 %, but it moved 7 of 13 test
steps and 15 of 38 lung steps wrongly: the fit rewarded any lowering of the KM's level, a gain taken for luck);
the fit over the two intervals around t only (1.03 %, lung 0.59 %, landmark 0.0075); without the table criterion
(waltons' day-60 step kept as read in 8 of 8 seeds); Guyot's refinement left out of the readings (veterans
standard 3 of 10 moved, 1.04 %). Tolerance (sensitivity only; the default was fixed by the principle above before
these runs): 0 -> 1.50 %, 0.25 % -> 1.04 %, 0.5 % -> 1.03 %, 1 % -> 1.71 % (veterans 1.71 %: wider windows take
in more real deaths before t). Left: veterans' test arm loses one death in [0, 100) in 7 of 12 tuning seeds
(Guyot's even spread puts its two censorings near days 33 and 67 where the data have them at 83 and 87; the
rebuilt KM falls below the points and a one-death step near day 73 rounds to 0 and becomes a censoring), which
is most of veterans' remaining -0.72 %. Cost: Guyot's sweep is now written in Python floats (identical output on
384 tuning reconstructions), but the readings add runs: the speed target above (1,000 patients, 200 points, 60
at-risk times) went from 5.4 ms to 12-18 ms with the default tolerance (3-5 ms with time_tolerance=0); since
made faster without changing any output (4.9-5.5 ms; see the speed targets above).
Held-out looks of the recon-table session: one, this benchmark, run once after the rule was fixed (commit
7c08138): with the table, all datasets, HR error 0.88 % vs IPDfromKM 7.37 % (reconstructKM's 1.0 %: met, ratio
0.88), held-out HR 0.65 % vs 1.04 %, held-out landmark 0.0091 vs 0.0188 (unchanged), all-datasets landmark
0.0107 vs 0.0200; veterans (seeds 1-11) 0.88 % (signed -0.88 %); no-table figures unchanged (held-out landmark
0.0088 vs 0.0086, HR 0.99 % vs 1.50 %). Besides, the test suite's pass/fail checks (whas500 and gbsg2 with seed
1, thresholds of 0.02 / 5 %) ran; no figure of them was read.

Confirmation run (lead, same session): this benchmark once on main at c1d7317, with both sessions' changes and the
speed work combined, used for no choice: no table, held-out landmark 0.0085 vs 0.0086 (ratio 0.99, ours better in
6 of 11 seeds), HR 1.03 % vs 1.50 %; with the table, held-out landmark 0.0091 vs 0.0188, held-out HR 0.65 % vs
1.04 %, all-datasets HR 0.88 % (reconstructKM's 1.0 %); veterans' with-table landmark error 0.0068 vs IPDfromKM's
0.0040; speed 4.9 ms.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from myositis import published, survival
from myositis.survival import accuracy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import survival_data  # noqa: E402  (the test suite's loader of the real datasets)

# dataset -> (at-risk spacing, landmarks), as tests/test_survival_reconstruction.py (pbc: days, at risk every 500)
PROTOCOL = {"waltons": (10.0, [30.5, 50.5]), "rossi": (5.0, [20.5, 40.5]), "lung": (100.0, [182.5, 365.5]),
            "veterans": (100.0, [60.5, 182.5]), "whas500": (250.0, [365.5, 1095.5]),
            "gbsg2": (250.0, [730.5, 1825.5]), "pbc": (500.0, [1825.5, 3650.5])}
TUNING = ("waltons", "rossi", "lung", "veterans")  # seeds 101-112 for guyot.MIXTURES
HELD_OUT = ("whas500", "gbsg2", "pbc")
SEEDS = range(1, 12)
RECONSTRUCTKM_HR_TARGET = 1.0  # % median over noise seeds (issue 10)
ROUTES = {"without at-risk table (n and total events)": ("guyot_n_events", "ipdfromkm_n_events"),
          "with the at-risk table (and total events)": ("guyot", "ipdfromkm")}


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def speed() -> None:
    rng = np.random.default_rng(20240101)
    d = pd.DataFrame({"time": np.round(rng.exponential(20, 1000), 2), "event": (rng.random(1000) < 0.7).astype(int)})
    curve, risk = survival.simulate_digitisation(d, 5.0, max_points=200, time_noise=0.001, survival_noise=0.001,
                                                 seed=1)
    warnings.simplefilter("ignore", survival.DigitisationWarning)
    guyot = best_of(lambda: survival.reconstruct_ipd(curve, risk, total_events=int(d["event"].sum())), 20)
    print(f"Guyot reconstruction, 1,000 patients, {len(curve)} digitised points, {len(risk)} at-risk times: "
          f"{guyot * 1000:.1f} ms (target <= 10 ms)")
    no_table = best_of(lambda: survival.reconstruct_ipd(curve, n=1000, total_events=int(d["event"].sum())), 3)
    print(f"Same curve without the at-risk table (n and total events): {no_table * 1000:.0f} ms (no target)")

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


def datasets() -> dict:
    out = {}
    for name in PROTOCOL:
        try:
            out[name] = survival_data.load(name)
        except survival_data.RUnavailable as exc:
            print(f"note: {name} left out (needs R's survival package: {exc})")
    return out


def accuracy_table(data: dict, seeds=SEEDS) -> pd.DataFrame:
    rows = []
    routes = [r for pair in ROUTES.values() for r in pair]
    for name, d in data.items():
        every, landmarks = PROTOCOL[name]
        for seed in seeds:
            for route in routes:
                err = accuracy.route_errors(d, "group", landmarks, every, route, seed=seed, time_noise=0.001,
                                            survival_noise=0.001)
                rows.append({"dataset": name, "seed": seed, "route": route, **err})
    return pd.DataFrame(rows)


def _ratio(a: float, b: float) -> str:
    if b <= 0:
        return "1.00" if a == 0 else "inf"
    return f"{a / b:.2f}" if a / b < 100 else ">100"


def report_accuracy(df: pd.DataFrame) -> None:
    n_seeds = df["seed"].nunique()
    for title, (ours, theirs) in ROUTES.items():
        print(f"\n{title}: ours vs IPDfromKM (port), median over {n_seeds} noise seeds")
        print(f"  {'dataset':9s} {'set':8s} {'landmark |S| error':>26s} {'ratio':>6s}   {'HR error %':>15s} {'ratio':>6s}"
              f"   signed HR error % (ours | IPDfromKM)")
        per = df.groupby(["dataset", "route"])[["landmark_abs_error", "hr_pct_error", "hr_signed_pct"]].median()
        for name in [n for n in PROTOCOL if n in set(df["dataset"])]:
            a, b = per.loc[(name, ours)], per.loc[(name, theirs)]
            kind = "held-out" if name in HELD_OUT else "tuning"
            print(f"  {name:9s} {kind:8s} {a['landmark_abs_error']:.4f} | {b['landmark_abs_error']:.4f}"
                  f"{'':10s} {_ratio(a['landmark_abs_error'], b['landmark_abs_error']):>6s}   "
                  f"{a['hr_pct_error']:5.2f} | {b['hr_pct_error']:5.2f} {_ratio(a['hr_pct_error'], b['hr_pct_error']):>8s}"
                  f"   {a['hr_signed_pct']:+.2f} | {b['hr_signed_pct']:+.2f}")
        for label, names in (("held-out datasets", HELD_OUT), ("all datasets", tuple(PROTOCOL))):
            sub = df[df["dataset"].isin(names)]
            if sub.empty:
                continue
            worst = sub.groupby(["route", "seed"])[["landmark_abs_error", "hr_pct_error"]].max()
            med = worst.groupby("route").median()
            o, t = med.loc[ours], med.loc[theirs]
            wins = (worst.loc[ours] < worst.loc[theirs]).sum()
            ties = (worst.loc[ours] == worst.loc[theirs]).sum()
            got = sorted(set(sub["dataset"]), key=list(PROTOCOL).index)
            print(f"  worst over the {label} ({', '.join(got)}), median over seeds:")
            print(f"    landmark |S| error: ours {o['landmark_abs_error']:.4f} vs IPDfromKM {t['landmark_abs_error']:.4f}"
                  f" (ratio {_ratio(o['landmark_abs_error'], t['landmark_abs_error'])}; target < 1); ours better in "
                  f"{wins['landmark_abs_error']}, equal in {ties['landmark_abs_error']} of {n_seeds} seeds")
            line = (f"    HR error:           ours {o['hr_pct_error']:.2f} % vs IPDfromKM {t['hr_pct_error']:.2f} %"
                    f" (ratio {_ratio(o['hr_pct_error'], t['hr_pct_error'])}; target < 1); ours better in "
                    f"{wins['hr_pct_error']}, equal in {ties['hr_pct_error']} of {n_seeds} seeds")
            print(line)
            if ours == "guyot":
                print(f"    HR error vs reconstructKM's published {RECONSTRUCTKM_HR_TARGET:.1f} %: ours "
                      f"{o['hr_pct_error']:.2f} % (ratio {o['hr_pct_error'] / RECONSTRUCTKM_HR_TARGET:.2f}; "
                      "target <= 1)")
    signed = df[df["route"] == "guyot"].groupby("dataset")["hr_signed_pct"].agg(["median", "min", "max"])
    print("\nwith the at-risk table, our signed HR error (%) by dataset, median [min, max] over seeds "
          "(a consistent sign is a bias):")
    for name in [n for n in PROTOCOL if n in signed.index]:
        row = signed.loc[name]
        print(f"    {name:9s} {row['median']:+.2f} [{row['min']:+.2f}, {row['max']:+.2f}]")


if __name__ == "__main__":
    speed()
    report_accuracy(accuracy_table(datasets()))
