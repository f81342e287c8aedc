"""Property: nothing above a caller's clearance ever appears in a response body or header.

Hypothesis generates users of every role, clearance and caveat set, and people and events
with random record-level and field-level markings. Every record value is a unique canary;
an independent oracle (not the access module) says which canaries each user may see. Then
every /v1 endpoint and every signed-in page is called as that user, and no response may
carry a canary the oracle says is hidden.
"""

from __future__ import annotations

import itertools
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchhouse.domain import EventRecord, Link, PersonRecord
from watchhouse.domain.markings import Classification, Marking
from watchhouse.access.permissions import Permission, allowed
from watchhouse.domain.roles import Role
from watchhouse.records import upsert_records
from watchhouse.records.lookup import masters_of
from watchhouse.search import rebuild_index
from watchhouse.users import add_user, issue_token, open_session
from watchhouse.web.app import create_app
from watchhouse.web.auth import SESSION_COOKIE

LEVELS = {"OFFICIAL": 1, "SECRET": 2, "TOP SECRET": 3}
CAVEATS = ["OFFICIAL-SENSITIVE", "case:OP-KESTREL", "role:intelligence-analyst"]
USER_LEVELS = {"OFFICIAL": "OFFICIAL", "SECRET": "SECRET", "TOP SECRET": "TOP-SECRET"}

markings = st.tuples(st.sampled_from(list(LEVELS)), st.sets(st.sampled_from(CAVEATS), max_size=2))
users = st.tuples(st.sampled_from(list(Role)), st.sampled_from(list(LEVELS)),
                  st.sets(st.sampled_from(CAVEATS[:2]), max_size=2))
person_specs = st.lists(st.tuples(markings, markings, markings, markings), min_size=1, max_size=4)


def visible(user, marking) -> bool:
    """The oracle: clearance at or above the level, and every caveat held (roles hold role:<slug>)."""
    role, level, held = user
    m_level, m_caveats = marking
    return LEVELS[level] >= LEVELS[m_level] and all(c in held or c == f"role:{role.value}" for c in m_caveats)


def marking_of(spec) -> Marking:
    level, caveats = spec
    return Marking(Classification[level.replace(" ", "_")], frozenset(caveats))


class World:
    def __init__(self, engine):
        self.engine = engine
        self.counter = itertools.count(1)
        # (canary, markings that must all admit the caller to see it, markings that must admit
        # the caller for any page to lead to it)
        self.canaries: list[tuple[str, list, list]] = []
        self.master_ids: set[int] = set()
        self.event_ids: set[int] = set()

    def canary(self) -> str:
        return f"Zq{next(self.counter):06d}x"

    def add(self, specs) -> None:
        records, links = [], []
        for record_marking, name_marking, phone_marking, event_marking in specs:
            n = next(self.counter)
            given, phone, description = self.canary(), f"07{n:09d}", self.canary()
            person = PersonRecord(
                "sys", f"P{n}", raw={"given": given, "phone": phone},
                given_name=given, family_name="Testperson", phone=phone,
                marking=marking_of(record_marking),
                field_markings={"given_name": marking_of(name_marking),
                                "raw.given": marking_of(name_marking),
                                "phone": marking_of(phone_marking),
                                "raw.phone": marking_of(phone_marking)},
            )
            event = EventRecord("sys", f"E{n}", event_kind="incident", reference=f"REF{n}",
                                description=description, raw={"text": description},
                                marking=marking_of(event_marking))
            records += [person, event]
            links.append(Link(person.ref, event.ref, "victim"))
            self.canaries += [(given, [record_marking, name_marking], [record_marking, name_marking]),
                              (phone, [record_marking, phone_marking], [record_marking, phone_marking]),
                              (description, [event_marking], [event_marking, record_marking])]
        result = upsert_records(self.engine, records, links)
        people = [row_id for ref, row_id in result.ids.items() if ref.kind.value == "person"]
        self.master_ids |= set(masters_of(self.engine, people).values())
        self.event_ids |= {row_id for ref, row_id in result.ids.items() if ref.kind.value == "event"}
        rebuild_index(self.engine)

    def hidden_from(self, user) -> list[str]:
        return [c for c, needed, _ in self.canaries if not all(visible(user, m) for m in needed)]

    def reachable_by(self, user) -> list[str]:
        return [c for c, _, reach in self.canaries if all(visible(user, m) for m in reach)]


def _api_routes(routes):
    # FastAPI keeps included routers as wrappers around the router they came from.
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _get_routes(app, prefix_filter):
    paths = [r.path for r in _api_routes(app.routes) if "GET" in r.methods and prefix_filter(r.path)]
    assert len(paths) >= 8, f"the crawler found too few staff routes: {paths}"
    return paths


def _fill(path: str, world: World) -> list[str]:
    if "{person_id}" in path:
        return [path.replace("{person_id}", str(i)) for i in sorted(world.master_ids)]
    if "{case_id}" in path:
        return [path.replace("{case_id}", str(i)) for i in sorted(world.event_ids)[:3]]
    return [path]


def _is_staff_path(path: str) -> bool:
    return path.startswith(("/v1", "/people", "/cases", "/admin", "/audit"))


@pytest.fixture
def world_app(database_url, engine):
    return World(engine), create_app(database_url)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=users, specs=person_specs)
def test_nothing_above_clearance_reaches_any_response(world_app, user, specs):
    world, app = world_app
    world.add(specs)
    role, level, held = user
    name = f"u{next(world.counter)}"
    with world.engine.begin() as connection:
        account = add_user(connection, name, role=role.value, clearance=USER_LEVELS[level], caveats=sorted(held),
                           password=None)
        session_id, _ = open_session(connection, account)
    token, _ = issue_token(account)
    hidden = world.hidden_from(user)
    shown = world.reachable_by(user)
    seen: set[str] = set()
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, session_id)
    headers = {"Authorization": f"Bearer {token}", "X-Watchhouse-Purpose": "property test"}
    for path in _get_routes(app, _is_staff_path):
        for url in _fill(path, world):
            for params in ({"q": "Testperson", "purpose": "property test"}, {"purpose": "property test"}):
                response = client.get(url, params=params, headers=headers)
                assert response.status_code < 500, (url, response.status_code)
                exposed = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
                leaked = [c for c in hidden if c in exposed]
                assert not leaked, f"{url} showed {leaked} to {role.value}/{level}/{sorted(held)}"
                seen.update(c for c in shown if c in exposed)
    # The property must be able to fail: a user who may view people does see what they may see.
    if allowed(role, Permission.VIEW_PERSON):
        assert seen == set(shown), f"visible values missing from every response: {sorted(set(shown) - seen)[:5]}"
