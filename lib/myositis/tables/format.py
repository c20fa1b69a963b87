"""Number formatting as R's gtsummary prints it (``style_number``, ``style_percent``, ``style_sigfig``,
``style_pvalue``), so a table made here reads like the one a gtsummary user would paste.

Rounding is half away from zero (``cards::round5``), not Python's round-half-to-even: 0.125 -> "0.13".

References
----------
Sjoberg DD, Whiting K, Curry M, Lavery JA, Larmarange J. Reproducible summary tables with the gtsummary package.
R J 2021;13:570-80 (functions ``style_number``, ``style_percent``, ``style_sigfig``, ``style_pvalue``,
gtsummary 2.1.0 source).
"""

from __future__ import annotations

import math

import numpy as np

#: What a missing value or an estimate that cannot be computed shows in every table.
MISSING = "—"


def round5(x: float, digits: int = 0) -> float:
    """Round half away from zero (R ``cards::round5``): ``sign(x) * trunc(|x| 10^d + 0.5 + sqrt(eps)) / 10^d``."""
    scale = 10.0 ** digits
    return math.copysign(math.trunc(abs(x) * scale + 0.5 + math.sqrt(np.finfo(float).eps)) / scale, x)


def style_number(x, digits: int = 0, big_mark: str = ",", decimal_mark: str = ".", scale: float = 1) -> str:
    """A number rounded half away from zero to ``digits`` decimals with a thousands mark ("1,681"); "—" if missing.

    Examples
    --------
    >>> style_number(1681.0), style_number(0.125, 2), style_number(-0.0004, 3)
    ('1,681', '0.13', '0.000')
    """
    if x is None or not np.isfinite(float(x)):
        return MISSING
    value = round5(float(x) * scale, digits)
    text = f"{abs(value):,.{digits}f}"
    if value < 0 and float(text.replace(",", "")) != 0:
        text = "-" + text
    return text.replace(",", "\x00").replace(".", decimal_mark).replace("\x00", big_mark)


def style_percent(p, digits: int = 0, suffix: str = "") -> str:
    """A proportion as a percentage (gtsummary ``style_percent``): 0 decimals from 10 %, one more below, "<0.1"
    under 0.1 %, "0" for zero. ``p`` is a proportion (0.3 -> "30")."""
    if p is None or not np.isfinite(float(p)):
        return MISSING
    x = float(p) * 100
    if x >= 10:
        return style_number(x, digits) + suffix
    if x >= 10 ** -(digits + 1):
        return style_number(x, digits + 1) + suffix
    if x > 0:
        return "<" + style_number(10 ** -(digits + 1), digits + 1) + suffix
    return "0" + suffix


def style_sigfig(x, digits: int = 2) -> str:
    """At least ``digits`` significant figures, never rounding integers (gtsummary ``style_sigfig``):
    0.123 -> "0.12", 1.23 -> "1.2", 12.3 -> "12", 310 -> "310"."""
    if x is None or not np.isfinite(float(x)):
        return MISSING
    a = abs(float(x))
    decimals = 0
    for d in range(digits, 0, -1):  # digits:1, thresholds 10^(digits-d) - 0.5 * 10^-d
        if round5(a, d + 1) < 10 ** (digits - d) - 0.5 * 10 ** -d:
            decimals = d
            break
    return style_number(x, decimals)


