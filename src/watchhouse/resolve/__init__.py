"""Record linkage: which person records, within and across systems, are the same person.

Public API (other capabilities call these, never the Splink internals):

- ``load_mapping(path)`` / ``parse_mapping(dict)`` -> ``PersonMapping``
- ``prepare_records(paths, mapping)`` / ``prepare_frame(df, mapping)`` -> ``PreparedRecords``
- ``train_model(records, link_only=False, threshold=0.5)`` -> ``LinkModel``; ``load_model(path, records)``
- ``resolve(records, ...)`` -> ``Resolution`` (``.links()``, ``.clusters()``, ``.model``)
- ``explain_link(model, left, right, mapping)`` -> ``LinkExplanation``
- ``link_new_record(model, record, mapping)`` -> ``list[Candidate]``
- ``pair_quality`` / ``cluster_quality`` for measuring against truth
"""

from watchhouse.resolve.engine import (
    Candidate,
    LinkExplanation,
    Resolution,
    explain_link,
    link_new_record,
    resolve,
)
from watchhouse.resolve.evaluate import Quality, cluster_quality, largest_group, pair_quality
from watchhouse.resolve.mapping import MappingError, PersonMapping, load_mapping, parse_mapping
from watchhouse.resolve.model import LinkModel, load_model, train_model
from watchhouse.resolve.prepare import PreparedRecords, UnusableFileError, prepare_frame, prepare_records

__all__ = [
    "Candidate", "LinkExplanation", "LinkModel", "MappingError", "PersonMapping", "PreparedRecords",
    "Quality", "Resolution", "UnusableFileError", "cluster_quality", "explain_link", "largest_group",
    "link_new_record", "load_mapping", "load_model", "pair_quality", "parse_mapping", "prepare_frame",
    "prepare_records", "resolve", "train_model",
]
