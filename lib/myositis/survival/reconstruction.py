"""Former home of the reconstruction code, kept so that ``myositis.survival.reconstruction.X`` still imports.

The code now lives in ``guyot`` (digitised curves), ``accuracy`` (simulated digitisation, errors on real data),
``landmarks`` (n and rounded percentages) and ``cohorts`` (published facts and digitised figures per cohort).
"""

from .accuracy import reconstruction_errors, simulate_digitisation
from .cohorts import (compare_with_published, published_interval, published_landmarks, reconstruct_cohorts,
                      reconstruct_digitised, reconstruction_summary, reference_data)
from .guyot import DigitisationWarning, clean_at_risk, clean_curve, reconstruct_ipd
from .landmarks import (LandmarkReconstructions, compare_reconstructions, landmark_counts, landmark_reconstructions,
                        robustness)

__all__ = ["clean_at_risk", "clean_curve", "compare_reconstructions", "compare_with_published",
           "DigitisationWarning", "landmark_counts", "landmark_reconstructions", "LandmarkReconstructions",
           "published_interval", "published_landmarks", "reconstruct_cohorts", "reconstruct_digitised",
           "reconstruct_ipd", "reconstruction_errors", "reconstruction_summary", "reference_data", "robustness",
           "simulate_digitisation"]
