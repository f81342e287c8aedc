"""Record linkage: which person records, within and across systems, are the same person.

Public API (other capabilities call these, never the Splink internals):

- ``load_mapping(path)`` / ``parse_mapping(dict)`` -> ``PersonMapping``
- ``prepare_records(paths, mapping)`` / ``prepare_frame(df, mapping)`` -> ``PreparedRecords``
- ``train_model(records, link_only=False, threshold=0.5)`` -> ``LinkModel``; ``load_model(path, records)``;
  ``model_from_settings(settings, records)``
- ``resolve(records, ...)`` -> ``Resolution`` (``.links()``, ``.clusters()``, ``.model``)
- ``explain_link(model, left, right, mapping)`` -> ``LinkExplanation``
- ``link_new_record(model, record, mapping)`` -> ``list[Candidate]``
- ``pair_quality`` / ``cluster_quality`` for measuring against truth
"""

from watchhouse.exports import lazy_exports

# Names resolved on first use (PEP 562): importing the package, as the command line does to
# register ``resolve``, must not load Splink and DuckDB.
_EXPORTS = {
    "engine": ["Candidate", "LinkExplanation", "Resolution", "explain_link", "link_new_record", "resolve"],
    "evaluate": ["Quality", "cluster_quality", "largest_group", "pair_quality"],
    "mapping": ["MappingError", "PersonMapping", "load_mapping", "parse_mapping"],
    "model": ["LinkModel", "load_model", "model_from_settings", "train_model"],
    "prepare": ["PreparedRecords", "UnusableFileError", "prepare_frame", "prepare_records"],
}
__getattr__, __all__ = lazy_exports(__name__, {name: module for module, names in _EXPORTS.items() for name in names})
