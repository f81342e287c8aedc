"""``watchhouse ingest source MAPPING.yaml FILE...``: load a source system's export through its mapping."""

from __future__ import annotations

from pathlib import Path

import typer

_DB_HELP = "Database URL (default: WATCHHOUSE_DATABASE_URL, else sqlite:///watchhouse.db)."


def source(
    mapping_path: Path = typer.Argument(..., metavar="MAPPING.yaml", help="The source system's YAML mapping (or the name of a shipped one)."),
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="CSV or JSON-lines exports to load."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Load source-system exports through a declarative mapping: validated, quarantined, atomic, idempotent."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.config import database_url
    from watchhouse.connectors import MappingError, load_files, load_mapping, shipped_mappings
    from watchhouse.store import get_engine, upgrade

    errors = Console(stderr=True)
    shipped = shipped_mappings()
    if not mapping_path.exists() and str(mapping_path) in shipped:
        mapping_path = shipped[str(mapping_path)]
    try:
        mapping = load_mapping(mapping_path)
    except MappingError as error:
        errors.print(f"[red]error:[/] mapping {error.source} cannot be used (nothing was loaded):", highlight=False)
        for problem in error.problems:
            errors.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(code=2) from None
    engine = get_engine(db or database_url())
    upgrade(engine)
    report = load_files(engine, mapping, files, progress=progress)
    table = Table(title=f"{mapping.system} load")
    table.add_column("file", overflow="fold")
    names = ("rows_read", "rows_loaded", "rows_quarantined", "inserted", "updated", "unchanged", "links_added")
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    for row in [*report.files, report.total]:
        table.add_row(row.file, *(f"{getattr(row, name):,}" for name in names))
    Console().print(table)
    if report.total.rows_quarantined:
        Console().print("Quarantined rows: [bold]watchhouse ingest source-quarantine[/] lists them with line, field and reason.")
    for refused in report.errors:
        errors.print(f"[red]error:[/] {refused.file_name}: {refused.reason} (nothing from this file was written)",
                     highlight=False)
    if report.errors:
        raise typer.Exit(code=1)


def source_quarantine(
    system: str | None = typer.Option(None, "--system", help="Only this source system."),
    limit: int = typer.Option(50, "--limit", min=1, help="Show at most this many rows."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """List rows refused by source-system loads, with file, line, field and reason."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.config import database_url
    from watchhouse.connectors import quarantined_rows
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db or database_url())
    upgrade(engine)
    table = Table(title="quarantined source rows")
    for name in ("system", "file", "line", "field", "reason", "raw"):
        table.add_column(name, overflow="fold")
    for row in quarantined_rows(engine, system=system, limit=limit):
        table.add_row(row.system, row.file_name, str(row.line or ""), row.field or "", row.reason, row.raw or "")
    Console().print(table)


def register(app: typer.Typer) -> None:
    # The ingest capability owns the `ingest` group; connectors add their commands to it.
    from watchhouse.ingest.cli import ingest_app

    ingest_app.command("source")(source)
    ingest_app.command("source-quarantine")(source_quarantine)
