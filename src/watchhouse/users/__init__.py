"""The users capability: accounts with a role, a clearance and need-to-know caveats;
argon2 passwords; login throttling and lock-out; bearer tokens and web sessions.

Every change and every login, good or bad, is written to the audit in the same transaction.
A force's own identity provider (OIDC) maps onto the same accounts through
``find_or_link_oidc_identity``; the demo needs none.
"""

from watchhouse.users.service import (
    AuthError,
    User,
    UserError,
    add_user,
    authenticate,
    end_session,
    find_or_link_oidc_identity,
    get_user,
    issue_token,
    list_users,
    open_session,
    resume_session,
    set_password,
    update_user,
    user_from_token,
)

__all__ = [
    "AuthError",
    "User",
    "UserError",
    "add_user",
    "authenticate",
    "end_session",
    "find_or_link_oidc_identity",
    "get_user",
    "issue_token",
    "list_users",
    "open_session",
    "resume_session",
    "set_password",
    "update_user",
    "user_from_token",
]
