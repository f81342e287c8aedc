"""Load force -> district -> neighbourhood -> LSOA from the ONS lookup shipped by crime-sim-toolkit.

Until a force imports its neighbourhood-team boundaries, its neighbourhoods are the MSOAs
of the lookup. Populations are census 2011 usual residents per LSOA, summed upwards.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.areas import spatial
from watchhouse.areas.force_facts import (
    FORCE_OF_UNASSIGNED_LOCAL_AUTHORITY,
    force_id_for,
    force_name,
)
from watchhouse.areas.model import DISTRICT, FORCE, LSOA, NEIGHBOURHOOD, AreasError
from watchhouse.areas.rows import Changes, blank_row, read_rows, sum_populations, write_changes
from watchhouse.areas.tables import areas

LOOKUP_COLUMNS = (
    "Local authority code",
    "Local authority name",
    "MSOA Code",
    "MSOA Name",
    "LSOA Code",
    "LSOA Name",
    "Police_force",
)


@dataclass(frozen=True)
class LookupRow:
    force_code: str
    district_code: str
    district_name: str
    msoa_code: str
    msoa_name: str
    lsoa_code: str
    lsoa_name: str


@dataclass(frozen=True)
class LookupLoad:
    forces: list[str]
    areas: int  # areas of every level now in the hierarchy of those forces
    lsoas_without_population: int
    changes: Changes


def _header_index(header: list[str], path: Path, wanted: tuple[str, ...]) -> dict[str, int]:
    missing = [name for name in wanted if name not in header]
    if missing:
        raise AreasError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    return {name: header.index(name) for name in wanted}


def _file_identity(path: Path) -> tuple[str, int, int]:
    try:
        status = path.stat()
    except FileNotFoundError:
        raise AreasError(f"{path}: no such file") from None
    return str(path.resolve()), status.st_mtime_ns, status.st_size


def read_lookup(path: Path) -> tuple[LookupRow, ...]:
    """Every LSOA of the lookup with its police.uk force id (parsed once per file version)."""
    return _read_lookup(*_file_identity(path))


def read_population(path: Path) -> Mapping[str, int]:
    """Census 2011 usual residents per LSOA code (parsed once per file version)."""
    return _read_population(*_file_identity(path))


@lru_cache(maxsize=4)
def _read_lookup(name: str, _mtime_ns: int, _size: int) -> tuple[LookupRow, ...]:
    path = Path(name)
    rows: list[LookupRow] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise AreasError(f"{path}: the file is empty")
        at = _header_index(header, path, LOOKUP_COLUMNS)
        for line, record in enumerate(reader, start=2):
            if not any(record):
                continue
            if len(record) != len(header):
                raise AreasError(f"{path}: line {line}: {len(record)} fields, the header has {len(header)}")
            values = {name: record[index].strip() for name, index in at.items()}
            for name in LOOKUP_COLUMNS[:-1]:
                if not values[name]:
                    raise AreasError(f"{path}: line {line}: field {name!r} is empty")
            district_code = values["Local authority code"]
            if values["Police_force"]:
                try:
                    force_code = force_id_for(values["Police_force"])
                except AreasError as error:
                    raise AreasError(f"{path}: line {line}: field 'Police_force': {error}") from None
            elif district_code in FORCE_OF_UNASSIGNED_LOCAL_AUTHORITY:
                force_code = FORCE_OF_UNASSIGNED_LOCAL_AUTHORITY[district_code]
            else:
                raise AreasError(
                    f"{path}: line {line}: field 'Police_force' is empty and local authority "
                    f"{district_code} ({values['Local authority name']}) has no known force"
                )
            rows.append(
                LookupRow(
                    force_code=force_code,
                    district_code=district_code,
                    district_name=values["Local authority name"],
                    msoa_code=values["MSOA Code"],
                    msoa_name=values["MSOA Name"],
                    lsoa_code=values["LSOA Code"],
                    lsoa_name=values["LSOA Name"],
                )
            )
    return tuple(rows)


@lru_cache(maxsize=4)
def _read_population(name: str, _mtime_ns: int, _size: int) -> Mapping[str, int]:
    # The first 'Persons' column is all usual residents; values are written "1,563".
    path = Path(name)
    population: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise AreasError(f"{path}: the file is empty")
        at = _header_index(header, path, ("LSOA Code", "Persons"))
        for line, record in enumerate(reader, start=2):
            if not any(record):
                continue
            if len(record) <= max(at.values()):
                raise AreasError(f"{path}: line {line}: {len(record)} fields, the header has {len(header)}")
            code = record[at["LSOA Code"]].strip()
            raw = record[at["Persons"]].strip()
            try:
                persons = int(raw.replace(",", ""))
            except ValueError:
                raise AreasError(f"{path}: line {line}: field 'Persons': {raw!r} is not a whole number") from None
            if persons < 0:
                raise AreasError(f"{path}: line {line}: field 'Persons': {raw!r} is negative")
            population[code] = persons
    return MappingProxyType(population)


def _forces_with_imported_neighbourhoods(rows: dict[str, dict]) -> set[str]:
    return {
        row["force_code"]
        for row in rows.values()
        if row["level"] == NEIGHBOURHOOD and not row["boundary_approximate"]
    }


def _set(rows: dict[str, dict], code: str, level: str, name: str, force_code: str, parent: str | None) -> dict:
    row = rows.get(code)
    if row is None:
        row = rows[code] = blank_row(code, level, name, force_code)
    row.update(level=level, name=name, force_code=force_code, parent_code=parent)
    return row


def _refuse_codes_of_other_forces(connection, wanted: set[str], after: dict[str, dict]) -> None:
    """Area codes are unique across forces; a clash means the stored hierarchy came from another lookup."""
    others = connection.execute(
        sa.select(areas.c.code, areas.c.force_code).where(
            sa.or_(areas.c.force_code.is_(None), areas.c.force_code.not_in(sorted(wanted)))
        )
    )
    for code, force_code in others:
        if code in after:
            raise AreasError(
                f"area {code} is already stored under force {force_code}, "
                f"but the lookup puts it in {after[code]['force_code']}"
            )


def load(
    engine: Engine,
    *,
    forces: set[str] | None = None,
    lookup_path: Path | None = None,
    population_path: Path | None = None,
) -> LookupLoad:
    from watchhouse import sample

    lookup = read_lookup(Path(lookup_path or sample.lsoa_lookup_file()))
    population = read_population(Path(population_path or sample.population_file()))
    known_forces = {row.force_code for row in lookup}
    if forces is None:
        wanted = known_forces
    else:
        wanted = {force_id_for(force) for force in forces}
        absent = sorted(wanted - known_forces)
        if absent:
            raise AreasError(f"force(s) {', '.join(absent)} have no LSOAs in the lookup")
    lookup = [row for row in lookup if row.force_code in wanted]

    with engine.begin() as connection:
        before = read_rows(connection, wanted)
        after = {code: dict(row) for code, row in before.items()}
        imported = _forces_with_imported_neighbourhoods(before)
        for force_code in sorted(wanted):
            _set(after, force_code, FORCE, force_name(force_code), force_code, None)
        for row in lookup:
            _set(after, row.district_code, DISTRICT, row.district_name, row.force_code, row.force_code)
            existing = before.get(row.lsoa_code)
            keep_parent = row.force_code in imported and existing is not None and existing["parent_code"]
            if keep_parent:
                parent = existing["parent_code"]
            else:
                _set(after, row.msoa_code, NEIGHBOURHOOD, row.msoa_name, row.force_code, row.district_code)
                parent = row.msoa_code
            lsoa = _set(after, row.lsoa_code, LSOA, row.lsoa_name, row.force_code, parent)
            lsoa["population"] = population.get(row.lsoa_code)
        sum_populations(after)
        _refuse_codes_of_other_forces(connection, wanted, after)
        changes = write_changes(connection, before, after)
    if changes.total:
        spatial.invalidate(engine)
    return LookupLoad(
        forces=sorted(wanted),
        areas=len(after),
        lsoas_without_population=sum(1 for row in lookup if row.lsoa_code not in population),
        changes=changes,
    )
