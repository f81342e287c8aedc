"""The single view of a person: search and look-up as one audited service.

Reads come from the records capability through the access module (so a viewer sees only
what their clearance and caveats allow); every search and every look-up is written to the
audit in the same transaction as the read, with the stated purpose.
"""

import importlib

__all__ = ["Graph", "PersonProfile", "case_profile", "find_people", "person_graph", "person_profile"]


def __getattr__(name: str):
    # Resolved on first use, so registering the ``link`` command stays cheap.
    if name not in __all__:
        raise AttributeError(f"module 'watchhouse.people' has no attribute {name!r}")
    value = getattr(importlib.import_module("watchhouse.people.service"), name)
    globals()[name] = value
    return value
