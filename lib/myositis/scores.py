"""HScore, HLH-2004 and the 2016 EULAR/ACR/PRINTO MAS criteria, from point tables held as data.

The thresholds and points are not written in this module: they live under ``tables:`` in
``data/raw/published/scores.yaml`` (transcribed from ``../shared/facts.md``), where each threshold is an interval
with explicit bounds (``"[38.4, 39.4]"`` includes both ends, ``"(6000, inf)"`` is "> 6000"). This module applies
them generically, so a boundary choice is changed (and reviewed) in one place.

A case is a mapping (a ``dict`` or a DataFrame row) with the eCRF keys, in the units their names carry:
``max_temperature_c``, ``haemoglobin_g_dl``, ``leukocytes_g_l``, ``neutrophils_g_l``, ``platelets_g_l``,
``ferritin_ng_ml``, ``triglycerides_mmol_l``, ``fibrinogen_g_l``, ``ast_u_l``, ``scd25_u_ml`` (numbers) and
``known_immunosuppression``, ``fever``, ``hepatomegaly``, ``splenomegaly``, ``marrow_haemophagocytosis``,
``haemophagocytosis``, ``nk_activity_low`` (yes/no). A missing key, ``None``, ``NaN`` or ``pd.NA`` means
*unknown*, never *normal*: every score is reported as the lowest and the highest value still possible
(``low == high`` when nothing it needs is unknown). Other keys are ignored.

Boundary choices (all in the YAML, with comments)
-------------------------------------------------
HScore: temperature < 38.4 → 0, 38.4–39.4 (both inclusive) → 33, > 39.4 → 49; ferritin < 2000 → 0,
2000–6000 (inclusive) → 35, > 6000 → 50; triglycerides < 1.5 → 0, 1.5–4 mmol/L (inclusive) → 44, > 4 → 64;
fibrinogen ≤ 2.5 g/L → 30; AST ≥ 30 U/L → 19; cytopenias count lineages with Hb ≤ 9.2 g/dL, leukocytes ≤ 5 and
platelets ≤ 110 × 10⁹/L (one lineage 0, two 24, three 34); organomegaly one 23, both 38.
HLH-2004 (tables read differ on < vs ≤; the wording of facts.md is followed): Hb < 9, platelets < 100,
neutrophils < 1.0 (strict); fever ≥ 38.5 °C, triglycerides ≥ 3.0 mmol/L, fibrinogen ≤ 1.5 g/L,
ferritin ≥ 500 µg/L, sCD25 ≥ 2400 U/mL (inclusive).
MAS 2016: ferritin > 684, platelets ≤ 181, AST > 48, triglycerides > 1.76 mmol/L (> 156 mg/dL), fibrinogen
≤ 3.6 g/L (= 360 mg/dL).

Thresholds published in two units (triglycerides in mmol/L and mg/dL, fibrinogen in g/L and mg/dL) are held in
both (``also:`` in the YAML). The rounded pairs disagree slightly (132.7 mg/dL = 1.498 mmol/L with the one factor
88.57, the factor the eCRF converts with); each bound is placed so that a value entered exactly at the threshold
in either unit lands on the side the wording puts it: 132.7 mg/dL and 1.5 mmol/L both score 44 HScore points,
265 mg/dL meets HLH-2004's ≥ 3.0 mmol/L, 156 mg/dL and 1.76 mmol/L both fail MAS 2016's > 156 mg/dL
(:meth:`Interval.combine`). Values between the two figures of one threshold go to its inclusive side.

References
----------
Fardet L, Galicier L, Lambotte O, Marzac C, Aumont C, Chahwan D, Coppo P, Hejblum G. Development and validation
of the HScore, a score for the diagnosis of reactive hemophagocytic syndrome. Arthritis Rheumatol
2014;66(9):2613-2620.

Henter JI, Horne A, Arico M, et al. HLH-2004: Diagnostic and therapeutic guidelines for hemophagocytic
lymphohistiocytosis. Pediatr Blood Cancer 2007;48:124-131.

Ravelli A, Minoia F, Davì S, et al. 2016 Classification criteria for macrophage activation syndrome complicating
systemic juvenile idiopathic arthritis. Arthritis Rheumatol 2016;68(3):566-576 (also Ann Rheum Dis
2016;75:481-489). doi:10.1002/art.39332
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np
import pandas as pd

from . import published
from .exceptions import InputFileError, ScoreError

#: Plausible range of a maximum body temperature, °C; outside it the value is an entry error, not a fever.
TEMPERATURE_RANGE_C = (30.0, 45.0)

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_INTERVAL = re.compile(rf"^\s*([\[(])\s*(-inf|{_NUMBER})\s*,\s*(inf|\+inf|{_NUMBER})\s*([\])])\s*$")
_PROBABILITY = re.compile(r"^\s*([<>])?\s*(\d+(?:\.\d+)?)\s*%\s*$")


# --------------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Interval:
    """A real interval with explicit bounds, written ``"[a, b]"``, ``"(a, b)"``, ``"[a, inf)"``, …"""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    @classmethod
    def parse(cls, text: str) -> "Interval":
        m = _INTERVAL.match(str(text))
        if not m:
            raise ScoreError(f"'{text}' is not an interval such as '[1.5, 4]' or '(-inf, 30)'")
        lo, hi = float(m.group(2)), float(m.group(3))
        low_closed, high_closed = m.group(1) == "[", m.group(4) == "]"
        if (math.isinf(lo) and low_closed) or (math.isinf(hi) and high_closed) or lo > hi:
            raise ScoreError(f"'{text}' is not a valid interval (infinite ends are open; low ≤ high)")
        return cls(lo, hi, low_closed, high_closed)

    def __contains__(self, x: float) -> bool:
        # a value within floating-point noise of a bound is at the bound (1.327 g/L / 0.8857 vs 132.7 / 88.57)
        at_low, at_high = _same(x, self.low), _same(x, self.high)
        above = (self.low_closed if at_low else x > self.low)
        below = (self.high_closed if at_high else x < self.high)
        return above and below

    def combine(self, *others: "Interval") -> "Interval":
        """One interval from the same threshold written in several units (all converted to this unit).

        Published pairs are rounded (HScore triglycerides 1.5 mmol/L and 132.7 mg/dL = 1.498 mmol/L), so the
        same threshold gives slightly different numbers. Each bound moves to whichever of its figures puts every
        figure on the bound's own side: a closed bound ("≥ 1.5 mmol/L or ≥ 132.7 mg/dL") takes the widest
        figure, so a value entered exactly at the threshold in either unit meets it; an open bound ("> 1.76
        mmol/L, > 156 mg/dL") takes the narrowest, so a value at the threshold in either unit does not. Values
        between the two figures of one threshold go to the bound's closed side. Adjacent bands stay a partition.
        """
        for o in others:
            if (o.low_closed, o.high_closed) != (self.low_closed, self.high_closed):
                raise ScoreError(f"{self} and {o}: the same threshold written with different bounds")
        lows, highs = [self.low] + [o.low for o in others], [self.high] + [o.high for o in others]
        low = min(lows) if self.low_closed else max(lows)
        high = max(highs) if self.high_closed else min(highs)
        return Interval(low, high, self.low_closed, self.high_closed)


    def __str__(self) -> str:
        def fmt(v):
            return "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:g}"
        return f"{'[' if self.low_closed else '('}{fmt(self.low)}, {fmt(self.high)}{']' if self.high_closed else ')'}"


def _same(x: float, bound: float) -> bool:
    return math.isfinite(bound) and math.isclose(x, bound, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class _Member:
    key: str
    interval: Interval | None   # None: a yes/no key, present when True

    def status(self, values: dict) -> bool | None:
        v = values[self.key]
        if v is None:
            return None
        return bool(v) if self.interval is None else v in self.interval


@dataclass(frozen=True)
class _Component:
    """One HScore line: points by interval of one number (``bands``), or by how many members are present."""

    name: str
    key: str | None = None
    bands: tuple = ()               # ((Interval, points), ...)
    members: tuple = ()             # (_Member, ...)
    points_by_count: tuple = ()     # points for 0, 1, ..., len(members) members present

    def points(self, values: dict) -> tuple[int, int]:
        if self.bands:
            v = values[self.key]
            if v is None:
                pts = [p for _, p in self.bands]
                return min(pts), max(pts)
            p = next(p for interval, p in self.bands if v in interval)
            return p, p
        lo, hi = _count_range(self.members, values)
        pts = self.points_by_count[lo:hi + 1]
        return min(pts), max(pts)

    @property
    def maximum(self) -> int:
        return max(p for _, p in self.bands) if self.bands else max(self.points_by_count)


@dataclass(frozen=True)
class _Criterion:
    """One criterion: met when at least ``at_least`` members are present; ``not_met_if`` settles unknowns."""

    name: str
    members: tuple
    at_least: int = 1
    not_met_if: tuple = ()          # ((key, value), ...)

    def status(self, values: dict) -> bool | None:
        lo, hi = _count_range(self.members, values)
        if lo >= self.at_least:
            return True
        if hi < self.at_least or any(values[k] is not None and values[k] == v for k, v in self.not_met_if):
            return False
        return None

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.members] + [k for k, _ in self.not_met_if]


def _count_range(members, values) -> tuple[int, int]:
    status = [m.status(values) for m in members]
    known = sum(s is True for s in status)
    return known, known + sum(s is None for s in status)


def _interval(spec: dict, key: str, other_units: dict) -> Interval:
    """The interval of a band or member, combined with the same threshold as published in other units
    (``also: {mg/dL: "[132.7, 354]"}``, converted with the factor of ``other_units``; see
    :meth:`Interval.combine`)."""
    interval = Interval.parse(spec["interval"])
    also = spec.get("also") or {}
    factors = other_units.get(key, {})
    converted = []
    for unit, text in also.items():
        if unit not in factors:
            raise ScoreError(f"no factor from {unit} to {key} under tables.other_units")
        other = Interval.parse(text)
        f = factors[unit]
        converted.append(Interval(other.low / f, other.high / f, other.low_closed, other.high_closed))
    return interval.combine(*converted)


def _members(spec, where, other_units) -> tuple:
    out = []
    for m in spec:
        try:
            out.append(_Member(m["key"], _interval(m, m["key"], other_units) if "interval" in m else None))
        except (KeyError, ValueError) as exc:
            raise InputFileError(f"scores.yaml, {where}: bad member {m!r} ({exc})") from None
    return tuple(out)


def _check_bands(name, bands):
    """The bands of one component must cover the real line with no gap and no overlap."""
    ordered = sorted(bands, key=lambda b: (b[0].low, not b[0].low_closed))
    ok = ordered[0][0].low == -math.inf and ordered[-1][0].high == math.inf
    for (a, _), (b, _) in zip(ordered, ordered[1:]):
        ok &= a.high == b.low and a.high_closed != b.low_closed
    if not ok:
        shown = ", ".join(str(i) for i, _ in ordered)
        raise InputFileError(f"scores.yaml, hscore component '{name}': bands {shown} leave a gap or overlap")


def _criteria(spec, where, other_units) -> tuple:
    return tuple(_Criterion(c["name"], _members(c["members"], f"{where} '{c['name']}'", other_units),
                            int(c.get("at_least", 1)),
                            tuple((c.get("not_met_if") or {}).items())) for c in spec)


def _parse_probability(text: str) -> tuple[float, float]:
    m = _PROBABILITY.match(str(text))
    if not m:
        raise InputFileError(f"scores.yaml, hscore probability: '{text}' is not like '54 %', '< 1 %' or '> 99 %'")
    p = float(m.group(2))
    return {None: (p, p), "<": (0.0, p), ">": (p, 100.0)}[m.group(1)]


@dataclass(frozen=True)
class _Tables:
    hscore: tuple
    hscore_maximum: int
    probability: tuple              # ((score, text, low %, high %), ...) ascending
    hlh2004: tuple
    hlh2004_required: int
    mas2016_required: tuple
    mas2016_supportive: tuple
    mas2016_at_least: int
    units: dict


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """The point tables of ``data/raw/published/scores.yaml`` (``tables:``), read once and checked.

    Checks: every interval parses, the bands of each HScore component cover the real line without gap or
    overlap, ``points_by_count`` has one entry per possible count, the largest points add up to the published
    maximum (337), and the probability table is in increasing order of score and probability.

    Raises
    ------
    InputFileError
        Naming the table and the entry that is wrong.
    """
    t = published.load_study("scores").get("tables")
    if not t:
        raise InputFileError("data/raw/published/scores.yaml: no 'tables:' section")
    units = dict(t["units"])
    try:
        other_units = {key: {unit: float(units[name]) for unit, name in per.items()}
                       for key, per in (t.get("other_units") or {}).items()}
    except KeyError as exc:
        raise InputFileError(f"scores.yaml, other_units: {exc} is not a factor under tables.units") from None
    comps = []
    for c in t["hscore"]["components"]:
        if "bands" in c:
            try:
                bands = tuple((_interval(b, c["key"], other_units), int(b["points"])) for b in c["bands"])
            except ValueError as exc:
                raise InputFileError(f"scores.yaml, hscore component '{c['name']}': {exc}") from None
            _check_bands(c["name"], bands)
            comps.append(_Component(c["name"], key=c["key"], bands=bands))
        else:
            members = _members(c["members"], f"hscore component '{c['name']}'", other_units)
            by_count = c["points_by_count"]
            if sorted(by_count) != list(range(len(members) + 1)):
                raise InputFileError(f"scores.yaml, hscore component '{c['name']}': points_by_count needs counts "
                                     f"0..{len(members)}, has {sorted(by_count)}")
            comps.append(_Component(c["name"], members=members,
                                    points_by_count=tuple(int(by_count[k]) for k in range(len(members) + 1))))
    maximum = int(t["hscore"]["maximum"])
    if sum(c.maximum for c in comps) != maximum:
        raise InputFileError(f"scores.yaml, hscore: the largest points add up to {sum(c.maximum for c in comps)}, "
                             f"not the published maximum {maximum}")
    rows = tuple((int(r["score"]), str(r["probability"]), *_parse_probability(r["probability"]))
                 for r in t["hscore"]["probability"])
    if any(a[0] >= b[0] or a[2] > b[2] or a[3] > b[3] for a, b in zip(rows, rows[1:])):
        raise InputFileError("scores.yaml, hscore probability: rows must increase in score and probability")
    mas = t["mas2016"]
    return _Tables(
        hscore=tuple(comps), hscore_maximum=maximum, probability=rows,
        hlh2004=_criteria(t["hlh2004"]["criteria"], "hlh2004 criterion", other_units),
        hlh2004_required=int(t["hlh2004"]["required"]),
        mas2016_required=_criteria(mas["required"], "mas2016 criterion", other_units),
        mas2016_supportive=_criteria(mas["supportive"], "mas2016 criterion", other_units),
        mas2016_at_least=int(mas["at_least"]), units=units)


# ---------------------------------------------------------------------------------------------------- units
def triglycerides_mmol_l_to_mg_dl(mmol_l):
    """Triglycerides from mmol/L to mg/dL (× 88.57, the factor in ``scores.yaml`` ``tables.units``).

    The published pairs are rounded: 1.5 mmol/L = 132.7 mg/dL and 4 mmol/L = 354 mg/dL (HScore; Fardet 2014),
    3.0 mmol/L = 265 mg/dL (HLH-2004; Henter 2007), 1.76 mmol/L = 156 mg/dL (MAS 2016; Ravelli 2016); this
    factor reproduces each within 0.3 %.

    Parameters
    ----------
    mmol_l : float or array-like
        Concentration in mmol/L.

    Returns
    -------
    float or array-like
        Concentration in mg/dL.

    References
    ----------
    Fardet L, et al. Arthritis Rheumatol 2014;66(9):2613-2620. Henter JI, et al. Pediatr Blood Cancer
    2007;48:124-131. Ravelli A, et al. Arthritis Rheumatol 2016;68(3):566-576.
    """
    return mmol_l * tables().units["triglycerides_mg_dl_per_mmol_l"]


def triglycerides_mg_dl_to_mmol_l(mg_dl):
    """Triglycerides from mg/dL to mmol/L (÷ 88.57); see :func:`triglycerides_mmol_l_to_mg_dl`."""
    return mg_dl / tables().units["triglycerides_mg_dl_per_mmol_l"]


def fibrinogen_g_l_to_mg_dl(g_l):
    """Fibrinogen from g/L to mg/dL (× 100, exact). MAS 2016: 360 mg/dL = 3.6 g/L (Ravelli A, et al.
    Arthritis Rheumatol 2016;68(3):566-576)."""
    return g_l * tables().units["fibrinogen_mg_dl_per_g_l"]


def fibrinogen_mg_dl_to_g_l(mg_dl):
    """Fibrinogen from mg/dL to g/L (÷ 100, exact)."""
    return mg_dl / tables().units["fibrinogen_mg_dl_per_g_l"]


def ferritin_ug_l_to_ng_ml(ug_l):
    """Ferritin from µg/L (HLH-2004) to ng/mL (HScore, MAS 2016): the same quantity (× 1)."""
    return ug_l * tables().units["ferritin_ug_l_per_ng_ml"]


def ferritin_ng_ml_to_ug_l(ng_ml):
    """Ferritin from ng/mL to µg/L: the same quantity (÷ 1)."""
    return ng_ml / tables().units["ferritin_ug_l_per_ng_ml"]


# ------------------------------------------------------------------------------------------------ the case
def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isnan(float(v))


def _yes_no(key, v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Real) and float(v) in (0.0, 1.0):
        return bool(v)
    raise ScoreError(f"{key}: {v!r} is not a yes/no answer (True/False, 1/0, or None when unknown)")


def _number(key, v) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ScoreError(f"{key}: {v!r} is not a number")
    x = float(v)
    if math.isinf(x):
        raise ScoreError(f"{key}: {v!r} is not a finite number")
    if x < 0:
        raise ScoreError(f"{key}: {v!r} is impossible (negative)")
    lo, hi = TEMPERATURE_RANGE_C
    if key == "max_temperature_c" and not lo <= x <= hi:
        raise ScoreError(f"{key}: {v!r} °C is impossible (outside {lo:g}-{hi:g} °C)")
    return x


def _values(case: Mapping, members: tuple, flags: tuple = ()) -> dict:
    """Read and check the keys a score needs: numbers for interval members, yes/no otherwise."""
    if not hasattr(case, "get"):
        raise TypeError(f"a case is a mapping of keys to values, not {type(case).__name__}")
    out = {}
    for key, numeric in [(m.key, m.interval is not None) for m in members] + [(k, False) for k in flags]:
        if key in out:
            continue
        v = case.get(key)
        out[key] = None if _is_missing(v) else (_number(key, v) if numeric else _yes_no(key, v))
    return out


def _criteria_members(criteria) -> tuple:
    return tuple(m for c in criteria for m in c.members)


def _criteria_flags(criteria) -> tuple:
    return tuple(k for c in criteria for k, _ in c.not_met_if)


def _range(status: bool | None) -> tuple[int, int]:
    return (1, 1) if status is True else (0, 0) if status is False else (0, 1)


# --------------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Probability:
    """A probability range in percent, with its text as read in the table (``"54-70 %"``, ``"< 1 %"``)."""

    low: float
    high: float
    text: str


class _RangeResult:
    """What the three score results share: ``unknown`` components and the per-component ``points``."""

    prefix = ""

    @property
    def complete(self) -> bool:
        """True when no component or criterion is unknown (then ``low == high``)."""
        return not self.unknown

    def _flat(self, head: dict, points: bool) -> dict:
        d = {**head, f"{self.prefix}_unknown": ", ".join(self.unknown)}
        if points:
            for name, (lo, hi) in self.points.items():
                d[f"{self.prefix}_{name}_low"], d[f"{self.prefix}_{name}_high"] = lo, hi
        return d


@dataclass(frozen=True)
class HScoreResult(_RangeResult):
    """HScore of one case.

    Attributes
    ----------
    low, high : int
        Lowest and highest score still possible (unknown components at their fewest / most points).
    points : dict
        Component name → (low, high) points; equal when the component is known.
    unknown : tuple of str
        Components whose points are not settled by the case.
    probability : Probability
        Probability of haemophagocytic syndrome (%), from the low score's lower bound to the high score's
        upper bound (see :func:`hscore_probability`).
    """

    low: int
    high: int
    points: dict
    unknown: tuple
    probability: Probability
    prefix = "hscore"

    def as_dict(self, points: bool = False) -> dict:
        """Flat values for a DataFrame row: ``hscore_low``, ``hscore_high``, ``hscore_probability_low`` / ``_high``
        (%), ``hscore_probability`` (text), ``hscore_unknown``; with ``points=True`` also
        ``hscore_<component>_low`` / ``_high``."""
        return self._flat({"hscore_low": self.low, "hscore_high": self.high,
                           "hscore_probability_low": self.probability.low,
                           "hscore_probability_high": self.probability.high,
                           "hscore_probability": self.probability.text}, points)


@dataclass(frozen=True)
class HLH2004Result(_RangeResult):
    """HLH-2004 criteria of one case.

    Attributes
    ----------
    low, high : int
        Fewest and most of the 8 criteria that can be met (unknown criteria counted as unmet / met).
    points : dict
        Criterion name → (low, high), each 0 or 1.
    unknown : tuple of str
        Criteria the case does not settle.
    required : int
        Criteria needed (5).
    fulfilled : bool or None
        True when ``low ≥ required``, False when ``high < required``, None when undetermined.
    """

    low: int
    high: int
    points: dict
    unknown: tuple
    required: int
    fulfilled: bool | None
    prefix = "hlh2004"

    def as_dict(self, points: bool = False) -> dict:
        """Flat values: ``hlh2004_met_low``, ``hlh2004_met_high``, ``hlh2004_fulfilled``, ``hlh2004_unknown``;
        with ``points=True`` also ``hlh2004_<criterion>_low`` / ``_high``."""
        return self._flat({"hlh2004_met_low": self.low, "hlh2004_met_high": self.high,
                           "hlh2004_fulfilled": self.fulfilled}, points)


@dataclass(frozen=True)
class MAS2016Result(_RangeResult):
    """2016 EULAR/ACR/PRINTO MAS classification of one case (criteria built for systemic JIA).

    Attributes
    ----------
    low, high : int
        Fewest and most of the 4 supportive criteria (platelets, AST, triglycerides, fibrinogen) that can be met.
    points : dict
        Criterion name → (low, high), each 0 or 1, for fever, ferritin and the 4 supportive criteria.
    unknown : tuple of str
        Criteria the case does not settle (fever included).
    classified : bool or None
        True: fever, ferritin > 684 and ≥ 2 supportive criteria; False: one of these is settled against;
        None: undetermined.
    """

    low: int
    high: int
    points: dict
    unknown: tuple
    classified: bool | None
    prefix = "mas2016"

    def as_dict(self, points: bool = False) -> dict:
        """Flat values: ``mas2016_met_low``, ``mas2016_met_high`` (supportive criteria), ``mas2016_classified``,
        ``mas2016_unknown``; with ``points=True`` also ``mas2016_<criterion>_low`` / ``_high``."""
        return self._flat({"mas2016_met_low": self.low, "mas2016_met_high": self.high,
                           "mas2016_classified": self.classified}, points)


# ---------------------------------------------------------------------------------------------------- scores
def hscore_probability(low: int, high: int | None = None) -> Probability:
    """Probability of haemophagocytic syndrome for an HScore, read in the published table (no formula).

    The table gives rows every 10 points from 90 (< 1 %) to 250 (> 99 %). A score on a row gets that row's
    probability; a score between two rows gets the range between them (e.g. 175 → 54-70 %): no interpolation,
    since the table is all that was read and it is rounded. Below 90: < 1 %; 250 and above: > 99 %.
    "< 1 %" counts as 0-1 % and "> 99 %" as 99-100 % in the numeric bounds. For a score range (``low``,
    ``high``), the probability runs from the lower bound at ``low`` to the upper bound at ``high``.

    Parameters
    ----------
    low : int
        Score (or lowest possible score).
    high : int, optional
        Highest possible score; ``low`` by default.

    Returns
    -------
    Probability
        ``low`` and ``high`` in percent and ``text`` as in the table (``"54 %"``, ``"54-70 %"``,
        ``"< 1 % to 1 %"``).

    References
    ----------
    Fardet L, Galicier L, Lambotte O, Marzac C, Aumont C, Chahwan D, Coppo P, Hejblum G. Development and
    validation of the HScore, a score for the diagnosis of reactive hemophagocytic syndrome. Arthritis Rheumatol
    2014;66(9):2613-2620 (probability table as reproduced in a case report; see ../shared/facts.md).
    """
    high = low if high is None else high
    if high < low:
        raise ScoreError(f"HScore range {low}-{high}: high is below low")
    rows = tables().probability
    below, _ = _bracket(rows, low)
    _, above = _bracket(rows, high)
    lo_text, hi_text = below[1], above[1]
    if lo_text == hi_text:
        text = lo_text
    elif _PROBABILITY.match(lo_text).group(1) is None and _PROBABILITY.match(hi_text).group(1) is None:
        text = f"{lo_text.replace('%', '').strip()}-{hi_text}"
    else:
        text = f"{lo_text} to {hi_text}"
    return Probability(below[2], above[3], text)


def _bracket(rows, score):
    """The table rows at or around a score: (row below or at, row above or at)."""
    if score <= rows[0][0]:
        return rows[0], rows[0]
    if score >= rows[-1][0]:
        return rows[-1], rows[-1]
    for a, b in zip(rows, rows[1:]):
        if score == a[0]:
            return a, a
        if a[0] < score < b[0]:
            return a, b
    return rows[-1], rows[-1]   # pragma: no cover (score == last row is handled above)


def hscore(case: Mapping) -> HScoreResult:
    """HScore (reactive haemophagocytic syndrome) of one case, with the range left open by unknown components.

    Parameters
    ----------
    case : mapping
        Keys ``known_immunosuppression``, ``max_temperature_c``, ``hepatomegaly``, ``splenomegaly``,
        ``haemoglobin_g_dl``, ``leukocytes_g_l``, ``platelets_g_l``, ``ferritin_ng_ml``, ``triglycerides_mmol_l``,
        ``fibrinogen_g_l``, ``ast_u_l``, ``marrow_haemophagocytosis``. A missing key or None/NaN is unknown.

    Returns
    -------
    HScoreResult
        ``low`` / ``high``: every unknown component at its fewest / most points; for cytopenias and
        organomegaly, over every count of present members the unknown ones allow (e.g. Hb 8 and leukocytes 4
        known, platelets unknown: 2 or 3 lineages, 24-34 points). Maximum 337; best cut-off 169
        (sensitivity 93 %, specificity 86 %).

    Raises
    ------
    ValueError
        Naming the key and value: not a number / not yes-no, negative, or a temperature outside 30-45 °C.

    Notes
    -----
    Boundaries (``tables.hscore`` in ``data/raw/published/scores.yaml``): temperature < 38.4 → 0, 38.4-39.4
    inclusive → 33, > 39.4 → 49; organomegaly one 23, both 38; cytopenias (Hb ≤ 9.2 g/dL, leukocytes ≤ 5,
    platelets ≤ 110 × 10⁹/L) one lineage 0, two 24, three 34; ferritin < 2000 → 0, 2000-6000 inclusive → 35,
    > 6000 → 50; triglycerides < 1.5 → 0, 1.5-4 mmol/L inclusive → 44, > 4 → 64; fibrinogen ≤ 2.5 g/L → 30;
    AST ≥ 30 U/L → 19; known immunosuppression 18; marrow haemophagocytosis 35.

    References
    ----------
    Fardet L, Galicier L, Lambotte O, Marzac C, Aumont C, Chahwan D, Coppo P, Hejblum G. Development and
    validation of the HScore, a score for the diagnosis of reactive hemophagocytic syndrome. Arthritis Rheumatol
    2014;66(9):2613-2620.
    """
    comps = tables().hscore
    members = tuple(m for c in comps for m in c.members) + tuple(
        _Member(c.key, c.bands[0][0]) for c in comps if c.bands)
    values = _values(case, members)
    points = {c.name: c.points(values) for c in comps}
    low, high = sum(p[0] for p in points.values()), sum(p[1] for p in points.values())
    unknown = tuple(name for name, (lo, hi) in points.items() if lo != hi)
    return HScoreResult(low, high, points, unknown, hscore_probability(low, high))


def hlh2004(case: Mapping) -> HLH2004Result:
    """HLH-2004 diagnostic criteria met (of 8; 5 needed), with unknown criteria left open.

    Parameters
    ----------
    case : mapping
        Keys ``max_temperature_c`` (and ``fever``), ``splenomegaly``, ``haemoglobin_g_dl``, ``platelets_g_l``,
        ``neutrophils_g_l``, ``triglycerides_mmol_l``, ``fibrinogen_g_l``, ``haemophagocytosis`` (marrow, spleen
        or node) and ``marrow_haemophagocytosis``, ``nk_activity_low``, ``ferritin_ng_ml`` (= µg/L),
        ``scd25_u_ml``. A missing key or None/NaN is unknown.

    Returns
    -------
    HLH2004Result
        ``low`` / ``high`` criteria met (unknown ones as unmet / met); ``fulfilled`` True (low ≥ 5), False
        (high < 5) or None (undetermined). The molecular-diagnosis route of HLH-2004 is not assessed.

    Raises
    ------
    ValueError
        Naming the key and value: not a number / not yes-no, negative, or a temperature outside 30-45 °C.

    Notes
    -----
    The tables read differ on < vs ≤ at some thresholds; the wording of ../shared/facts.md is followed:
    fever ≥ 38.5 °C; cytopenias in ≥ 2 of Hb < 9 g/dL, platelets < 100 × 10⁹/L, neutrophils < 1.0 × 10⁹/L
    (strict); triglycerides ≥ 3.0 mmol/L (≥ 265 mg/dL) and/or fibrinogen ≤ 1.5 g/L; ferritin ≥ 500 µg/L;
    sCD25 ≥ 2400 U/mL. Fever uses the maximum temperature; when it is unknown, ``fever`` = no settles the
    criterion as unmet (an afebrile patient has no temperature ≥ 38.5 °C), otherwise it stays unknown.
    Haemophagocytosis is met when either key is yes, unmet when ``haemophagocytosis`` (any site) is no.
    Fasting status of triglycerides is not recorded and not checked.

    References
    ----------
    Henter JI, Horne A, Arico M, et al. HLH-2004: Diagnostic and therapeutic guidelines for hemophagocytic
    lymphohistiocytosis. Pediatr Blood Cancer 2007;48:124-131.
    """
    t = tables()
    values = _values(case, _criteria_members(t.hlh2004), _criteria_flags(t.hlh2004))
    points = {c.name: _range(c.status(values)) for c in t.hlh2004}
    low, high = sum(p[0] for p in points.values()), sum(p[1] for p in points.values())
    fulfilled = True if low >= t.hlh2004_required else False if high < t.hlh2004_required else None
    unknown = tuple(name for name, (lo, hi) in points.items() if lo != hi)
    return HLH2004Result(low, high, points, unknown, t.hlh2004_required, fulfilled)


def mas2016(case: Mapping) -> MAS2016Result:
    """2016 EULAR/ACR/PRINTO classification of macrophage activation syndrome, with unknowns left open.

    These criteria were built for MAS complicating systemic juvenile idiopathic arthritis (a febrile patient with
    known or suspected sJIA); they are **not validated in adult dermatomyositis**. Say so wherever they are
    reported for DM.

    Parameters
    ----------
    case : mapping
        Keys ``fever`` (yes/no), ``ferritin_ng_ml``, ``platelets_g_l``, ``ast_u_l``, ``triglycerides_mmol_l``,
        ``fibrinogen_g_l``. A missing key or None/NaN is unknown.

    Returns
    -------
    MAS2016Result
        ``low`` / ``high``: supportive criteria met (of 4); ``classified`` True when the patient is febrile,
        ferritin > 684 ng/mL and ≥ 2 supportive criteria are met; False when fever is absent, ferritin ≤ 684 or
        fewer than 2 supportive criteria can be met; None otherwise (e.g. fever unknown).

    Raises
    ------
    ValueError
        Naming the key and value: not a number / not yes-no, negative.

    Notes
    -----
    Thresholds (``tables.mas2016`` in ``data/raw/published/scores.yaml``): ferritin > 684 ng/mL; platelets
    ≤ 181 × 10⁹/L; AST > 48 U/L; triglycerides > 1.76 mmol/L or > 156 mg/dL (156 mg/dL, 1.761 mmol/L with the
    factor 88.57, does not qualify: at the threshold in its own unit); fibrinogen ≤ 3.6 g/L (= 360 mg/dL).
    Fever is the ``fever`` answer: the criteria give no temperature threshold, so ``max_temperature_c`` is not
    used and an unknown ``fever`` leaves the classification undetermined.

    References
    ----------
    Ravelli A, Minoia F, Davì S, et al. 2016 Classification criteria for macrophage activation syndrome
    complicating systemic juvenile idiopathic arthritis. Arthritis Rheumatol 2016;68(3):566-576 (also Ann Rheum
    Dis 2016;75:481-489). doi:10.1002/art.39332
    """
    t = tables()
    criteria = t.mas2016_required + t.mas2016_supportive
    values = _values(case, _criteria_members(criteria), _criteria_flags(criteria))
    required = {c.name: c.status(values) for c in t.mas2016_required}
    supportive = {c.name: _range(c.status(values)) for c in t.mas2016_supportive}
    low, high = sum(p[0] for p in supportive.values()), sum(p[1] for p in supportive.values())
    if any(s is False for s in required.values()) or high < t.mas2016_at_least:
        classified = False
    elif all(s is True for s in required.values()) and low >= t.mas2016_at_least:
        classified = True
    else:
        classified = None
    points = {name: _range(s) for name, s in required.items()} | supportive
    unknown = tuple(name for name, (lo, hi) in points.items() if lo != hi)
    return MAS2016Result(low, high, points, unknown, classified)


def score_table(cases: pd.DataFrame, points: bool = False) -> pd.DataFrame:
    """HScore, HLH-2004 and MAS 2016 for every row of a case table (one row per case, same index).

    Parameters
    ----------
    cases : DataFrame
        One case per row, columns named as the case keys (others are ignored; a missing column is unknown).
    points : bool
        Add the points of every component / criterion (``<score>_<name>_low`` and ``_high``).

    Returns
    -------
    DataFrame
        Columns ``hscore_low``, ``hscore_high``, ``hscore_probability_low``, ``hscore_probability_high`` (%),
        ``hscore_probability`` (text), ``hscore_unknown``, ``hlh2004_met_low``, ``hlh2004_met_high``,
        ``hlh2004_fulfilled``, ``hlh2004_unknown``, ``mas2016_met_low``, ``mas2016_met_high``,
        ``mas2016_classified``, ``mas2016_unknown``. ``*_fulfilled`` / ``*_classified`` are nullable booleans
        (``<NA>`` = undetermined). MAS 2016 was built for systemic JIA, not validated in adult DM.

    Raises
    ------
    ValueError
        Naming the row (index label), key and value.

    References
    ----------
    Fardet L, et al. Arthritis Rheumatol 2014;66(9):2613-2620. Henter JI, et al. Pediatr Blood Cancer
    2007;48:124-131. Ravelli A, et al. Arthritis Rheumatol 2016;68(3):566-576.
    """
    rows = []
    for index, row in cases.iterrows():
        case = row.to_dict()
        try:
            rows.append(hscore(case).as_dict(points) | hlh2004(case).as_dict(points)
                        | mas2016(case).as_dict(points))
        except ValueError as exc:
            raise ScoreError(f"row {index}: {exc}") from None
    if rows:
        out = pd.DataFrame(rows, index=cases.index)
    else:
        empty = {**hscore({}).as_dict(points), **hlh2004({}).as_dict(points), **mas2016({}).as_dict(points)}
        out = pd.DataFrame(columns=list(empty), index=cases.index)
    for col in ("hlh2004_fulfilled", "mas2016_classified"):
        out[col] = pd.array(out[col].tolist(), dtype="boolean")
    return out
