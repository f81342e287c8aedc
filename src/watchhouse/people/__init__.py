"""The single view of a person: search and look-up as one audited service.

Reads come from the records capability through the access module (so a viewer sees only
what their clearance and caveats allow); every search and every look-up is written to the
audit in the same transaction as the read, with the stated purpose.
"""

from watchhouse.exports import lazy_exports

# Resolved on first use, so registering the ``link`` command stays cheap.
__getattr__, __all__ = lazy_exports(
    __name__,
    {name: "service" for name in ("Graph", "PersonProfile", "case_profile", "find_people", "person_graph",
                                  "person_profile")},
)
