"""The targets of the synthetic cohort (published figures of Pinal-Fernandez 2019, and the assumptions the paper
does not give) and the check of a cohort against them.

References
----------
Pinal-Fernandez I, Mecoli CA, Casal-Dominguez M, et al. More prominent muscle involvement in patients with
dermatomyositis with anti-Mi2 autoantibodies. Neurology 2019;93(19):e1768-e1777. doi:10.1212/WNL.0000000000008443
Landon-Cardinal O, et al. Anti-Mi2 dermatomyositis revisited. Arthritis Rheumatol 2016;68(suppl 10), abstract 2314.
"""

from __future__ import annotations

import math

import pandas as pd
import yaml
from scipy import stats

from .. import paths, published
from ..tables import format as fmt
from ..tables import tests as table_tests
from ..exceptions import InputFileError
from .analysis import long_follow_up, strength_summary, titre_correlations, with_group
from .schema import DM_GROUPS, LABELS

#: Printed headers of :func:`target_check` (``myositis.tables.from_frame(check, labels=TARGET_LABELS)``).
TARGET_LABELS = {"target": "Target", "read_in_paper": "Read in the paper", "variable": "Variable", "group": "Group",
                 "target_value": "Value aimed at", "unit": "Unit", "generated": "This cohort", "rule": "Rule",
                 "met": "Met"}

TARGETS_FILE = "data/raw/mi2_targets.yaml"


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def target_count(percent: float, n: int) -> int:
    """Patients a published percentage stands for, to the nearest patient (half up): 60 % of 58 -> 35."""
    return _round_half_up(percent * n / 100)


#: The words a published direction fact uses for its order (``value``).
DIRECTION_WORDS = ("higher", "lower")


def direction_statistic(patients: pd.DataFrame, visits: pd.DataFrame, variable: str) -> tuple[pd.Series, str]:
    """The per-group figure a direction between groups is judged on, and its name.

    A yes/no feature: % of the group's patients with a value who have it (necrosis: % of biopsied patients);
    strength: mean Kendall strength at each patient's first visit; any other number (CK): the group median.

    Returns
    -------
    (Series indexed by group, str)
    """
    if variable == "strength_kendall":
        d = with_group(visits, patients).dropna(subset=["strength_kendall"]).sort_values(["id", "months_since_onset"])
        first = d.groupby("id", observed=True).first()
        return first.groupby(first["group"].astype(str))["strength_kendall"].mean(), "mean strength, first visit"
    col = patients[variable]
    if col.dropna().isin([True, False]).all():
        d = patients.dropna(subset=[variable])
        name = "% necrosis (biopsied)" if variable == "biopsy_necrosis" else "% of patients"
        return d.groupby(d["group"].astype(str))[variable].mean().astype(float) * 100, name
    return patients.groupby(patients["group"].astype(str))[variable].median(), "median"


def load_targets(targets_file=TARGETS_FILE) -> pd.DataFrame:
    """Every target of the synthetic cohort, published or assumed, one row each.

    Published values are read from ``data/raw/published/mi2.yaml`` through :mod:`myositis.published`;
    the targets file only says which variable and group each applies to, and adds the figures the paper does
    not give, each marked ``assumption: true`` with its reason.

    Returns
    -------
    DataFrame
        ``id``, ``kind``, ``variable``, ``group``, ``value`` (the number to meet), ``published`` (the published
        form, e.g. ``"about 4"``; None for an assumption), ``unit``, ``n``, ``source`` (``published`` or
        ``assumption``), ``reason``, ``low``, ``high``, ``tolerance``, ``above``, ``below``, ``verified``.
        A direction target takes its order from its published fact (``value`` *higher* / *lower* than each
        group of ``compared_with``), or from ``above`` / ``below`` in the targets file when the paper states no
        comparison (an assumption, said in its note).
    """
    path = paths.resolve(targets_file)
    try:
        key = (str(path), path.stat().st_mtime_ns, (paths.PUBLISHED / "mi2.yaml").stat().st_mtime_ns)
    except FileNotFoundError:
        raise InputFileError(f"{paths.relative(path)}: targets file not found") from None
    if key not in _TARGETS:  # read once per process (the generator, the provenance and the check all need it)
        _TARGETS.clear()
        _TARGETS[key] = _load_targets(path)
    return _TARGETS[key].copy()


