"""Connectors: a new source system is configuration (a YAML mapping), not code.

``load_mapping`` checks a mapping before anything is loaded; ``load_files`` loads CSV or JSON
lines exports through it into ``watchhouse.records`` with validation, quarantine, atomic files
and idempotent re-runs. Mappings for the synthetic force systems ship in ``mappings/``.
"""

from watchhouse.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "FileLoadReport": "load",
        "FileRefused": "load",
        "LoadReport": "load",
        "QuarantinedRow": "load",
        "load_file": "load",
        "load_files": "load",
        "load_row": "load",
        "quarantine_counts": "load",
        "quarantined_rows": "load",
        "MappingError": "mapping",
        "SourceMapping": "mapping",
        "load_mapping": "mapping",
        "parse_mapping": "mapping",
        "shipped_mappings": "mapping",
        "RowProblem": "rows",
        "RowRejected": "rows",
    },
)
