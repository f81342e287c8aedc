"""The users capability: accounts with a role, a clearance and need-to-know caveats;
argon2 passwords; login throttling and lock-out; bearer tokens and web sessions.

Every change and every login, good or bad, is written to the audit in the same transaction.
A force's own identity provider (OIDC) maps onto the same accounts through
``find_or_link_oidc_identity``; the demo needs none.
"""

from watchhouse.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "AuthError": "service",
        "User": "service",
        "UserError": "service",
        "add_user": "service",
        "authenticate": "service",
        "end_session": "service",
        "find_or_link_oidc_identity": "service",
        "get_user": "service",
        "issue_token": "service",
        "list_users": "service",
        "open_session": "service",
        "resume_session": "service",
        "set_password": "service",
        "update_user": "service",
        "user_from_token": "service",
    },
)