_TARGETS: dict = {}


def _load_targets(path) -> pd.DataFrame:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise InputFileError(f"{paths.relative(path)}: targets file not found") from None
    facts = published.load_facts(doc.get("published_study", "mi2"))
    rows = []
    for entry in doc["published"]:
        hit = facts.loc[facts["fact"] == entry["fact"]]
        if hit.empty:
            raise InputFileError(f"{paths.relative(path)}: published fact '{entry['fact']}' not found")
        f = hit.iloc[0]
        above, below = entry.get("above"), entry.get("below")
        if entry["kind"] == "direction" and f["compared_with"]:
            compared = f["compared_with"].split(", ")
            if f["value"] not in DIRECTION_WORDS:
                raise InputFileError(f"{paths.relative(path)}: direction fact '{entry['fact']}' has value "
                                     f"{f['value']!r}; expected one of {', '.join(DIRECTION_WORDS)}")
            above, below = (compared, None) if f["value"] == "higher" else (None, compared)
        if entry["kind"] == "direction" and not (above or below):
            raise InputFileError(f"{paths.relative(path)}: direction target '{entry['fact']}' compares with no group")
        rows.append({"id": entry["fact"], "kind": entry["kind"], "variable": entry["variable"],
                     "group": entry["group"], "value": entry.get("target", f["value"]), "published": f["value"],
                     "unit": f["unit"], "n": f["n"], "source": "published", "verified": bool(f["verified"]),
                     "reason": entry.get("note") or f["note"] or "", "above": above, "below": below})
    for entry in doc["assumptions"]:
        if entry.get("assumption") is not True or not entry.get("reason"):
            raise InputFileError(f"{paths.relative(path)}: assumption '{entry.get('id')}' must say "
                                 "'assumption: true' and give a reason")
        rows.append({"id": entry["id"], "kind": entry["kind"], "variable": entry["variable"], "group": entry["group"],
                     "value": entry["value"], "published": None, "unit": entry["unit"], "n": None,
                     "source": "assumption", "verified": False, "reason": entry["reason"],
                     "low": entry.get("low"), "high": entry.get("high"), "tolerance": entry.get("tolerance")})
    t = pd.DataFrame(rows)
    for col in ("low", "high", "tolerance"):
        t[col] = pd.to_numeric(t.get(col), errors="coerce")
    return t


def _value(targets: pd.DataFrame, kind: str, variable: str, group: str) -> float:
    hit = targets[(targets["kind"] == kind) & (targets["variable"] == variable) & (targets["group"] == group)]
    if hit.empty:
        raise KeyError(f"no {kind} target for {variable} in {group}")
    return float(hit["value"].iloc[0])


def _param(targets: pd.DataFrame, target_id: str) -> float:
    return float(targets.loc[targets["id"] == target_id, "value"].iloc[0])


