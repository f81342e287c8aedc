"""``watchhouse records ...``: reports on the joined-up records."""

from __future__ import annotations

import typer

records_app = typer.Typer(help="Joined-up records: data-quality reports.", no_args_is_help=True)


@records_app.command("quality")
def quality(
    db: str | None = typer.Option(None, "--db", help="Database URL (default: WATCHHOUSE_DATABASE_URL)."),
    purpose: str = typer.Option("data-quality report", "--purpose", help="Why the report is run (recorded)."),
) -> None:
    """Per source system: missing and invalid fields, quarantined rows, duplicates, conflicts with other systems."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.access import Viewer
    from watchhouse.config import database_url
    from watchhouse.connectors import quarantine_counts
    from watchhouse.records.quality import CHECKED_FIELDS, CONFLICT_FIELDS, quality_report
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db or database_url())
    upgrade(engine)
    report = quality_report(engine, Viewer.system(purpose))
    quarantined = quarantine_counts(engine)
    console = Console()
    if not report:
        console.print("No person records loaded yet: run [bold]watchhouse ingest source[/] first.")
        return
    table = Table(title="Data quality by source system (person records)")
    table.add_column("measure")
    for item in report:
        table.add_column(item.system, justify="right")
    table.add_row("person records", *(f"{q.person_records:,}" for q in report))
    table.add_row("rows quarantined on load", *(f"{quarantined.get(q.system, 0):,}" for q in report), end_section=True)
    for name in CHECKED_FIELDS:
        table.add_row(f"missing {name}", *(f"{q.missing.get(name, 0):,} ({q.missing_share(name):.0%})" for q in report))
    for name in ("date_of_birth", "postcode"):
        table.add_row(f"invalid {name}", *(f"{q.invalid.get(name, 0):,}" for q in report))
    table.add_row("duplicates within the system", *(f"{q.duplicates_within:,}" for q in report), end_section=True)
    table.add_row("same person held by other systems", *(f"{q.shared_with_other_systems:,}" for q in report))
    for name in CONFLICT_FIELDS:
        table.add_row(f"conflicting {name}", *(f"{q.conflicts.get(name, 0):,}" for q in report))
    console.print(table)
    if all(q.duplicates_within == 0 and q.shared_with_other_systems == 0 for q in report):
        console.print("No clusters yet: duplicates and conflicts appear once [bold]record linkage[/] has run.")


def register(app: typer.Typer) -> None:
    app.add_typer(records_app, name="records")
