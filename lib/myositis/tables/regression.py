"""Model tables like R's ``tbl_regression``: one row per term in words, reference levels shown, the estimate
(OR, HR or coefficient) with its 95 % CI and p-value.

Terms are read from the names statsmodels/patsy give them (``C(group, Treatment('Mi2- DM'))[T.Mi2+ DM]``,
``sex[T.male]``, ``years:C(group, ...)[T.x]``) and printed with the labels given ("Anti-Mi2 DM" under
"Group", its reference "DM without anti-Mi2" marked "—"), never as code.

References
----------
Sjoberg DD, et al. gtsummary. R J 2021;13:570-80 (``tbl_regression``, ``style_ratio``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import format as fmt
from .table import Table, mark

_CATEGORICAL = re.compile(r"^(?:C\(\s*(?P<cvar>[^,\)]+?)\s*(?:,\s*(?:Treatment\((?:reference\s*=\s*)?"
                          r"(?P<ref>[^)]*)\)|[^)]*))?\)|(?P<var>[^\[]+))\[T\.(?P<level>.*)\]$")

MEASURES = {"OR": "Odds ratio", "HR": "Hazard ratio", "Beta": "Coefficient", "RR": "Risk ratio"}


@dataclass(frozen=True)
class Term:
    """One model term: the variable, its level (categorical) and reference level, or an interaction."""

    variable: str
    level: object = None
    reference: object = None

    @property
    def categorical(self) -> bool:
        return self.level is not None


def parse_term(name: str) -> list[Term]:
    """The parts of a patsy/statsmodels term name (several for an interaction ``a:b``).

    Examples
    --------
    >>> parse_term("C(group, Treatment('Mi2- DM'))[T.Mi2+ DM]")
    [Term(variable='group', level='Mi2+ DM', reference='Mi2- DM')]
    >>> [t.variable for t in parse_term("years:sex[T.male]")]
    ['years', 'sex']
    """
    parts = []
    for piece in _split_interaction(name):
        m = _CATEGORICAL.match(piece.strip())
        if m:
            ref = m.group("ref")
            if ref is not None:
                ref = ref.strip().strip("'\"")
            parts.append(Term(m.group("cvar") or m.group("var"), m.group("level"), ref))
        else:
            parts.append(Term(piece.strip()))
    return parts


def _split_interaction(name: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in name:
        depth += ch in "([" 
        depth -= ch in ")]"
        if ch == ":" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def regression_table(estimates: pd.DataFrame, measure: str = "OR", estimate: str = "estimate",
                     lower: str = "ci_low", upper: str = "ci_high", p_value: str = "p_value",
                     labels: dict | None = None, level_labels: dict | None = None, references: dict | None = None,
                     intercept: bool = False, conf_level: float = 0.95, title: str = "", note: str = "",
                     p_digits: int = fmt.P_DIGITS) -> Table:
    """A model's estimates as a publication table.

    Parameters
    ----------
    estimates : DataFrame
        Indexed by term name (patsy/statsmodels, or a plain variable name), with the columns named below, on
        the scale to print (exponentiate ORs and HRs before).
    measure : {"OR", "HR", "RR", "Beta"}
        Column header; ratios are formatted with ``style_ratio``, coefficients with ``style_sigfig``.
    estimate, lower, upper, p_value : str
        Column names in ``estimates``.
    labels : dict, optional
        ``{variable: label}`` ("group": "Group", "years": "Years since onset").
    level_labels : dict, optional
        ``{level: label}`` ("Mi2+ DM": "Anti-Mi2 DM").
    references : dict, optional
        ``{variable: reference level}`` when the term names do not say it.
    p_digits : {1, 2, 3}
        Decimals of large p-values (gtsummary ``style_pvalue(digits = )``; 2 by default in this project).
    intercept : bool
        Keep the intercept row.
    conf_level : float
    title, note : str
        Caption and an extra footnote (e.g. the model and its sample).

    Returns
    -------
    Table
        Columns "Characteristic", the measure, "95% CI", "p-value"; ``stats`` the numbers per printed row.

    Notes
    -----
    R: ``tbl_regression(glm(y ~ group, family = binomial), exponentiate = TRUE)``, ``tbl_regression(coxph(...),
    exponentiate = TRUE)``, ``tbl_regression(lmer(...))``.
    """
    labels, level_labels, references = dict(labels or {}), dict(level_labels or {}), dict(references or {})
    ratio = measure != "Beta"
    show = fmt.style_ratio if ratio else fmt.style_sigfig
    level = f"{conf_level:.0%}"
    rows, indent, bold, stat_rows = [], [], [], []
    seen_reference = set()

    def level_name(v):
        return str(level_labels.get(v, v))

    def label(v):
        text = str(labels.get(v, v))
        return text[:1].upper() + text[1:]

    def values(row):
        return [show(row[estimate]), f"{show(row[lower])}, {show(row[upper])}",
                fmt.style_pvalue(row[p_value], digits=p_digits)]

    for name, row in estimates.iterrows():
        name = str(name)
        if name in ("Intercept", "const", "(Intercept)") and not intercept:
            continue
        terms = parse_term(name)
        if len(terms) > 1:  # interaction: "Years × Group (Anti-Mi2 DM vs DM without anti-Mi2)"
            words = []
            for t in terms:
                lab = label(t.variable)
                if t.categorical:
                    ref = t.reference if t.reference is not None else references.get(t.variable)
                    lab += f" ({level_name(t.level)}" + (f" vs {level_name(ref)})" if ref is not None else ")")
                words.append(lab)
            rows.append([" × ".join(words), *values(row)])
            indent.append(0)
            bold.append(len(rows) - 1)
        elif terms[0].categorical:
            t = terms[0]
            ref = t.reference if t.reference is not None else references.get(t.variable)
            if t.variable not in seen_reference:
                seen_reference.add(t.variable)
                rows.append([label(t.variable), "", "", ""])
                indent.append(0)
                bold.append(len(rows) - 1)
                if ref is not None:
                    rows.append([level_name(ref), fmt.MISSING, fmt.MISSING, ""])
                    indent.append(1)
            rows.append([level_name(t.level), *values(row)])
            indent.append(1)
        else:
            rows.append([label(name), *values(row)])
            indent.append(0)
            bold.append(len(rows) - 1)
        stat_rows.append({"term": name, "label": rows[-1][0], "estimate": row[estimate], "lower": row[lower],
                          "upper": row[upper], "p_value": row[p_value]})
    abbreviation = {"OR": "OR = odds ratio", "HR": "HR = hazard ratio", "RR": "RR = risk ratio",
                    "Beta": "Beta = coefficient"}[measure]
    footnotes = [f"{abbreviation}; CI = confidence interval; — = reference level"]
    if note:
        footnotes.append(note)
    body = pd.DataFrame(rows, columns=["Characteristic", measure + mark(1), f"{level} CI" + mark(1),
                                       "p-value" + (mark(2) if note else "")])
    return Table(body=body, indent=indent, title=title, footnotes=footnotes, stats=pd.DataFrame(stat_rows),
                 kind="regression", bold_rows=bold)


def from_statsmodels(result, exponentiate: bool = False, **kwargs) -> Table:
    """:func:`regression_table` of a fitted statsmodels model (Logit, GLM, OLS, MixedLM fixed effects).

    ``exponentiate=True`` prints odds ratios of a logistic model (measure "OR"); the MixedLM random effects
    ("Group Var", "... Var") are left out, as ``tbl_regression`` prints fixed effects only.
    """
    ci = result.conf_int()
    names = [n for n in result.params.index if not str(n).endswith(" Var") and " Cov" not in str(n)]
    est = pd.DataFrame({"estimate": result.params[names], "ci_low": ci.loc[names, 0], "ci_high": ci.loc[names, 1],
                        "p_value": result.pvalues[names]})
    if exponentiate:
        est[["estimate", "ci_low", "ci_high"]] = np.exp(est[["estimate", "ci_low", "ci_high"]])
    kwargs.setdefault("measure", "OR" if exponentiate else "Beta")
    return regression_table(est, **kwargs)


def from_cox(hr: pd.DataFrame, group: str = "group", **kwargs) -> Table:
    """:func:`regression_table` of ``myositis.survival.cox_hr`` output (each group against the reference)."""
    est = pd.DataFrame({"estimate": hr["hr"].to_numpy(), "ci_low": hr["lower"].to_numpy(),
                        "ci_high": hr["upper"].to_numpy(), "p_value": hr["p_value"].to_numpy()},
                       index=[f"C({group}, Treatment('{r}'))[T.{g}]" for g, r in zip(hr["group"], hr["reference"])])
    kwargs.setdefault("measure", "HR")
    return regression_table(est, **kwargs)


def from_odds_ratios(ors: pd.DataFrame, exposed: str, reference: str, labels: dict | None = None,
                     estimate: str = "odds_ratio", lower: str = "ci_low", upper: str = "ci_high",
                     p_value: str = "p_fisher", **kwargs) -> Table:
    """:func:`regression_table` of one OR per feature (``myositis.mi2.odds_ratios``): each feature a row,
    "exposed vs reference" said in the title's footnote; p-values from Fisher's exact test."""
    est = ors.rename(columns={estimate: "estimate", lower: "ci_low", upper: "ci_high", p_value: "p_value"})
    note = kwargs.pop("note", "") or f"Odds ratio of each feature, {exposed} vs {reference}; p from Fisher's exact test"
    return regression_table(est, measure="OR", labels=labels, note=note, **kwargs)