def target_check(patients: pd.DataFrame, visits: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each target (published or assumed) beside the value in the cohort, and whether it is met.

    Rules: a count exactly; a percentage when the cohort's count equals ``target_count`` (the nearest
    patient); a median within the rounding of stored values (0.1 year, 1 IU/L); the mean follow-up within
    0.05 year; a direction when the order holds; a correlation when r lies in the assumed range (and p below
    the published bound); a strength mean within its tolerance; the long-follow-up story exactly. Published
    p-values are not targets: the cohort's Fisher p is shown beside them for comparison. A published target
    whose number is an interpretation of the published form (``about 4`` met as 4) or that is unverified shows
    the published form beside it; ``read_in_paper`` says whether a published target's figure was read in the
    publication itself (``no``: only in a seed or secondary summary, e.g. the mean follow-up).
    """
    every = load_targets() if targets is None else targets
    t = every[every["kind"] != "parameter"]
    size = patients["group"].astype(str).value_counts()
    visits = with_group(visits, patients)
    corr = titre_correlations(visits) if (visits["group"] == "Mi2+ DM").any() else None
    long = long_follow_up(patients, visits, years=_param(every, "long_follow_up_years"),
                          cutoff=_param(every, "titre_cutoff"))
    strength = strength_summary(visits, patients)
    rows = []
    for r in t.itertuples(index=False):
        target, generated, met, rule = r.value, None, None, ""
        if r.kind == "count":
            generated = int(size.get(r.group, 0))
            met, rule = generated == int(target), "exact"
        elif r.kind == "proportion":
            d = patients if r.group == "all groups" else patients[patients["group"] == r.group]
            if r.variable == "female":
                col = d["sex"].dropna() == "F"
            elif r.variable == "biopsy_done":
                col = d["biopsy_necrosis"].notna()
            else:
                col = d[r.variable].dropna().astype(bool)
            n = len(col)
            k = int(col.sum())
            generated = f"{100 * k / n:.1f} % ({k}/{n})" if n else "no data"
            want = target_count(float(target), n)
            met = k == want if n else None  # no patient of the group with a value: nothing to compare
            rule = f"count = round({target} % x {n}) = {want}"
            if met and _round_half_up(100 * k / n) != round(float(target)):
                rule += "; the % cannot round to the published one with this n"
        elif r.kind == "median":
            d = patients.loc[patients["group"] == r.group, r.variable].dropna()
            tol = 1.0 if r.variable == "ck_max_u_l" else 0.1
            rule = f"within {tol:g} (rounding)"
            if d.empty:
                generated = "no data"
            else:
                generated = float(d.median())
                met = abs(generated - float(target)) <= tol
        elif r.kind == "mean":
            generated = float(patients[r.variable].mean())
            met, rule = abs(generated - float(target)) <= 0.05, "within 0.05"
        elif r.kind == "direction":
            stat, unit = direction_statistic(patients, visits, r.variable)
            others, sign = (r.above, ">") if isinstance(r.above, list) else (r.below, "<")
            rule = f"{unit}: {r.group} {sign} {' and '.join(others)}"
            compared = [r.group, *others]
            if stat.reindex(compared).notna().all():
                generated = "; ".join(f"{g} {stat[g]:.{1 if r.variable == 'strength_kendall' else 0}f}"
                                      for g in compared)
                met = all((stat[r.group] > stat[g]) if sign == ">" else (stat[r.group] < stat[g]) for g in others)
            else:  # a group absent from the cohort (e.g. a DM-only user cohort): nothing to compare
                generated = "no data"
        elif r.kind == "correlation" and corr is not None:
            row = corr.loc[r.variable]
            generated = f"r = {row['r']:.2f} ({fmt.p_text(row['p'])})"
            met, rule = bool(r.low <= row["r"] <= r.high), f"r in [{r.low:g}, {r.high:g}]"
        elif r.kind == "correlation_p" and corr is not None:
            generated = ", ".join(fmt.p_text(p) for p in corr["p"])
            met, rule = bool((corr["p"] < float(target)).all()), f"both p < {float(target):g}"
        elif r.kind in ("strength_first", "strength_last"):
            col = "weak at onset: first" if r.kind == "strength_first" else "weak at onset: last"
            if r.group in strength.index:
                generated = float(strength.loc[r.group, col])
                met = abs(generated - float(target)) <= r.tolerance
            else:
                generated = "no data"
            rule = f"within {r.tolerance:g} (mean of patients weak at onset)"
        elif r.kind == "story":
            value = {"long_follow_up": len(long), "titre_declined": int(long["declined"].sum()),
                     "negativation": int(long["negative"].sum()),
                     "treatment_stopped_no_relapse": int((long["negative"] & (long["treatment_stopped"] == True)
                                                          & (long["relapse_after_stop"] == False)).sum())}  # noqa: E712
            generated = value[r.variable]
            met, rule = generated == int(target), "exact"
        elif r.kind == "p_value":
            d = patients[patients["group"].isin(DM_GROUPS)].dropna(subset=[r.variable])
            tab = pd.crosstab(d["group"].astype(str), d[r.variable].astype(bool)).reindex(
                index=list(DM_GROUPS), columns=[True, False], fill_value=0)
            generated = f"p = {stats.fisher_exact(tab.to_numpy())[1]:.3f} (Fisher's exact test)"
            met, rule = None, "not a target: follows from the counts (published test not named in the abstract)"
        shown = _fmt(target)
        if r.source == "published" and (str(r.published) != shown or not r.verified):
            # the number met is an interpretation of the published form, or the figure is unverified: say so
            shown += f" (published: {r.published}{'' if r.verified else ', unverified'})"
        rows.append({"target": r.id, "source": r.source,
                     "read_in_paper": ("yes" if r.verified else "no") if r.source == "published" else "",
                     "variable": r.variable, "group": r.group,
                     "target_value": shown, "unit": r.unit, "generated": _fmt(generated), "rule": rule,
                     "met": {True: "yes", False: "NO", None: "-"}[None if met is None else bool(met)]})
    return pd.DataFrame(rows)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


#: What the abstract says of the test behind its p-values (it names none).
PUBLISHED_TEST = "test not named in the abstract"
#: Tests in words, as a sentence names them (Table 1's footnote uses gtsummary's names).
TEST_NAMES = {"chisq": "Pearson's chi-square test without continuity correction", "fisher": "Fisher's exact test"}


def p_value_comparison(patients: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each published p-value (Mi2+ vs Mi2− DM) beside this cohort's, every p with the test that gave it.

    A p-value depends on its test as much as on the counts: the same 2 x 2 table gives different p by Fisher's
    exact test and by chi-square, so a comparison that does not name both tests means nothing. The cohort's p
    is given by Fisher's exact test (as the odds-ratio table) and by the test Table 1 uses for that table
    (gtsummary's rule, :func:`myositis.tables.tests.categorical`: Pearson's chi-square without continuity
    correction when every expected count is at least 5, else Fisher's exact test).

    Returns
    -------
    DataFrame
        One row per published p-value: ``fact`` (its id in the published-facts file), ``variable``,
        ``published_p`` (as published),
        ``published_test``, ``fisher_p``, ``table1_p``, ``table1_test``, ``patients`` (with a value, both groups),
        ``sentence`` (the comparison in words, every p with its test).
    """
    every = load_targets() if targets is None else targets
    rows = []
    for r in every[every["kind"] == "p_value"].itertuples(index=False):
        d = patients[patients["group"].isin(DM_GROUPS)].dropna(subset=[r.variable])
        tab = pd.crosstab(d["group"].astype(str), d[r.variable].astype(bool)).reindex(
            index=list(DM_GROUPS), columns=[True, False], fill_value=0).to_numpy()
        fisher = table_tests.fisher_exact(tab).p_value if len(d) else float("nan")
        used = table_tests.categorical(tab) if len(d) else None
        name = TEST_NAMES[used.test] if used else ""
        table1_p = used.p_value if used else float("nan")
        label = LABELS.get(r.variable, r.variable)
        if not len(d):
            this = "has no patient with a value."
        elif not math.isfinite(table1_p):  # one answer only in both groups: Table 1's test has nothing to test
            this = (f"p = {fisher:.3f} by Fisher's exact test; no p in Table 1 (every patient of both groups has "
                    "the same answer).")
        elif used.test == "fisher":  # Table 1 used Fisher's exact test too: one p, said once
            this = f"p = {fisher:.3f} by Fisher's exact test (the test Table 1 uses for this table too)."
        else:
            this = f"p = {fisher:.3f} by Fisher's exact test and p = {table1_p:.3f} by {name} (Table 1)."
        sentence = f"{label[:1].upper() + label[1:]}: published p = {r.published} ({PUBLISHED_TEST}); this cohort {this}"
        rows.append({"fact": r.id, "variable": r.variable, "published_p": r.published,
                     "published_test": PUBLISHED_TEST, "fisher_p": fisher, "table1_p": table1_p,
                     "table1_test": name, "patients": len(d), "sentence": sentence})
    return pd.DataFrame(rows)


def p_value_text(comparison: pd.DataFrame) -> str:
    """The sentences of :func:`p_value_comparison` as a Markdown list (one per published p-value)."""
    return "\n".join(f"- {sentence}" for sentence in comparison["sentence"]) + "\n"
