"""``watchhouse areas ...``: the force -> district -> neighbourhood -> LSOA hierarchy and boundaries."""

from __future__ import annotations

from pathlib import Path

import typer

areas_app = typer.Typer(help="Areas: forces, districts, neighbourhoods, LSOAs and their boundaries.", no_args_is_help=True)

_DB_HELP = "Database URL (default: WATCHHOUSE_DATABASE_URL, else sqlite:///watchhouse.db)."


def register(app: typer.Typer) -> None:
    app.add_typer(areas_app, name="areas")


def _engine(db: str | None):
    from watchhouse.config import database_url
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db or database_url())
    upgrade(engine)
    return engine


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=1)


@areas_app.command("load-lookup")
def load_lookup_command(
    force: list[str] = typer.Option(None, "--force", help="police.uk force id to load (repeatable); default all."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Load the ONS LSOA lookup and census 2011 population shipped by crime-sim-toolkit."""
    import time

    from watchhouse.areas.lookup import load
    from watchhouse.areas.model import AreasError

    started = time.perf_counter()
    try:
        result = load(_engine(db), forces=set(force) if force else None)
    except AreasError as error:
        raise _fail(str(error)) from None
    changes = result.changes
    typer.echo(
        f"{len(result.forces)} force(s), {result.areas:,} areas: {changes.inserted:,} added, "
        f"{changes.updated:,} updated, {changes.deleted:,} removed in {time.perf_counter() - started:.1f} s"
    )
    if result.lsoas_without_population:
        typer.echo(f"{result.lsoas_without_population:,} LSOA(s) have no census population in the file")


@areas_app.command("derive-boundaries")
def derive_boundaries_command(
    force: str = typer.Option(..., "--force", help="police.uk force id, e.g. west-yorkshire."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Derive approximate polygons from the force's crime map points (Voronoi of LSOA centroids)."""
    from watchhouse.areas.boundaries import derive
    from watchhouse.areas.model import AreasError

    try:
        result = derive(_engine(db), force)
    except AreasError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"{force}: {result.areas_with_boundary:,} approximate polygons from {result.lsoas_with_crimes:,} LSOAs "
        f"with crimes ({result.lsoas_without_crimes:,} LSOAs without crimes have none); "
        f"{result.changes.updated:,} areas changed"
    )
    if result.crimes_outside_force_lsoas:
        typer.echo(f"{result.crimes_outside_force_lsoas:,} crimes lie in LSOAs of other forces and were left out")


@areas_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="GeoJSON FeatureCollection of Polygon/MultiPolygon features in WGS84."),
    force: str = typer.Option(..., "--force", help="police.uk force id whose neighbourhoods these are."),
    id_property: str | None = typer.Option(None, "--id-property", help="Feature property holding the neighbourhood id."),
    name_property: str | None = typer.Option(None, "--name-property", help="Feature property holding the name."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """Replace a force's neighbourhoods with its real neighbourhood-team boundaries."""
    from watchhouse.areas.geojson_import import import_neighbourhoods
    from watchhouse.areas.model import AreasError

    try:
        result = import_neighbourhoods(
            _engine(db), file, force_code=force, id_property=id_property, name_property=name_property
        )
    except AreasError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"{force}: {result.neighbourhoods:,} neighbourhoods imported (replacing {result.replaced:,}); LSOAs placed: "
        f"{result.lsoas_inside:,} inside a boundary, {result.lsoas_nearest:,} by the nearest boundary, "
        f"{result.lsoas_by_neighbours:,} with their neighbours, {result.lsoas_unplaced:,} left under their district"
    )


@areas_app.command("list")
def list_command(
    force: str | None = typer.Option(None, "--force", help="Only this force's areas."),
    level: str = typer.Option("force", "--level", help="force, district, neighbourhood or lsoa."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """List areas at one level, with population and boundary status."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.areas import AreasError, areas_at_level

    try:
        found = areas_at_level(_engine(db), level, force_code=force)
    except AreasError as error:
        raise _fail(str(error)) from None
    table = Table(title=f"{level} areas" + (f" of {force}" if force else ""))
    for column in ("code", "name", "parent", "population", "boundary"):
        table.add_column(column, justify="right" if column == "population" else "left")
    for area in found:
        boundary = "none" if not area.boundary_geojson else ("approximate" if area.boundary_approximate else "real")
        population = f"{area.population:,}" if area.population is not None else "unknown"
        table.add_row(area.code, area.name, area.parent_code or "", population, boundary)
    Console().print(table)
    typer.echo(f"{len(found):,} area(s)")
