"""The demo: real West Yorkshire police.uk data, the national lookup and population, ready to serve.

``build`` is idempotent: on a database it has built before, every step finds its work done
(the ingest reports every row unchanged, boundaries are only re-derived when crimes changed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class DemoBuild:
    forces: int = 0
    areas: int = 0
    crimes_read: int = 0
    crimes_loaded: int = 0
    crimes_updated: int = 0
    crimes_unchanged: int = 0
    crimes_quarantined: int = 0
    boundaries: dict[str, int] = field(default_factory=dict)  # force -> areas with a polygon
    boundaries_skipped: list[str] = field(default_factory=list)  # forces whose boundaries were up to date
    boundaries_failed: dict[str, str] = field(default_factory=dict)  # force -> why no boundaries
    seconds: dict[str, float] = field(default_factory=dict)  # step -> wall time
    person_records_loaded: int = 0
    person_records: int = 0
    people: int = 0  # master persons after linkage
    accounts: dict[str, str] = field(default_factory=dict)  # demo user -> password, created this run


def _timed(build: DemoBuild, step: str, work: Callable):
    started = time.perf_counter()
    result = work()
    build.seconds[step] = time.perf_counter() - started
    return result


def build(engine: Engine, *, progress: bool = False, say: Callable[[str], None] = lambda message: None) -> DemoBuild:
    """Migrate, load the lookup and population, ingest the three sample months, derive boundaries."""
    from watchhouse import areas, sample
    from watchhouse.crimes.geography import forces_with_located_crimes
    from watchhouse.ingest.police_uk import ingest_paths
    from watchhouse.store import upgrade

    result = DemoBuild()
    say("migrating the database")
    _timed(result, "migrate", lambda: upgrade(engine))

    say("loading forces, districts, neighbourhoods (MSOAs) and LSOAs with census 2011 population")
    result.areas = _timed(result, "lookup", lambda: areas.load_lookup(engine))
    result.forces = len(areas.forces(engine))

    say(f"ingesting police.uk street crime for {sample.SAMPLE_FORCE}, {', '.join(sample.SAMPLE_MONTHS)}")
    report = _timed(result, "ingest", lambda: ingest_paths(engine, sample.street_files(), progress=progress))
    total = report.total
    result.crimes_read, result.crimes_loaded = total.read, total.loaded
    result.crimes_updated, result.crimes_unchanged = total.updated, total.unchanged
    result.crimes_quarantined = total.quarantined

    crimes_changed = total.loaded + total.updated > 0
    started = time.perf_counter()
    for force_code in forces_with_located_crimes(engine):
        force = areas.get_area(engine, force_code)
        if force is None:
            continue  # crimes of a force outside the lookup (none in the sample): nothing to draw on
        if not crimes_changed and force.boundary_geojson is not None:
            result.boundaries_skipped.append(force_code)
            continue
        say(f"deriving approximate boundaries for {force_code}")
        try:
            result.boundaries[force_code] = areas.derive_approximate_boundaries(engine, force_code)
        except areas.AreasError as error:
            # One force's crimes falling outside its own LSOAs must not stop the others' maps.
            result.boundaries_failed[force_code] = str(error)
    result.seconds["boundaries"] = time.perf_counter() - started
    _timed(result, "records", lambda: _joined_up_records(engine, result, say))
    result.accounts = _timed(result, "accounts", lambda: _demo_accounts(engine))
    return result


DEMO_PEOPLE = 2000
DEMO_SEED = 2018
# Demo accounts: one per kind of user a newcomer will want to try. Passwords are generated
# on first build and printed once; none is ever stored in the repository.
DEMO_ACCOUNTS = [
    ("analyst", "intelligence-analyst", "SECRET", ["OFFICIAL-SENSITIVE"]),
    ("officer", "response-officer", "OFFICIAL", []),
    ("handler", "call-handler", "OFFICIAL", []),
    ("supervisor", "supervisor", "SECRET", ["OFFICIAL-SENSITIVE"]),
    ("auditor", "auditor", "OFFICIAL", []),
    ("admin", "admin", "OFFICIAL", []),
]


def _joined_up_records(engine: Engine, result: DemoBuild, say: Callable[[str], None]) -> None:
    """Five synthetic force systems about the real crimes, loaded through their mappings and linked."""
    import tempfile
    from pathlib import Path

    from watchhouse import audit
    from watchhouse.people.linking import link_people
    from watchhouse.synth.systems import load_systems, write_systems

    say(f"writing five synthetic force systems for {DEMO_PEOPLE:,} synthetic people (seed {DEMO_SEED})")
    with tempfile.TemporaryDirectory(prefix="watchhouse-demo-") as directory:
        write_systems(DEMO_PEOPLE, Path(directory), seed=DEMO_SEED)
        say("loading them through their source-system mappings")
        report = load_systems(engine, Path(directory))
    result.person_records_loaded = sum(f.inserted + f.updated for f in report.files)
    if result.person_records_loaded == 0 and audit.entries(engine, actions=["combination"], limit=1):
        say("records unchanged since they were last linked")
        return
    say("linking person records into people (Splink) and indexing them for search")
    summary = link_people(engine, progress=None)
    result.person_records, result.people = summary.records, summary.masters


def _demo_accounts(engine: Engine) -> dict[str, str]:
    import secrets

    from watchhouse.users import add_user, list_users

    existing = {user.username for user in list_users(engine)}
    created = {}
    with engine.begin() as connection:
        for name, role, clearance, caveats in DEMO_ACCOUNTS:
            if name in existing:
                continue
            password = secrets.token_urlsafe(12)
            add_user(connection, name, role=role, clearance=clearance, caveats=caveats, password=password,
                     actor="demo", client="cli")
            created[name] = password
    return created
