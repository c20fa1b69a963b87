"""Survival analysis for the tacrolimus notebook and any cohort with follow-up.

``estimation``: Kaplan-Meier with confidence intervals (R survival's conventions), numbers at risk, log-rank,
Cox hazard ratios, exact binomial intervals and tests. Individual patient data rebuilt from published figures:
``guyot`` (Guyot et al. 2012, from digitised curves), ``landmarks`` (n and rounded percentages at landmarks),
``cohorts`` (the cohorts of a comparison from published facts and digitised figures), ``accuracy`` (simulated
digitisation of real datasets and the errors of the rebuilt data). ``plot_km`` draws a survminer-style figure
(``myositis.figures.km``).

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival data: reconstructing the data
from published Kaplan-Meier survival curves. BMC Med Res Methodol 2012;12:9.
Therneau TM. A Package for Survival Analysis in R. R package ``survival``.
"""

from .accuracy import reconstruction_errors, simulate_digitisation
from .cohorts import (compare_with_published, input_files, landmark_sensitivity, published_interval,
                      published_landmarks, reconstruct_cohorts, reconstruct_digitised, reconstruction_summary, reference_data)
from .estimation import (at_risk_table, binomial_ci, binomial_test, cox_batch, cox_hr, fisher_test, kaplan_meier,
                         km_ci_without_censoring, logrank, logrank_batch, median_survival, survival_at)
from .guyot import DigitisationWarning, clean_at_risk, clean_curve, reconstruct_ipd
from .landmarks import (ROUNDINGS, LandmarkReconstructions, compare_reconstructions, landmark_counts,
                        landmark_reconstructions, published_range, robustness)


def plot_km(*args, **kwargs):
    """Survminer-style Kaplan-Meier figure; see ``myositis.figures.km.plot_km``."""
    from ..figures.km import plot_km as _plot_km

    return _plot_km(*args, **kwargs)


__all__ = ["at_risk_table", "binomial_ci", "binomial_test", "clean_at_risk", "clean_curve",
           "compare_reconstructions", "compare_with_published", "cox_batch", "cox_hr", "DigitisationWarning",
           "fisher_test", "input_files", "kaplan_meier", "km_ci_without_censoring", "landmark_counts",
           "landmark_reconstructions", "landmark_sensitivity", "published_range", "ROUNDINGS",
           "LandmarkReconstructions", "logrank", "logrank_batch", "median_survival", "plot_km", "published_interval",
           "published_landmarks", "reconstruct_cohorts", "reconstruct_digitised", "reconstruct_ipd",
           "reconstruction_errors", "reconstruction_summary", "reference_data", "robustness",
           "simulate_digitisation", "survival_at"]
