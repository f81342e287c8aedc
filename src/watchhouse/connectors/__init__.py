"""Connectors: a new source system is configuration (a YAML mapping), not code.

``load_mapping`` checks a mapping before anything is loaded; ``load_files`` loads CSV or JSON
lines exports through it into ``watchhouse.records`` with validation, quarantine, atomic files
and idempotent re-runs. Mappings for the synthetic force systems ship in ``mappings/``.
"""

from watchhouse.connectors.load import (
    FileLoadReport,
    FileRefused,
    LoadReport,
    QuarantinedRow,
    load_file,
    load_files,
    load_row,
    quarantine_counts,
    quarantined_rows,
)
from watchhouse.connectors.mapping import MappingError, SourceMapping, load_mapping, parse_mapping, shipped_mappings
from watchhouse.connectors.rows import RowProblem, RowRejected

__all__ = [
    "FileLoadReport", "FileRefused", "LoadReport", "MappingError", "QuarantinedRow", "RowProblem", "RowRejected",
    "SourceMapping", "load_file", "load_files", "load_mapping", "load_row", "parse_mapping", "quarantine_counts",
    "quarantined_rows", "shipped_mappings",
]
