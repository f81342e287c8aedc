"""``watchhouse ingest ...``: load data from outside into the store."""

from __future__ import annotations

from pathlib import Path

import typer

# Other ingest sources add their commands to this app (``from watchhouse.ingest.cli import ingest_app``).
ingest_app = typer.Typer(help="Load data into Watchhouse: police.uk archives and other sources.", no_args_is_help=True)

_DB_HELP = "Database URL (default: WATCHHOUSE_DATABASE_URL, else sqlite:///watchhouse.db)."


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")


def _engine(db: str | None):
    from watchhouse.config import database_url
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db or database_url())
    upgrade(engine)
    return engine


@ingest_app.command("police-uk")
def police_uk(
    paths: list[Path] = typer.Argument(..., help="data.police.uk CSV files, month folders, directories or .zip archives."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Load data.police.uk street, outcomes and stop-and-search CSVs (kind told by header)."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.ingest.police_uk import ingest_paths

    console = Console()
    error_console = Console(stderr=True)
    report = ingest_paths(_engine(db), paths, progress=progress, raise_on_error=False)

    table = Table(title="police.uk ingest")
    table.add_column("file", overflow="fold")
    table.add_column("kind", overflow="fold")
    for name in ("read", "loaded", "updated", "unchanged", "quarantined"):
        table.add_column(name, justify="right")
    for row in [*report.files, report.total]:
        table.add_row(
            row.file, row.kind, *(f"{getattr(row, name):,}" for name in ("read", "loaded", "updated", "unchanged", "quarantined")),
            end_section=row is report.files[-1] if report.files else False,
        )  # fmt: skip
    console.print(table)
    if report.total.quarantined:
        console.print("Quarantined rows: [bold]watchhouse ingest quarantine[/] lists them with line, field and reason.")
    if report.errors:
        for error in report.errors:
            error_console.print(f"[red]error:[/] {error}  (nothing from this file was written)", markup=True, highlight=False)
        raise typer.Exit(code=1)


@ingest_app.command("quarantine")
def list_quarantine(
    limit: int = typer.Option(50, "--limit", min=1, help="Show at most this many rows."),
    raw: bool = typer.Option(False, "--raw", help="Also show each row as it was read."),
    db: str | None = typer.Option(None, "--db", help=_DB_HELP),
) -> None:
    """List rows refused by police.uk ingests, with file, line, field and reason."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.ingest.police_uk import quarantine_count, quarantined_rows

    engine = _engine(db)
    rows = quarantined_rows(engine, limit=limit)
    total = quarantine_count(engine)
    table = Table(title=f"quarantined rows ({len(rows)} of {total})")
    table.add_column("file", overflow="fold", ratio=2)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=2)
    if raw:
        table.add_column("raw", overflow="fold", ratio=2)
    for row in rows:
        table.add_row(row.file_name, str(row.line or ""), row.field or "", row.reason, *([row.raw or ""] if raw else []))
    Console().print(table)
