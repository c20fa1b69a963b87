"""Named errors, each with a message a clinician or data manager can act on."""


class MyositisError(Exception):
    """Base class of the project's errors."""


class InputFileError(MyositisError):
    """A data file cannot be read or is not what it claims to be. The message names the file (and row)."""


class EmptyFileError(InputFileError):
    """The file holds no table: empty, only a byte-order mark, only blank lines, or a header without rows."""


class NotATableError(InputFileError):
    """The file is not a text table or a workbook (binary content, wrong format behind its extension)."""


class ExcelFormatError(InputFileError):
    """A workbook that cannot be read as saved (Excel 97 .xls, a damaged .xlsx, a non-workbook named .xlsx)."""


class CellError(MyositisError, ValueError):
    """One cell cannot be read as its field's kind of value. ``rule`` is the sentence of the issue table
    ("not a number: set missing", "ambiguous number ...", "uncertain answer: set missing")."""

    def __init__(self, message: str, rule: str | None = None):
        super().__init__(message)
        self.rule = rule or message


class ValidationError(MyositisError):
    """Data failed validation; ``issues`` holds the issue table (file, row, field, value, rule, severity)."""

    def __init__(self, message: str, issues=None):
        super().__init__(message)
        self.issues = issues


class ManifestError(MyositisError):
    """A raw data file is missing, unlisted or differs from its SHA-256 in data/raw/manifest.csv."""


class ParamsError(MyositisError):
    """A params YAML names an unknown notebook or a parameter the notebook does not declare."""


class NotebookRunError(MyositisError):
    """A notebook failed in the batch; the message names the notebook and the failing cell."""


class MissingKeyError(MyositisError):
    """The pseudonymisation key is missing (never replaced by a silent default)."""


class ReconstructionError(MyositisError):
    """Digitised survival data or at-risk tables are invalid; the message names the row."""


class MissingColumnsError(ValidationError):
    """Columns the analysis needs are absent from a file: ``missing`` (file → fields) and ``found`` (file → the
    headers as written) let a data manager rename them; raised at ingestion, before any analysis."""

    def __init__(self, message: str, missing=None, found=None, issues=None):
        super().__init__(message, issues)
        self.missing = missing or {}
        self.found = found or {}


class ScoreError(MyositisError, ValueError):
    """A case cannot be scored as given (not a number, impossible value, bad threshold table); a ValueError."""


class EstimationError(MyositisError, ValueError):
    """A survival estimate cannot be computed from the arguments given; a ValueError."""


class FactNotFoundError(ReconstructionError, KeyError):
    """A published fact named by a parameter, a cohort or a comparison is absent from the facts file; a KeyError."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
