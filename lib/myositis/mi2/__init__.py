"""The anti-Mi2 dermatomyositis cohort: data model, synthetic cohort calibrated to the published figures,
validation and loading of a user's own files, and the analyses of the phenotype notebook.

Two tables describe a cohort:

* **patients**, one row per patient: ``id``, ``group`` (``"Mi2+ DM"``, ``"Mi2- DM"``, ``"ASyS"``, ``"IMNM"``),
  ``sex``, ``age_onset_years``, ``weakness_onset``, ``weakness_ever``, ``ck_max_u_l`` (maximum CK, IU/L), ``ild``,
  ``calcinosis``, ``fever``, ``cancer``, the DM skin signs (``gottron_papules``, ``heliotrope_rash``,
  ``periungual_erythema``), ``biopsy_necrosis`` (missing when no biopsy), ``follow_up_years``; optionally
  ``onset_date``, ``treatment_stopped`` and ``relapse_after_stop``.
* **visits**, one row per visit: ``id``, ``months_since_onset`` (or ``visit_date`` with the patient's
  ``onset_date``), ``strength_kendall`` (mean manual muscle testing on the Kendall 0-10 scale over the muscle
  groups tested, 10 = normal), ``ck_u_l``, ``anti_mi2_titre_au`` (anti-Mi2 titre, arbitrary units).

The Kendall score as a mean over muscle groups is this project's choice (documented in the targets file): the
paper used Kendall-scale manual muscle testing; a sum over a fixed set of muscles divided by their number gives
the same 0-10 reading.

Modules (everything is importable from ``myositis.mi2`` as before):

* :mod:`~myositis.mi2.schema`: the data model (groups, columns, aliases) and reading and validating a user's files
  (``validate_cohort``, ``load_cohort``);
* :mod:`~myositis.mi2.targets`: the published and assumed targets (``load_targets``) and ``target_check``;
* :mod:`~myositis.mi2.synthetic`: the seeded synthetic cohort (``synthetic_cohort``, ``cohort_files``);
* :mod:`~myositis.mi2.analysis`: the analyses of the notebook (odds ratios, mixed model of strength, rmcorr of
  the titre, long follow-up);
* :mod:`~myositis.mi2.mixedlm`: statsmodels' linear mixed model with its likelihood, score and Hessian computed
  for all patients at once (``GroupedMixedLM``; what ``strength_model`` fits).

References
----------
Pinal-Fernandez I, Mecoli CA, Casal-Dominguez M, et al. More prominent muscle involvement in patients with
dermatomyositis with anti-Mi2 autoantibodies. Neurology 2019;93(19):e1768-e1777. doi:10.1212/WNL.0000000000008443
Landon-Cardinal O, et al. Anti-Mi2 dermatomyositis revisited. Arthritis Rheumatol 2016;68(suppl 10), abstract 2314.
Bakdash JZ, Marusich LR. Repeated measures correlation. Front Psychol 2017;8:456.
Kendall FP, McCreary EK, Provance PG. Muscles: testing and function. 4th ed. Williams & Wilkins, 1993.
"""

from ..units import DAYS_PER_MONTH
from .schema import (
    GROUPS, DM_GROUPS, KENDALL_MAX, GROUP_ALIASES, SEX_ALIASES, HEADER_ALIASES, Field, PATIENT_FIELDS,
    VISIT_FIELDS, PATIENT_COLUMNS, VISIT_COLUMNS, BOOL_FEATURES, LABELS, _norm_label, _GROUP_LOOKUP,
    validate_cohort, Cohort, load_cohort, FRENCH_LABELS, HEADERS,
)
from .targets import (
    TARGETS_FILE, _round_half_up, target_count, load_targets, target_check, DIRECTION_WORDS, direction_statistic,
    PUBLISHED_TEST, p_value_comparison, p_value_text, TARGET_LABELS,
)
from .synthetic import (
    PROCESSED_DIR, synthetic_cohort, cohort_files, generator_of,
)
from .analysis import (
    with_group, table_one_data, TABLE_ONE_CONTINUOUS, TABLE_ONE_CATEGORICAL, odds_ratios, StrengthModel,
    strength_model, titre_correlations, long_follow_up, strength_summary, strength_by_period, format_p,
    LONG_FOLLOW_UP_LABELS,
)

# _norm_label, _GROUP_LOOKUP and _round_half_up are private: re-exported only because the tests use them.
__all__ = [
    "GROUPS", "DM_GROUPS", "KENDALL_MAX", "GROUP_ALIASES", "SEX_ALIASES", "HEADER_ALIASES", "Field",
    "PATIENT_FIELDS", "VISIT_FIELDS", "PATIENT_COLUMNS", "VISIT_COLUMNS", "BOOL_FEATURES", "LABELS",
    "validate_cohort", "Cohort", "load_cohort", "FRENCH_LABELS", "HEADERS", "TARGETS_FILE", "target_count",
    "load_targets", "target_check", "DIRECTION_WORDS", "direction_statistic", "PUBLISHED_TEST", "p_value_comparison",
    "p_value_text", "TARGET_LABELS", "LONG_FOLLOW_UP_LABELS",
    "PROCESSED_DIR", "synthetic_cohort", "cohort_files", "generator_of", "with_group", "table_one_data", "TABLE_ONE_CONTINUOUS",
    "TABLE_ONE_CATEGORICAL", "odds_ratios", "StrengthModel", "strength_model", "titre_correlations",
    "long_follow_up", "strength_summary", "strength_by_period", "format_p", "DAYS_PER_MONTH",
]
