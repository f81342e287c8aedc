from watchhouse.access.permissions import ROLE_PERMISSIONS, Permission, allowed
from watchhouse.domain.roles import Role


def test_every_role_has_an_entry():
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_auditor_reads_the_audit_not_the_records():
    assert allowed("auditor", Permission.READ_AUDIT)
    assert not allowed("auditor", Permission.VIEW_PERSON)
    assert not allowed("auditor", Permission.SEARCH_PEOPLE)


def test_admin_manages_users_not_records():
    assert allowed("admin", Permission.MANAGE_USERS)
    assert not allowed("admin", Permission.VIEW_PERSON)


def test_partner_sees_nothing_without_an_agreement():
    assert ROLE_PERMISSIONS[Role.PARTNER] == frozenset()


def test_only_supervisors_see_who_viewed_a_record():
    assert [r for r in Role if allowed(r, Permission.VIEW_WHO_VIEWED)] == [Role.SUPERVISOR]
