"""The audit capability: the logging duty of the Data Protection Act 2018, section 62.

Every collection, alteration, consultation, disclosure, combination and erasure of personal
data, every search, export, login and administrative change is written here, in the same
transaction as the action it records (callers pass their own connection), as an append-only
hash chain that ``verify`` checks end to end.
"""

from watchhouse.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "ACTIONS": "log",
        "AuditEntry": "log",
        "VerifyResult": "log",
        "entries": "log",
        "head": "log",
        "record": "log",
        "verify": "log",
        "viewers_of": "log",
    },
)