def style_pvalue(p, digits: int = 2) -> str:
    """A p-value as gtsummary's ``style_pvalue(x, digits)`` prints it; this project's tables use ``digits = 2``
    ("<0.001", two significant figures; gtsummary's own ``add_p`` default is ``digits = 1``).

    The rules, in gtsummary 2.1.0's order (``cards::round5`` rounding, half away from zero):

    - outside [0, 1] (beyond 1e-15): missing ("—");
    - digits 1: p > 0.9 -> ">0.9"; round5(p, 1) >= 0.2 -> 1 decimal; round5(p, 2) >= 0.1 -> 2 decimals;
    - digits 2: p > 0.99 -> ">0.99"; round5(p, 2) >= 0.1 -> 2 decimals;
    - digits 3: p > 0.999 -> ">0.999";
    - then p >= 0.001 -> 3 decimals, else "<0.001".

    So with ``digits = 2``: 0.178 -> "0.18", 0.0995 -> "0.10", 0.09995 -> "0.10", 0.0949 -> "0.095",
    0.001 -> "0.001", 0.00099 -> "<0.001", 0.995 -> ">0.99".

    Parameters
    ----------
    p : float
    digits : {1, 2, 3}
        Decimals of large p-values.

    Examples
    --------
    >>> [style_pvalue(p) for p in (0.995, 0.296, 0.178, 0.0995, 0.0042, 0.00001)]
    ['>0.99', '0.30', '0.18', '0.10', '0.004', '<0.001']
    >>> [style_pvalue(p, digits=1) for p in (0.95, 0.296, 0.178, 0.123, 0.0042, 0.00001)]
    ['>0.9', '0.3', '0.2', '0.12', '0.004', '<0.001']

    References
    ----------
    gtsummary 2.1.0, ``R/style_pvalue.R`` (Sjoberg DD et al. R J 2021;13:570-80).
    """
    if digits not in (1, 2, 3):
        raise ValueError("digits must be 1, 2 or 3")
    if p is None or not np.isfinite(float(p)) or p > 1 + 1e-15 or p < -1e-15:
        return MISSING
    p = float(p)
    if digits == 1:
        if p > 0.9:
            return ">0.9"
        if round5(p, 1) >= 0.2:
            return style_number(p, 1)
        if round5(p, 2) >= 0.1:
            return style_number(p, 2)
    elif digits == 2:
        if p > 0.99:
            return ">0.99"
        if round5(p, 2) >= 0.1:
            return style_number(p, 2)
    elif p > 0.999:
        return ">0.999"
    return style_number(p, 3) if p >= 0.001 else "<0.001"


def p_text(p, digits: int = 2) -> str:
    """A p-value in running text: "p < 0.001", "p = 0.18", "p > 0.99" (gtsummary ``style_pvalue(prepend_p =
    TRUE)`` with spaces).

    Examples
    --------
    >>> p_text(4.2e-08), p_text(0.178), p_text(0.996)
    ('p < 0.001', 'p = 0.18', 'p > 0.99')
    """
    text = style_pvalue(p, digits=digits)
    if text[:1] in "<>":
        return f"p {text[0]} {text[1:]}"
    return "p = " + text


#: Decimals of large p-values in every table of the project (gtsummary ``style_pvalue(digits = 2)``).
P_DIGITS = 2


def spread_digits(values) -> int:
    """Decimals of a continuous summary from the 5th-95th percentile spread, as gtsummary guesses them
    (``.guess_continuous_summary_digits``): integers 0; spread < 0.01 -> 4, < 0.1 -> 3, < 10 -> 2, < 20 -> 1,
    else 0."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0 or np.all(v == np.round(v)) and np.issubdtype(np.asarray(values).dtype, np.integer):
        return 0
    spread = np.quantile(v, 0.95, method="linear") - np.quantile(v, 0.05, method="linear")
    if spread < 0.01:
        return 4
    if spread < 0.1:
        return 3
    if spread < 10:
        return 2
    if spread < 20:
        return 1
    return 0


def style_ratio(x, digits: int = 2) -> str:
    """A ratio (OR, HR) as gtsummary's ``style_ratio``: ``digits`` significant figures below 1, one more from 1,
    so 0.85 and 1.15 keep the same precision ("0.85", "1.15")."""
    if x is None or not np.isfinite(float(x)):
        return MISSING
    x = float(x)
    if round5(abs(x), digits) < 1:
        return style_sigfig(x, digits)
    return style_sigfig(max(1.0, x) if x > 0 else min(-1.0, x), digits + 1)
