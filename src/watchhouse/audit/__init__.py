"""The audit capability: the logging duty of the Data Protection Act 2018, section 62.

Every collection, alteration, consultation, disclosure, combination and erasure of personal
data, every search, export, login and administrative change is written here, in the same
transaction as the action it records (callers pass their own connection), as an append-only
hash chain that ``verify`` checks end to end.
"""

from watchhouse.audit.log import (
    ACTIONS,
    AuditEntry,
    VerifyResult,
    entries,
    head,
    record,
    verify,
    viewers_of,
)

__all__ = ["ACTIONS", "AuditEntry", "VerifyResult", "entries", "head", "record", "verify", "viewers_of"]
