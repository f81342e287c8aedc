"""What each role may do, as opposed to what it may see (which clearance and caveats decide).

Each role has the capabilities its work needs and no more: an auditor reads the audit, not
the records; an administrator manages accounts, not people's records; a partner-agency user
sees only what a data-sharing agreement grants (none until one is recorded).
"""

from __future__ import annotations

from enum import StrEnum

from watchhouse.domain.roles import Role


class Permission(StrEnum):
    SEARCH_PEOPLE = "search-people"
    VIEW_PERSON = "view-person"
    VIEW_CASE = "view-case"
    EXPORT = "export"
    REVIEW_LINKS = "review-links"  # confirm or split links near the threshold
    VIEW_WHO_VIEWED = "view-who-viewed"  # the access trail on a person's page
    READ_AUDIT = "read-audit"
    MANAGE_USERS = "manage-users"
    WRITE_RECORDS = "write-records"  # send source records one at a time through the API


_FRONT_LINE = {Permission.SEARCH_PEOPLE, Permission.VIEW_PERSON}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CALL_HANDLER: frozenset(_FRONT_LINE),  # caller histories and risk, not case files
    Role.RESPONSE_OFFICER: frozenset(_FRONT_LINE | {Permission.VIEW_CASE}),
    Role.NEIGHBOURHOOD_OFFICER: frozenset(_FRONT_LINE | {Permission.VIEW_CASE}),
    Role.INVESTIGATOR: frozenset(_FRONT_LINE | {Permission.VIEW_CASE, Permission.EXPORT}),
    Role.INTELLIGENCE_ANALYST: frozenset(
        _FRONT_LINE | {Permission.VIEW_CASE, Permission.EXPORT, Permission.REVIEW_LINKS}
    ),
    Role.SUPERVISOR: frozenset(
        _FRONT_LINE | {Permission.VIEW_CASE, Permission.EXPORT, Permission.REVIEW_LINKS, Permission.VIEW_WHO_VIEWED}
    ),
    Role.PARTNER: frozenset(),
    Role.AUDITOR: frozenset({Permission.READ_AUDIT}),
    Role.ADMIN: frozenset({Permission.MANAGE_USERS}),
    # A system account writes its own system's records and reads nothing back.
    Role.SOURCE_SYSTEM: frozenset({Permission.WRITE_RECORDS}),
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role.parse(role)]


def permissions_of(role: Role | str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[Role.parse(role)]
