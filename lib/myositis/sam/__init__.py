"""The SAM (MAS) case series: reading CRF exports, validation, exclusions, pseudonymisation, the synthetic demo
series and the derived tables of the case-series notebook.

A case is recognised, as the call for cases asks, only by the first two letters of surname and first name
(``initials``), the birth date and the centre's code, chosen from the list of participating centres in
``crf_fields.yaml`` (the call's "first three letters of the city" collide: Nantes and Nancy). ``load_crf`` reads any export of the
CRF defined in ``crf_fields.yaml`` (REDCap raw or label format, the Excel template, the CSV a French centre
sends) and keeps every row; ``pseudonymise`` turns the result into the only table allowed into
``data/processed/``: a keyed hash instead of the recognition code, ages instead of the birth date, days from
MAS onset instead of dates, no free text.

Modules (everything is importable from ``myositis.sam`` as before):

* :mod:`~myositis.sam.ingest`: reading and validating an export, exclusions, inclusion flow (``load_crf``);
* :mod:`~myositis.sam.pseudonym`: key, keyed hash of the recognition code, processed table (``pseudonymise``);
* :mod:`~myositis.sam.describe`: derived tables (``survival_data``, ``treatment_lines``, ``lab_summary``...);
* :mod:`~myositis.sam.synthetic`: the synthetic demo series (``synthetic_series``);
* :mod:`~myositis.sam.centres`: many centre exports as one series (``load_crf`` on a folder or list);
* :mod:`~myositis.sam.queries`, :mod:`~myositis.sam.corrections`: query workbooks per centre, answers applied on
  top of the raw exports with an audit trail; :mod:`~myositis.sam.dashboard`: the collection dashboard;
* :mod:`~myositis.sam.demo`: the synthetic multicentre demo (three centres' exports).

References
----------
Walls B, Gusdorf L, Viguier M. Appel à observations : dermatomyosite compliquée de syndrome d'activation
macrophagique. CHU de Reims (seed 001): inclusion window 2010-01-01 to 2020-10-01, recognition code.
Krawczyk H, Bellare M, Canetti R. HMAC: keyed-hashing for message authentication. RFC 2104, 1997.
"""

from ..units import DAYS_PER_MONTH
from .ingest import (
    MASKED, EXCLUSIONS, INVALID, REDCAP_COLUMNS, inclusion_window, load_crf, inclusion_flow, exclusions,
)
from .pseudonym import (
    KEY_ENV, KEY_FILE_ENV, DEMO_KEY, MIN_KEY_LENGTH, PSEUDONYM_HEX, is_bundled_synthetic, pseudonym_key,
    pseudonymise, processed_path, write_processed, privacy_strings,
)
from .describe import (
    RESPONSES, DRUGS, ANTIBODY_ORDER, ANTIBODY_LABELS, analysed, antibody_profile, checkbox_counts, yes_no_counts,
    lab_summary, regimen, treatment_lines, follow_up_days, survival_data, first_line_response, response_by_line,
    outcomes,
    table_one_data,
)
from .synthetic import (
    SYNTHETIC_FILE, SYNTHETIC_SEED, synthetic_series, synthetic_series_bytes, write_synthetic_series, generator_of,
)
from . import centres, corrections, dashboard, demo, literature, queries  # submodules

__all__ = [
    "MASKED", "EXCLUSIONS", "INVALID", "REDCAP_COLUMNS", "inclusion_window", "load_crf", "inclusion_flow",
    "exclusions", "KEY_ENV", "KEY_FILE_ENV", "DEMO_KEY", "MIN_KEY_LENGTH", "PSEUDONYM_HEX", "is_bundled_synthetic",
    "pseudonym_key", "pseudonymise", "processed_path", "write_processed", "privacy_strings", "RESPONSES", "DRUGS",
    "ANTIBODY_ORDER", "ANTIBODY_LABELS", "analysed", "antibody_profile", "checkbox_counts", "yes_no_counts",
    "lab_summary", "regimen", "treatment_lines", "follow_up_days", "survival_data", "first_line_response", "response_by_line",
    "outcomes", "table_one_data", "SYNTHETIC_FILE", "SYNTHETIC_SEED", "synthetic_series", "synthetic_series_bytes",
    "write_synthetic_series", "generator_of", "DAYS_PER_MONTH",
]
